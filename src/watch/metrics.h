// GET /metrics: the figures in the Prometheus text exposition format
// (version 0.0.4), checked by `promtool check metrics` in the tests.
//
//   # HELP s3migrate_objects Objects recorded in the state database, by state.
//   # TYPE s3migrate_objects gauge
//   s3migrate_objects{state="deleted"} 1234
//   ...
//   # HELP s3migrate_received_bytes_total Bytes received from S3 by this run.
//   # TYPE s3migrate_received_bytes_total counter
//   s3migrate_received_bytes_total 5.6e+09
//
// Database figures are always there; the run's own counters (bytes
// received, retries and errors by kind, transfers and queues) only inside a
// running `migrate` — `serve` has no run, and counters must not jump between
// runs.
#pragma once

#include <string>

#include "watch/watch_data.h"

namespace s3m::watch {

inline constexpr const char* kMetricsContentType = "text/plain; version=0.0.4; charset=utf-8";

std::string MetricsText(const WatchData& data);

// A label value with \, " and newline escaped as the format requires.
std::string EscapeLabelValue(const std::string& value);

}  // namespace s3m::watch
