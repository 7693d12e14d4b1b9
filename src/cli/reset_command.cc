#include "cli/reset_command.h"

#include <cstdio>

#include <fmt/format.h>

#include "cli/app.h"
#include "cli/state_commands.h"

namespace s3m::cli {

CLI::App* AddResetCommand(CLI::App& app, ResetOptions& options) {
  CLI::App* cmd = app.add_subcommand("reset", "Put one object back to 'discovered'");
  cmd->add_option("bucket", options.bucket, "Bucket")->required();
  cmd->add_option("key", options.key, "Key, exactly as in S3")->required();
  cmd->footer(
      "Examples:\n"
      "  s3migrate reset photos 2020/beach.jpg\n"
      "  s3migrate reset photos 'dir with spaces/file name.txt'\n"
      "\n"
      "Exit codes: 0 reset (or already discovered), 2 no such object in the database or\n"
      "            already deleted from S3, 3 database unusable or in use by another command.");
  return cmd;
}

int RunResetCommand(const ResetOptions& options, CommandContext& ctx) {
  auto state = OpenScannedStateForWriting(ctx, "reset");
  if (!state.ok()) return FailCommand(state.status());
  auto previous = (*state)->ResetObject(options.bucket, options.key);
  if (!previous.ok()) return FailCommand(previous.status());
  const std::string url = ObjectUrl(options.bucket, options.key);
  if (*previous == store::FileState::kDiscovered) {
    std::printf("%s was already 'discovered'; attempts and error cleared\n", url.c_str());
  } else {
    std::printf("%s: %s -> discovered (attempts and error cleared); the next `s3migrate migrate` "
                "fetches it again\n",
                url.c_str(), std::string(store::FileStateName(*previous)).c_str());
  }
  return kExitOk;
}

}  // namespace s3m::cli
