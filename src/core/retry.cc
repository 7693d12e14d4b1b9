#include "core/retry.h"

#include <algorithm>
#include <mutex>

namespace s3m {

UniformRandom DefaultUniformRandom() {
  return [] {
    thread_local std::mt19937_64 engine{std::random_device{}()};
    return std::uniform_real_distribution<double>(0.0, 1.0)(engine);
  };
}

Clock::Duration Backoff::DelayFor(int retry, ErrorKind kind) const {
  using std::chrono::milliseconds;
  const milliseconds base =
      kind == ErrorKind::kThrottled ? policy_.throttled_base_delay : policy_.base_delay;
  // Cap the exponent first so the shift can never overflow.
  const int exponent = std::clamp(retry, 0, 30);
  const double ceiling = std::min<double>(static_cast<double>(policy_.max_delay.count()),
                                          static_cast<double>(base.count()) * double(1ull << exponent));
  const double r = std::clamp(random_(), 0.0, 1.0);
  return std::chrono::duration_cast<Clock::Duration>(
      std::chrono::duration<double, std::milli>(ceiling * r));
}

}  // namespace s3m
