// `s3migrate settings`: every setting's value in effect and where it came
// from (flag, config file, AWS environment or profile, default); with
// --reference the reference of every setting (docs/settings.md, the man
// page), with --example an example config file (data/s3migrate.toml). All
// three come from the settings table (settings_table.h).
#pragma once

#include <CLI/CLI.hpp>

#include "cli/context.h"

namespace s3m::cli {

struct SettingsOptions {
  bool reference = false;
  bool example = false;
};

CLI::App* AddSettingsCommand(CLI::App& app, SettingsOptions& options);
int RunSettingsCommand(const SettingsOptions& options, CommandContext& ctx);

// "key = value  # source" lines for `settings`.
std::string EffectiveSettingsText(const Settings& settings, const GlobalFlags& flags,
                                  const s3::AwsSettings& aws);

}  // namespace s3m::cli
