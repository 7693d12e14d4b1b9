// `s3migrate report [--html FILE] [--json FILE]`: the migration's report
// (watch/report.h) from the state database alone; "-" writes to stdout.
#pragma once

#include <string>

#include <CLI/CLI.hpp>

#include "cli/context.h"

namespace s3m::cli {

struct ReportOptions {
  std::string html;
  std::string json;
};

CLI::App* AddReportCommand(CLI::App& app, ReportOptions& options);
int RunReportCommand(const ReportOptions& options, CommandContext& ctx);

}  // namespace s3m::cli
