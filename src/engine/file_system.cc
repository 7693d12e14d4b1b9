#include "engine/file_system.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>  // renameat2, RENAME_NOREPLACE (glibc >= 2.28)
#include <cstring>
#include <utility>

#include <fmt/format.h>

#include "core/unique_fd.h"

namespace s3m::engine {

ErrorContext PathContext(std::string_view operation, std::string path, int sys_errno) {
  ErrorContext context;
  context.operation = std::string(operation);
  context.path = std::move(path);
  context.sys_errno = sys_errno;
  return context;
}

Status FileError(int err, std::string_view operation, const std::string& path) {
  ErrorContext context = PathContext(operation, path, err);
  const char* reason = std::strerror(err);
  switch (err) {
    case ENOSPC:
      return Status::Error(ErrorKind::kFatal,
                           fmt::format("disk full ({}): free space on the destination filesystem, "
                                       "then run migrate again; nothing is deleted from S3 for "
                                       "this object",
                                       reason),
                           std::move(context));
    case EDQUOT:
      return Status::Error(ErrorKind::kFatal,
                           fmt::format("disk full: the disk quota of this user is used up ({}); "
                                       "raise the quota or free space, then run migrate again",
                                       reason),
                           std::move(context));
    case EACCES:
    case EPERM:
      return Status::Error(ErrorKind::kFatal,
                           fmt::format("permission denied ({}): the user running s3migrate "
                                       "(uid {}) may not do this on {}; fix the permissions or "
                                       "choose another destination",
                                       reason, ::geteuid(), path),
                           std::move(context));
    case EROFS:
      return Status::Error(ErrorKind::kFatal,
                           fmt::format("permission denied ({}): {} is on a read-only filesystem; "
                                       "choose a writable destination",
                                       reason, path),
                           std::move(context));
    case ENOENT: return Status::Error(ErrorKind::kNotFound, reason, std::move(context));
    case EEXIST: return Status::Error(ErrorKind::kConflict, reason, std::move(context));
    case ENAMETOOLONG: return Status::Error(ErrorKind::kInvalidArgument, reason, std::move(context));
    case EINTR:
    case EAGAIN: return Status::Error(ErrorKind::kTransient, reason, std::move(context));
    case EIO:
      return Status::Error(ErrorKind::kFatal,
                           fmt::format("{}: the device reported an error; data written to this "
                                       "file may be lost, so it must be written again",
                                       reason),
                           std::move(context));
    default: return Status::Error(ErrorKind::kFatal, reason, std::move(context));
  }
}

Status ReadRange(File& file, uint64_t offset, uint64_t length, std::vector<char>& buffer,
                 const std::function<void(const char* data, size_t size)>& consume) {
  for (uint64_t done = 0; done < length;) {
    const size_t want = static_cast<size_t>(std::min<uint64_t>(buffer.size(), length - done));
    S3M_ASSIGN_OR_RETURN(size_t got, file.ReadAt(offset + done, buffer.data(), want));
    if (got != want) {
      return Status::Error(ErrorKind::kFatal,
                           fmt::format("file ended at byte {}, expected {}", offset + done + got,
                                       offset + length),
                           PathContext("read back", file.path()));
    }
    consume(buffer.data(), want);
    done += want;
  }
  return Status::Ok();
}

bool IsDiskFull(const Status& status) {
  const int err = status.context().sys_errno;
  return !status.ok() && (err == ENOSPC || err == EDQUOT);
}

namespace {

// Calls `fn` until it does not fail with EINTR; returns its last result.
template <typename Fn>
auto RetryOnEintr(Fn fn) -> decltype(fn()) {
  decltype(fn()) result;
  do {
    result = fn();
  } while (result == -1 && errno == EINTR);
  return result;
}

FileType TypeFromMode(mode_t mode) {
  if (S_ISREG(mode)) return FileType::kRegular;
  if (S_ISDIR(mode)) return FileType::kDirectory;
  if (S_ISLNK(mode)) return FileType::kSymlink;
  return FileType::kOther;
}

FileInfo InfoFromStat(const struct ::stat& st) {
  FileInfo info;
  info.type = TypeFromMode(st.st_mode);
  info.size = static_cast<uint64_t>(st.st_size);
  info.mtime = std::chrono::system_clock::time_point(
      std::chrono::duration_cast<std::chrono::system_clock::duration>(
          std::chrono::seconds(st.st_mtim.tv_sec) + std::chrono::nanoseconds(st.st_mtim.tv_nsec)));
  info.mode = st.st_mode & 07777;
  info.device = static_cast<uint64_t>(st.st_dev);
  return info;
}

class PosixFile final : public File {
 public:
  PosixFile(std::string path, UniqueFd fd) : File(std::move(path)), fd_(std::move(fd)) {}

