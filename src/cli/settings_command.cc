#include "cli/settings_command.h"

#include <algorithm>
#include <cstdio>

#include <fmt/format.h>

#include "cli/app.h"
#include "cli/settings_table.h"
#include "store/postgres.h"

namespace s3m::cli {

namespace {

// The S3 endpoint settings a flag or the file did not set are resolved from
// the AWS environment and profiles: shown as resolved.
std::optional<std::pair<std::string, std::string>> Resolved(std::string_view key,
                                                            const s3::AwsSettings& aws) {
  if (key == "endpoint_url" && !aws.endpoint_url.empty()) {
    return std::pair{fmt::format("\"{}\"", aws.endpoint_url), aws.endpoint_url_source};
  }
  if (key == "region" && !aws.region.empty()) {
    return std::pair{fmt::format("\"{}\"", aws.region), aws.region_source};
  }
  if (key == "profile" && !aws.profile.empty()) {
    return std::pair{fmt::format("\"{}\"", aws.profile), aws.profile_source};
  }
  return std::nullopt;
}

}  // namespace

std::string EffectiveSettingsText(const Settings& settings, const GlobalFlags& flags,
                                  const s3::AwsSettings& aws) {
  std::string out;
  // A PostgreSQL --db may carry a password: never shown.
  Settings shown = settings;
  shown.state_db = store::RedactPostgresUri(shown.state_db);
  for (const SettingSpec& spec : SettingSpecs()) {
    const std::string key(spec.key);
    std::optional<std::string> value = SettingValueToml(spec, shown);
    std::string source = "default";
    if (auto it = flags.settings.find(key); it != flags.settings.end() && !it->second.empty()) {
      source = std::string(spec.flag);
    } else if (std::find(settings.file_keys.begin(), settings.file_keys.end(), key) !=
               settings.file_keys.end()) {
      source = settings.config_file;
    } else if (auto resolved = Resolved(spec.key, aws)) {
      std::tie(value, source) = *resolved;
    }
    if (!value) value = fmt::format("({})", UnsetText(spec));
    out += fmt::format("{} = {}  # {}\n", key, *value, source);
  }
  return out;
}

CLI::App* AddSettingsCommand(CLI::App& app, SettingsOptions& options) {
  CLI::App* cmd = app.add_subcommand("settings", "Show the settings in effect and where each came from");
  cmd->add_flag("--reference", options.reference, "Print the reference of every setting (Markdown)");
  cmd->add_flag("--example", options.example, "Print an example config file (TOML)");
  cmd->footer(
      "Examples:\n"
      "  s3migrate settings                       # values in effect, and their source\n"
      "  s3migrate --config prod.toml --concurrency 8 settings\n"
      "  s3migrate settings --example > s3migrate.toml\n"
      "\n"
      "Exit codes: 0 done, 2 a setting is invalid (the message names it).");
  return cmd;
}

int RunSettingsCommand(const SettingsOptions& options, CommandContext& ctx) {
  std::string text;
  if (options.reference) {
    text = SettingsReferenceMarkdown();
  } else if (options.example) {
    text = ExampleConfigToml();
  } else {
    text = EffectiveSettingsText(ctx.settings(), ctx.flags(), ctx.aws());
  }
  std::fputs(text.c_str(), stdout);
  return kExitOk;
}

}  // namespace s3m::cli
