#include "cli/report_command.h"

#include <cerrno>
#include <cstdio>

#include <fmt/format.h>

#include "cli/app.h"
#include "cli/state_commands.h"
#include "cli/watch_source.h"
#include "watch/report.h"

namespace s3m::cli {

namespace {

// Writes `text` to `path` ("-": stdout) through a temporary file renamed into
// place, so a reader never sees half a report.
Status WriteOutput(const std::string& path, const std::string& text) {
  if (path == "-") {
    std::fwrite(text.data(), 1, text.size(), stdout);
    return Status::Ok();
  }
  const std::string temp = path + ".tmp";
  std::FILE* f = std::fopen(temp.c_str(), "wb");
  if (f == nullptr) return Status::FromErrno(errno, "create the report", temp);
  const bool written = std::fwrite(text.data(), 1, text.size(), f) == text.size();
  const bool closed = std::fclose(f) == 0;
  if (!written || !closed || std::rename(temp.c_str(), path.c_str()) != 0) {
    const int err = errno;
    std::remove(temp.c_str());
    return Status::FromErrno(err, "write the report", path);
  }
  return Status::Ok();
}

}  // namespace

CLI::App* AddReportCommand(CLI::App& app, ReportOptions& options) {
  CLI::App* cmd = app.add_subcommand(
      "report", "Write the migration's report: what moved, verified how, what stays and why, costs, timings");
  cmd->add_option("--html", options.html, "One self-contained HTML file (inline charts, no script); - for stdout");
  cmd->add_option("--json", options.json, "The same figures as JSON; - for stdout");
  cmd->footer(
      "Reads the state database only (works while migrate runs, and after S3 is empty).\n"
      "\n"
      "Examples:\n"
      "  s3migrate report --html migration-report.html\n"
      "  s3migrate report --json - | jq '.costs_spent.total'\n"
      "\n"
      "Exit codes: 0 written, 2 no database at --db or neither --html nor --json, 3 database\n"
      "unusable or the file cannot be written.");
  return cmd;
}

int RunReportCommand(const ReportOptions& options, CommandContext& ctx) {
  if (options.html.empty() && options.json.empty()) {
    return FailCommand(Status::Error(ErrorKind::kInvalidArgument,
                                     "report: say where to write it: --html FILE and/or --json FILE"));
  }
  auto state = OpenStateForReading(ctx);
  if (!state.ok()) return FailCommand(state.status());
  const Settings& settings = ctx.settings();
  watch::ReportData data;
  auto gathered = GatherWatchData(**state, settings, Clock::Real().Now());
  if (!gathered.ok()) return FailCommand(gathered.status());
  data.watch = std::move(*gathered);
  auto figures = (*state)->ReportAggregates();
  if (!figures.ok()) return FailCommand(figures.status());
  data.figures = std::move(*figures);
  data.spent = store::EstimateSpent(data.watch.summary, data.figures.restores, settings.prices);
  if (!options.json.empty()) {
    const std::string text =
        watch::ReportJson(data).dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
    if (Status s = WriteOutput(options.json, text); !s.ok()) return FailCommand(s);
  }
  if (!options.html.empty()) {
    if (Status s = WriteOutput(options.html, watch::ReportHtml(data)); !s.ok()) return FailCommand(s);
  }
  return kExitOk;
}

}  // namespace s3m::cli
