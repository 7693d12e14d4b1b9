#include "cli/context.h"

#include <sys/stat.h>

#include <chrono>
#include <cmath>
#include <cstdio>

#include <fmt/format.h>

#include "cli/app.h"
#include "cli/settings_table.h"
#include "core/logging.h"
#include "s3/client.h"
#include "s3/credentials.h"

namespace s3m::cli {

std::string ConfigPathFor(const GlobalFlags& flags) {
  // --config FILE must exist; ./s3migrate.toml is read only when present.
  if (!flags.config.empty()) return flags.config;
  struct stat st {};
  return ::stat("s3migrate.toml", &st) == 0 ? "s3migrate.toml" : "";
}

Result<Settings> ResolveSettings(const GlobalFlags& flags) {
  Settings s;
  const std::string config_path = ConfigPathFor(flags);
  if (!config_path.empty()) S3M_RETURN_IF_ERROR(LoadConfigFile(config_path, s));

  for (const auto& [key, values] : flags.settings) {
    const SettingSpec* spec = FindSetting(key);
    if (spec == nullptr || values.empty()) continue;
    if (spec->type == SettingType::kTextList) {
      (s.*std::get<std::vector<std::string> Settings::*>(spec->field)).clear();
      for (const std::string& v : values) S3M_RETURN_IF_ERROR(SetSettingFromText(*spec, v, s));
    } else {
      S3M_RETURN_IF_ERROR(SetSettingFromText(*spec, values.back(), s));
    }
  }
  S3M_RETURN_IF_ERROR(ValidateSettings(s));
  return s;
}

Result<std::unique_ptr<CommandContext>> CommandContext::Create(const GlobalFlags& flags) {
  std::unique_ptr<CommandContext> ctx(new CommandContext());
  ctx->flags_ = flags;
  S3M_ASSIGN_OR_RETURN(ctx->settings_, ResolveSettings(flags));
  const Settings& s = ctx->settings_;

  LogLevel level;
  if (!ParseLogLevel(s.log_level, &level)) {
    return Status::Error(ErrorKind::kInvalidArgument,
                         fmt::format("log level \"{}\" is not one of debug, info, warn, error, off",
                                     s.log_level));
  }
  SetLogLevel(level);

  s3::AwsSettingsOverrides overrides;
  if (!s.profile.empty()) overrides.profile = s.profile;
  if (!s.region.empty()) overrides.region = s.region;
  if (!s.endpoint_url.empty()) overrides.endpoint_url = s.endpoint_url;
  overrides.path_style = s.path_style;
  S3M_ASSIGN_OR_RETURN(ctx->aws_, s3::ResolveAwsSettings(overrides, s3::SystemEnv()));
  S3M_LOG_DEBUG("region {} (from {}), endpoint {} (from {}), profile {} (from {})",
                ctx->aws_.region, ctx->aws_.region_source,
                ctx->aws_.endpoint_url.empty() ? "AWS" : ctx->aws_.endpoint_url,
                ctx->aws_.endpoint_url_source, ctx->aws_.profile, ctx->aws_.profile_source);
  return ctx;
}

Result<s3::ObjectStore*> CommandContext::Store() {
  if (store_) return store_.get();
  s3::TransportOptions transport_options;
  transport_options.ca_bundle = aws_.ca_bundle;
  transport_options.low_speed_time =
      std::chrono::seconds(static_cast<int64_t>(std::ceil(settings_.stall_timeout)));
  s3::CredentialsChainOptions chain;
  chain.profile = aws_.profile;
  chain.config_file = aws_.config_file;
  chain.credentials_file = aws_.credentials_file;

  s3::S3ClientOptions options;
  options.endpoint_url = aws_.endpoint_url;
  options.default_region = aws_.region;
  options.force_path_style = aws_.path_style;
  options.transport = s3::MakeCurlTransport(transport_options);
  options.credentials = s3::MakeDefaultCredentialsChain(chain);
  options.cancelled = &cancelled_;
  if (settings_.max_requests_per_second > 0) {
    request_limit_ = std::make_shared<RateLimit>(Clock::Real(), settings_.max_requests_per_second);
  }
  options.rate_limit = request_limit_;
  S3M_ASSIGN_OR_RETURN(auto client, s3::S3Client::Create(std::move(options)));
  store_ = std::move(client);
  return store_.get();
}

int ExitCodeFor(const Status& status) {
  // No default: a new ErrorKind must be given its exit code here (-Wswitch).
  // A command that fails as a whole with any per-object kind (the retries
  // gave up, the bucket is gone, ...) is a fatal runtime error: objects that
  // end in `error` within a finished run are counted by the command itself
  // (kExitObjectsInError), not mapped here.
  switch (status.kind()) {
    case ErrorKind::kOk: return kExitOk;
    case ErrorKind::kInvalidArgument: return kExitUsage;
    case ErrorKind::kCancelled: return kExitInterrupted;
    case ErrorKind::kTransient:
    case ErrorKind::kThrottled:
    case ErrorKind::kNotFound:
    case ErrorKind::kAuth:
    case ErrorKind::kAccessDenied:
    case ErrorKind::kNeedsRestore:
    case ErrorKind::kConflict:
    case ErrorKind::kPreconditionFailed:
    case ErrorKind::kUnsupported:
    case ErrorKind::kStateLost:
    case ErrorKind::kFatal: return kExitFatal;
  }
  return kExitFatal;  // not reached: every kind is handled above
}

void ReportError(const Status& status) {
  std::string hint;
  switch (status.kind()) {
    case ErrorKind::kTransient:
    case ErrorKind::kThrottled:
      hint = "the server kept failing after retries; check the endpoint and network, then run the "
             "command again";
      break;
    case ErrorKind::kNotFound:
      hint = "check the bucket and key names";
      break;
    case ErrorKind::kStateLost:
      hint = "the state database ended the session; once it answers, run the command again: it resumes";
      break;
    default:
      break;
  }
  std::fprintf(stderr, "s3migrate: error: %s\n", status.ToString().c_str());
  if (!hint.empty()) std::fprintf(stderr, "s3migrate: hint: %s\n", hint.c_str());
}

}  // namespace s3m::cli
