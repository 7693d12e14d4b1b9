#include "cli/state_commands.h"

#include <fmt/format.h>

#include "cli/format.h"

namespace s3m::cli {

Result<std::unique_ptr<store::StateStore>> OpenStateForWriting(const CommandContext& ctx,
                                                               const std::string& command,
                                                               store::Synchronous synchronous) {
  store::StoreOptions options;
  options.mode = store::OpenMode::kWrite;
  options.command = command;
  options.synchronous = synchronous;
  return store::StateStore::Open(ctx.settings().state_db, options);
}

Result<std::unique_ptr<store::StateStore>> OpenStateForReading(const CommandContext& ctx) {
  store::StoreOptions options;
  options.mode = store::OpenMode::kRead;
  options.command = "status";
  return store::StateStore::Open(ctx.settings().state_db, options);
}

std::string ObjectUrl(const std::string& bucket, const std::string& key) {
  return key.empty() ? fmt::format("s3://{}", PrintableKey(bucket))
                     : fmt::format("s3://{}/{}", PrintableKey(bucket), PrintableKey(key));
}

int FailCommand(const Status& status) {
  ReportError(status);
  return ExitCodeFor(status);
}

}  // namespace s3m::cli
