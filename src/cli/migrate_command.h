// `s3migrate migrate [--keep-source] [--dry-run]`: runs the engine
// (engine/migrator.h) until every object is done, with the progress block
// of PRODUCT.md §6 and a final summary.
#pragma once

#include <CLI/CLI.hpp>

#include "cli/context.h"

namespace s3m::cli {

struct MigrateCommandOptions {
  bool keep_source = false;
  bool dry_run = false;
  bool delete_size_only_verified = false;
};

CLI::App* AddMigrateCommand(CLI::App& app, MigrateCommandOptions& options);
int RunMigrateCommand(const MigrateCommandOptions& options, CommandContext& ctx);

// The number of parallel transfers when the user did not choose one.
int DefaultConcurrency();

}  // namespace s3m::cli
