#include "engine/local_layout.h"

#include <unistd.h>

#include <fmt/format.h>

#include "engine/key_path.h"

namespace s3m::engine {

LocalLayout::LocalLayout(FileSystem& fs, std::string dest_root) : fs_(fs), root_(std::move(dest_root)) {
  while (root_.size() > 1 && root_.back() == '/') root_.pop_back();
}

Status LocalLayout::Prepare() {
  DirectoryMaker maker(fs_);
  S3M_RETURN_IF_ERROR(maker.MakeDirectories(root_));
  // A name in lower case, looked up in upper case: found only when the
  // filesystem folds case (macOS, Windows shares, ext4 casefold folders).
  const std::string probe = JoinPath(root_, fmt::format(".s3migrate-case-probe-{}", ::getpid()));
  std::string upper = probe;
  for (size_t i = root_.size() + 1; i < upper.size(); ++i) {
    if (upper[i] >= 'a' && upper[i] <= 'z') upper[i] = static_cast<char>(upper[i] - 'a' + 'A');
  }
  auto file = fs_.Open(probe, OpenOptions::CreateTruncate());
  if (!file.ok()) return file.status();
  (void)(*file)->Close();
  case_insensitive_ = fs_.Stat(upper).ok();
  return fs_.RemoveFile(probe);
}

Result<std::string> LocalLayout::Confined(const std::string& bucket,
                                          const std::string& relative) const {
  // The last line of defence (§5.5): whatever the rules produced must stay
  // inside <dest>/<bucket>/.
  if (!IsConfinedRelativePath(bucket) || bucket.find('/') != std::string::npos ||
      !IsConfinedRelativePath(relative)) {
    return Status::Error(ErrorKind::kFatal,
                         fmt::format("internal error: the local name \"{}\" is not confined to "
                                     "the bucket's folder; nothing was written",
                                     relative),
                         ErrorContext::ForObject("choose local path", bucket));
  }
  return JoinPath(JoinPath(root_, bucket), relative);
}

Result<std::string> LocalLayout::Choose(store::MigrationStore& db, const store::WorkItem& item) {
  if (item.local_path && item.state == store::FileState::kDownloading) return *item.local_path;
  const LocalName name = MapKeyToLocalName(item.key);
  std::string relative = name.relative_path;
  bool conflict = false;
  if (name.is_directory) {
    conflict = item.size > 0;  // a folder marker with content is kept as a file
  } else {
    S3M_ASSIGN_OR_RETURN(conflict, db.HasDescendants(item.bucket, item.key));
  }
  if (conflict) relative = ConflictName(item.key);
  S3M_ASSIGN_OR_RETURN(std::string path, Confined(item.bucket, relative));
  if (item.previous_local_path && *item.previous_local_path == path) {
    // The older copy is the only one left of that content: never overwrite it.
    relative = ConflictName(item.key, item.etag + item.version_id);
    return Confined(item.bucket, relative);
  }
  if (case_insensitive_) {  // names that differ only in case are one file there
    S3M_ASSIGN_OR_RETURN(bool taken, db.LocalPathTaken(item.bucket, path, item.id, case_insensitive_));
    if (taken) return Confined(item.bucket, ConflictName(item.key, item.version_id));
  }
  return path;
}

Result<std::string> LocalLayout::ConflictFallback(const store::WorkItem& item) {
  return Confined(item.bucket, "%~conflicts/" + BaseName(ConflictName(item.key, item.version_id)));
}

}  // namespace s3m::engine
