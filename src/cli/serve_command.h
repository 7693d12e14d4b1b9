// `s3migrate serve`: the live status page and /metrics from the state
// database alone — for a migrate started without --http (its stored progress
// samples draw the charts), or for a finished migration. Runs until Ctrl+C.
#pragma once

#include <string>

#include <CLI/CLI.hpp>

#include "cli/context.h"

namespace s3m::cli {

struct ServeOptions {
  std::string http_token;
};

CLI::App* AddServeCommand(CLI::App& app, ServeOptions& options);
int RunServeCommand(const ServeOptions& options, CommandContext& ctx);

}  // namespace s3m::cli