  Status WriteAt(uint64_t offset, const void* data, size_t size) override {
    const auto* p = static_cast<const char*>(data);
    while (size > 0) {
      const ssize_t n = RetryOnEintr(
          [&] { return ::pwrite(fd_.get(), p, size, static_cast<off_t>(offset)); });
      if (n < 0) return FileError(errno, "write", path());
      if (n == 0) return FileError(EIO, "write", path());  // would loop forever otherwise
      p += n;
      offset += static_cast<uint64_t>(n);
      size -= static_cast<size_t>(n);
    }
    return Status::Ok();
  }

  Result<size_t> ReadAt(uint64_t offset, void* buffer, size_t size) override {
    auto* p = static_cast<char*>(buffer);
    size_t done = 0;
    while (done < size) {
      const ssize_t n = RetryOnEintr([&] {
        return ::pread(fd_.get(), p + done, size - done, static_cast<off_t>(offset + done));
      });
      if (n < 0) return FileError(errno, "read", path());
      if (n == 0) break;  // end of file
      done += static_cast<size_t>(n);
    }
    return done;
  }

  Status Allocate(uint64_t offset, uint64_t length) override {
    if (length == 0) return Status::Ok();
    // fallocate rather than posix_fallocate: glibc's fallback for filesystems
    // without fallocate writes a byte into every block, which is slow on a
    // multi-GB file and reserves nothing atomically.
    const int rc = RetryOnEintr([&] {
      return ::fallocate(fd_.get(), 0, static_cast<off_t>(offset), static_cast<off_t>(length));
    });
    if (rc == 0) return Status::Ok();
    if (errno != EOPNOTSUPP && errno != ENOSYS) return FileError(errno, "preallocate", path());
    // No fallocate here (some NFS, FUSE): at least give the file its size.
    S3M_ASSIGN_OR_RETURN(FileInfo info, Stat());
    if (info.size >= offset + length) return Status::Ok();
    return Truncate(offset + length);
  }

  Status Truncate(uint64_t size) override {
    if (RetryOnEintr([&] { return ::ftruncate(fd_.get(), static_cast<off_t>(size)); }) != 0) {
      return FileError(errno, "truncate", path());
    }
    return Status::Ok();
  }

  Status Sync() override {
    if (RetryOnEintr([&] { return ::fsync(fd_.get()); }) != 0) return FileError(errno, "fsync", path());
    return Status::Ok();
  }

  Status DataSync() override {
    if (RetryOnEintr([&] { return ::fdatasync(fd_.get()); }) != 0) {
      return FileError(errno, "fdatasync", path());
    }
    return Status::Ok();
  }

  Result<FileInfo> Stat() override {
    struct ::stat st;
    if (::fstat(fd_.get(), &st) != 0) return FileError(errno, "stat", path());
    return InfoFromStat(st);
  }

