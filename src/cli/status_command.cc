#include "cli/status_command.h"

#include <cstdio>
#include <map>

#include <fmt/format.h>

#include "cli/app.h"
#include "cli/format.h"
#include "cli/state_commands.h"
#include "core/time_format.h"
#include "store/postgres.h"

namespace s3m::cli {

namespace {

// Figures derived from the summary's (state, storage class) groups.
struct Figures {
  store::Tally total;
  std::map<store::FileState, store::Tally> by_state;
  store::Tally need_restore;
  store::Tally need_restore_glacier;
  store::Tally need_restore_deep;
  store::Tally restores_in_flight;
};

Figures Derive(const store::Summary& s) {
  Figures f;
  for (store::FileState state : store::kAllFileStates) f.by_state[state];
  for (const auto& g : s.groups) {
    f.total.Add(g.tally.files, g.tally.bytes);
    f.by_state[g.state].Add(g.tally.files, g.tally.bytes);
    if (g.state == store::FileState::kDiscovered && g.storage_class == "GLACIER") {
      f.need_restore_glacier.Add(g.tally.files, g.tally.bytes);
    }
    if (g.state == store::FileState::kDiscovered && g.storage_class == "DEEP_ARCHIVE") {
      f.need_restore_deep.Add(g.tally.files, g.tally.bytes);
    }
    if (g.state == store::FileState::kGlacierRestoreRequested ||
        g.state == store::FileState::kGlacierRestoring) {
      f.restores_in_flight.Add(g.tally.files, g.tally.bytes);
    }
  }
  f.need_restore = f.need_restore_glacier;
  f.need_restore.Add(f.need_restore_deep.files, f.need_restore_deep.bytes);
  f.need_restore.Add(s.archived_other_discovered.files, s.archived_other_discovered.bytes);
  return f;
}

std::string TallyLine(const std::string& label, const store::Tally& t, int indent = 2) {
  return FormatTallyLine(label, t.files, t.bytes, indent, indent + 39);
}

std::string BucketScanText(const store::BucketRecord& b) {
  if (b.scan_state == "complete") {
    return "scanned " + b.scan_completed_at.value_or("");
  }
  if (b.scan_state == "failed") {
    return "LISTING FAILED (resumable): " + b.last_error.value_or("");
  }
  if (b.scan_state == "listing") return "listing in progress or interrupted (resumable)";
  return "not scanned yet";
}

// "running", "waiting" (its share done, the others not), "lost" (no
// heartbeat within its lease: killed, or cut off; its objects are taken
// over) or "stopped".
const char* WorkerState(const store::WorkerRecord& w) {
  if (w.stopped_at) return "stopped";
  if (!w.alive) return "lost";
  return w.idle ? "waiting" : "running";
}

std::string WorkersText(const std::vector<store::WorkerRecord>& workers) {
  if (workers.empty()) return "";
  std::map<std::string, int> by_state;
  for (const auto& w : workers) ++by_state[WorkerState(w)];
  std::string counts;
  for (const char* state : {"running", "waiting", "lost", "stopped"}) {
    if (by_state[state] > 0) counts += fmt::format("{}{} {}", counts.empty() ? "" : ", ", by_state[state], state);
  }
  std::string out = fmt::format("\nWorkers:         {}{}\n", counts,
                                workers.size() >= static_cast<size_t>(store::kSummaryWorkers) ? " (the latest)" : "");
  for (const auto& w : workers) {
    out += fmt::format("  #{:<4} {:<8} {} pid {}, heartbeat {}, {} objects deleted, {} received\n", w.id,
                       WorkerState(w), PrintableKey(w.host), w.pid, w.heartbeat_at, FormatCount(w.objects),
                       FormatBytes(w.bytes));
  }
  return out;
}

}  // namespace

std::string RenderStatusText(const std::string& database, const store::Summary& s,
                             const store::CostEstimate& cost, bool by_bucket) {
  const Figures f = Derive(s);
  std::string out;
  out += kRule + "\nMIGRATION STATUS\n" + kRule + "\n";
  out += fmt::format("Database:        {}\n", database);
  int complete = 0;
  std::vector<std::string> incomplete;
  for (const auto& b : s.buckets) {
    if (b.scan_state == "complete") {
      ++complete;
    } else {
      incomplete.push_back(PrintableKey(b.name));
    }
  }
  out += fmt::format("Buckets:         {} scanned", FormatCount(complete));
  if (!incomplete.empty()) {
    std::string names;
    for (size_t i = 0; i < incomplete.size() && i < 5; ++i) names += (i ? ", " : "") + incomplete[i];
    if (incomplete.size() > 5) names += ", ...";
    out += fmt::format(", {} not complete ({}): run `s3migrate scan`", incomplete.size(), names);
  }
  out += "\n";
  out += fmt::format("Files:           {}\n", FormatCount(f.total.files));
  out += fmt::format("Data:            {}\n", FormatBytes(f.total.bytes));

  out += "\nStatus Breakdown:\n";
  for (store::FileState state : store::kAllFileStates) {
    out += TallyLine(StateLabel(state), f.by_state.at(state));
  }

  out += "\nGlacier / Deep Archive:\n";
  out += TallyLine("Need restore", f.need_restore);
  if (f.need_restore.files > 0) {
    out += TallyLine("GLACIER", f.need_restore_glacier, 4);
    out += TallyLine("DEEP_ARCHIVE", f.need_restore_deep, 4);
    if (s.archived_other_discovered.files > 0) {
      out += TallyLine("Intelligent-Tiering archive", s.archived_other_discovered, 4);
    }
  }
  out += TallyLine("Restores in flight", f.restores_in_flight);

  if (s.gone_before_download.files + s.gone_after_download.files + s.previous_copies.files > 0) {
    out += "\nFound by rescan:\n";
    if (s.gone_before_download.files > 0) {
      out += TallyLine("Gone before download", s.gone_before_download);
      out += "    (state 'error', gone_at set: SELECT bucket, key FROM files WHERE gone_at IS NOT NULL)\n";
    }
    if (s.gone_after_download.files > 0) out += TallyLine("Gone after download", s.gone_after_download);
    if (s.previous_copies.files > 0) out += TallyLine("Changed, older copy kept", s.previous_copies);
  }

  out += WorkersText(s.workers);

  if (by_bucket) {
    out += "\nBy bucket:\n";
    for (const auto& b : s.buckets) {
      out += fmt::format("  {}  [{}{}] {}\n", PrintableKey(b.name), b.region.empty() ? "?" : b.region,
                         b.versioning.empty() ? "" : ", versioning " + b.versioning,
                         BucketScanText(b));
      for (const auto& g : s.bucket_groups) {
        if (g.bucket == b.name) out += TallyLine(StateLabel(g.state), g.tally, 4);
      }
      if (b.noncurrent_versions + b.delete_markers > 0) {
        out += fmt::format("    (in S3, not migrated: {} noncurrent versions, {} delete markers)\n",
                           FormatCount(b.noncurrent_versions), FormatCount(b.delete_markers));
      }
    }
  }

  out += "\nEstimated cost to finish (USD; AWS us-east-1 list prices unless [prices] overrides):\n";
  for (const auto& tier : cost.restore) {
    std::string note;
    if (tier.tier == cost.configured_tier) note = "  <- glacier_restore_tier";
    if (tier.tier == "Expedited" && cost.deep_archive_to_restore.files > 0) {
      note += "  (Deep Archive has no Expedited: priced as Standard)";
    }
    out += fmt::format("  {:<30}{:>12}{}\n", "Restore, " + tier.tier, FormatUsd(tier.total()), note);
  }
  out += fmt::format("  {:<30}{:>12}  ({} GET/HEAD, {} LIST)\n", "Requests", FormatUsd(cost.requests),
                     FormatCount(cost.get_requests), FormatCount(cost.list_requests));
  out += fmt::format("  {:<30}{:>12}  ({} still to download)\n", "Data transfer out",
                     FormatUsd(cost.transfer_out), FormatBytes(cost.to_download.bytes));
  out += fmt::format("  {:<30}{:>12}  ({} archived objects younger than 90/180 days, if deleted now)\n",
                     "Early deletion", FormatUsd(cost.early_deletion),
                     FormatCount(cost.early_deletion_objects.files));
  out += fmt::format("  {:<30}{:>12}\n", "Total with " + cost.configured_tier + " restores",
                     FormatUsd(cost.total));
  out += kRule + "\n";
  return out;
}

nlohmann::json RenderStatusJson(const std::string& database, const store::Summary& s,
                                const store::CostEstimate& cost, const store::PriceTable& prices,
                                bool by_bucket, const std::string& generated_at) {
  using nlohmann::json;
  const Figures f = Derive(s);
  auto tally = [](const store::Tally& t) { return json{{"files", t.files}, {"bytes", t.bytes}}; };
  json out;
  out["database"] = database;
  out["schema_version"] = s.schema_version;
  out["generated_at"] = generated_at;
  out["totals"] = tally(f.total);
  json states = json::object();
  for (store::FileState state : store::kAllFileStates) {
    states[std::string(store::FileStateName(state))] = tally(f.by_state.at(state));
  }
  out["states"] = states;
  out["glacier"] = {
      {"need_restore", tally(f.need_restore)},
      {"need_restore_by_class",
       {{"GLACIER", tally(f.need_restore_glacier)},
        {"DEEP_ARCHIVE", tally(f.need_restore_deep)},
        {"INTELLIGENT_TIERING_ARCHIVE", tally(s.archived_other_discovered)}}},
      {"restores_in_flight", tally(f.restores_in_flight)},
  };
  out["rescan"] = {{"gone_before_download", tally(s.gone_before_download)},
                   {"gone_after_download", tally(s.gone_after_download)},
                   {"changed_with_previous_copy", tally(s.previous_copies)}};
  json buckets = json::array();
  for (const auto& b : s.buckets) {
    json jb = {{"name", b.name},
               {"region", b.region},
               {"versioning", b.versioning},
               {"scan_state", b.scan_state},
               {"scan_started_at", b.scan_started_at ? json(*b.scan_started_at) : json(nullptr)},
               {"scan_completed_at", b.scan_completed_at ? json(*b.scan_completed_at) : json(nullptr)},
               {"last_error", b.last_error ? json(*b.last_error) : json(nullptr)},
               {"listed_objects", b.listed_objects},
               {"listed_bytes", b.listed_bytes},
               {"noncurrent_versions", b.noncurrent_versions},
               {"delete_markers", b.delete_markers}};
    if (by_bucket) {
      json per_state = json::object();
      for (store::FileState state : store::kAllFileStates) {
        per_state[std::string(store::FileStateName(state))] = tally({});
      }
      for (const auto& g : s.bucket_groups) {
        if (g.bucket == b.name) per_state[std::string(store::FileStateName(g.state))] = tally(g.tally);
      }
      jb["states"] = per_state;
    }
    buckets.push_back(jb);
  }
  out["buckets"] = buckets;
  json workers = json::array();
  for (const auto& w : s.workers) {
    workers.push_back({{"id", w.id},
                       {"host", w.host},
                       {"pid", w.pid},
                       {"state", WorkerState(w)},
                       {"started_at", w.started_at},
                       {"heartbeat_at", w.heartbeat_at},
                       {"stopped_at", w.stopped_at ? json(*w.stopped_at) : json(nullptr)},
                       {"lease_seconds", w.lease_seconds},
                       {"objects", w.objects},
                       {"bytes", w.bytes}});
  }
  out["workers"] = workers;
  json restore = json::object();
  for (const auto& tier : cost.restore) {
    restore[tier.tier] = {{"glacier", tier.glacier}, {"deep_archive", tier.deep_archive},
                          {"total", tier.total()}};
  }
  json price_table = json::object();
  for (const auto& field : store::PriceFields()) price_table[field.name] = prices.*(field.member);
  out["cost_estimate"] = {
      {"currency", "USD"},
      {"restore", restore},
      {"configured_tier", cost.configured_tier},
      {"requests", cost.requests},
      {"get_requests", cost.get_requests},
      {"list_requests", cost.list_requests},
      {"transfer_out", cost.transfer_out},
      {"bytes_to_download", cost.to_download.bytes},
      {"early_deletion", cost.early_deletion},
      {"early_deletion_objects", tally(cost.early_deletion_objects)},
      {"total", cost.total},
      {"prices", price_table},
  };
  return out;
}

CLI::App* AddStatusCommand(CLI::App& app, StatusOptions& options) {
  CLI::App* cmd = app.add_subcommand("status", "Totals, per-state breakdown, Glacier summary, costs");
  cmd->add_flag("--json", options.json, "Print the same figures as JSON, for machines");
  cmd->add_flag("--by-bucket", options.by_bucket, "Add the breakdown of every bucket");
  cmd->footer(
      "Reads the state database only (safe while scan or migrate runs). The cost estimate uses\n"
      "AWS's public us-east-1 list prices; override any of them in the config file:\n"
      "  [prices]\n"
      "  glacier_standard_per_gb = 0.011\n"
      "  transfer_out_per_gb = 0.05\n"
      "\n"
      "Examples:\n"
      "  s3migrate status\n"
      "  s3migrate status --by-bucket\n"
      "  s3migrate status --json | jq '.states.error.files'\n"
      "\n"
      "Exit codes: 0 reported, 2 no database at --db, 3 database unusable.");
  return cmd;
}

Result<StatusFigures> ComputeStatus(store::StateStore& state, const Settings& settings,
                                    Clock::WallTime now, bool by_bucket) {
  store::SummaryOptions options;
  options.by_bucket = by_bucket;
  options.chunk_size = settings.download_chunk_size;
  options.now = now;
  StatusFigures figures;
  S3M_ASSIGN_OR_RETURN(figures.summary, state.Summarize(options));
  figures.cost = store::EstimateCost(figures.summary, settings.prices, settings.glacier_restore_tier);
  return figures;
}

int RunStatusCommand(const StatusOptions& options, CommandContext& ctx) {
  auto state = OpenStateForReading(ctx);
  if (!state.ok()) return FailCommand(state.status());
  const Settings& settings = ctx.settings();
  const Clock::WallTime now = Clock::Real().Now();
  auto figures = ComputeStatus(**state, settings, now, options.by_bucket);
  if (!figures.ok()) return FailCommand(figures.status());
  const store::Summary& summary = figures->summary;
  const store::CostEstimate& cost = figures->cost;
  if (options.json) {
    const auto json = RenderStatusJson(store::RedactPostgresUri(settings.state_db), summary, cost, settings.prices,
                                       options.by_bucket, FormatIso8601(now, Iso8601Precision::kSeconds));
    // Keys may hold bytes that are not UTF-8: replace them rather than fail.
    std::printf("%s\n", json.dump(2, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
  } else {
    std::fputs(RenderStatusText(store::RedactPostgresUri(settings.state_db), summary, cost, options.by_bucket)
                   .c_str(),
               stdout);
  }
  return kExitOk;
}

}  // namespace s3m::cli
