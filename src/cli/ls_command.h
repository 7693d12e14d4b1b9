// `s3migrate ls [BUCKET[/PREFIX]]`: what the credentials can see, before any
// scan. Lists buckets (with their discovered regions) or a bucket's objects.
#pragma once

#include <CLI/CLI.hpp>

#include "cli/context.h"

namespace s3m::cli {

struct LsOptions {
  std::string target;  // "" | "bucket" | "bucket/prefix"
  bool versions = false;
  bool recursive = false;
};

CLI::App* AddLsCommand(CLI::App& app, LsOptions& options);
int RunLsCommand(const LsOptions& options, CommandContext& ctx);

}  // namespace s3m::cli
