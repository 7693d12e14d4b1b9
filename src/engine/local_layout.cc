#include "engine/local_layout.h"

#include <unistd.h>

#include <functional>
#include <string>

#include <fmt/format.h>

#include "engine/key_path.h"

namespace s3m::engine {

LocalLayout::LocalLayout(FileSystem& fs, std::string dest_root) : fs_(fs), root_(std::move(dest_root)) {
  while (root_.size() > 1 && root_.back() == '/') root_.pop_back();
}

namespace {

// True when `as_looked_up` finds the file created as `as_created` in `dir`:
// the filesystem takes the two spellings for one name.
Result<bool> SameNameOnDisk(FileSystem& fs, const std::string& dir, const std::string& as_created,
                            const std::string& as_looked_up) {
  const std::string probe = JoinPath(dir, as_created);
  auto file = fs.Open(probe, OpenOptions::CreateTruncate());
  if (!file.ok()) return file.status();
  (void)(*file)->Close();
  const bool same = fs.Stat(JoinPath(dir, as_looked_up)).ok();
  S3M_RETURN_IF_ERROR(fs.RemoveFile(probe));
  return same;
}

}  // namespace

Status LocalLayout::Prepare() {
  DirectoryMaker maker(fs_);
  S3M_RETURN_IF_ERROR(maker.MakeDirectories(root_));
  // Case: "...-\xc3\xa4" (ä) looked up as "...-\xc3\x84" (Ä) and in ASCII, found
  // only where names fold (macOS, Windows shares, ext4 casefold folders).
  // Normalisation: "\xc3\xa9" (é, NFC) looked up as "e\xcc\x81" (NFD), found
  // where names are normalised (APFS, ZFS normalization=, some NAS shares).
  const std::string tag = fmt::format(".s3migrate-probe-{}-", ::getpid());
  S3M_ASSIGN_OR_RETURN(bool folds_ascii, SameNameOnDisk(fs_, root_, tag + "case", tag + "CASE"));
  S3M_ASSIGN_OR_RETURN(bool folds_unicode,
                       SameNameOnDisk(fs_, root_, tag + "\xc3\xa4", tag + "\xc3\x84"));
  S3M_ASSIGN_OR_RETURN(bool normalises,
                       SameNameOnDisk(fs_, root_, tag + "\xc3\xa9", tag + "e\xcc\x81"));
  if (folds_ascii || folds_unicode) {
    equivalence_ = NameEquivalence::kCaseFolded;
  } else if (normalises) {
    equivalence_ = NameEquivalence::kNormalized;
  } else {
    equivalence_ = NameEquivalence::kExact;
  }
  return Status::Ok();
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
  bool needs_conflict_name = false;
  if (name.is_directory) {
    needs_conflict_name = item.size > 0;  // a folder marker with content is kept as a file
  } else {
    S3M_ASSIGN_OR_RETURN(needs_conflict_name, db.HasDescendants(item.bucket, item.key));
  }
  std::string first = needs_conflict_name ? ConflictName(item.key) : name.relative_path;
  S3M_ASSIGN_OR_RETURN(first, AroundRecordedFiles(db, item, first));
  // Natural name first, then conflict names.
  return FirstFree(db, item, [&](size_t attempt) {
    return attempt == 0 ? first : ConflictName(item.key, Salt(item, attempt));
  });
}

Result<std::string> LocalLayout::AroundRecordedFiles(store::MigrationStore& db,
                                                     const store::WorkItem& item,
                                                     const std::string& relative) {
  std::string out;
  std::string key_prefix;
  size_t key_pos = 0;
  size_t start = 0;
  for (size_t slash = relative.find('/'); slash != std::string::npos;
       start = slash + 1, slash = relative.find('/', start)) {
    // The i-th segment of the path is the i-th segment of the key
    // (MapKeyToLocalName maps segment by segment).
    const size_t key_slash = item.key.find('/', key_pos);
    key_prefix = item.key.substr(0, key_slash);
    key_pos = key_slash + 1;
    std::string dir = out + relative.substr(start, slash - start);
    S3M_ASSIGN_OR_RETURN(std::string path, Confined(item.bucket, dir));
    S3M_ASSIGN_OR_RETURN(bool file_there, db.LocalPathTaken(item.bucket, path, item.id, equivalence_));
    // An object is recorded as a file where this key needs a folder: every
    // key below that prefix goes to one sibling folder instead.
    if (file_there) dir = out + BaseName(ConflictName(key_prefix, "/"));
    out = dir + "/";
  }
  return out + relative.substr(start);
}

Result<std::string> LocalLayout::ConflictFallback(store::MigrationStore& db,
                                                  const store::WorkItem& item) {
  return FirstFree(db, item, [&](size_t attempt) {
    return "%~conflicts/" + BaseName(ConflictName(item.key, Salt(item, attempt + 1)));
  });
}

std::string LocalLayout::Salt(const store::WorkItem& item, size_t attempt) {
  // Distinct salts give distinct names (ConflictName), so a search ends.
  if (attempt == 1) return item.version_id;
  if (attempt == 2) return item.etag + item.version_id;
  return std::to_string(attempt);
}

Result<std::string> LocalLayout::FirstFree(store::MigrationStore& db, const store::WorkItem& item,
                                           const std::function<std::string(size_t)>& candidate) {
  for (size_t attempt = 0; attempt < kMaxNameAttempts; ++attempt) {
    S3M_ASSIGN_OR_RETURN(std::string path, Confined(item.bucket, candidate(attempt)));
    S3M_ASSIGN_OR_RETURN(bool taken, db.LocalPathTaken(item.bucket, path, item.id, equivalence_));
    if (!taken) return path;
  }
  return Status::Error(ErrorKind::kConflict,
                       fmt::format("no free local name after {} tries: every candidate is "
                                   "recorded for another object",
                                   kMaxNameAttempts),
                       ErrorContext::ForObject("choose local path", item.bucket, item.key));
}

}  // namespace s3m::engine
