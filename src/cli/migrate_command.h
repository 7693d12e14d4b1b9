// `s3migrate migrate [--keep-source] [--dry-run]`: runs the engine
// (engine/migrator.h) until every object is done, with the progress block
// of PRODUCT.md §6 and a final summary.
#pragma once

#include <string>

#include <CLI/CLI.hpp>

#include "cli/context.h"

namespace s3m::cli {

struct MigrateCommandOptions {
  bool keep_source = false;
  bool dry_run = false;
  bool delete_size_only_verified = false;
  std::string http_token;  // --http-token: for a status page on a non-loopback address
};

CLI::App* AddMigrateCommand(CLI::App& app, MigrateCommandOptions& options);
int RunMigrateCommand(const MigrateCommandOptions& options, CommandContext& ctx);

// The number of parallel transfers when the user did not choose one.
int DefaultConcurrency();

}  // namespace s3m::cli
