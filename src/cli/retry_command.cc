#include "cli/retry_command.h"

#include <cstdio>

#include <fmt/format.h>

#include "cli/app.h"
#include "cli/state_commands.h"

namespace s3m::cli {

CLI::App* AddRetryCommand(CLI::App& app, RetryOptions& options) {
  CLI::App* cmd = app.add_subcommand("retry", "Put every object in 'error' back to 'discovered'");
  cmd->add_option("--bucket", options.bucket, "Only objects of this bucket");
  cmd->footer(
      "Examples:\n"
      "  sqlite3 s3_migration_state.db \"SELECT bucket, key, error_message FROM files WHERE state = 'error'\"\n"
      "  s3migrate retry\n"
      "  s3migrate retry --bucket photos\n"
      "\n"
      "Exit codes: 0 done (also when nothing was in error), 2 unknown bucket,\n"
      "            3 database unusable or in use by another command.");
  return cmd;
}

int RunRetryCommand(const RetryOptions& options, CommandContext& ctx) {
  auto state = OpenScannedStateForWriting(ctx, "retry");
  if (!state.ok()) return FailCommand(state.status());
  auto outcome = (*state)->RetryErrors(options.bucket);
  if (!outcome.ok()) return FailCommand(outcome.status());
  const std::string where = options.bucket ? " in " + ObjectUrl(*options.bucket) : "";
  if (outcome->retried == 0) {
    std::printf("no objects in 'error'%s to retry; nothing changed\n", where.c_str());
  } else {
    std::printf("%s object%s in 'error'%s put back to 'discovered'; the next `s3migrate migrate` "
                "tries them again\n",
                FormatCount(outcome->retried).c_str(), outcome->retried == 1 ? "" : "s",
                where.c_str());
  }
  if (outcome->gone_left > 0) {
    std::printf("%s object%s gone from S3 %s in 'error' (nothing left to download; "
                "`s3migrate reset BUCKET KEY` one to try anyway)\n",
                FormatCount(outcome->gone_left).c_str(), outcome->gone_left == 1 ? "" : "s",
                outcome->gone_left == 1 ? "stays" : "stay");
  }
  return kExitOk;
}

}  // namespace s3m::cli
