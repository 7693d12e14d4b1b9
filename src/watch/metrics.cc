#include "watch/metrics.h"

#include <map>

#include <fmt/format.h>

#include "core/time_format.h"
#include "s3m_version.h"

namespace s3m::watch {

namespace {

using Labels = std::vector<std::pair<std::string, std::string>>;

// Writes families: HELP and TYPE once, then their samples.
class Writer {
 public:
  void Family(const std::string& name, const std::string& type, const std::string& help) {
    name_ = name;
    out_ += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, help, name, type);
  }
  void Sample(double value, const Labels& labels = {}) {
    std::string text;
    for (const auto& [k, v] : labels) {
      text += fmt::format("{}{}=\"{}\"", text.empty() ? "" : ",", k, EscapeLabelValue(v));
    }
    out_ += name_;
    if (!text.empty()) out_ += "{" + text + "}";
    out_ += fmt::format(" {}\n", value);
  }
  std::string Take() { return std::move(out_); }

 private:
  std::string name_;
  std::string out_;
};

double Number(const nlohmann::json& value) { return value.is_number() ? value.get<double>() : 0; }

double Epoch(std::chrono::system_clock::time_point t) {
  return std::chrono::duration<double>(t.time_since_epoch()).count();
}

void DatabaseMetrics(const WatchData& data, Writer& w) {
  const nlohmann::json& status = data.status;
  w.Family("s3migrate_info", "gauge", "Version of s3migrate and of its state database schema.");
  w.Sample(1, {{"version", S3M_VERSION}, {"schema", std::to_string(status.value("schema_version", 0))}});

  w.Family("s3migrate_objects", "gauge", "Objects recorded in the state database, by state.");
  for (const auto& [state, tally] : status["states"].items()) w.Sample(Number(tally["files"]), {{"state", state}});
  w.Family("s3migrate_objects_size_bytes", "gauge", "Bytes of the objects in each state.");
  for (const auto& [state, tally] : status["states"].items()) w.Sample(Number(tally["bytes"]), {{"state", state}});

  w.Family("s3migrate_buckets", "gauge", "Buckets by the state of their listing.");
  std::map<std::string, int> scans = {{"pending", 0}, {"listing", 0}, {"complete", 0}, {"failed", 0}};
  for (const auto& b : status["buckets"]) ++scans[b.value("scan_state", "pending")];
  for (const auto& [state, count] : scans) w.Sample(count, {{"scan_state", state}});

  w.Family("s3migrate_restores_needed", "gauge",
           "Archived objects not yet requested for a restore, by storage class.");
  for (const auto& [cls, tally] : status["glacier"]["need_restore_by_class"].items()) {
    w.Sample(Number(tally["files"]), {{"storage_class", cls}});
  }
  w.Family("s3migrate_restores", "gauge",
           "Restores requested and not yet downloaded, by tier and state (restored: readable, "
           "waiting for a download).");
  std::map<std::pair<std::string, std::string>, store::Tally> restores;
  for (const auto& g : data.restores) {
    const std::string state = g.state == store::FileState::kDiscovered ? "restored"
                                                                        : std::string(store::FileStateName(g.state));
    restores[{g.tier.empty() ? data.restore_tier : g.tier, state}].Add(g.tally.files, g.tally.bytes);
  }
  for (const auto& [key, tally] : restores) w.Sample(static_cast<double>(tally.files), {{"tier", key.first}, {"state", key.second}});
  w.Family("s3migrate_restores_size_bytes", "gauge", "Bytes of the restores, by tier and state.");
  for (const auto& [key, tally] : restores) w.Sample(static_cast<double>(tally.bytes), {{"tier", key.first}, {"state", key.second}});

  if (data.free_bytes) {
    w.Family("s3migrate_destination_free_bytes", "gauge",
             "Free space on the destination filesystem (what an unprivileged user may use).");
    w.Sample(static_cast<double>(*data.free_bytes));
  }
  w.Family("s3migrate_cost_to_finish_usd", "gauge",
           "Estimated cost of finishing, in US dollars, with the configured restore tier.");
  w.Sample(Number(status["cost_estimate"]["total"]));
  if (!data.samples.empty()) {
    if (auto at = ParseIso8601(data.samples.back().at)) {
      w.Family("s3migrate_last_sample_timestamp_seconds", "gauge",
               "When a migrate run last stored a progress sample (Unix time).");
      w.Sample(Epoch(*at));
    }
  }
}

void RunMetrics(const LiveFigures& live, Writer& w) {
  const engine::ProgressSnapshot& s = live.snapshot;
  w.Family("s3migrate_run_start_time_seconds", "gauge", "When this migrate run started (Unix time).");
  w.Sample(Epoch(s.started_at));
  w.Family("s3migrate_received_bytes_total", "counter", "Bytes received from S3 by this run.");
  w.Sample(static_cast<double>(s.bytes_received));
  w.Family("s3migrate_throughput_bytes_per_second", "gauge",
           "Download rate over the progress block's moving window.");
  w.Sample(live.bytes_per_second.value_or(0));
  w.Family("s3migrate_transfers_in_flight", "gauge", "Objects being downloaded right now.");
  w.Sample(s.active_transfers);
  w.Family("s3migrate_retries_total", "counter",
           "Failed attempts of this run that are retried later, by the kind of failure.");
  for (const auto& [kind, n] : s.retries_by_kind) w.Sample(static_cast<double>(n), {{"kind", kind}});
  w.Family("s3migrate_errors_total", "counter",
           "Objects this run left in `error`, by the kind of their last failure.");
  for (const auto& [kind, n] : s.errors_by_kind) w.Sample(static_cast<double>(n), {{"kind", kind}});
  w.Family("s3migrate_queued_objects", "gauge", "Objects waiting in the run's queues, by queue.");
  w.Sample(static_cast<double>(s.queues.ready_downloads), {{"queue", "download"}});
  w.Sample(static_cast<double>(s.queues.ready_restores), {{"queue", "restore_request"}});
  w.Sample(static_cast<double>(s.queues.retries_waiting), {{"queue", "retry_backoff"}});
  w.Sample(static_cast<double>(s.queues.publishing), {{"queue", "sync"}});
  w.Sample(static_cast<double>(s.queues.deletes_pending), {{"queue", "delete"}});
  if (s.next_restore_check) {
    w.Family("s3migrate_next_restore_check_timestamp_seconds", "gauge",
             "When the run next checks the restores under way (Unix time).");
    w.Sample(Epoch(*s.next_restore_check));
  }
  if (!s.bandwidth_schedule.empty()) {
    w.Family("s3migrate_bandwidth_limit_bytes_per_second", "gauge",
             "The --bwlimit rate in force now (0: none now; the timetable may set one later).");
    w.Sample(static_cast<double>(s.bandwidth_limit.value_or(0)));
  }
  if (s.request_limit > 0) {
    w.Family("s3migrate_request_limit_per_second", "gauge", "The --max-requests-per-second budget.");
    w.Sample(s.request_limit);
  }
  w.Family("s3migrate_downloads_paused", "gauge", "1 while new downloads wait for free space.");
  w.Sample(s.paused_reason.empty() ? 0 : 1);
}

}  // namespace

std::string EscapeLabelValue(const std::string& value) {
  std::string out;
  for (char c : value) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::string MetricsText(const WatchData& data) {
  Writer w;
  DatabaseMetrics(data, w);
  if (data.live) RunMetrics(*data.live, w);
  return w.Take();
}

}  // namespace s3m::watch
