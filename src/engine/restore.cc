#include "engine/restore.h"

#include <algorithm>

#include <fmt/format.h>

#include "s3/errors.h"
#include "store/file_state.h"

namespace s3m::engine {

namespace {

RestoreOutcome Outcome(const store::WorkItem& item, RestoreResult result, Status status = Status::Ok()) {
  RestoreOutcome out;
  out.id = item.id;
  out.result = result;
  out.status = std::move(status);
  return out;
}

bool IsIntelligentTiering(const store::WorkItem& item) {
  return item.storage_class == "INTELLIGENT_TIERING";
}

// Where the object stands, from HeadObject's headers.
RestoreOutcome FromHead(const store::WorkItem& item, const s3::ObjectMetadata& head) {
  RestoreOutcome out = Outcome(item, RestoreResult::kNotRestored);
  out.archive_access_tier = !head.archive_status.empty();
  if (head.restore) {
    if (head.restore->in_progress) {
      out.result = RestoreResult::kInProgress;
    } else {
      out.result = RestoreResult::kRestored;
      out.expiry = head.restore->expiry;
    }
    return out;
  }
  // No x-amz-restore: readable when the class needs no restore (it may have
  // moved, e.g. Intelligent-Tiering back to a frequent tier).
  const bool archived = store::StorageClassNeedsRestore(head.storage_class) ||
                        (head.storage_class == "INTELLIGENT_TIERING" && !head.archive_status.empty());
  if (!archived) out.result = RestoreResult::kReadable;
  return out;
}

}  // namespace

std::string_view RestoreResultName(RestoreResult result) {
  switch (result) {
    case RestoreResult::kRequested: return "requested";
    case RestoreResult::kInProgress: return "in-progress";
    case RestoreResult::kRestored: return "restored";
    case RestoreResult::kNotRestored: return "not-restored";
    case RestoreResult::kReadable: return "readable";
    case RestoreResult::kChanged: return "changed";
    case RestoreResult::kGone: return "gone";
    case RestoreResult::kFailed: return "failed";
  }
  return "unknown";
}

std::string_view RestoreTierName(s3::RestoreTier tier) {
  switch (tier) {
    case s3::RestoreTier::kExpedited: return "Expedited";
    case s3::RestoreTier::kStandard: return "Standard";
    case s3::RestoreTier::kBulk: return "Bulk";
  }
  return "Standard";
}

int64_t RestoreCapacity(int64_t max_restores, int64_t requests_pending, int64_t restoring,
                        int64_t restored_waiting) {
  return std::max<int64_t>(0, max_restores - requests_pending - restoring - restored_waiting);
}

RestoreOutcome CheckRestore(s3::ObjectStore& store, const store::WorkItem& item, bool pin) {
  s3::HeadObjectRequest req;
  req.bucket = item.bucket;
  req.key = item.key;
  req.version_id = item.version_id;
  if (pin) req.if_match = item.etag;
  req.checksum_mode = false;
  auto head = store.HeadObject(req);
  if (head.ok()) return FromHead(item, *head);
  switch (head.status().kind()) {
    case ErrorKind::kNotFound: return Outcome(item, RestoreResult::kGone, head.status());
    case ErrorKind::kPreconditionFailed: {
      RestoreOutcome out = Outcome(item, RestoreResult::kChanged, head.status());
      req.if_match.clear();
      auto now = store.HeadObject(req);
      if (now.ok()) out.current = *now;
      return out;
    }
    default: return Outcome(item, RestoreResult::kFailed, head.status());
  }
}

RestoreOutcome RequestRestore(s3::ObjectStore& store, const store::WorkItem& item,
                              const RestoreSettings& settings) {
  s3::RestoreObjectRequest req;
  req.bucket = item.bucket;
  req.key = item.key;
  req.version_id = item.version_id;
  req.tier = settings.tier;
  std::string note;
  if (IsIntelligentTiering(item)) {
    req.days.reset();  // archive access tiers take no Days
  } else {
    req.days = settings.days;
  }
  if (req.tier == s3::RestoreTier::kExpedited && item.storage_class == "DEEP_ARCHIVE") {
    req.tier = s3::RestoreTier::kStandard;
    note = "Deep Archive has no Expedited tier: Standard used";
  }
  auto restored = store.RestoreObject(req);
  if (!restored.ok() && s3::ConditionOf(restored.status()) == s3::S3Condition::kExpeditedUnavailable) {
    req.tier = s3::RestoreTier::kStandard;
    note = "Expedited retrieval capacity not available: Standard used";
    restored = store.RestoreObject(req);
  }
  if (!restored.ok() && req.tier == s3::RestoreTier::kExpedited && IsIntelligentTiering(item) &&
      restored.status().kind() == ErrorKind::kInvalidArgument) {
    // Deep Archive Access has no Expedited tier either.
    req.tier = s3::RestoreTier::kStandard;
    note = "Deep Archive Access has no Expedited tier: Standard used";
    restored = store.RestoreObject(req);
  }
  RestoreOutcome out;
  if (restored.ok()) {
    if (*restored == s3::RestoreOutcome::kStarted) {
      out = Outcome(item, RestoreResult::kRequested);
    } else {
      // 200: a restored copy exists (its expiry was extended); read the new expiry.
      out = CheckRestore(store, item, /*pin=*/false);
      if (out.result == RestoreResult::kNotRestored) out.result = RestoreResult::kInProgress;
    }
  } else {
    const Status& s = restored.status();
    if (s3::ConditionOf(s) == s3::S3Condition::kRestoreAlreadyInProgress) {
      out = Outcome(item, RestoreResult::kInProgress);
    } else if (s.kind() == ErrorKind::kNeedsRestore) {
      // InvalidObjectState on RestoreObject: the object is not archived.
      out = Outcome(item, RestoreResult::kReadable);
    } else if (s.kind() == ErrorKind::kNotFound) {
      out = Outcome(item, RestoreResult::kGone, s);
    } else {
      out = Outcome(item, RestoreResult::kFailed, s);
    }
  }
  out.tier = std::string(RestoreTierName(req.tier));
  out.note = note;
  return out;
}

}  // namespace s3m::engine
