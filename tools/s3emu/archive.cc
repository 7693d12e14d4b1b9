#include "s3emu/archive.h"

#include <pugixml.hpp>

#include <cmath>
#include <cstdlib>
#include <set>

#include "s3emu/name_value.h"
#include "s3emu/xml_out.h"

namespace s3emu {
namespace {

const std::set<std::string, std::less<>> kStorageClasses = {
    "STANDARD",   "REDUCED_REDUNDANCY", "STANDARD_IA", "ONEZONE_IA", "INTELLIGENT_TIERING",
    "GLACIER",    "DEEP_ARCHIVE",       "GLACIER_IR",  "OUTPOSTS",   "EXPRESS_ONEZONE",
};

bool IsIntelligentTieringArchived(const ArchiveFacts& facts) {
  return facts.storage_class == "INTELLIGENT_TIERING" && !facts.archive_status.empty();
}

// The delay for `tier` restores of `storage_class`, in milliseconds.
int64_t DelayMs(const RestoreTiming& timing, const std::string& storage_class,
                const std::string& tier) {
  auto it = timing.delay_seconds.find(storage_class + ":" + tier);
  if (it == timing.delay_seconds.end()) it = timing.delay_seconds.find(tier);
  const double seconds = it == timing.delay_seconds.end() ? 0 : it->second;
  return static_cast<int64_t>(std::llround(seconds * 1000));
}

// Expiry `days` from `from_ms`, rounded up to a whole second so the HTTP date
// in x-amz-restore is never earlier than the moment the copy goes away.
int64_t ExpiryMs(const RestoreTiming& timing, int64_t from_ms, int days) {
  const auto span = static_cast<int64_t>(std::llround(days * timing.seconds_per_day * 1000));
  return (from_ms + span + 999) / 1000 * 1000;
}

}  // namespace

bool ParseRestoreDelays(const std::string& text, RestoreTiming* timing, std::string* error) {
  auto items = ParseNameValueList(text);
  if (!items.ok()) {
    *error = items.error().message;
    return false;
  }
  std::map<std::string, double> parsed;
  for (const auto& [name, value] : items.value()) {
    const size_t colon = name.find(':');
    const std::string tier = colon == std::string::npos ? name : name.substr(colon + 1);
    if (tier != "Expedited" && tier != "Standard" && tier != "Bulk") {
      *error = "unknown tier \"" + tier + "\" (Expedited, Standard or Bulk)";
      return false;
    }
    char* end = nullptr;
    const double seconds = std::strtod(value.c_str(), &end);
    if (value.empty() || *end != '\0' || seconds < 0) {
      *error = "\"" + value + "\" is not a number of seconds";
      return false;
    }
    parsed[name] = seconds;
  }
  for (const auto& [name, seconds] : parsed) timing->delay_seconds[name] = seconds;
  return true;
}

bool IsGlacierClass(const std::string& storage_class) {
  return storage_class == "GLACIER" || storage_class == "DEEP_ARCHIVE";
}

bool IsValidStorageClass(const std::string& storage_class) {
  return kStorageClasses.count(storage_class) > 0;
}

RestorePhase PhaseAt(const RestoreRecord& record, int64_t now_ms) {
  if (record.tier.empty()) return RestorePhase::kNone;
  if (now_ms < record.ready_ms) return RestorePhase::kOngoing;
  if (record.expiry_ms != 0 && now_ms >= record.expiry_ms) return RestorePhase::kNone;
  return RestorePhase::kRestored;
}

bool IsArchivedNow(const ArchiveFacts& facts, int64_t now_ms) {
  if (!IsGlacierClass(facts.storage_class) && !IsIntelligentTieringArchived(facts)) return false;
  return PhaseAt(facts.restore, now_ms) != RestorePhase::kRestored;
}

std::string ArchiveStatusAt(const ArchiveFacts& facts, int64_t now_ms) {
  if (!IsIntelligentTieringArchived(facts)) return {};
  return PhaseAt(facts.restore, now_ms) == RestorePhase::kRestored ? std::string() : facts.archive_status;
}

std::string RestoreHeaderAt(const ArchiveFacts& facts, int64_t now_ms) {
  if (!IsGlacierClass(facts.storage_class) && !IsIntelligentTieringArchived(facts)) return {};
  switch (PhaseAt(facts.restore, now_ms)) {
    case RestorePhase::kNone:
      return {};
    case RestorePhase::kOngoing:
      return "ongoing-request=\"true\"";
    case RestorePhase::kRestored:
      if (facts.restore.expiry_ms == 0) return "ongoing-request=\"false\"";
      return "ongoing-request=\"false\", expiry-date=\"" + HttpDate(facts.restore.expiry_ms) + "\"";
  }
  return {};
}

S3Error InvalidObjectStateForGet(const ArchiveFacts& facts, int64_t now_ms) {
  S3Error e = MakeError(403, "InvalidObjectState",
                        "The operation is not valid for the object's storage class");
  e.With("StorageClass", facts.storage_class);
  const std::string tier = ArchiveStatusAt(facts, now_ms);
  if (!tier.empty()) e.With("AccessTier", tier);
  return e;
}

ErrorOr<RestoreRequestBody> ParseRestoreRequestBody(const std::string& xml) {
  RestoreRequestBody out;
  pugi::xml_document doc;
  if (!doc.load_buffer(xml.data(), xml.size(), pugi::parse_default)) return MalformedXml();
  pugi::xml_node root = doc.child("RestoreRequest");
  if (!root) return MalformedXml();
  if (pugi::xml_node type = root.child("Type"); type && std::string(type.text().get()) == "SELECT") {
    return MakeError(501, "NotImplemented", "s3emu does not implement S3 Select restores");
  }
  if (pugi::xml_node days = root.child("Days")) {
    const std::string text = days.text().get();
    char* end = nullptr;
    const long value = std::strtol(text.c_str(), &end, 10);
    if (text.empty() || *end != '\0') return MalformedXml();
    if (value < 1) return InvalidArgument("Days must be a positive integer");
    out.days = static_cast<int>(value);
  }
  if (pugi::xml_node tier = root.child("GlacierJobParameters").child("Tier")) {
    out.tier = tier.text().get();
  } else if (pugi::xml_node tier2 = root.child("Tier")) {
    out.tier = tier2.text().get();
  }
  if (out.tier != "Expedited" && out.tier != "Standard" && out.tier != "Bulk") return MalformedXml();
  return out;
}

ErrorOr<RestoreDecision> DecideRestore(const ArchiveFacts& facts, const RestoreRequestBody& request,
                                       const RestoreTiming& timing, int64_t now_ms) {
  const bool glacier = IsGlacierClass(facts.storage_class);
  const bool tiering = IsIntelligentTieringArchived(facts);
  const RestorePhase phase = PhaseAt(facts.restore, now_ms);
  // An Intelligent-Tiering object restored for good is in a readable tier.
  if ((!glacier && !tiering) || (tiering && phase == RestorePhase::kRestored)) {
    return MakeError(403, "InvalidObjectState",
                     "Restore is not allowed for the object's current storage class")
        .With("StorageClass", facts.storage_class);
  }
  if (phase == RestorePhase::kOngoing) {
    return MakeError(409, "RestoreAlreadyInProgress", "Object restore is already in progress");
  }
  if (tiering && request.days) {
    return InvalidArgument(
        "INTELLIGENT_TIERING objects are not subject to restore expiry. Do not specify Days when "
        "restoring this object");
  }
  if (glacier && !request.days) {
    return InvalidArgument("Days is required to restore an object from the " + facts.storage_class +
                           " storage class");
  }
  const bool deep = facts.storage_class == "DEEP_ARCHIVE" || facts.archive_status == "DEEP_ARCHIVE_ACCESS";
  if (request.tier == "Expedited" && deep) {
    return InvalidArgument("Expedited retrievals are not supported for objects in " +
                           (tiering ? std::string("the DEEP_ARCHIVE_ACCESS tier")
                                    : std::string("the DEEP_ARCHIVE storage class")) +
                           "; use Standard or Bulk");
  }
  if (request.tier == "Expedited" && timing.expedited_unavailable && phase == RestorePhase::kNone) {
    return MakeError(503, "GlacierExpeditedRetrievalNotAvailable",
                     "Glacier expedited retrievals are currently not available, please try again "
                     "later");
  }

  RestoreDecision decision;
  decision.record = facts.restore;
  if (phase == RestorePhase::kRestored) {
    // Already restored: a new request only moves the expiry, counted from now.
    decision.http_status = 200;
    decision.record.expiry_ms = ExpiryMs(timing, now_ms, *request.days);
    return decision;
  }
  decision.http_status = 202;
  decision.record.tier = request.tier;
  decision.record.requested_ms = now_ms;
  const std::string delay_class = tiering ? facts.archive_status : facts.storage_class;
  decision.record.ready_ms = now_ms + DelayMs(timing, delay_class, request.tier);
  decision.record.expiry_ms = tiering ? 0 : ExpiryMs(timing, decision.record.ready_ms, *request.days);
  return decision;
}

}  // namespace s3emu
