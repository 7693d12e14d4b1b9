// Every OS call the engine makes on local files, behind an injectable
// interface (leveldb's Env idea), so tests can swap in
// FaultInjectionFileSystem and prove crash safety by dropping whatever was not
// made durable.
//
// Durability model. This is what POSIX promises, not what ext4 happens to do,
// and FaultInjectionFileSystem::SimulateCrash() implements exactly it:
//   * Bytes written with File::WriteAt, and size changes from Allocate and
//     Truncate, are durable only once File::Sync() (fsync) or File::DataSync()
//     (fdatasync) on that file has returned OK. Sync() also persists metadata
//     such as the mtime; DataSync() may not.
//   * A directory entry - a file or directory created, a rename, an unlink -
//     is durable only once SyncDirectory() on the directory holding the entry
//     has returned OK (on both directories for a rename across directories).
//     Syncing a file does NOT make its name durable.
//   * A failed fsync leaves the file's data unknown: Linux may have dropped the
//     dirty pages and cleared the error, so a second fsync can succeed over lost
//     data. Never retry a sync and trust the file; write the data again.
//
// Errors are values: every call returns a Status built by FileError(), naming
// the operation and the path.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "core/status.h"

namespace s3m::engine {

// The one place that turns an errno into a Status, with the operation and the
// path in its context and sys_errno set. Kinds:
//   ENOSPC, EDQUOT -> kFatal, "disk full ..." (see IsDiskFull)
//   EACCES, EPERM, EROFS -> kFatal, "permission denied ..." naming the path
//   ENOENT -> kNotFound; EEXIST -> kConflict; ENAMETOOLONG -> kInvalidArgument
//   EINTR, EAGAIN -> kTransient; anything else (EIO, ...) -> kFatal
Status FileError(int err, std::string_view operation, const std::string& path);

// An error context naming a local operation and path.
ErrorContext PathContext(std::string_view operation, std::string path, int sys_errno = 0);

// True when `status` says the filesystem ran out of space or quota. The
// scheduler uses it to fail one object and pause new downloads (PRODUCT.md
// §5.6) rather than retrying into a full disk.
bool IsDiskFull(const Status& status);

enum class FileType { kRegular, kDirectory, kSymlink, kOther };

struct FileInfo {
  FileType type = FileType::kOther;
  uint64_t size = 0;
  std::chrono::system_clock::time_point mtime;
  uint32_t mode = 0;  // permission bits
  uint64_t device = 0;  // st_dev: which filesystem holds it
};

struct DirEntry {
  std::string name;  // never "." or ".."
  FileType type = FileType::kOther;
};

struct DiskSpace {
  uint64_t available_bytes = 0;  // what an unprivileged writer may still use (f_bavail)
  uint64_t total_bytes = 0;
};

struct OpenOptions {
  bool write = false;      // O_RDWR rather than O_RDONLY
  bool create = false;     // O_CREAT
  bool exclusive = false;  // O_EXCL, with create
  bool truncate = false;   // O_TRUNC
  uint32_t mode = 0644;    // for a created file

  static OpenOptions Read() { return {}; }
  static OpenOptions ReadWrite() { return {.write = true}; }
  // Creates the file, or empties the one there.
  static OpenOptions CreateTruncate() { return {.write = true, .create = true, .truncate = true}; }
};

// An open file. The destructor closes it and never throws; call Close() to
// learn whether closing failed (NFS reports deferred write errors there).
//
// Thread safety: WriteAt, ReadAt, Allocate, Sync, DataSync and Stat may run
// concurrently from many threads (they map to pwrite/pread/fsync on one fd);
// concurrent WriteAt calls must target disjoint byte ranges. Truncate and
// Close must not overlap any other call.
class File {
 public:
  virtual ~File() = default;
  File(const File&) = delete;
  File& operator=(const File&) = delete;

  const std::string& path() const { return path_; }

  // Writes all `size` bytes at `offset` (retrying short writes and EINTR), or
  // fails. A failure may leave part of the range written.
  virtual Status WriteAt(uint64_t offset, const void* data, size_t size) = 0;
  // Reads up to `size` bytes at `offset`; fewer only at end of file.
  virtual Result<size_t> ReadAt(uint64_t offset, void* buffer, size_t size) = 0;
  // Reserves disk blocks for [offset, offset + length) and extends the file to
  // cover it, so a later ENOSPC shows up here and not mid-download. On
  // filesystems without fallocate the file is only extended (sparse) and space
  // is not reserved.
  virtual Status Allocate(uint64_t offset, uint64_t length) = 0;
  virtual Status Truncate(uint64_t size) = 0;
  virtual Status Sync() = 0;      // fsync: data and metadata
  virtual Status DataSync() = 0;  // fdatasync: data and size
  virtual Result<FileInfo> Stat() = 0;
  // futimens: sets the mtime (nanoseconds), leaves the atime.
  virtual Status SetModificationTime(std::chrono::system_clock::time_point mtime) = 0;
  // fsetxattr: sets extended attribute `name` ("user.s3.etag") to `value`.
  // sys_errno ENOTSUP when the filesystem keeps none; E2BIG, ERANGE or
  // ENOSPC when this one does not fit.
  virtual Status SetAttribute(const std::string& name, std::string_view value) = 0;
  // Closes the file; later calls fail. Idempotent.
  virtual Status Close() = 0;

