// Where each object goes on disk (PRODUCT.md §5.5): the path is decided by
// the engine's coordinator before the download starts, recorded in the
// database with the `downloading` state, and reused when the download is
// resumed, so the mapping is deterministic and never changes under a file.
//
//   natural:  <dest>/<bucket>/<MapKeyToLocalName(key)>
//   the key "a" while "a/..." keys exist (a directory is needed there),
//   or a folder marker with content, or a name another object of the bucket
//   already holds (case-insensitive filesystems):
//             <dest>/<bucket>/<ConflictName(key)>
//   a newer version of an object whose older copy is kept on disk
//   (rescan found it changed after it was downloaded):
//             <dest>/<bucket>/<ConflictName(key, etag)>
//   a parent directory that turned out to be a file on disk:
//             <dest>/<bucket>/%~conflicts/<last segment of ConflictName(key)>
#pragma once

#include <string>

#include "core/status.h"
#include "engine/file_system.h"
#include "store/migration_store.h"

namespace s3m::engine {

class LocalLayout {
 public:
  LocalLayout(FileSystem& fs, std::string dest_root);

  // Creates the destination root if needed and learns whether its
  // filesystem folds case (a probe file, removed afterwards).
  Status Prepare();
  bool case_insensitive() const { return case_insensitive_; }
  const std::string& root() const { return root_; }

  // The path for `item`, as the rules above decide; every result is checked
  // to be confined to <dest>/<bucket>/.
  Result<std::string> Choose(store::MigrationStore& db, const store::WorkItem& item);
  // The last resort when a parent of the chosen path is a file.
  Result<std::string> ConflictFallback(const store::WorkItem& item);

 private:
  Result<std::string> Confined(const std::string& bucket, const std::string& relative) const;

  FileSystem& fs_;
  std::string root_;
  bool case_insensitive_ = false;
};

}  // namespace s3m::engine
