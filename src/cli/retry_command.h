// `s3migrate retry [--bucket B]`: put every object in 'error' back to
// 'discovered' so the next migrate tries it again. Objects that rescan found
// gone from S3 stay in 'error' (nothing is left to download); `reset` one to
// insist.
#pragma once

#include <optional>
#include <string>

#include <CLI/CLI.hpp>

#include "cli/context.h"

namespace s3m::cli {

struct RetryOptions {
  std::optional<std::string> bucket;
};

CLI::App* AddRetryCommand(CLI::App& app, RetryOptions& options);
int RunRetryCommand(const RetryOptions& options, CommandContext& ctx);

}  // namespace s3m::cli