  Status SetModificationTime(std::chrono::system_clock::time_point mtime) override {
    const auto since_epoch =
        std::chrono::duration_cast<std::chrono::nanoseconds>(mtime.time_since_epoch());
    const auto seconds = std::chrono::floor<std::chrono::seconds>(since_epoch);
    struct ::timespec times[2];
    times[0].tv_sec = 0;
    times[0].tv_nsec = UTIME_OMIT;  // leave the atime alone
    times[1].tv_sec = static_cast<time_t>(seconds.count());
    times[1].tv_nsec = static_cast<long>((since_epoch - seconds).count());
    if (::futimens(fd_.get(), times) != 0) return FileError(errno, "set mtime", path());
    return Status::Ok();
  }

  Status SetAttribute(const std::string& name, std::string_view value) override {
    if (::fsetxattr(fd_.get(), name.c_str(), value.data(), value.size(), 0) != 0) {
      return FileError(errno, "set extended attribute " + name, path());
    }
    return Status::Ok();
  }

  Status Close() override {
    const int err = fd_.Close();
    return err == 0 ? Status::Ok() : FileError(err, "close", path());
  }

 private:
  UniqueFd fd_;
};

Result<FileInfo> StatPath(const std::string& path, bool follow) {
  struct ::stat st;
  const int rc = follow ? ::stat(path.c_str(), &st) : ::lstat(path.c_str(), &st);
  if (rc != 0) return FileError(errno, follow ? "stat" : "lstat", path);
  return InfoFromStat(st);
}

// Returns OK when `rc` is 0, else the errno as a Status.
Status CheckCall(int rc, std::string_view operation, const std::string& path) {
  return rc == 0 ? Status::Ok() : FileError(errno, operation, path);
}

}  // namespace

Result<std::unique_ptr<File>> PosixFileSystem::Open(const std::string& path,
                                                    const OpenOptions& options) {
  int flags = O_CLOEXEC | (options.write ? O_RDWR : O_RDONLY);
  if (options.create) flags |= O_CREAT;
  if (options.exclusive) flags |= O_EXCL;
  if (options.truncate) flags |= O_TRUNC;
  const int fd = RetryOnEintr([&] { return ::open(path.c_str(), flags, options.mode); });
  if (fd < 0) return FileError(errno, "open", path);
  return std::unique_ptr<File>(std::make_unique<PosixFile>(path, UniqueFd(fd)));
}

Status PosixFileSystem::Rename(const std::string& from, const std::string& to) {
  if (::rename(from.c_str(), to.c_str()) != 0) {
    return FileError(errno, "rename to " + to, from);
  }
  return Status::Ok();
}

Status PosixFileSystem::RenameNoReplace(const std::string& from, const std::string& to) {
  if (::renameat2(AT_FDCWD, from.c_str(), AT_FDCWD, to.c_str(), RENAME_NOREPLACE) == 0) {
    return Status::Ok();
  }
  if (errno != EINVAL && errno != ENOSYS && errno != EOPNOTSUPP) {
    return FileError(errno, "rename (no replace) to " + to, from);
  }
  // The filesystem has no RENAME_NOREPLACE (NFS, FUSE, older kernels): a
  // hard link fails with EEXIST just as atomically, then the old name goes.
  if (::link(from.c_str(), to.c_str()) == 0) return CheckCall(::unlink(from.c_str()), "unlink", from);
  if (errno != EPERM && errno != EOPNOTSUPP && errno != ENOSYS) {
    return FileError(errno, "link to " + to, from);
  }
  // No hard links either (FAT, exFAT, some FUSE): look, then rename. Not
  // atomic, but the writer lock makes this process the only s3migrate
  // writing the destination.
  struct ::stat st;
  if (::lstat(to.c_str(), &st) == 0) return FileError(EEXIST, "rename (no replace) to " + to, from);
  if (errno != ENOENT) return FileError(errno, "lstat", to);
  return Rename(from, to);
}

Status PosixFileSystem::RemoveFile(const std::string& path) {
  return CheckCall(::unlink(path.c_str()), "unlink", path);
}

Status PosixFileSystem::CreateDirectory(const std::string& path) {
  return CheckCall(::mkdir(path.c_str(), 0755), "mkdir", path);
}

Status PosixFileSystem::RemoveDirectory(const std::string& path) {
  return CheckCall(::rmdir(path.c_str()), "rmdir", path);
}

Status PosixFileSystem::SyncDirectory(const std::string& path) {
  UniqueFd fd(RetryOnEintr(
      [&] { return ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC); }));
  if (fd.get() < 0) return FileError(errno, "open directory", path);
  if (RetryOnEintr([&] { return ::fsync(fd.get()); }) != 0) {
    return FileError(errno, "fsync directory", path);
  }
  const int err = fd.Close();
  return err == 0 ? Status::Ok() : FileError(err, "close directory", path);
}

