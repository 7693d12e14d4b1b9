#include "engine/atomic_file.h"

#include <cerrno>
#include <climits>
#include <utility>

#include <fmt/format.h>

#include "core/hash.h"
#include "engine/key_path.h"

namespace s3m::engine {

namespace {

// key_path.h never maps a key to ".<name>%~partial" (it escapes the leading
// '.' of such a name), so a partial file can never overwrite (O_TRUNC) or be
// mistaken for another object's final file.
constexpr std::string_view kPartialSuffix = kPartialFileSuffix;
constexpr size_t kMaxNameBytes = NAME_MAX;  // 255 on Linux filesystems

}  // namespace

std::string AtomicFile::PartialPath(std::string_view final_path) {
  const std::string name = BaseName(final_path);
  std::string partial = fmt::format(".{}{}", name, kPartialSuffix);
  // A final name near NAME_MAX leaves no room for the affixes; its hash is
  // just as deterministic.
  if (partial.size() > kMaxNameBytes) partial = fmt::format(".{}{}", Sha256Hex(name), kPartialSuffix);
  return JoinPath(DirName(final_path), partial);
}

bool AtomicFile::IsPartialName(std::string_view name) {
  return name.size() > 1 + kPartialSuffix.size() && name.front() == '.' &&
         name.ends_with(kPartialSuffix);
}

AtomicFile::AtomicFile(FileSystem& fs, std::string final_path, std::unique_ptr<File> file,
                       uint64_t size, bool resumed)
    : fs_(fs),
      final_path_(std::move(final_path)),
      partial_path_(PartialPath(final_path_)),
      file_(std::move(file)),
      size_(size),
      resumed_(resumed) {}

AtomicFile::~AtomicFile() {
  if (file_) file_->Close().IgnoreError();  // keep the partial file for a resume
}

ErrorContext AtomicFile::Context(std::string_view operation) const {
  return PathContext(operation, partial_path_);
}

Result<std::unique_ptr<AtomicFile>> AtomicFile::Create(FileSystem& fs, std::string final_path,
                                                       uint64_t size, const Options& options) {
  const std::string dir = DirName(final_path);
  if (options.directories != nullptr) S3M_RETURN_IF_ERROR(options.directories->MakeDirectories(dir));
  const std::string partial = PartialPath(final_path);
  S3M_ASSIGN_OR_RETURN(std::unique_ptr<File> file, fs.Open(partial, OpenOptions::CreateTruncate()));

  // Gives the file its full size; then every recorded range lies inside it
  // and Resume can recognise the file by its size. A file written whole
  // reaches its size with its writes (Seal and Commit check it).
  Status sized = Status::Ok();
  if (size > 0 && options.preallocate) {
    sized = file->Allocate(0, size);
  } else if (size > 0 && options.resumable) {
    sized = file->Truncate(size);
  }
  // The name and size must be durable before any range can be recorded
  // against this file; the file sync covers the size, the directory sync the name.
  if (sized.ok() && options.resumable) sized = file->Sync();
  if (sized.ok() && options.resumable) sized = fs.SyncDirectory(dir);
  if (!sized.ok()) {
    // A full disk shows up here: leave nothing behind.
    file->Close().IgnoreError();
    fs.RemoveFile(partial).IgnoreError();
    return sized;
  }
  return std::unique_ptr<AtomicFile>(
      new AtomicFile(fs, std::move(final_path), std::move(file), size, /*resumed=*/false));
}

Result<std::unique_ptr<AtomicFile>> AtomicFile::Resume(FileSystem& fs, std::string final_path,
                                                       uint64_t size, const Options& options) {
  const std::string partial = PartialPath(final_path);
  S3M_ASSIGN_OR_RETURN(std::unique_ptr<File> file, fs.Open(partial, OpenOptions::ReadWrite()));
  S3M_ASSIGN_OR_RETURN(FileInfo info, file->Stat());
  if (info.type != FileType::kRegular || info.size != size) {
    return Status::Error(ErrorKind::kConflict,
                         fmt::format("partial file has {} bytes, the object {}; starting over",
                                     info.size, size),
                         PathContext("resume download", partial));
  }
  if (options.resumable) {
    // An earlier run without `resumable`, or one killed before its syncs, may
    // have left the file durable in neither name nor size.
    S3M_RETURN_IF_ERROR(file->Sync());
    S3M_RETURN_IF_ERROR(fs.SyncDirectory(DirName(final_path)));
  }
  return std::unique_ptr<AtomicFile>(
      new AtomicFile(fs, std::move(final_path), std::move(file), size, /*resumed=*/true));
}

Result<std::unique_ptr<AtomicFile>> AtomicFile::Open(FileSystem& fs, std::string final_path,
                                                     uint64_t size, const Options& options) {
  Result<std::unique_ptr<AtomicFile>> resumed = Resume(fs, final_path, size, options);
  if (resumed.ok()) return resumed;
  const ErrorKind kind = resumed.status().kind();
  if (kind != ErrorKind::kNotFound && kind != ErrorKind::kConflict) return resumed.status();
  return Create(fs, std::move(final_path), size, options);
}

Status AtomicFile::CheckOpen(std::string_view operation) const {
  if (state_ == State::kOpen) return Status::Ok();
  return Status::Error(ErrorKind::kFatal, "the partial file was already committed or abandoned",
                       Context(operation));
}

Status AtomicFile::WriteAt(uint64_t offset, const void* data, size_t size) {
  S3M_RETURN_IF_ERROR(CheckOpen("write"));
  if (offset > size_ || size > size_ - offset) {
    // More bytes than the object has: a server or caller bug, never extend.
    return Status::Error(ErrorKind::kInvalidArgument,
                         fmt::format("write of {} bytes at offset {} passes the object size {}",
                                     size, offset, size_),
                         Context("write"));
  }
  // One writer at a time, waiting here asleep: ext4 takes the inode's lock
  // for every buffered write, and ranged workers writing one file at once
  // spun on it (15% of the CPU of a large-object run in perf).
  std::lock_guard lock(write_mu_);
  return file_->WriteAt(offset, data, size);
}

Result<size_t> AtomicFile::ReadAt(uint64_t offset, void* buffer, size_t size) {
  S3M_RETURN_IF_ERROR(CheckOpen("read"));
  return file_->ReadAt(offset, buffer, size);
}

Status AtomicFile::Sync() {
  S3M_RETURN_IF_ERROR(CheckOpen("fsync"));
  return file_->DataSync();  // data and size are what a resume relies on
}

Status AtomicFile::Commit(const CommitOptions& options) {
  S3M_RETURN_IF_ERROR(CheckOpen("commit"));
  state_ = State::kFailed;  // until every step below succeeded
  S3M_ASSIGN_OR_RETURN(FileInfo info, file_->Stat());
  if (info.size != size_) {
    return Status::Error(ErrorKind::kFatal,
                         fmt::format("partial file has {} bytes, the object {}", info.size, size_),
                         Context("commit"));
  }
  if (options.mtime) S3M_RETURN_IF_ERROR(file_->SetModificationTime(*options.mtime));
  S3M_RETURN_IF_ERROR(SetAttributes(options.attributes));
  // Data (and mtime) durable before the name points at them: otherwise a
  // crash could leave the final name on a file with holes.
  S3M_RETURN_IF_ERROR(file_->Sync());
  S3M_RETURN_IF_ERROR(file_->Close());
  S3M_RETURN_IF_ERROR(RenameIntoPlace());
  // Until this returns, a crash may undo the rename; the caller records the
  // object as downloaded only after it.
  S3M_RETURN_IF_ERROR(fs_.SyncDirectory(DirName(final_path_)));
  state_ = State::kCommitted;
  return Status::Ok();
}

Status AtomicFile::SetAttributes(const std::vector<std::pair<std::string, std::string>>& attributes) {
  for (const auto& [name, value] : attributes) {
    const Status set = file_->SetAttribute(name, value);
    if (set.ok()) continue;
    const int err = set.context().sys_errno;
    if (err == ENOTSUP) {
      attribute_note_ = "the filesystem keeps no extended attributes (" + set.message() + ")";
      return Status::Ok();
    }
    if (err != E2BIG && err != ERANGE && err != ENOSPC) return set;
    attribute_note_ = fmt::format("{} does not fit ({})", name, set.message());
  }
  return Status::Ok();
}

Status AtomicFile::Seal(const CommitOptions& options) {
  S3M_RETURN_IF_ERROR(CheckOpen("seal"));
  state_ = State::kFailed;
  S3M_ASSIGN_OR_RETURN(FileInfo info, file_->Stat());
  if (info.size != size_) {
    return Status::Error(ErrorKind::kFatal,
                         fmt::format("partial file has {} bytes, the object {}", info.size, size_),
                         Context("commit"));
  }
  if (options.mtime) S3M_RETURN_IF_ERROR(file_->SetModificationTime(*options.mtime));
  S3M_RETURN_IF_ERROR(SetAttributes(options.attributes));
  S3M_RETURN_IF_ERROR(file_->Close());
  state_ = State::kSealed;
  return Status::Ok();
}

Status AtomicFile::Publish() {
  if (state_ != State::kSealed) {
    return Status::Error(ErrorKind::kFatal, "internal error: Publish() of a file not sealed",
                         Context("publish"));
  }
  state_ = State::kFailed;
  // The caller synced the filesystem after Seal(): the bytes are durable.
  S3M_RETURN_IF_ERROR(RenameIntoPlace());
  state_ = State::kCommitted;
  return Status::Ok();
}

Status AtomicFile::RenameIntoPlace() {
  Status renamed = fs_.RenameNoReplace(partial_path_, final_path_);
  if (renamed.context().sys_errno == EEXIST) {
    // Something is at the final name. The same bytes (this object, published
    // by a run that crashed before recording it) may be replaced: nothing is
    // lost. Anything else is another file's only copy: the caller gets
    // kConflict and must choose another name.
    S3M_ASSIGN_OR_RETURN(bool same, SameFileContent(fs_, partial_path_, final_path_));
    if (same) renamed = fs_.Rename(partial_path_, final_path_);
  }
  S3M_RETURN_IF_ERROR(renamed);
  renamed_ = true;
  return Status::Ok();
}

Status AtomicFile::Abandon() {
  if (state_ == State::kAbandoned) return Status::Ok();
  if (state_ == State::kCommitted) {
    return Status::Error(ErrorKind::kFatal, "cannot abandon a committed file",
                         Context("abandon download"));
  }
  state_ = State::kAbandoned;
  file_->Close().IgnoreError();  // the file is being thrown away
  if (renamed_) return Status::Ok();  // a whole, fsynced file; nothing partial left
  const Status removed = fs_.RemoveFile(partial_path_);
  return removed.kind() == ErrorKind::kNotFound ? Status::Ok() : removed;
}

}  // namespace s3m::engine
