// What a listing means for a row already in the database: the rescan rules
// of issue 4, as a pure function so tests drive it from a table.
//
//   listed unchanged, nothing else new ........ kTouch     (mark seen)
//   unchanged, but storage class, checksum,
//     last-modified or restore status moved ... kRefresh   (update metadata, keep state)
//   unchanged, was marked gone ................ kReappeared (gone cleared; an
//                                                 'error' it caused back to discovered)
//   ETag, size or version id changed .......... kChanged   (back to discovered)
//   listed again after we deleted it .......... kChanged   (it is a new object to migrate)
//
// kChanged never marks anything done: the object is downloaded and verified
// again. When the row had a complete local copy (downloaded, verified,
// deleted) that copy is recorded as the "previous" one, and the engine keeps
// it until the new version is verified — for a deleted row it is the only
// copy of the old content, so it must never be overwritten.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "store/file_state.h"

namespace s3m::store {

struct ListedObject;

// The columns of an existing row that the decision reads.
struct ExistingRow {
  int64_t id = 0;
  std::string version_id;
  std::string etag;
  int64_t size = 0;
  FileState state = FileState::kDiscovered;
  std::string storage_class;
  std::string last_modified;
  std::string checksum_algorithm;
  std::string checksum_type;
  std::optional<std::string> restore_expiry;
  std::optional<std::string> local_path;
  // The file at local_path was verified once (verified_at is set): it is a
  // complete copy in any state, `error` or put back by reset/retry too.
  bool verified_copy = false;
  bool gone = false;
  // Columns of an earlier change not yet resolved (kept as they are).
  std::optional<std::string> previous_etag;
  std::optional<int64_t> previous_size;
  std::optional<std::string> previous_version_id;
  std::optional<std::string> previous_local_path;
};

enum class ReconcileKind { kTouch, kRefresh, kReappeared, kChanged };

ReconcileKind Reconcile(const ExistingRow& row, const ListedObject& listed);

// The row's state after a listing, for a new row or a kChanged one: archived
// objects whose restore someone already started are 'glacier_restoring'.
FileState InitialState(const ListedObject& listed);

// 1 when the listed storage class must be restored before a GET.
bool ListedArchived(const ListedObject& listed);

// The "previous copy" columns after a kChanged: an unresolved earlier
// previous copy stays (it is still the one on disk); otherwise the row's own
// complete local copy (downloaded, verified, deleted, or verified once and
// since failed or put back) becomes the previous one; otherwise none.
struct PreviousCopy {
  std::optional<std::string> etag;
  std::optional<int64_t> size;
  std::optional<std::string> version_id;
  std::optional<std::string> local_path;
};
PreviousCopy PreviousCopyAfterChange(const ExistingRow& row);

}  // namespace s3m::store