Status PosixFileSystem::SyncFileSystem(const std::string& path) {
  UniqueFd fd(RetryOnEintr([&] { return ::open(path.c_str(), O_RDONLY | O_CLOEXEC); }));
  if (fd.get() < 0) return FileError(errno, "open", path);
  if (RetryOnEintr([&] { return ::syncfs(fd.get()); }) != 0) {
    return FileError(errno, "syncfs", path);
  }
  const int err = fd.Close();
  return err == 0 ? Status::Ok() : FileError(err, "close", path);
}

Result<bool> SameFileContent(FileSystem& fs, const std::string& a, const std::string& b) {
  S3M_ASSIGN_OR_RETURN(FileInfo info_a, fs.LinkStat(a));
  Result<FileInfo> info_b = fs.LinkStat(b);
  if (!info_b.ok()) {
    if (info_b.status().kind() == ErrorKind::kNotFound) return false;
    return info_b.status();
  }
  if (info_a.type != FileType::kRegular || info_b->type != FileType::kRegular ||
      info_a.size != info_b->size) {
    return false;
  }
  S3M_ASSIGN_OR_RETURN(std::unique_ptr<File> file_a, fs.Open(a, OpenOptions::Read()));
  S3M_ASSIGN_OR_RETURN(std::unique_ptr<File> file_b, fs.Open(b, OpenOptions::Read()));
  constexpr size_t kChunk = 1 << 20;
  std::vector<char> buffer_a(kChunk), buffer_b(kChunk);
  for (uint64_t offset = 0; offset < info_a.size; offset += kChunk) {
    const size_t want = static_cast<size_t>(std::min<uint64_t>(kChunk, info_a.size - offset));
    S3M_ASSIGN_OR_RETURN(size_t got_a, file_a->ReadAt(offset, buffer_a.data(), want));
    S3M_ASSIGN_OR_RETURN(size_t got_b, file_b->ReadAt(offset, buffer_b.data(), want));
    if (got_a != want || got_b != want || std::memcmp(buffer_a.data(), buffer_b.data(), want) != 0) {
      return false;
    }
  }
  return true;
}

Result<FileInfo> PosixFileSystem::Stat(const std::string& path) { return StatPath(path, true); }

Result<FileInfo> PosixFileSystem::LinkStat(const std::string& path) {
  return StatPath(path, false);
}

Result<DiskSpace> PosixFileSystem::GetDiskSpace(const std::string& path) {
  struct ::statvfs vfs;
  if (RetryOnEintr([&] { return ::statvfs(path.c_str(), &vfs); }) != 0) {
    return FileError(errno, "statvfs", path);
  }
  DiskSpace space;
  space.available_bytes = static_cast<uint64_t>(vfs.f_bavail) * vfs.f_frsize;
  space.total_bytes = static_cast<uint64_t>(vfs.f_blocks) * vfs.f_frsize;
  return space;
}

