// How every timestamp in the state database and the lock file is written:
// UTC, ISO 8601, to the second ("2026-11-24T06:06:43Z"), so that text order
// is time order and sqlite3's julianday() reads it.
#pragma once

#include <string>

#include "core/clock.h"

namespace s3m::store {

std::string FormatTimestamp(Clock::WallTime time);

}  // namespace s3m::store
