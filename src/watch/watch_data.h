// What the live page, /metrics and the report show, gathered in one place
// by the CLI (cli/watch_source.cc) from the state database and, inside a
// running `migrate`, from its live progress. Plain data: the renderers here
// are pure functions of it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/progress.h"
#include "store/state_store.h"
#include "watch/svg_chart.h"

namespace s3m::watch {

// Figures only the migrate process itself knows.
struct LiveFigures {
  engine::ProgressSnapshot snapshot;
  std::optional<double> bytes_per_second;  // the progress block's window
  std::string progress_block;              // PRODUCT.md §6's block, as the terminal shows it
};

struct WatchData {
  // `s3migrate status --json --by-bucket` at generated_at: the page's
  // numbers are these, so they equal what `status --json` says.
  nlohmann::json status;
  store::Summary summary;    // the aggregates `status` was rendered from
  std::string generated_at;  // ISO 8601 UTC
  std::string database;
  std::string destination;
  std::optional<uint64_t> free_bytes;  // on the destination; nullopt: unknown

  std::optional<LiveFigures> live;           // set inside a running migrate
  // Without `live` (serve): the progress block as the last stored sample
  // shows it, and whether a run is storing samples now ("" when none stored).
  std::string stored_block;
  bool run_active = false;
  std::vector<store::ProgressSample> samples;  // oldest first, thinned
  std::vector<store::FileRecord> errors;     // newest first, a sample
  int64_t errors_total = 0;
  std::vector<store::RestoreGroup> restores;
  std::string restore_tier;  // glacier_restore_tier
};

// The charts the page and the report draw: throughput, objects per state,
// bytes per state, from the stored samples. Throughput is the received bytes
// between two samples of the same run over their time apart.
std::vector<Chart> ChartsFromSamples(const std::vector<store::ProgressSample>& samples);

// The command that retries one object in error (a POSIX shell line), or
// `s3migrate rescan BUCKET` for an object gone from S3.
std::string RetryCommand(const store::FileRecord& error);

// The live page's data (GET /api/status): the status, the live figures,
// charts as SVG, restores, errors with their retry commands.
nlohmann::json PageJson(const WatchData& data);

}  // namespace s3m::watch
