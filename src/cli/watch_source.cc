#include "cli/watch_source.h"

#include <cstdio>
#include <fstream>

#include <fmt/format.h>

#include "cli/state_commands.h"
#include "cli/status_command.h"
#include "core/time_format.h"
#include "engine/file_system.h"
#include "store/cost.h"
#include "store/postgres.h"

namespace s3m::cli {

namespace {

// The first line of `path`, without surrounding blanks; never logged.
Result<std::string> ReadToken(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  if (!in || !std::getline(in, line)) {
    ErrorContext where;
    where.operation = "read http_token_file";
    where.path = path;
    return Status::Error(ErrorKind::kInvalidArgument, "cannot read the token file", where);
  }
  const size_t first = line.find_first_not_of(" \t\r");
  const size_t last = line.find_last_not_of(" \t\r");
  if (first == std::string::npos) {
    ErrorContext where;
    where.path = path;
    return Status::Error(ErrorKind::kInvalidArgument, "the token file's first line is empty", where);
  }
  return line.substr(first, last - first + 1);
}

// The progress block as the newest stored sample shows it, the throughput
// from the samples of its run in the window before it.
std::string StoredBlock(const std::vector<store::ProgressSample>& samples) {
  const store::ProgressSample& last = samples.back();
  engine::ProgressSnapshot snap;
  auto wall = [](const std::string& iso) { return ParseIso8601(iso).value_or(Clock::WallTime{}); };
  snap.now = wall(last.at);
  snap.started_at = wall(last.run_started_at);
  for (size_t i = 0; i < last.by_state.size(); ++i) {
    snap.by_state[i] = {last.by_state[i].files, last.by_state[i].bytes};
    snap.total.files += last.by_state[i].files;
    snap.total.bytes += last.by_state[i].bytes;
  }
  snap.done = snap.by_state[static_cast<size_t>(store::FileState::kDeleted)];
  snap.bytes_received = last.bytes_received;
  snap.active_transfers = static_cast<int>(last.active_transfers);
  snap.restores_in_flight = last.restores_in_flight;
  snap.restores_ready = last.restores_ready;
  snap.errors_this_run = last.errors_this_run;
  ThroughputWindow window;
  for (const auto& s : samples) {
    if (s.run_started_at != last.run_started_at) continue;
    window.Add(Clock::MonoTime(wall(s.at).time_since_epoch()), s.bytes_received);
  }
  return RenderProgressBlock(snap, window);
}

}  // namespace

void AddHttpTokenOption(CLI::App& cmd, std::string& token) {
  cmd.add_option("--http-token", token,
                 "Bearer token the status page's figures and /metrics require (needed to bind a "
                 "non-loopback --http address; visible in `ps`: prefer http_token_file or the "
                 "environment)")
      ->envname("S3MIGRATE_HTTP_TOKEN");
}

void LiveProgress::Update(const engine::ProgressSnapshot& snapshot) {
  std::lock_guard lock(mu_);
  window_.Add(clock_.MonotonicNow(), snapshot.bytes_received);
  last_ = snapshot;
}

std::optional<watch::LiveFigures> LiveProgress::Get() const {
  std::lock_guard lock(mu_);
  if (!last_) return std::nullopt;
  return watch::LiveFigures{*last_, window_.BytesPerSecond(), RenderProgressBlock(*last_, window_)};
}

Result<watch::WatchData> GatherWatchData(store::StateStore& state, const Settings& settings,
                                         Clock::WallTime now) {
  watch::WatchData data;
  S3M_ASSIGN_OR_RETURN(StatusFigures figures, ComputeStatus(state, settings, now, /*by_bucket=*/true));
  data.summary = std::move(figures.summary);
  const store::Summary& summary = data.summary;
  const store::CostEstimate& cost = figures.cost;
  data.generated_at = FormatIso8601(now, Iso8601Precision::kSeconds);
  // A PostgreSQL URI is shown without its password.
  data.database = store::RedactPostgresUri(settings.state_db);
  data.status = RenderStatusJson(data.database, summary, cost, settings.prices, true, data.generated_at);
  data.destination = settings.local_base_path;
  if (auto space = engine::PosixFileSystem::Default().GetDiskSpace(settings.local_base_path); space.ok()) {
    data.free_bytes = space->available_bytes;
  }
  S3M_ASSIGN_OR_RETURN(data.samples, state.ProgressSamples(kChartPoints));
  if (!data.samples.empty()) {
    data.stored_block = StoredBlock(data.samples);
    // A run stores one every progress_sample_interval: one missed is slack,
    // three are a run that ended (or the interval of another config).
    const auto last = ParseIso8601(data.samples.back().at);
    const auto slack = std::chrono::duration<double>(3 * settings.progress_sample_interval + 2);
    data.run_active = !data.samples.back().run_ended && last && now - *last < slack;
  }
  S3M_ASSIGN_OR_RETURN(auto errors, state.RecentErrors(kPageErrors));
  data.errors = std::move(errors.first);
  data.errors_total = errors.second;
  S3M_ASSIGN_OR_RETURN(data.restores, state.RestoreGroups());
  data.restore_tier = settings.glacier_restore_tier;
  return data;
}

Result<std::unique_ptr<watch::StatusServer>> StartStatusServer(const CommandContext& ctx,
                                                               const std::string& listen,
                                                               const std::string& token_flag,
                                                               const LiveProgress* live) {
  const Settings& settings = ctx.settings();
  S3M_ASSIGN_OR_RETURN(watch::ListenAddress address, watch::ParseListenAddress(listen));
  std::string token = token_flag;
  if (token.empty() && !settings.http_token_file.empty()) {
    S3M_ASSIGN_OR_RETURN(token, ReadToken(settings.http_token_file));
  }
  // The server's thread keeps its own reader of the database, opened on the
  // first request (a migrate's writer connection belongs to the engine).
  auto reader = std::make_shared<std::unique_ptr<store::StateStore>>();
  const CommandContext* context = &ctx;
  auto source = [reader, context, live]() -> Result<watch::WatchData> {
    if (!*reader) {
      S3M_ASSIGN_OR_RETURN(*reader, OpenStateForReading(*context));
    }
    S3M_ASSIGN_OR_RETURN(watch::WatchData data,
                         GatherWatchData(**reader, context->settings(), Clock::Real().Now()));
    if (live) data.live = live->Get();
    return data;
  };
  S3M_ASSIGN_OR_RETURN(auto server, watch::StatusServer::Start(address, std::move(token), std::move(source)));
  std::fprintf(stderr, "s3migrate: status page at %s (metrics at %smetrics)\n", server->url().c_str(),
               server->url().c_str());
  return server;
}

}  // namespace s3m::cli
