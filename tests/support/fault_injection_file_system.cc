#include "support/fault_injection_file_system.h"

#include <algorithm>
#include <filesystem>
#include <utility>

#include <fmt/format.h>

namespace s3m::engine {

namespace {

// One spelling per path, so "d//x" and "d/./x" share their tracking.
std::string Key(const std::string& path) {
  std::string key = std::filesystem::path(path).lexically_normal().string();
  while (key.size() > 1 && key.back() == '/') key.pop_back();
  return key;
}

std::string_view FaultOpName(FaultOp op) {
  switch (op) {
    case FaultOp::kOpen: return "open";
    case FaultOp::kWrite: return "write";
    case FaultOp::kRead: return "read";
    case FaultOp::kAllocate: return "preallocate";
    case FaultOp::kTruncate: return "truncate";
    case FaultOp::kSync: return "fsync";
    case FaultOp::kClose: return "close";
    case FaultOp::kStat: return "stat";
    case FaultOp::kRename: return "rename";
    case FaultOp::kRemoveFile: return "unlink";
    case FaultOp::kCreateDirectory: return "mkdir";
    case FaultOp::kRemoveDirectory: return "rmdir";
    case FaultOp::kSyncDirectory: return "fsync directory";
    case FaultOp::kSetModificationTime: return "set mtime";
    case FaultOp::kListDirectory: return "list directory";
    case FaultOp::kGetDiskSpace: return "statvfs";
    case FaultOp::kSetAttribute: return "set xattr";
  }
  return "?";
}

}  // namespace

struct FaultInjectionFileSystem::TrackedFile {
  std::string path;           // current name (a graveyard name once unlinked)
  uint64_t synced_size = 0;   // size as of the last sync
  uint64_t unsynced_bytes = 0;
  bool dirty = false;         // changed since the last sync
  // The bytes each unsynced write or truncate destroyed below synced_size, in
  // the order they happened; replayed backwards they give the synced content.
  // Bytes at or past synced_size need no record: truncation drops them.
  struct Undo {
    uint64_t offset;
    std::string old_bytes;
  };
  std::vector<Undo> undo;
};

struct FaultInjectionFileSystem::PendingEntry {
  enum class Kind { kCreateFile, kCreateDirectory, kRename, kRemoveFile, kRemoveDirectory };
  Kind kind;
  std::string path;   // the entry created, renamed to, or removed
  std::string from;   // kRename: the old name
  std::string saved;  // graveyard name of the file this change removed or replaced; "" if none
  std::set<std::string> dirs_to_sync;  // syncs still needed before the change is durable

  PendingEntry(Kind kind, std::string path, std::set<std::string> dirs_to_sync,
               std::string from = {}, std::string saved = {})
      : kind(kind),
        path(std::move(path)),
        from(std::move(from)),
        saved(std::move(saved)),
        dirs_to_sync(std::move(dirs_to_sync)) {}
};

class FaultInjectionFileSystem::FaultFile final : public File {
 public:
  FaultFile(FaultInjectionFileSystem* fs, std::unique_ptr<File> base,
            std::shared_ptr<TrackedFile> tracked, uint64_t generation)
      : File(base->path()),
        fs_(fs),
        base_(std::move(base)),
        tracked_(std::move(tracked)),
        generation_(generation) {}

  Status WriteAt(uint64_t offset, const void* data, size_t size) override {
    return fs_->FileWrite(*this, offset, data, size);
  }
  Result<size_t> ReadAt(uint64_t offset, void* buffer, size_t size) override {
    return fs_->FileRead(*this, offset, buffer, size);
  }
  Status Allocate(uint64_t offset, uint64_t length) override {
    return fs_->FileAllocate(*this, offset, length);
  }
  Status Truncate(uint64_t size) override { return fs_->FileTruncate(*this, size); }
  Status Sync() override { return fs_->FileSync(*this, false); }
  Status DataSync() override { return fs_->FileSync(*this, true); }
  Result<FileInfo> Stat() override { return fs_->FileStat(*this); }
  Status SetModificationTime(std::chrono::system_clock::time_point mtime) override {
    return fs_->FileSetModificationTime(*this, mtime);
  }
  Status SetAttribute(const std::string& name, std::string_view value) override {
    return fs_->FileSetAttribute(*this, name, value);
  }
  Status Close() override { return fs_->FileClose(*this); }

