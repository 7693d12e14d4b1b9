// Fault injection: rules set by --fault at start or through the admin API at
// run time decide, per request, whether to answer with an error, delay, or
// damage the response body. Every injection is counted.
//
// Kinds (the name used in flags and JSON):
//   internal_error  500 InternalError instead of the answer
//   slow_down       503 SlowDown instead of the answer
//   access_denied   403 AccessDenied instead of the answer (a cross-account
//                   object, a bucket policy denying a prefix; on HEAD, as on
//                   AWS, the 403 has no body)
//   precondition_failed
//                   412 PreconditionFailed to a request carrying If-Match,
//                   even when the ETag matches (Swift 2.30 does this on
//                   multipart objects); requests without If-Match pass
//   latency         the answer is delayed by `ms`
//   reset           the body stops after `after_bytes` and the connection is
//                   reset (TCP RST)
//   truncate        the body stops after `after_bytes` and the connection is
//                   closed normally (FIN): fewer bytes than Content-Length
//   corrupt         `flip` bytes from `after_bytes` on are inverted; headers,
//                   ETag and checksums stay those of the real object
//   stall           after `after_bytes`, nothing is sent for `ms`, then the
//                   rest follows
// Body kinds apply to replies that carry a body (GetObject, listings, ...);
// `after_bytes` defaults to half the body.
//
// A rule matches a request by operation ("GetObject", ...; any when none is
// given), bucket, exact keys or a key prefix, and fires with probability
// `rate`, at most `count` times (unlimited when absent).
//
// Thread-safe.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "s3emu/s3_error.h"

namespace s3emu {

enum class FaultKind {
  kInternalError,
  kSlowDown,
  kAccessDenied,
  kPreconditionFailed,
  kLatency,
  kReset,
  kTruncate,
  kCorrupt,
  kStall
};

std::string_view FaultKindName(FaultKind kind);
std::optional<FaultKind> ParseFaultKind(std::string_view name);
bool IsBodyFault(FaultKind kind);

struct FaultRule {
  int id = 0;
  FaultKind kind = FaultKind::kInternalError;
  double rate = 1.0;
  std::set<std::string> operations;  // empty: every S3 operation
  std::string bucket;                // empty: any
  std::set<std::string> keys;        // empty: any
  std::string key_prefix;
  int64_t remaining = -1;            // injections left; -1: unlimited
  std::optional<uint64_t> after_bytes;
  int64_t ms = 0;
  uint64_t flip = 1;
  uint64_t fired = 0;

  nlohmann::json ToJson() const;
};

// {"kind": "reset", "operations": ["GetObject"], "keys": ["a.bin"], "rate": 1,
//  "count": 1, "after_bytes": 1000}
ErrorOr<FaultRule> ParseFaultRuleJson(const nlohmann::json& j);
// "kind=reset,op=GetObject,key=a.bin,rate=1,count=1,after_bytes=1000" (--fault).
// op and key may repeat; also bucket=, prefix=, ms=, flip=.
ErrorOr<FaultRule> ParseFaultRuleFlag(std::string_view text);

// What to do to one request, decided before it is handled.
struct RequestFaults {
  int64_t latency_ms = 0;
  std::optional<S3Error> error;  // 500, 503, 403 or 412 instead of the answer
};

// What to do to one response body.
struct BodyFault {
  FaultKind kind = FaultKind::kReset;
  uint64_t after_bytes = 0;
  int64_t ms = 0;
  uint64_t flip = 1;
};

class FaultInjector {
 public:
  explicit FaultInjector(uint64_t seed) : rng_(seed) {}

  int AddRule(FaultRule rule);
  bool RemoveRule(int id);
  void ClearRules();
  nlohmann::json RulesJson() const;

  // Error and latency faults for a request (counted here).
  // `conditional`: the request carries If-Match.
  RequestFaults ForRequest(const std::string& operation, const std::string& bucket, const std::string& key,
                           bool conditional = false);
  // A body fault for a response of `body_size` bytes, if one fires (counted here).
  std::optional<BodyFault> ForBody(const std::string& operation, const std::string& bucket,
                                   const std::string& key, uint64_t body_size);

  void CountRequest(const std::string& operation);
  // {"injected": {"reset": 2, ...}, "requests": {"GetObject": 10, ...}, "rules": [...]}
  nlohmann::json CountersJson() const;
  void ResetCounters();

 private:
  // True when `rule` matches the request and fires (by its rate); counts it
  // and consumes one of its injections. Requires mu_.
  bool TryFireLocked(FaultRule& rule, const std::string& operation, const std::string& bucket,
                     const std::string& key);

  mutable std::mutex mu_;
  // Guarded by mu_:
  std::vector<FaultRule> rules_;
  int next_id_ = 1;
  std::mt19937_64 rng_;
  std::map<std::string, uint64_t> injected_;
  std::map<std::string, uint64_t> requests_;
};

}  // namespace s3emu
