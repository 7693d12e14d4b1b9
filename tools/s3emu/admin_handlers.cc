// The admin API under /_s3emu/ (bucket names cannot start with '_', so no
// S3 request can reach it). JSON in, JSON out, no S3 authentication: the
// emulator listens on loopback only. See README.md for every endpoint.
#include <nlohmann/json.hpp>

#include "s3emu/server.h"
#include "s3emu/xml_out.h"

namespace s3emu {

namespace {

void SendJson(httplib::Response& res, int status, const nlohmann::json& body) {
  res.status = status;
  res.set_content(body.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n", "application/json");
}

void SendJsonError(httplib::Response& res, int status, const std::string& message) {
  SendJson(res, status, {{"error", message}});
}

ErrorOr<nlohmann::json> ParseJson(const std::string& text) {
  auto j = nlohmann::json::parse(text.empty() ? std::string("{}") : text, nullptr, false);
  if (j.is_discarded()) return InvalidArgument("the body is not valid JSON");
  return j;
}

// Moves a restore along for tests:
//   complete  an ongoing restore finishes now (its copy keeps the expiry span it was given)
//   expire    a restored copy expires now
//   reset     the object forgets any restore
ErrorOr<Done> ApplyRestoreAction(ObjectVersion& v, const std::string& action, int64_t now) {
  RestoreRecord& r = v.restore;
  const RestorePhase phase = PhaseAt(r, now);
  if (action == "complete") {
    if (phase != RestorePhase::kOngoing) return InvalidArgument("no restore of this object is in progress");
    if (r.expiry_ms != 0) r.expiry_ms = (now + (r.expiry_ms - r.ready_ms) + 999) / 1000 * 1000;
    r.ready_ms = now;
    return Done{};
  }
  if (action == "expire") {
    if (phase != RestorePhase::kRestored || r.expiry_ms == 0) {
      return InvalidArgument("this object has no restored copy that expires");
    }
    r.expiry_ms = now;
    return Done{};
  }
  if (action == "reset") {
    r = RestoreRecord{};
    return Done{};
  }
  return InvalidArgument("action must be complete, expire or reset");
}

}  // namespace

void Emulator::Admin(Call& call, const std::string& path) {
  const std::string& method = call.view.method;
  auto body_json = [&]() -> ErrorOr<nlohmann::json> {
    auto body = ReceiveSmallBody(call, 1 << 20);
    if (!body.ok()) return body.error();
    return ParseJson(body.value());
  };
  auto fail = [&](const S3Error& e) { SendJsonError(call.res, e.status, e.message); };

  if (path == "/health" && method == "GET") {
    return SendJson(call.res, 200, {{"ok", true}});
  }
  if (path == "/config" && method == "GET") {
    nlohmann::json keys = nlohmann::json::array();
    for (const auto& [key, secret] : options_.credentials) keys.push_back(key);
    return SendJson(call.res, 200,
                    {{"region", options_.region},
                     {"access_keys", keys},
                     {"restore_delay_seconds", options_.timing.delay_seconds},
                     {"seconds_per_day", options_.timing.seconds_per_day},
                     {"expedited_unavailable", options_.timing.expedited_unavailable},
                     {"min_part_size", options_.min_part_size},
                     {"default_checksum", options_.default_checksum},
                     {"data_dir", store_.data_dir()}});
  }
  if (path == "/synthetic" && method == "POST") {
    auto body = ReceiveSmallBody(call, 1 << 20);
    if (!body.ok()) return fail(body.error());
    auto spec = ParseSyntheticSpec(body.value());
    if (!spec.ok()) return fail(spec.error());
    auto created = store_.AddSynthetic(spec.value());
    if (!created.ok()) return fail(created.error());
    return SendJson(call.res, 200, {{"bucket", spec->bucket}, {"created", created.value()}});
  }
  if (path == "/faults" && method == "GET") return SendJson(call.res, 200, faults_.RulesJson());
  if (path == "/faults" && method == "POST") {
    auto j = body_json();
    if (!j.ok()) return fail(j.error());
    nlohmann::json ids = nlohmann::json::array();
    const nlohmann::json rules = j->is_array() ? j.value() : nlohmann::json::array({j.value()});
    std::vector<FaultRule> parsed;
    for (const auto& item : rules) {
      auto rule = ParseFaultRuleJson(item);
      if (!rule.ok()) return fail(rule.error());
      parsed.push_back(std::move(rule).value());
    }
    for (auto& rule : parsed) ids.push_back(faults_.AddRule(std::move(rule)));
    return SendJson(call.res, 200, {{"ids", ids}});
  }
  if (path == "/faults" && method == "DELETE") {
    faults_.ClearRules();
    return SendJson(call.res, 200, {{"cleared", true}});
  }
  if (path.rfind("/faults/", 0) == 0 && method == "DELETE") {
    const int id = std::atoi(path.c_str() + 8);
    if (!faults_.RemoveRule(id)) return SendJsonError(call.res, 404, "no fault rule " + path.substr(8));
    return SendJson(call.res, 200, {{"removed", id}});
  }
  if (path == "/counters" && method == "GET") return SendJson(call.res, 200, faults_.CountersJson());
  if (path == "/counters" && method == "DELETE") {
    faults_.ResetCounters();
    return SendJson(call.res, 200, {{"reset", true}});
  }
  if ((path == "/restore" || path == "/archive") && method == "POST") {
    auto j = body_json();
    if (!j.ok()) return fail(j.error());
    const std::string bucket = j->value("bucket", "");
    const std::string key = j->value("key", "");
    const std::string version_id = j->value("version_id", "");
    const std::string action = j->value("action", "");
    const std::string archive_status = j->value("archive_status", "");
    const bool restore = path == "/restore";
    const int64_t now = NowMs();
    auto updated = store_.UpdateArchive(bucket, key, version_id, [&](ObjectVersion& v) -> ErrorOr<Done> {
      if (restore) return ApplyRestoreAction(v, action, now);
      if (!archive_status.empty() && (v.storage_class != "INTELLIGENT_TIERING" ||
                                      (archive_status != "ARCHIVE_ACCESS" && archive_status != "DEEP_ARCHIVE_ACCESS"))) {
        return InvalidArgument("archive_status must be ARCHIVE_ACCESS, DEEP_ARCHIVE_ACCESS or \"\", on an "
                               "INTELLIGENT_TIERING object");
      }
      v.archive_status = archive_status;
      v.restore = RestoreRecord{};
      return Done{};
    });
    if (!updated.ok()) return fail(updated.error());
    const ArchiveFacts facts = updated->Archive();
    return SendJson(call.res, 200,
                    {{"bucket", bucket},
                     {"key", key},
                     {"version_id", updated->version_id},
                     {"storage_class", updated->storage_class},
                     {"archive_status", ArchiveStatusAt(facts, now)},
                     {"restore", RestoreHeaderAt(facts, now)}});
  }
  if (path == "/reset" && method == "POST") {
    auto reset = store_.Reset();
    if (!reset.ok()) return fail(reset.error());
    faults_.ClearRules();
    faults_.ResetCounters();
    return SendJson(call.res, 200, {{"reset", true}});
  }
  SendJsonError(call.res, 404, "no admin endpoint " + method + " /_s3emu" + path + "; see tools/s3emu/README.md");
}

}  // namespace s3emu
