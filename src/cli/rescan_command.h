// `s3migrate rescan BUCKET... | --all`: list buckets again and reconcile:
// new objects are added; an object whose ETag, size or version changed goes
// back to 'discovered' (a complete older local copy is recorded as the
// previous copy and kept until the new one is verified); an object no longer
// listed is marked gone (state 'error' with gone_at set if it was not yet
// downloaded) and reported.
#pragma once

#include <CLI/CLI.hpp>

#include "cli/context.h"
#include "cli/scan_command.h"

namespace s3m::cli {

CLI::App* AddRescanCommand(CLI::App& app, ScanCommandOptions& options);
int RunRescanCommand(const ScanCommandOptions& options, CommandContext& ctx);

}  // namespace s3m::cli
