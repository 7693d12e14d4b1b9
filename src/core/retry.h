// The one retry helper: capped exponential backoff with full jitter
// (delay = uniform(0, min(cap, base * 2^attempt))), as in the AWS Architecture
// Blog's "Exponential Backoff and Jitter". Throttling backs off from a larger
// base. Which errors are retried is decided by IsRetryable(kind) alone.
//
// Clock and randomness are injected so tests assert exact delays.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <random>
#include <type_traits>

#include "core/clock.h"
#include "core/status.h"

namespace s3m {

struct RetryPolicy {
  int max_attempts = 8;  // total tries, the first included
  std::chrono::milliseconds base_delay{100};
  std::chrono::milliseconds throttled_base_delay{1000};
  std::chrono::milliseconds max_delay{20000};
};

// Returns a uniformly distributed number in [0, 1).
using UniformRandom = std::function<double()>;
UniformRandom DefaultUniformRandom();  // thread-safe, seeded from the OS

class Backoff {
 public:
  Backoff(RetryPolicy policy, UniformRandom random)
      : policy_(policy), random_(std::move(random)) {}

  // Delay before retry number `retry` (0 for the first retry) after an error of `kind`.
  Clock::Duration DelayFor(int retry, ErrorKind kind) const;
  const RetryPolicy& policy() const { return policy_; }

 private:
  RetryPolicy policy_;
  UniformRandom random_;
};

namespace retry_detail {
inline const Status& StatusOf(const Status& s) { return s; }
template <typename T>
const Status& StatusOf(const Result<T>& r) { return r.status(); }
}  // namespace retry_detail

// Calls `attempt(n)` (n = 0, 1, ...) until it succeeds, fails with an error
// that is not retryable, the attempts run out, or `cancelled` becomes true.
// `attempt` returns a Status or a Result<T>. The last outcome is returned.
template <typename Fn>
auto RetryCall(const Backoff& backoff, Clock& clock, Fn&& attempt,
               const std::atomic<bool>* cancelled = nullptr)
    -> std::invoke_result_t<Fn&, int> {
  for (int n = 0;; ++n) {
    auto outcome = attempt(n);
    const Status& status = retry_detail::StatusOf(outcome);
    if (status.ok() || !IsRetryable(status.kind()) ||
        n + 1 >= backoff.policy().max_attempts ||
        (cancelled != nullptr && cancelled->load())) {
      return outcome;
    }
    clock.SleepFor(backoff.DelayFor(n, status.kind()));
  }
}

}  // namespace s3m
