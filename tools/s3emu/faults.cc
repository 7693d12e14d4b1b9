#include "s3emu/faults.h"

#include <cstdlib>

#include "s3emu/name_value.h"

namespace s3emu {

namespace {
struct KindName {
  FaultKind kind;
  std::string_view name;
};
constexpr KindName kKinds[] = {
    {FaultKind::kInternalError, "internal_error"}, {FaultKind::kSlowDown, "slow_down"},
    {FaultKind::kAccessDenied, "access_denied"},   {FaultKind::kPreconditionFailed, "precondition_failed"},
    {FaultKind::kLatency, "latency"},              {FaultKind::kReset, "reset"},
    {FaultKind::kTruncate, "truncate"},            {FaultKind::kCorrupt, "corrupt"},
    {FaultKind::kStall, "stall"},
};

bool Matches(const FaultRule& rule, const std::string& operation, const std::string& bucket,
             const std::string& key) {
  if (!rule.operations.empty() && rule.operations.count(operation) == 0) return false;
  if (!rule.bucket.empty() && rule.bucket != bucket) return false;
  if (!rule.keys.empty() && rule.keys.count(key) == 0) return false;
  if (!rule.key_prefix.empty() && key.compare(0, rule.key_prefix.size(), rule.key_prefix) != 0) return false;
  return true;
}

ErrorOr<FaultRule> Validate(FaultRule rule) {
  if (rule.rate < 0 || rule.rate > 1) return InvalidArgument("fault rate must be between 0 and 1");
  if ((rule.kind == FaultKind::kLatency || rule.kind == FaultKind::kStall) && rule.ms <= 0) {
    return InvalidArgument("latency and stall faults need ms > 0");
  }
  return rule;
}
}  // namespace

std::string_view FaultKindName(FaultKind kind) {
  for (const auto& k : kKinds) {
    if (k.kind == kind) return k.name;
  }
  return "?";
}

std::optional<FaultKind> ParseFaultKind(std::string_view name) {
  for (const auto& k : kKinds) {
    if (k.name == name) return k.kind;
  }
  return std::nullopt;
}

bool IsBodyFault(FaultKind kind) {
  return kind == FaultKind::kReset || kind == FaultKind::kTruncate || kind == FaultKind::kCorrupt ||
         kind == FaultKind::kStall;
}

nlohmann::json FaultRule::ToJson() const {
  nlohmann::json j = {{"id", id}, {"kind", FaultKindName(kind)}, {"rate", rate}, {"fired", fired}};
  if (!operations.empty()) j["operations"] = operations;
  if (!bucket.empty()) j["bucket"] = bucket;
  if (!keys.empty()) j["keys"] = keys;
  if (!key_prefix.empty()) j["prefix"] = key_prefix;
  if (remaining >= 0) j["remaining"] = remaining;
  if (after_bytes) j["after_bytes"] = *after_bytes;
  if (ms > 0) j["ms"] = ms;
  if (kind == FaultKind::kCorrupt) j["flip"] = flip;
  return j;
}

ErrorOr<FaultRule> ParseFaultRuleJson(const nlohmann::json& j) {
  FaultRule rule;
  try {
    const auto kind = ParseFaultKind(j.at("kind").get<std::string>());
    if (!kind) return InvalidArgument("unknown fault kind " + j.at("kind").dump());
    rule.kind = *kind;
    rule.rate = j.value("rate", 1.0);
    if (j.contains("operations")) rule.operations = j.at("operations").get<std::set<std::string>>();
    if (j.contains("operation")) rule.operations.insert(j.at("operation").get<std::string>());
    rule.bucket = j.value("bucket", "");
    if (j.contains("keys")) rule.keys = j.at("keys").get<std::set<std::string>>();
    if (j.contains("key")) rule.keys.insert(j.at("key").get<std::string>());
    rule.key_prefix = j.value("prefix", "");
    rule.remaining = j.value("count", int64_t{-1});
    if (j.contains("after_bytes")) rule.after_bytes = j.at("after_bytes").get<uint64_t>();
    rule.ms = j.value("ms", int64_t{0});
    rule.flip = j.value("flip", uint64_t{1});
  } catch (const std::exception& e) {
    return InvalidArgument(std::string("bad fault rule: ") + e.what());
  }
  return Validate(std::move(rule));
}

ErrorOr<FaultRule> ParseFaultRuleFlag(std::string_view text) {
  auto items = ParseNameValueList(text);
  if (!items.ok()) return items.error();
  nlohmann::json j = nlohmann::json::object();
  for (const auto& [name, value] : items.value()) {
    if (name == "kind" || name == "bucket" || name == "prefix") {
      j[name] = value;
    } else if (name == "op") {
      j["operations"].push_back(value);
    } else if (name == "key") {
      j["keys"].push_back(value);
    } else if (name == "rate") {
      j[name] = std::strtod(value.c_str(), nullptr);
    } else if (name == "count" || name == "ms") {
      j[name] = std::strtoll(value.c_str(), nullptr, 10);
    } else if (name == "after_bytes" || name == "flip") {
      j[name] = std::strtoull(value.c_str(), nullptr, 10);
    } else {
      return InvalidArgument("unknown fault field \"" + name + "\"");
    }
  }
  if (!j.contains("kind")) return InvalidArgument("a fault needs kind=");
  return ParseFaultRuleJson(j);
}

int FaultInjector::AddRule(FaultRule rule) {
  std::lock_guard lock(mu_);
  rule.id = next_id_++;
  rules_.push_back(std::move(rule));
  return rules_.back().id;
}

bool FaultInjector::RemoveRule(int id) {
  std::lock_guard lock(mu_);
  return std::erase_if(rules_, [id](const FaultRule& r) { return r.id == id; }) > 0;
}

void FaultInjector::ClearRules() {
  std::lock_guard lock(mu_);
  rules_.clear();
}

nlohmann::json FaultInjector::RulesJson() const {
  std::lock_guard lock(mu_);
  nlohmann::json out = nlohmann::json::array();
  for (const auto& r : rules_) out.push_back(r.ToJson());
  return out;
}

bool FaultInjector::TryFireLocked(FaultRule& rule, const std::string& operation, const std::string& bucket,
                                  const std::string& key) {
  if (rule.remaining == 0 || !Matches(rule, operation, bucket, key)) return false;
  if (rule.rate < 1.0 && std::uniform_real_distribution<double>(0, 1)(rng_) >= rule.rate) return false;
  if (rule.remaining > 0) --rule.remaining;
  ++rule.fired;
  ++injected_[std::string(FaultKindName(rule.kind))];
  return true;
}

RequestFaults FaultInjector::ForRequest(const std::string& operation, const std::string& bucket,
                                        const std::string& key, bool conditional) {
  RequestFaults out;
  std::lock_guard lock(mu_);
  // Latencies add up; the first error that fires wins.
  for (auto& rule : rules_) {
    if (IsBodyFault(rule.kind) || (out.error && rule.kind != FaultKind::kLatency)) continue;
    if (rule.kind == FaultKind::kPreconditionFailed && !conditional) continue;
    if (!TryFireLocked(rule, operation, bucket, key)) continue;
    switch (rule.kind) {
      case FaultKind::kLatency:
        out.latency_ms += rule.ms;
        break;
      case FaultKind::kInternalError:
        out.error = MakeError(500, "InternalError", "We encountered an internal error. Please try again.");
        break;
      case FaultKind::kAccessDenied:
        out.error = MakeError(403, "AccessDenied", "Access Denied");
        break;
      case FaultKind::kPreconditionFailed:
        out.error = MakeError(412, "PreconditionFailed",
                              "At least one of the pre-conditions you specified did not hold")
                        .With("Condition", "If-Match");
        break;
      default:
        out.error = MakeError(503, "SlowDown", "Please reduce your request rate.");
        break;
    }
  }
  return out;
}

std::optional<BodyFault> FaultInjector::ForBody(const std::string& operation, const std::string& bucket,
                                                const std::string& key, uint64_t body_size) {
  std::lock_guard lock(mu_);
  if (body_size == 0) return std::nullopt;
  for (auto& rule : rules_) {
    if (!IsBodyFault(rule.kind) || !TryFireLocked(rule, operation, bucket, key)) continue;
    BodyFault fault;
    fault.kind = rule.kind;
    fault.after_bytes = std::min<uint64_t>(rule.after_bytes.value_or(body_size / 2), body_size - 1);
    fault.ms = rule.ms;
    fault.flip = std::max<uint64_t>(rule.flip, 1);
    return fault;
  }
  return std::nullopt;
}

void FaultInjector::CountRequest(const std::string& operation) {
  std::lock_guard lock(mu_);
  ++requests_[operation];
}

nlohmann::json FaultInjector::CountersJson() const {
  std::lock_guard lock(mu_);
  nlohmann::json injected = nlohmann::json::object();
  for (const auto& k : kKinds) injected[std::string(k.name)] = 0;
  for (const auto& [name, n] : injected_) injected[name] = n;
  nlohmann::json rules = nlohmann::json::array();
  for (const auto& r : rules_) rules.push_back(r.ToJson());
  return {{"injected", injected}, {"requests", requests_}, {"rules", rules}};
}

void FaultInjector::ResetCounters() {
  std::lock_guard lock(mu_);
  injected_.clear();
  requests_.clear();
}

}  // namespace s3emu
