#include "watch/watch_data.h"

#include <fmt/format.h>

#include "core/time_format.h"

namespace s3m::watch {

namespace {

using nlohmann::json;

constexpr const char* kStateColours[] = {"#8c8c8c", "#1f77b4", "#17becf", "#bcbd22",
                                         "#2ca02c", "#9467bd", "#e377c2", "#d62728"};

double EpochSeconds(const std::string& iso) {
  auto t = ParseIso8601(iso);
  if (!t) return 0;
  return static_cast<double>(std::chrono::duration_cast<std::chrono::seconds>(t->time_since_epoch()).count());
}

std::string ShellQuote(const std::string& text) {
  std::string out = "'";
  for (char c : text) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  return out + "'";
}

json OptionalText(const std::optional<std::string>& text) { return text ? json(*text) : json(nullptr); }

json LiveJson(const LiveFigures& live) {
  const engine::ProgressSnapshot& s = live.snapshot;
  json queues = {{"ready_downloads", s.queues.ready_downloads},
                 {"ready_restores", s.queues.ready_restores},
                 {"retries_waiting", s.queues.retries_waiting},
                 {"publishing", s.queues.publishing},
                 {"deletes_pending", s.queues.deletes_pending}};
  return {{"progress_block", live.progress_block},
          {"bytes_per_second", live.bytes_per_second ? json(*live.bytes_per_second) : json(nullptr)},
          {"run_started_at", FormatIso8601(s.started_at, Iso8601Precision::kSeconds)},
          {"bytes_received", s.bytes_received},
          {"active_transfers", s.active_transfers},
          {"restores_waiting", s.restores_waiting},
          {"restores_in_flight", s.restores_in_flight},
          {"restores_ready", s.restores_ready},
          {"next_restore_check", s.next_restore_check
                                     ? json(FormatIso8601(*s.next_restore_check, Iso8601Precision::kSeconds))
                                     : json(nullptr)},
          {"paused_reason", s.paused_reason},
          {"errors_this_run", s.errors_this_run},
          {"retries_by_kind", s.retries_by_kind},
          {"errors_by_kind", s.errors_by_kind},
          {"queues", queues},
          {"dry_run", s.dry_run},
          {"keep_source", s.keep_source}};
}

}  // namespace

std::vector<Chart> ChartsFromSamples(const std::vector<store::ProgressSample>& samples) {
  Chart throughput{"Throughput", "MB/s", {}, {{"received", "#1f77b4", {}}}};
  Chart objects{"Objects per state", "objects", {}, {}};
  Chart bytes{"Data per state", "GB", {}, {}};
  for (size_t i = 0; i < store::kAllFileStates.size(); ++i) {
    const std::string name(store::FileStateName(store::kAllFileStates[i]));
    objects.series.push_back({name, kStateColours[i], {}});
    bytes.series.push_back({name, kStateColours[i], {}});
  }
  for (size_t i = 0; i < samples.size(); ++i) {
    const store::ProgressSample& s = samples[i];
    const double at = EpochSeconds(s.at);
    double rate = 0;
    if (i > 0 && samples[i - 1].run_started_at == s.run_started_at) {
      const double dt = at - EpochSeconds(samples[i - 1].at);
      const double db = static_cast<double>(s.bytes_received - samples[i - 1].bytes_received);
      if (dt > 0 && db > 0) rate = db / dt / 1e6;
    }
    throughput.x.push_back(at);
    throughput.series[0].values.push_back(rate);
    objects.x.push_back(at);
    bytes.x.push_back(at);
    for (size_t k = 0; k < s.by_state.size(); ++k) {
      objects.series[k].values.push_back(static_cast<double>(s.by_state[k].files));
      bytes.series[k].values.push_back(static_cast<double>(s.by_state[k].bytes) / 1e9);
    }
  }
  // States never occupied in the window would only crowd the legend.
  for (Chart* chart : {&objects, &bytes}) {
    std::erase_if(chart->series, [](const ChartSeries& s) {
      return std::all_of(s.values.begin(), s.values.end(), [](double v) { return v == 0; });
    });
  }
  return {throughput, objects, bytes};
}

std::string RetryCommand(const store::FileRecord& error) {
  if (error.gone_at) return "s3migrate rescan " + ShellQuote(error.bucket);
  return fmt::format("s3migrate reset {} {}", ShellQuote(error.bucket), ShellQuote(error.key));
}

json PageJson(const WatchData& data) {
  json out;
  out["status"] = data.status;
  out["generated_at"] = data.generated_at;
  out["destination"] = data.destination;
  out["free_bytes"] = data.free_bytes ? json(*data.free_bytes) : json(nullptr);
  out["live"] = data.live ? LiveJson(*data.live) : json(nullptr);
  out["stored_block"] = data.stored_block;
  out["run_active"] = data.live.has_value() || data.run_active;
  if (!data.samples.empty()) {
    const store::ProgressSample& last = data.samples.back();
    out["last_sample"] = {{"at", last.at},
                          {"run_started_at", last.run_started_at},
                          {"bytes_received", last.bytes_received},
                          {"active_transfers", last.active_transfers}};
  } else {
    out["last_sample"] = nullptr;
  }
  json charts = json::array();
  for (const Chart& chart : ChartsFromSamples(data.samples)) {
    charts.push_back({{"title", chart.title}, {"svg", RenderSvgChart(chart)}});
  }
  out["charts"] = charts;
  json restores = json::array();
  for (const auto& g : data.restores) {
    restores.push_back({{"tier", g.tier.empty() ? data.restore_tier : g.tier},
                        {"state", g.state == store::FileState::kDiscovered
                                      ? "restored"
                                      : std::string(store::FileStateName(g.state))},
                        {"files", g.tally.files},
                        {"bytes", g.tally.bytes},
                        {"oldest_request", OptionalText(g.oldest_request)},
                        {"earliest_expiry", OptionalText(g.earliest_expiry)},
                        {"latest_expiry", OptionalText(g.latest_expiry)}});
  }
  out["restores"] = restores;
  out["restore_tier"] = data.restore_tier;
  json errors = json::array();
  for (const auto& e : data.errors) {
    errors.push_back({{"bucket", e.bucket},
                      {"key", e.key},
                      {"version_id", e.version_id},
                      {"attempts", e.attempts},
                      {"message", e.error_message.value_or("")},
                      {"retry_command", RetryCommand(e)}});
  }
  out["errors"] = {{"total", data.errors_total},
                   {"items", errors},
                   {"retry_all_command", "s3migrate retry"}};
  return out;
}

}  // namespace s3m::watch
