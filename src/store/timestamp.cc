#include "store/timestamp.h"

#include "core/time_format.h"

namespace s3m::store {

std::string FormatTimestamp(Clock::WallTime time) {
  // "2026-11-24T06:06:43.000Z" -> "2026-11-24T06:06:43Z": whole seconds.
  const std::string iso = FormatIso8601(std::chrono::floor<std::chrono::seconds>(time));
  return iso.substr(0, 19) + "Z";
}

}  // namespace s3m::store
