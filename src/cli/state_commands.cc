#include "cli/state_commands.h"

#include <sys/stat.h>

#include <cerrno>

#include <fmt/format.h>

#include "cli/format.h"
#include "store/postgres.h"

namespace s3m::cli {

Result<std::unique_ptr<store::StateStore>> OpenStateForWriting(const CommandContext& ctx,
                                                               const std::string& command,
                                                               store::Synchronous synchronous,
                                                               store::WorkerGroup workers) {
  store::StoreOptions options;
  options.mode = store::OpenMode::kWrite;
  options.command = command;
  options.synchronous = synchronous;
  options.workers = workers;
  return store::StateStore::Open(ctx.settings().state_db, options);
}

Result<std::unique_ptr<store::StateStore>> OpenScannedStateForWriting(const CommandContext& ctx,
                                                                      const std::string& command,
                                                                      store::Synchronous synchronous,
                                                                      store::WorkerGroup workers) {
  const std::string& path = ctx.settings().state_db;
  auto nothing_scanned = [&](const std::string& why) {
    ErrorContext where;
    where.operation = command;
    where.path = store::RedactPostgresUri(path);
    return Status::Error(ErrorKind::kInvalidArgument,
                         fmt::format("nothing scanned yet ({}); run `s3migrate scan` first, or point "
                                     "--db (state_db) at the database scan wrote",
                                     why),
                         where);
  };
  struct stat st {};
  if (!store::IsPostgresUri(path) && ::stat(path.c_str(), &st) != 0 && errno == ENOENT) {
    return nothing_scanned("no state database here");  // and none is created
  }
  S3M_ASSIGN_OR_RETURN(auto state, OpenStateForWriting(ctx, command, synchronous, workers));
  S3M_ASSIGN_OR_RETURN(std::vector<store::BucketRecord> buckets, state->Buckets());
  if (buckets.empty()) return nothing_scanned("the state database records no bucket");
  return state;
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
