// Archive restores (PRODUCT.md §4): asking S3 for a readable copy of a
// GLACIER, DEEP_ARCHIVE or archived INTELLIGENT_TIERING object, and reading
// how that request is doing. One request or one check per call; the engine
// decides when to call (max_glacier_restores in flight, a rate limit, the
// poll interval) and what the states become.
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "core/status.h"
#include "s3/object_store.h"
#include "store/migration_store.h"

namespace s3m::engine {

struct RestoreSettings {
  int days = 1;                                  // glacier_restore_days
  s3::RestoreTier tier = s3::RestoreTier::kStandard;  // glacier_restore_tier
};

enum class RestoreResult {
  kRequested,    // 202: a restore started
  kInProgress,   // 409 RestoreAlreadyInProgress, or x-amz-restore ongoing-request="true"
  kRestored,     // a readable copy exists (until `expiry`, when S3 gave one)
  kNotRestored,  // archived and no restore under way (never asked, or the copy expired)
  kReadable,     // not archived (any more): download it directly
  kChanged,      // the key holds a different object now (`current`)
  kGone,         // 404
  kFailed,       // anything else (status)
};

std::string_view RestoreResultName(RestoreResult result);

struct RestoreOutcome {
  int64_t id = 0;
  RestoreResult result = RestoreResult::kFailed;
  Status status;
  std::string tier;   // the tier actually asked for ("Standard" after a fallback)
  std::string note;   // e.g. "Deep Archive has no Expedited tier: Standard used"
  std::optional<std::chrono::system_clock::time_point> expiry;
  std::optional<s3::ObjectMetadata> current;
  bool archive_access_tier = false;  // Intelligent-Tiering in an archive tier
};

std::string_view RestoreTierName(s3::RestoreTier tier);

// How many more restores may be requested now (never negative).
// max_glacier_restores bounds every restore paid for and not yet downloaded:
// requests on their way, restores running, and restored copies waiting for a
// download slot — those expire, so a slow download stage must hold back new
// restores rather than let paid ones lapse.
int64_t RestoreCapacity(int64_t max_restores, int64_t requests_pending, int64_t restoring,
                        int64_t restored_waiting);

// RestoreObject for `item`, with the fallbacks AWS documents: Deep Archive
// (and Intelligent-Tiering's Deep Archive Access) have no Expedited tier;
// 503 GlacierExpeditedRetrievalNotAvailable means "ask again with Standard";
// Intelligent-Tiering takes no Days.
RestoreOutcome RequestRestore(s3::ObjectStore& store, const store::WorkItem& item,
                              const RestoreSettings& settings);

// HeadObject and x-amz-restore: where the object's restore stands.
// `pin`: HEAD with If-Match (see failure_policy.h for when not to).
RestoreOutcome CheckRestore(s3::ObjectStore& store, const store::WorkItem& item, bool pin = true);

}  // namespace s3m::engine
