// Gathers what the status page, /metrics and `report` show (watch/watch_data.h)
// from the state database and, inside a running migrate, from its live
// progress; starts the status server for migrate and serve.
#pragma once

#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include <CLI/CLI.hpp>

#include "cli/context.h"
#include "cli/progress_display.h"
#include "core/clock.h"
#include "store/state_store.h"
#include "watch/status_server.h"
#include "watch/watch_data.h"

namespace s3m::cli {

// The latest snapshot of the running migrate, with its throughput window:
// Update runs on the engine's thread, Get on the server's. Thread-safe.
class LiveProgress {
 public:
  explicit LiveProgress(Clock& clock) : clock_(clock) {}
  void Update(const engine::ProgressSnapshot& snapshot);
  std::optional<watch::LiveFigures> Get() const;

 private:
  Clock& clock_;
  mutable std::mutex mu_;
  ThroughputWindow window_;
  std::optional<engine::ProgressSnapshot> last_;
};

// --http-token (env S3MIGRATE_HTTP_TOKEN) on `migrate` and `serve`.
void AddHttpTokenOption(CLI::App& cmd, std::string& token);

// Figures on the page: errors listed, points per chart.
inline constexpr int kPageErrors = 100;
inline constexpr int kChartPoints = 400;

// Reads everything but the live figures from `state` (a reader) at `now`.
Result<watch::WatchData> GatherWatchData(store::StateStore& state, const Settings& settings,
                                         Clock::WallTime now);

// Starts the status page on `listen` (PORT, HOST:PORT, [V6]:PORT) with the
// token from --http-token or http_token_file; `live` may be null (serve).
// Prints the page's address on stderr. The server opens its own reader of
// the state database on first request.
Result<std::unique_ptr<watch::StatusServer>> StartStatusServer(const CommandContext& ctx,
                                                               const std::string& listen,
                                                               const std::string& token_flag,
                                                               const LiveProgress* live);

}  // namespace s3m::cli
