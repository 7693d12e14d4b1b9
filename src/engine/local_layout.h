// Where each object goes on disk (PRODUCT.md §5.5): the path is decided by
// the engine's coordinator before the download starts, recorded in the
// database with the `downloading` state, and reused when the download is
// resumed, so the mapping is deterministic and never changes under a file.
//
//   natural:  <dest>/<bucket>/<MapKeyToLocalName(key)>
//   the key "a" while "a/..." keys exist (a directory is needed there),
//   or a folder marker with content:
//             <dest>/<bucket>/<ConflictName(key)>
//   a path that is, as the destination compares names (exact, NFC/NFD
//   normalising, or case folding: probed by Prepare), the same file as one
//   another object is recorded at, or as an older copy kept on disk (a
//   newer version of an object whose older copy must stay):
//             <dest>/<bucket>/<ConflictName(key, salt)>, the first salt of
//             version id, ETag + version id, then "2", "3", ... whose name
//             is free
//   a folder of the path that another object is recorded at as a file (the
//   key "a" was stored, then "a/b" appeared):
//             <dest>/<bucket>/a%~<hash>/b, the same folder for every key
//             below "a/"
//   a parent directory that turned out to be a file on disk, or a name the
//   final rename found taken by a file the database does not know:
//             <dest>/<bucket>/%~conflicts/<last segment of ConflictName(key)>
#pragma once

#include <functional>
#include <string>

#include "core/status.h"
#include "core/unicode.h"
#include "engine/file_system.h"
#include "store/migration_store.h"

namespace s3m::engine {

class LocalLayout {
 public:
  LocalLayout(FileSystem& fs, std::string dest_root);

  // Creates the destination root if needed and learns how its filesystem
  // compares names: whether it folds case and whether it normalises Unicode
  // (probe files, removed afterwards).
  Status Prepare();
  NameEquivalence equivalence() const { return equivalence_; }
  const std::string& root() const { return root_; }

  // The path for `item`, as the rules above decide; every result is checked
  // to be confined to <dest>/<bucket>/.
  Result<std::string> Choose(store::MigrationStore& db, const store::WorkItem& item);
  // The last resort when a parent of the chosen path is a file, or its name
  // was found taken on disk: a free name under <dest>/<bucket>/%~conflicts/.
  Result<std::string> ConflictFallback(store::MigrationStore& db, const store::WorkItem& item);

  static constexpr size_t kMaxNameAttempts = 64;

 private:
  static std::string Salt(const store::WorkItem& item, size_t attempt);
  // `relative` with each folder that is recorded as another object's file
  // replaced by <its name>%~<hash of the key prefix and "/">.
  Result<std::string> AroundRecordedFiles(store::MigrationStore& db, const store::WorkItem& item,
                                          const std::string& relative);
  // The first candidate(0), candidate(1), ... that is confined and not taken.
  Result<std::string> FirstFree(store::MigrationStore& db, const store::WorkItem& item,
                                const std::function<std::string(size_t)>& candidate);
  Result<std::string> Confined(const std::string& bucket, const std::string& relative) const;

  FileSystem& fs_;
  std::string root_;
  NameEquivalence equivalence_ = NameEquivalence::kExact;
};

}  // namespace s3m::engine
