// A FileSystem wrapper for tests that remembers what has not been made
// durable, per the model in file_system.h, and can lose it on demand, as
// leveldb's fault_injection_test does:
//
//   * per file: every byte written (and every size change) since its last
//     Sync/DataSync. SimulateCrash() puts back the bytes that were there at
//     the last sync and truncates the file to its last synced size, so an
//     unsynced write to a preallocated file reads as zeros again.
//   * per directory: every entry change (create, mkdir, rename, unlink, rmdir)
//     not yet followed by a SyncDirectory of the directory (or directories)
//     holding it. SimulateCrash() undoes them, newest first: created files
//     and directories vanish, renames go back, unlinked files return.
//
// Unlinked and rename-replaced files are parked in `graveyard_dir` (renamed,
// so it must be on the same filesystem) until the directory sync that makes
// their removal durable; then they are deleted for real.
//
// Faults: a Fault makes matching calls fail with an errno, or "crash" the
// machine just before a call (that call and every later one fail with EIO and
// change nothing, until SimulateCrash()). A write budget makes WriteAt run out
// of space after N bytes (preallocation does not count: the model is a
// copy-on-write filesystem where fallocate reserves nothing; inject a Fault
// on kAllocate for a preallocation that fails).
//
// Sub-mounts: AddMount(dir, device) puts `dir` and everything below it on
// another filesystem. SyncFileSystem then makes durable only what lives on
// the filesystem of its path, as syncfs(2) does (a file's bytes by the file's
// path, a directory entry by the directory holding it), and Stat, LinkStat
// and File::Stat report the device. FileSystemSyncs() tells which devices
// were synced.
//
// Not modelled: mtime durability (treated as durable at once), renaming
// directories (refused with kUnsupported), hard links.
//
// Thread-safe: one mutex serialises every call, including the wrapped I/O,
// so it is for correctness tests, not benchmarks. It must outlive the files
// it opened. Handles opened before SimulateCrash() fail every call after it.
#pragma once

#include <cerrno>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "engine/file_system.h"

namespace s3m::engine {

enum class FaultOp {
  kOpen,
  kWrite,
  kRead,
  kAllocate,
  kTruncate,
  kSync,  // Sync and DataSync
  kClose,
  kStat,  // File::Stat, Stat, LinkStat
  kRename,
  kRemoveFile,
  kCreateDirectory,
  kRemoveDirectory,
  kSyncDirectory,
  kSetModificationTime,
  kListDirectory,
  kGetDiskSpace,
  kSetAttribute,
};

struct Fault {
  FaultOp op = FaultOp::kWrite;
  int error = EIO;
  std::string path_contains{};  // matches calls whose path (either path of a rename) contains it; "" = all
  int skip = 0;               // let this many matching calls succeed first
  int times = 1;              // then fail this many; -1 = every one after
  bool crash = false;         // power is lost just before the call (see above)
};

class FaultInjectionFileSystem final : public FileSystem {
 public:
  FaultInjectionFileSystem(FileSystem& base, std::string graveyard_dir);
  ~FaultInjectionFileSystem() override;

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

  void InjectFault(Fault fault);
  // WriteAt may write `bytes` more bytes in total; the write that crosses the
  // budget writes what fits, then fails with `error`.
  void SetWriteBudget(uint64_t bytes, int error = ENOSPC);
  // What GetDiskSpace reports instead of the real figures (nullopt: real).
  void SetDiskSpace(std::optional<DiskSpace> space);
  void ClearFaults();  // faults, budget and disk space override
  // `dir` and all below it are on filesystem `device` (0 is the default one;
  // the longest matching mount wins).
  void AddMount(const std::string& dir, uint64_t device);
  // The device of every SyncFileSystem call that succeeded, in order.
  std::vector<uint64_t> FileSystemSyncs() const;
  bool crashed() const;

  // Loses everything not durable, as a power cut would, then "reboots": what
  // is on disk now counts as durable, faults are cleared, and every handle
  // opened before fails from now on. Returns the first error met while
  // rolling back (a test bug, such as a missing graveyard).
  Status SimulateCrash();

  // Bytes written to `path` since its last sync (0 for untracked files).
  uint64_t UnsyncedBytes(const std::string& path) const;
  // The entry changes not yet durable, oldest first, e.g.
  // "create d/.x%~partial", "rename d/.x%~partial -> d/x".
  std::vector<std::string> PendingEntries() const;

 private:
  class FaultFile;
  friend class FaultFile;
  struct TrackedFile;
  struct PendingEntry;
  struct ArmedFault {
    Fault fault;
    int matched = 0;
    int fired = 0;
  };

  // Each *Locked function expects mu_ held.
  Status CheckFaultLocked(FaultOp op, const std::string& path, const std::string& other_path = {});
  std::string NewGraveyardPathLocked();
  void MoveTrackedLocked(const std::string& from, const std::string& to);
  Status RestoreFileDataLocked(const TrackedFile& file);
  Status UndoEntryLocked(const PendingEntry& entry);
  Status RemoveTreeLocked(const std::string& path);
  // mkdir or rmdir, recorded as pending in the parent.
  Status ChangeDirectory(const std::string& path, bool create);

  // File operations, called by FaultFile.
  Status FileWrite(FaultFile& file, uint64_t offset, const void* data, size_t size);
  Result<size_t> FileRead(FaultFile& file, uint64_t offset, void* buffer, size_t size);
  Status FileAllocate(FaultFile& file, uint64_t offset, uint64_t length);
  Status FileTruncate(FaultFile& file, uint64_t size);
  Status FileSync(FaultFile& file, bool data_only);
  Result<FileInfo> FileStat(FaultFile& file);
  Status FileSetModificationTime(FaultFile& file, std::chrono::system_clock::time_point mtime);
  Status FileSetAttribute(FaultFile& file, const std::string& name, std::string_view value);
  Status FileClose(FaultFile& file);
  Status CheckHandleLocked(FaultFile& file, FaultOp op);
  Status TruncateLocked(FaultFile& file, uint64_t size);
  Status RenameLocked(const std::string& from, const std::string& to);
  uint64_t DeviceLocked(const std::string& key) const;
  Result<FileInfo> WithDeviceLocked(Result<FileInfo> info, const std::string& key) const;

  FileSystem& base_;
  const std::string graveyard_dir_;

  mutable std::mutex mu_;
  // Guarded by mu_:
  std::map<std::string, std::shared_ptr<TrackedFile>> files_;  // by current path
  std::vector<PendingEntry> pending_;                          // oldest first
  std::vector<ArmedFault> faults_;
  std::optional<uint64_t> write_budget_;
  int budget_error_ = ENOSPC;
  std::optional<DiskSpace> disk_space_;
  bool crashed_ = false;
  uint64_t generation_ = 0;  // bumped by SimulateCrash
  uint64_t graveyard_seq_ = 0;
  std::map<std::string, uint64_t> mounts_;  // directory -> device
  std::vector<uint64_t> filesystem_syncs_;
};

}  // namespace s3m::engine
