// The archive and restore state machine, as pure functions of an object's
// stored restore record and the current time. Nothing here does I/O or reads
// a clock, so tests drive it from tables.
//
// States of an archived object (GLACIER, DEEP_ARCHIVE, or INTELLIGENT_TIERING
// in an archive access tier):
//
//   archived ──RestoreObject 202──► restoring ──(tier delay)──► restored
//      ▲                             (409 RestoreAlreadyInProgress)   │ RestoreObject 200 extends
//      └──────────────────(expiry: Days × seconds-per-day)───────────┘
//
// An Intelligent-Tiering object restored from an archive access tier moves
// back to a readable tier for good: no expiry, no x-amz-restore expiry-date.
//
// AWS references:
//   RestoreObject  https://docs.aws.amazon.com/AmazonS3/latest/API/API_RestoreObject.html
//   HeadObject (x-amz-restore, x-amz-archive-status)
//                  https://docs.aws.amazon.com/AmazonS3/latest/API/API_HeadObject.html
//   GetObject (403 InvalidObjectState)
//                  https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html
//   Restoring an archived object (tiers, Deep Archive has no Expedited)
//                  https://docs.aws.amazon.com/AmazonS3/latest/userguide/restoring-objects-retrieval-options.html
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "s3emu/s3_error.h"

namespace s3emu {

// What is stored about an object's restore. All times are Unix milliseconds.
struct RestoreRecord {
  std::string tier;         // "" = never restored; else Expedited | Standard | Bulk
  int64_t requested_ms = 0;
  int64_t ready_ms = 0;     // when the restored copy becomes readable
  int64_t expiry_ms = 0;    // when it goes away; 0 = never (Intelligent-Tiering)
};

enum class RestorePhase { kNone, kOngoing, kRestored };

// The storage facts the state machine needs about one object version.
struct ArchiveFacts {
  std::string storage_class;   // "GLACIER", "INTELLIGENT_TIERING", ...
  std::string archive_status;  // "", "ARCHIVE_ACCESS" or "DEEP_ARCHIVE_ACCESS"
  RestoreRecord restore;
};

// Restore timing, from the command line.
struct RestoreTiming {
  // Seconds from request to completion, per tier; a storage-class specific
  // entry ("DEEP_ARCHIVE:Standard") wins over the plain tier ("Standard").
  std::map<std::string, double> delay_seconds = {{"Expedited", 1}, {"Standard", 3}, {"Bulk", 6}};
  double seconds_per_day = 86400;
  bool expedited_unavailable = false;
};

// Parses "Expedited=1,Standard=3,Bulk=6" (also "DEEP_ARCHIVE:Standard=10")
// into `timing->delay_seconds`, keeping entries not mentioned. False on a
// malformed list, with the reason in *error.
bool ParseRestoreDelays(const std::string& text, RestoreTiming* timing, std::string* error);

bool IsGlacierClass(const std::string& storage_class);  // GLACIER or DEEP_ARCHIVE
bool IsValidStorageClass(const std::string& storage_class);

RestorePhase PhaseAt(const RestoreRecord& record, int64_t now_ms);

// True when the object needs a restore before it can be read at `now_ms`
// (GetObject answers 403 InvalidObjectState).
bool IsArchivedNow(const ArchiveFacts& facts, int64_t now_ms);

// x-amz-archive-status as HeadObject shows it at `now_ms` ("" for none).
std::string ArchiveStatusAt(const ArchiveFacts& facts, int64_t now_ms);

// The x-amz-restore header at `now_ms`, or "" when none is due:
//   ongoing-request="true"
//   ongoing-request="false", expiry-date="Fri, 21 Dec 2012 00:00:00 GMT"
//   ongoing-request="false"            (Intelligent-Tiering, restored for good)
std::string RestoreHeaderAt(const ArchiveFacts& facts, int64_t now_ms);

// The 403 InvalidObjectState that GetObject answers for an archived object.
S3Error InvalidObjectStateForGet(const ArchiveFacts& facts, int64_t now_ms);

// A RestoreObject request, parsed.
//   <RestoreRequest><Days>2</Days>
//     <GlacierJobParameters><Tier>Bulk</Tier></GlacierJobParameters></RestoreRequest>
struct RestoreRequestBody {
  std::optional<int> days;
  std::string tier = "Standard";
};
ErrorOr<RestoreRequestBody> ParseRestoreRequestBody(const std::string& xml);

struct RestoreDecision {
  int http_status = 202;  // 202 started, 200 already restored (expiry extended)
  RestoreRecord record;   // the record to store
};

// Decides a RestoreObject request at `now_ms`: the reply status and the new
// record, or the error AWS answers (403 InvalidObjectState for an object that
// is not archived, 409 RestoreAlreadyInProgress, 400 for Days on an
// Intelligent-Tiering object or a missing Days elsewhere, 400 for Expedited on
// Deep Archive, 503 GlacierExpeditedRetrievalNotAvailable when that is switched on).
ErrorOr<RestoreDecision> DecideRestore(const ArchiveFacts& facts, const RestoreRequestBody& request,
                                       const RestoreTiming& timing, int64_t now_ms);

}  // namespace s3emu