 protected:
  explicit File(std::string path) : path_(std::move(path)) {}

 private:
  const std::string path_;
};

// Reads [offset, offset + length) of `file` in order, in chunks of
// buffer.size() bytes (which must not be 0), handing each chunk to `consume`.
// A file that ends before offset + length is a kFatal error.
Status ReadRange(File& file, uint64_t offset, uint64_t length, std::vector<char>& buffer,
                 const std::function<void(const char* data, size_t size)>& consume);

class FileSystem {
 public:
  virtual ~FileSystem() = default;

  // Files are opened with O_CLOEXEC so a child process never inherits them.
  virtual Result<std::unique_ptr<File>> Open(const std::string& path, const OpenOptions& options) = 0;
  // rename(2): atomically replaces `to` if it exists.
  virtual Status Rename(const std::string& from, const std::string& to) = 0;
  // Like Rename, but fails with kConflict (sys_errno EEXIST) when `to`
  // exists, file or directory, and then changes nothing: renameat2
  // RENAME_NOREPLACE, else link + unlink where the filesystem lacks it.
  virtual Status RenameNoReplace(const std::string& from, const std::string& to) = 0;
  virtual Status RemoveFile(const std::string& path) = 0;
  // One level, mode 0755; kConflict when it exists.
  virtual Status CreateDirectory(const std::string& path) = 0;
  virtual Status RemoveDirectory(const std::string& path) = 0;  // must be empty
  // Makes the entries of directory `path` durable (open O_DIRECTORY + fsync).
  virtual Status SyncDirectory(const std::string& path) = 0;
  // syncfs(2): every file's data and every directory change on the
  // filesystem holding `path` is durable when this returns. One call makes a
  // whole batch of small files durable at once (AtomicFile::Seal/Publish).
  virtual Status SyncFileSystem(const std::string& path) = 0;
  virtual Result<FileInfo> Stat(const std::string& path) = 0;      // follows symlinks
  virtual Result<FileInfo> LinkStat(const std::string& path) = 0;  // does not
  virtual Result<DiskSpace> GetDiskSpace(const std::string& path) = 0;
  // Entries in no particular order.
  virtual Result<std::vector<DirEntry>> ListDirectory(const std::string& path) = 0;
};

// The real thing. Stateless, so one instance serves every thread.
class PosixFileSystem final : public FileSystem {
 public:
  Result<std::unique_ptr<File>> Open(const std::string& path, const OpenOptions& options) override;
  Status Rename(const std::string& from, const std::string& to) override;
  Status RenameNoReplace(const std::string& from, const std::string& to) override;
  Status RemoveFile(const std::string& path) override;
  Status CreateDirectory(const std::string& path) override;
  Status RemoveDirectory(const std::string& path) override;
  Status SyncDirectory(const std::string& path) override;
  Status SyncFileSystem(const std::string& path) override;
  Result<FileInfo> Stat(const std::string& path) override;
  Result<FileInfo> LinkStat(const std::string& path) override;
  Result<DiskSpace> GetDiskSpace(const std::string& path) override;
  Result<std::vector<DirEntry>> ListDirectory(const std::string& path) override;

  // The process-wide instance.
  static PosixFileSystem& Default();
};

// True when `a` and `b` are both regular files with the same bytes (false
// when `b` does not exist). Reads both whole: for the rare clash, not a loop.
Result<bool> SameFileContent(FileSystem& fs, const std::string& a, const std::string& b);

// "a/b/c" -> "a/b"; "c" -> "."; "/c" -> "/". Trailing slashes are ignored.
std::string DirName(std::string_view path);
// "a/b/c" -> "c".
std::string BaseName(std::string_view path);
// Joins with exactly one '/'.
std::string JoinPath(std::string_view dir, std::string_view name);

// mkdir -p that leaves every directory durable: each directory it creates is
// followed by a sync of its parent, so a file committed inside cannot vanish
// with an ancestor after a power cut.
//
// A directory that already exists is not trusted blindly either: another
// thread (or a previous run killed before its parent sync) may have created it
// without the parent sync yet. So the first time this instance meets an
// existing directory it syncs that directory's parent too, and remembers the
// directory, so each costs one sync per run. The memory is capped
// (kMaxRemembered); past it the set is cleared and syncs repeat, which is
// correct, only slower.
//
// Thread-safe. Two threads making the same path both sync, which is harmless.
class DirectoryMaker {
 public:
  static constexpr size_t kMaxRemembered = 1 << 16;

  explicit DirectoryMaker(FileSystem& fs) : fs_(fs) {}

  // Creates `path` and its missing ancestors. Fails with kConflict (and
  // sys_errno ENOTDIR) when a component exists and is not a directory.
  Status MakeDirectories(const std::string& path);

 private:
  bool IsKnownDurable(const std::string& dir);
  void RememberDurable(const std::string& dir);

  FileSystem& fs_;
  std::mutex mu_;
  // Guarded by mu_: directories whose entry this instance has made durable.
  std::unordered_set<std::string> durable_;
};

}  // namespace s3m::engine