Result<std::vector<DirEntry>> PosixFileSystem::ListDirectory(const std::string& path) {
  std::unique_ptr<DIR, int (*)(DIR*)> dir(::opendir(path.c_str()), &::closedir);
  if (!dir) return FileError(errno, "list directory", path);
  std::vector<DirEntry> entries;
  while (true) {
    errno = 0;
    const struct ::dirent* entry = ::readdir(dir.get());
    if (entry == nullptr) {
      if (errno != 0) return FileError(errno, "list directory", path);
      break;
    }
    const std::string_view name = entry->d_name;
    if (name == "." || name == "..") continue;
    DirEntry out;
    out.name = std::string(name);
    switch (entry->d_type) {
      case DT_REG: out.type = FileType::kRegular; break;
      case DT_DIR: out.type = FileType::kDirectory; break;
      case DT_LNK: out.type = FileType::kSymlink; break;
      case DT_UNKNOWN: {  // some filesystems (XFS without ftype) leave it to lstat
        Result<FileInfo> info = LinkStat(JoinPath(path, name));
        if (!info.ok()) return info.status();
        out.type = info->type;
        break;
      }
      default: out.type = FileType::kOther; break;
    }
    entries.push_back(std::move(out));
  }
  return entries;
}

PosixFileSystem& PosixFileSystem::Default() {
  static PosixFileSystem* fs = new PosixFileSystem();  // never destroyed: usable during exit
  return *fs;
}

namespace {
std::string_view StripTrailingSlashes(std::string_view path) {
  while (path.size() > 1 && path.back() == '/') path.remove_suffix(1);
  return path;
}
}  // namespace

std::string DirName(std::string_view path) {
  path = StripTrailingSlashes(path);
  const size_t slash = path.rfind('/');
  if (slash == std::string_view::npos) return ".";
  if (slash == 0) return "/";
  return std::string(StripTrailingSlashes(path.substr(0, slash)));
}

std::string BaseName(std::string_view path) {
  path = StripTrailingSlashes(path);
  const size_t slash = path.rfind('/');
  if (path == "/") return "/";
  return std::string(slash == std::string_view::npos ? path : path.substr(slash + 1));
}

std::string JoinPath(std::string_view dir, std::string_view name) {
  std::string out(StripTrailingSlashes(dir));
  if (out.empty()) return std::string(name);
  if (out.back() != '/') out += '/';
  out += name;
  return out;
}

bool DirectoryMaker::IsKnownDurable(const std::string& dir) {
  std::lock_guard<std::mutex> lock(mu_);
  return durable_.count(dir) != 0;
}

void DirectoryMaker::RememberDurable(const std::string& dir) {
  std::lock_guard<std::mutex> lock(mu_);
  if (durable_.size() >= kMaxRemembered) durable_.clear();
  durable_.insert(dir);
}

Status DirectoryMaker::MakeDirectories(const std::string& path) {
  const std::string_view trimmed = StripTrailingSlashes(path);
  // Walk from the top so each parent is durable before its child is made.
  size_t pos = trimmed.starts_with('/') ? 1 : 0;
  while (pos <= trimmed.size()) {
    size_t slash = trimmed.find('/', pos);
    if (slash == std::string_view::npos) slash = trimmed.size();
    const std::string dir(trimmed.substr(0, slash));
    pos = slash + 1;
    if (dir.empty() || BaseName(dir) == "." || IsKnownDurable(dir)) continue;

    Result<FileInfo> info = fs_.Stat(dir);
    if (!info.ok() && info.status().kind() != ErrorKind::kNotFound) return info.status();
    if (!info.ok()) {
      const Status made = fs_.CreateDirectory(dir);
      // kConflict: another thread or process made it meanwhile; its parent
      // sync may not have happened yet, so ours below still matters.
      if (!made.ok() && made.kind() != ErrorKind::kConflict) return made;
      info = fs_.Stat(dir);
      if (!info.ok()) return info.status();
    }
    if (info->type != FileType::kDirectory) {
      return Status::Error(ErrorKind::kConflict,
                           "exists and is not a directory, so nothing can be stored below it",
                           PathContext("create directory", dir, ENOTDIR));
    }
    S3M_RETURN_IF_ERROR(fs_.SyncDirectory(DirName(dir)));
    RememberDurable(dir);
  }
  return Status::Ok();
}

}  // namespace s3m::engine