  FaultInjectionFileSystem* fs_;
  std::unique_ptr<File> base_;
  std::shared_ptr<TrackedFile> tracked_;  // null for read-only handles
  const uint64_t generation_;
};

FaultInjectionFileSystem::FaultInjectionFileSystem(FileSystem& base, std::string graveyard_dir)
    : base_(base), graveyard_dir_(Key(graveyard_dir)) {
  base_.CreateDirectory(graveyard_dir_).IgnoreError();  // may exist; a missing one shows on use
}

FaultInjectionFileSystem::~FaultInjectionFileSystem() = default;

void FaultInjectionFileSystem::InjectFault(Fault fault) {
  std::lock_guard<std::mutex> lock(mu_);
  faults_.push_back(ArmedFault{std::move(fault)});
}

void FaultInjectionFileSystem::SetWriteBudget(uint64_t bytes, int error) {
  std::lock_guard<std::mutex> lock(mu_);
  write_budget_ = bytes;
  budget_error_ = error;
}

void FaultInjectionFileSystem::SetDiskSpace(std::optional<DiskSpace> space) {
  std::lock_guard<std::mutex> lock(mu_);
  disk_space_ = space;
}

void FaultInjectionFileSystem::ClearFaults() {
  std::lock_guard<std::mutex> lock(mu_);
  faults_.clear();
  write_budget_.reset();
  disk_space_.reset();
}

bool FaultInjectionFileSystem::crashed() const {
  std::lock_guard<std::mutex> lock(mu_);
  return crashed_;
}

Status FaultInjectionFileSystem::CheckFaultLocked(FaultOp op, const std::string& path,
                                                  const std::string& other_path) {
  if (crashed_) {
    return Status::Error(ErrorKind::kFatal, "simulated power loss: the machine is down",
                         PathContext(FaultOpName(op), path, EIO));
  }
  for (ArmedFault& armed : faults_) {
    const Fault& f = armed.fault;
    if (f.op != op) continue;
    if (!f.path_contains.empty() && path.find(f.path_contains) == std::string::npos &&
        other_path.find(f.path_contains) == std::string::npos) {
      continue;
    }
    if (armed.matched++ < f.skip) continue;
    if (f.times >= 0 && armed.fired >= f.times) continue;
    ++armed.fired;
    if (f.crash) {
      crashed_ = true;
      return CheckFaultLocked(op, path);
    }
    return FileError(f.error, FaultOpName(op), path);
  }
  return Status::Ok();
}

std::string FaultInjectionFileSystem::NewGraveyardPathLocked() {
  return JoinPath(graveyard_dir_, fmt::format("{}", graveyard_seq_++));
}

void FaultInjectionFileSystem::MoveTrackedLocked(const std::string& from, const std::string& to) {
  auto it = files_.find(from);
  if (it == files_.end()) return;
  std::shared_ptr<TrackedFile> file = std::move(it->second);
  files_.erase(it);
  file->path = to;
  files_[to] = std::move(file);
}

Result<std::unique_ptr<File>> FaultInjectionFileSystem::Open(const std::string& raw_path,
                                                             const OpenOptions& options) {
  const std::string path = Key(raw_path);
  std::lock_guard<std::mutex> lock(mu_);
  S3M_RETURN_IF_ERROR(CheckFaultLocked(FaultOp::kOpen, path));
  const bool existed = base_.LinkStat(path).ok();
  OpenOptions base_options = options;
  base_options.truncate = false;  // done below through the tracker, so a crash can undo it
  Result<std::unique_ptr<File>> base_file = base_.Open(path, base_options);
  if (!base_file.ok()) return base_file.status();

  std::shared_ptr<TrackedFile> tracked;
  if (options.write) {
    auto it = files_.find(path);
    if (it != files_.end()) {
      tracked = it->second;
    } else {
      tracked = std::make_shared<TrackedFile>();
      tracked->path = path;
      if (existed) {
        // Untracked until now: whatever is there counts as durable.
        Result<FileInfo> info = (*base_file)->Stat();
        if (!info.ok()) return info.status();
        tracked->synced_size = info->size;
      }
      files_[path] = tracked;
    }
    if (!existed) {
      pending_.push_back(PendingEntry(PendingEntry::Kind::kCreateFile, path, {DirName(path)}));
    }
  }
  auto file = std::make_unique<FaultFile>(this, std::move(*base_file), tracked, generation_);
  if (options.truncate && existed) S3M_RETURN_IF_ERROR(TruncateLocked(*file, 0));
  return std::unique_ptr<File>(std::move(file));
}

Status FaultInjectionFileSystem::CheckHandleLocked(FaultFile& file, FaultOp op) {
  if (file.generation_ != generation_) {
    return Status::Error(ErrorKind::kFatal, "file handle opened before a simulated crash",
                         PathContext(FaultOpName(op), file.path()));
  }
  const std::string& path = file.tracked_ ? file.tracked_->path : file.path();
  return CheckFaultLocked(op, path);
}

Status FaultInjectionFileSystem::FileWrite(FaultFile& file, uint64_t offset, const void* data,
                                           size_t size) {
  std::lock_guard<std::mutex> lock(mu_);
  S3M_RETURN_IF_ERROR(CheckHandleLocked(file, FaultOp::kWrite));
  if (!file.tracked_) return FileError(EBADF, "write", file.path());
  TrackedFile& tracked = *file.tracked_;
  size_t allowed = size;
  if (write_budget_) allowed = static_cast<size_t>(std::min<uint64_t>(size, *write_budget_));

  if (offset < tracked.synced_size && allowed > 0) {
    const size_t keep = static_cast<size_t>(std::min<uint64_t>(allowed, tracked.synced_size - offset));
    std::string old(keep, '\0');
    S3M_ASSIGN_OR_RETURN(size_t got, file.base_->ReadAt(offset, old.data(), keep));
    old.resize(got);
    tracked.undo.push_back({offset, std::move(old)});
  }
  S3M_RETURN_IF_ERROR(file.base_->WriteAt(offset, data, allowed));
  tracked.dirty = true;
  tracked.unsynced_bytes += allowed;
  if (write_budget_) *write_budget_ -= allowed;
  if (allowed < size) return FileError(budget_error_, "write", tracked.path);
  return Status::Ok();
}

Result<size_t> FaultInjectionFileSystem::FileRead(FaultFile& file, uint64_t offset, void* buffer,
                                                  size_t size) {
  std::lock_guard<std::mutex> lock(mu_);
  S3M_RETURN_IF_ERROR(CheckHandleLocked(file, FaultOp::kRead));
  return file.base_->ReadAt(offset, buffer, size);
}

Status FaultInjectionFileSystem::FileAllocate(FaultFile& file, uint64_t offset, uint64_t length) {
  std::lock_guard<std::mutex> lock(mu_);
  S3M_RETURN_IF_ERROR(CheckHandleLocked(file, FaultOp::kAllocate));
  if (!file.tracked_) return FileError(EBADF, "preallocate", file.path());
  // Growth past synced_size is dropped by a crash; content below it is unchanged.
  S3M_RETURN_IF_ERROR(file.base_->Allocate(offset, length));
  file.tracked_->dirty = true;
  return Status::Ok();
}

Status FaultInjectionFileSystem::TruncateLocked(FaultFile& file, uint64_t size) {
  if (!file.tracked_) return FileError(EBADF, "truncate", file.path());
  TrackedFile& tracked = *file.tracked_;
  if (size < tracked.synced_size) {
    const uint64_t keep = tracked.synced_size - size;
    std::string old(static_cast<size_t>(keep), '\0');
    S3M_ASSIGN_OR_RETURN(size_t got, file.base_->ReadAt(size, old.data(), old.size()));
    old.resize(got);
    tracked.undo.push_back({size, std::move(old)});
  }
  S3M_RETURN_IF_ERROR(file.base_->Truncate(size));
  tracked.dirty = true;
  return Status::Ok();
}

Status FaultInjectionFileSystem::FileTruncate(FaultFile& file, uint64_t size) {
  std::lock_guard<std::mutex> lock(mu_);
  S3M_RETURN_IF_ERROR(CheckHandleLocked(file, FaultOp::kTruncate));
  return TruncateLocked(file, size);
}

Status FaultInjectionFileSystem::FileSync(FaultFile& file, bool data_only) {
  std::lock_guard<std::mutex> lock(mu_);
  S3M_RETURN_IF_ERROR(CheckHandleLocked(file, FaultOp::kSync));
  S3M_RETURN_IF_ERROR(data_only ? file.base_->DataSync() : file.base_->Sync());
  if (file.tracked_) {
    S3M_ASSIGN_OR_RETURN(FileInfo info, file.base_->Stat());
    TrackedFile& tracked = *file.tracked_;
    tracked.synced_size = info.size;
    tracked.undo.clear();
    tracked.unsynced_bytes = 0;
    tracked.dirty = false;
  }
  return Status::Ok();
}

Result<FileInfo> FaultInjectionFileSystem::FileStat(FaultFile& file) {
  std::lock_guard<std::mutex> lock(mu_);
  S3M_RETURN_IF_ERROR(CheckHandleLocked(file, FaultOp::kStat));
  return WithDeviceLocked(file.base_->Stat(), Key(file.path()));
}

Status FaultInjectionFileSystem::FileSetModificationTime(FaultFile& file,
                                                         std::chrono::system_clock::time_point mtime) {
  std::lock_guard<std::mutex> lock(mu_);
  S3M_RETURN_IF_ERROR(CheckHandleLocked(file, FaultOp::kSetModificationTime));
  return file.base_->SetModificationTime(mtime);
}

Status FaultInjectionFileSystem::FileSetAttribute(FaultFile& file, const std::string& name,
                                                  std::string_view value) {
  std::lock_guard<std::mutex> lock(mu_);
  S3M_RETURN_IF_ERROR(CheckHandleLocked(file, FaultOp::kSetAttribute));
  return file.base_->SetAttribute(name, value);
}

Status FaultInjectionFileSystem::FileClose(FaultFile& file) {
  std::lock_guard<std::mutex> lock(mu_);
  const Status checked = CheckHandleLocked(file, FaultOp::kClose);
  const Status closed = file.base_->Close();  // release the fd whatever happened
  return checked.ok() ? closed : checked;
}

Status FaultInjectionFileSystem::Rename(const std::string& raw_from, const std::string& raw_to) {
  const std::string from = Key(raw_from);
  const std::string to = Key(raw_to);
  std::lock_guard<std::mutex> lock(mu_);
  S3M_RETURN_IF_ERROR(CheckFaultLocked(FaultOp::kRename, from, to));
  return RenameLocked(from, to);
}

Status FaultInjectionFileSystem::RenameNoReplace(const std::string& raw_from, const std::string& raw_to) {
  const std::string from = Key(raw_from);
  const std::string to = Key(raw_to);
  std::lock_guard<std::mutex> lock(mu_);
  S3M_RETURN_IF_ERROR(CheckFaultLocked(FaultOp::kRename, from, to));
  // Calls are serialised by mu_, so looking first is as atomic as the real one.
  if (base_.LinkStat(to).ok()) return FileError(EEXIST, "rename (no replace) to " + to, from);
  return RenameLocked(from, to);
}

Status FaultInjectionFileSystem::RenameLocked(const std::string& from, const std::string& to) {
  Result<FileInfo> source = base_.LinkStat(from);
  if (source.ok() && source->type == FileType::kDirectory) {
    return Status::Error(ErrorKind::kUnsupported,
                         "FaultInjectionFileSystem does not model renaming directories",
                         PathContext("rename", from));
  }
  std::string saved;
  Result<FileInfo> target = base_.LinkStat(to);
  if (source.ok() && target.ok() && target->type != FileType::kDirectory && from != to) {
    // Park the file being replaced so a crash can bring it back.
    saved = NewGraveyardPathLocked();
    S3M_RETURN_IF_ERROR(base_.Rename(to, saved));
    MoveTrackedLocked(to, saved);
  }
  const Status renamed = base_.Rename(from, to);
  if (!renamed.ok()) {
    if (!saved.empty()) {
      base_.Rename(saved, to).IgnoreError();
      MoveTrackedLocked(saved, to);
    }
    return renamed;
  }
  MoveTrackedLocked(from, to);
  pending_.push_back(PendingEntry(PendingEntry::Kind::kRename, to, {DirName(from), DirName(to)}, from, saved));
  return Status::Ok();
}

Status FaultInjectionFileSystem::RemoveFile(const std::string& raw_path) {
  const std::string path = Key(raw_path);
  std::lock_guard<std::mutex> lock(mu_);
  S3M_RETURN_IF_ERROR(CheckFaultLocked(FaultOp::kRemoveFile, path));
  Result<FileInfo> info = base_.LinkStat(path);
  if (!info.ok() || info->type == FileType::kDirectory) {
    return base_.RemoveFile(path);  // the real error (ENOENT, EISDIR)
  }
  const std::string saved = NewGraveyardPathLocked();
  S3M_RETURN_IF_ERROR(base_.Rename(path, saved));
  MoveTrackedLocked(path, saved);
  pending_.push_back(PendingEntry(PendingEntry::Kind::kRemoveFile, path, {DirName(path)}, "", saved));
  return Status::Ok();
}

Status FaultInjectionFileSystem::CreateDirectory(const std::string& path) {
  return ChangeDirectory(path, /*create=*/true);
}

Status FaultInjectionFileSystem::RemoveDirectory(const std::string& path) {
  return ChangeDirectory(path, /*create=*/false);
}

Status FaultInjectionFileSystem::ChangeDirectory(const std::string& raw_path, bool create) {
  const std::string path = Key(raw_path);
  std::lock_guard<std::mutex> lock(mu_);
  S3M_RETURN_IF_ERROR(
      CheckFaultLocked(create ? FaultOp::kCreateDirectory : FaultOp::kRemoveDirectory, path));
  S3M_RETURN_IF_ERROR(create ? base_.CreateDirectory(path) : base_.RemoveDirectory(path));
  pending_.push_back(PendingEntry(
      create ? PendingEntry::Kind::kCreateDirectory : PendingEntry::Kind::kRemoveDirectory, path,
      {DirName(path)}));
  return Status::Ok();
}

Status FaultInjectionFileSystem::SyncDirectory(const std::string& raw_path) {
  const std::string dir = Key(raw_path);
  std::lock_guard<std::mutex> lock(mu_);
  S3M_RETURN_IF_ERROR(CheckFaultLocked(FaultOp::kSyncDirectory, dir));
  S3M_RETURN_IF_ERROR(base_.SyncDirectory(dir));
  Status first_error;
  std::vector<PendingEntry> still_pending;
  for (PendingEntry& entry : pending_) {
    entry.dirs_to_sync.erase(dir);
    if (!entry.dirs_to_sync.empty()) {
      still_pending.push_back(std::move(entry));
      continue;
    }
    // Durable: a parked file can no longer come back.
    if (!entry.saved.empty()) {
      files_.erase(entry.saved);
      const Status removed = base_.RemoveFile(entry.saved);
      if (first_error.ok() && !removed.ok()) first_error = removed;
    }
  }
  pending_ = std::move(still_pending);
  return first_error;
}

Status FaultInjectionFileSystem::SyncFileSystem(const std::string& raw_path) {
  std::lock_guard<std::mutex> lock(mu_);
  const std::string path = Key(raw_path);
  S3M_RETURN_IF_ERROR(CheckFaultLocked(FaultOp::kSyncDirectory, path));
  S3M_RETURN_IF_ERROR(base_.SyncFileSystem(raw_path));
  // Like syncfs(2): every tracked file's bytes and every pending directory
  // change on this path's filesystem are durable now; other mounts' are not.
  const uint64_t device = DeviceLocked(path);
  filesystem_syncs_.push_back(device);
  for (auto& [key, tracked] : files_) {
    if (DeviceLocked(Key(tracked->path)) != device) continue;
    auto info = base_.LinkStat(tracked->path);
    if (info.ok()) tracked->synced_size = info->size;
    tracked->undo.clear();
    tracked->unsynced_bytes = 0;
    tracked->dirty = false;
  }
  Status first_error;
  std::vector<PendingEntry> other_devices;
  for (PendingEntry& entry : pending_) {
    if (DeviceLocked(DirName(entry.path)) != device) {
      other_devices.push_back(std::move(entry));
      continue;
    }
    if (entry.saved.empty()) continue;
    files_.erase(entry.saved);
    const Status removed = base_.RemoveFile(entry.saved);
    if (first_error.ok() && !removed.ok()) first_error = removed;
  }
  pending_ = std::move(other_devices);
  return first_error;
}

void FaultInjectionFileSystem::AddMount(const std::string& dir, uint64_t device) {
  std::lock_guard<std::mutex> lock(mu_);
  mounts_[Key(dir)] = device;
}

std::vector<uint64_t> FaultInjectionFileSystem::FileSystemSyncs() const {
  std::lock_guard<std::mutex> lock(mu_);
  return filesystem_syncs_;
}

uint64_t FaultInjectionFileSystem::DeviceLocked(const std::string& key) const {
  uint64_t device = 0;
  size_t longest = 0;
  for (const auto& [dir, dev] : mounts_) {
    const bool below = key == dir || (key.size() > dir.size() && key.starts_with(dir) &&
                                      (dir.back() == '/' || key[dir.size()] == '/'));
    if (below && dir.size() >= longest) {
      device = dev;
      longest = dir.size();
    }
  }
  return device;
}

Result<FileInfo> FaultInjectionFileSystem::WithDeviceLocked(Result<FileInfo> info,
                                                            const std::string& key) const {
  if (info.ok()) info->device = DeviceLocked(key);
  return info;
}

Result<FileInfo> FaultInjectionFileSystem::Stat(const std::string& path) {
  std::lock_guard<std::mutex> lock(mu_);
  S3M_RETURN_IF_ERROR(CheckFaultLocked(FaultOp::kStat, Key(path)));
  return WithDeviceLocked(base_.Stat(path), Key(path));
}

Result<FileInfo> FaultInjectionFileSystem::LinkStat(const std::string& path) {
  std::lock_guard<std::mutex> lock(mu_);
  S3M_RETURN_IF_ERROR(CheckFaultLocked(FaultOp::kStat, Key(path)));
  return WithDeviceLocked(base_.LinkStat(path), Key(path));
}

Result<DiskSpace> FaultInjectionFileSystem::GetDiskSpace(const std::string& path) {
  std::lock_guard<std::mutex> lock(mu_);
  S3M_RETURN_IF_ERROR(CheckFaultLocked(FaultOp::kGetDiskSpace, Key(path)));
  if (disk_space_) return *disk_space_;
  return base_.GetDiskSpace(path);
}


Result<std::vector<DirEntry>> FaultInjectionFileSystem::ListDirectory(const std::string& path) {
  std::lock_guard<std::mutex> lock(mu_);
  S3M_RETURN_IF_ERROR(CheckFaultLocked(FaultOp::kListDirectory, Key(path)));
  return base_.ListDirectory(path);
}

Status FaultInjectionFileSystem::RestoreFileDataLocked(const TrackedFile& file) {
  S3M_ASSIGN_OR_RETURN(std::unique_ptr<File> handle, base_.Open(file.path, OpenOptions::ReadWrite()));
  for (auto it = file.undo.rbegin(); it != file.undo.rend(); ++it) {
    S3M_RETURN_IF_ERROR(handle->WriteAt(it->offset, it->old_bytes.data(), it->old_bytes.size()));
  }
  S3M_RETURN_IF_ERROR(handle->Truncate(file.synced_size));
  return handle->Close();
}

Status FaultInjectionFileSystem::RemoveTreeLocked(const std::string& path) {
  S3M_ASSIGN_OR_RETURN(std::vector<DirEntry> entries, base_.ListDirectory(path));
  for (const DirEntry& entry : entries) {
    const std::string child = JoinPath(path, entry.name);
    S3M_RETURN_IF_ERROR(entry.type == FileType::kDirectory ? RemoveTreeLocked(child)
                                                           : base_.RemoveFile(child));
  }
  return base_.RemoveDirectory(path);
}

Status FaultInjectionFileSystem::UndoEntryLocked(const PendingEntry& entry) {
  using Kind = PendingEntry::Kind;
  switch (entry.kind) {
    case Kind::kCreateFile: {
      const Status removed = base_.RemoveFile(entry.path);
      return removed.kind() == ErrorKind::kNotFound ? Status::Ok() : removed;
    }
    case Kind::kCreateDirectory: return RemoveTreeLocked(entry.path);
    case Kind::kRemoveDirectory: return base_.CreateDirectory(entry.path);
    case Kind::kRename:
      S3M_RETURN_IF_ERROR(base_.Rename(entry.path, entry.from));
      if (!entry.saved.empty()) return base_.Rename(entry.saved, entry.path);
      return Status::Ok();
    case Kind::kRemoveFile: return base_.Rename(entry.saved, entry.path);
  }
  return Status::Ok();
}

Status FaultInjectionFileSystem::SimulateCrash() {
  std::lock_guard<std::mutex> lock(mu_);
  Status first_error;
  auto note = [&first_error](const Status& s) {
    if (first_error.ok() && !s.ok()) first_error = s;
  };
  // Contents first, while every tracked file is still at its current name;
  // then the names, newest change first, so each undo sees the state its
  // change left behind.
  for (const auto& [path, file] : files_) {
    if (file->dirty) note(RestoreFileDataLocked(*file));
  }
  for (auto it = pending_.rbegin(); it != pending_.rend(); ++it) note(UndoEntryLocked(*it));
  // The machine is back up: what is on disk is durable by definition.
  pending_.clear();
  files_.clear();
  faults_.clear();
  write_budget_.reset();
  disk_space_.reset();
  crashed_ = false;
  ++generation_;
  return first_error;
}

uint64_t FaultInjectionFileSystem::UnsyncedBytes(const std::string& path) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = files_.find(Key(path));
  return it == files_.end() ? 0 : it->second->unsynced_bytes;
}

std::vector<std::string> FaultInjectionFileSystem::PendingEntries() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<std::string> out;
  for (const PendingEntry& entry : pending_) {
    switch (entry.kind) {
      case PendingEntry::Kind::kCreateFile: out.push_back("create " + entry.path); break;
      case PendingEntry::Kind::kCreateDirectory: out.push_back("mkdir " + entry.path); break;
      case PendingEntry::Kind::kRename:
        out.push_back("rename " + entry.from + " -> " + entry.path);
        break;
      case PendingEntry::Kind::kRemoveFile: out.push_back("unlink " + entry.path); break;
      case PendingEntry::Kind::kRemoveDirectory: out.push_back("rmdir " + entry.path); break;
    }
  }
  return out;
}

}  // namespace s3m::engine
