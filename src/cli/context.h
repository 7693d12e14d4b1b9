// What every command needs, built once from the parsed flags: settings merged
// from all sources, and (lazily) the object store client.
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "cli/config.h"
#include "core/rate_limit.h"
#include "core/status.h"
#include "s3/aws_config.h"
#include "s3/object_store.h"

namespace s3m::cli {

// Flags common to every command, as given on the command line.
struct GlobalFlags {
  std::string config;
  bool no_progress = false;
  // Settings given as flags (settings_table.h), by key, as typed: the last
  // one counts, except for lists, which collect every occurrence.
  std::map<std::string, std::vector<std::string>> settings;
};

// The config file these flags read: --config, else ./s3migrate.toml when
// present, else "" (none).
std::string ConfigPathFor(const GlobalFlags& flags);
// The settings: defaults, the config file, then the flags over it; validated.
Result<Settings> ResolveSettings(const GlobalFlags& flags);

class CommandContext {
 public:
  // Loads the config file, applies flags over it, validates, sets the log level.
  static Result<std::unique_ptr<CommandContext>> Create(const GlobalFlags& flags);

  const Settings& settings() const { return settings_; }
  const GlobalFlags& flags() const { return flags_; }
  // The S3 client, created on first use (resolves region, endpoint and the
  // credential chain; does not contact the server).
  Result<s3::ObjectStore*> Store();
  const s3::AwsSettings& aws() const { return aws_; }
  // max_requests_per_second's budget, which the client takes its slots from
  // (null: no limit).
  const std::shared_ptr<RateLimit>& request_limit() const { return request_limit_; }
  // Set by the SIGINT handler; long operations poll it.
  std::atomic<bool>& cancelled() { return cancelled_; }

 private:
  CommandContext() = default;
  GlobalFlags flags_;
  Settings settings_;
  s3::AwsSettings aws_;
  std::unique_ptr<s3::ObjectStore> store_;
  std::shared_ptr<RateLimit> request_limit_;
  std::atomic<bool> cancelled_{false};
};

// Maps a failed command's status to the documented exit code (PRODUCT.md §1).
int ExitCodeFor(const Status& status);

// Prints "s3migrate: error: ..." with the status and a hint for the user.
void ReportError(const Status& status);

}  // namespace s3m::cli
