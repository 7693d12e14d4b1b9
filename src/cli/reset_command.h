// `s3migrate reset BUCKET KEY`: put one object back to 'discovered' (attempts
// and error cleared), e.g. after fixing what made it fail, or to fetch a copy
// again. An object already deleted from S3 cannot be reset.
#pragma once

#include <string>

#include <CLI/CLI.hpp>

#include "cli/context.h"

namespace s3m::cli {

struct ResetOptions {
  std::string bucket;
  std::string key;
};

CLI::App* AddResetCommand(CLI::App& app, ResetOptions& options);
int RunResetCommand(const ResetOptions& options, CommandContext& ctx);

}  // namespace s3m::cli
