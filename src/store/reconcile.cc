#include "store/reconcile.h"

#include "store/state_store.h"

namespace s3m::store {

ReconcileKind Reconcile(const ExistingRow& row, const ListedObject& listed) {
  const bool same_object = row.etag == listed.etag &&
                           row.size == static_cast<int64_t>(listed.size) &&
                           row.version_id == listed.version_id;
  if (!same_object || row.state == FileState::kDeleted) return ReconcileKind::kChanged;
  if (row.gone) return ReconcileKind::kReappeared;
  const std::optional<std::string> listed_expiry =
      listed.restore_expiry.empty() ? std::nullopt : std::optional(listed.restore_expiry);
  const bool metadata_moved =
      row.storage_class != listed.storage_class || row.last_modified != listed.last_modified ||
      row.checksum_algorithm != listed.checksum_algorithm ||
      row.checksum_type != listed.checksum_type ||
      (listed_expiry.has_value() && row.restore_expiry != listed_expiry);
  return metadata_moved ? ReconcileKind::kRefresh : ReconcileKind::kTouch;
}

bool ListedArchived(const ListedObject& listed) {
  return StorageClassNeedsRestore(listed.storage_class);
}

FileState InitialState(const ListedObject& listed) {
  if (ListedArchived(listed) && listed.restore_in_progress) return FileState::kGlacierRestoring;
  return FileState::kDiscovered;
}

PreviousCopy PreviousCopyAfterChange(const ExistingRow& row) {
  if (row.previous_local_path.has_value()) {
    return {row.previous_etag, row.previous_size, row.previous_version_id,
            row.previous_local_path};
  }
  const bool complete_copy = row.state == FileState::kDownloaded ||
                             row.state == FileState::kVerified ||
                             row.state == FileState::kDeleted || row.verified_copy;
  if (complete_copy && row.local_path.has_value()) {
    return {row.etag, row.size, row.version_id, row.local_path};
  }
  return {};
}

}  // namespace s3m::store
