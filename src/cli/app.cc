#include "cli/app.h"

#include <unistd.h>

#include <csignal>
#include <cstdio>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <fmt/ranges.h>

#include "cli/context.h"
#include "cli/settings_command.h"
#include "cli/settings_table.h"
#include "core/interrupt.h"
#include "cli/ls_command.h"
#include "cli/migrate_command.h"
#include "cli/rescan_command.h"
#include "cli/reset_command.h"
#include "cli/retry_command.h"
#include "cli/scan_command.h"
#include "cli/report_command.h"
#include "cli/serve_command.h"
#include "cli/state_transfer_command.h"
#include "cli/status_command.h"
#include "cli/verify_command.h"
#include "cli/version.h"

namespace s3m::cli {

namespace {

std::atomic<bool>* g_cancel_flag = nullptr;

extern "C" void OnInterrupt(int) {
  // Only async-signal-safe work here: set the flag the commands poll. A
  // second signal exits at once: every state change is a committed
  // transaction and every file is written atomically, so the state stays
  // consistent and the next run resumes.
  if (g_cancel_flag == nullptr) return;
  if (g_cancel_flag->exchange(true)) _exit(130);
  InterruptWatch::Instance().NotifyFromSignalHandler();
  static const char kMessage[] =
      "\ns3migrate: stopping after the transfers in flight (Ctrl+C again to exit at once)\n";
  (void)!write(STDERR_FILENO, kMessage, sizeof kMessage - 1);
}

std::string FlagTypeName(const SettingSpec& spec) {
  switch (spec.type) {
    case SettingType::kInteger: return "INT";
    case SettingType::kSeconds: return "SECONDS";
    case SettingType::kBytes: return "BYTES";
    case SettingType::kChoice: return fmt::format("{{{}}}", fmt::join(spec.choices, ","));
    case SettingType::kTextList: return "GLOB";
    default: return spec.key == "endpoint_url" ? "URL" : "TEXT";
  }
}

// The settings that have a flag come from the settings table; values are
// checked with every other source (ValidateSettings), so a bad flag gets the
// same message as a bad config line, and exit 2.
void AddSettingFlag(CLI::App& app, const SettingSpec& spec, GlobalFlags& flags) {
  const std::string key(spec.key);
  const std::optional<std::string> value = SettingValueToml(spec, Settings{});
  const std::string help =
      fmt::format("{} (setting {}; default {})", spec.help, key,
                  value ? *value : std::string(UnsetText(spec)));
  const std::string flag(spec.flag);
  CLI::Option* option = nullptr;
  if (spec.type == SettingType::kBoolean) {
    // "--no-xattrs" turns its setting off, any other switch on.
    const std::string value = flag.rfind("--no-", 0) == 0 ? "false" : "true";
    app.add_flag_callback(flag, [&flags, key, value] { flags.settings[key] = {value}; }, help);
  } else if (spec.type == SettingType::kTextList) {
    option = app.add_option_function<std::vector<std::string>>(
        flag, [&flags, key](const std::vector<std::string>& v) { flags.settings[key] = v; }, help);
  } else {
    option = app.add_option_function<std::string>(
        flag, [&flags, key](const std::string& v) { flags.settings[key] = {v}; }, help);
  }
  if (option != nullptr) option->type_name(FlagTypeName(spec));
}

void AddGlobalOptions(CLI::App& app, GlobalFlags& flags) {
  app.add_option("--config", flags.config, "TOML settings file (default: ./s3migrate.toml if present)");
  for (const SettingSpec& spec : SettingSpecs()) {
    if (!spec.flag.empty()) AddSettingFlag(app, spec, flags);
  }
  app.add_flag("--no-progress", flags.no_progress, "Do not print the progress block");
}

}  // namespace

int RunCli(int argc, char** argv) {
  CLI::App app{
      "s3migrate moves every object out of Amazon S3 (and S3-compatible stores) onto local "
      "disk, and deletes each object from S3 only after its local copy is proven identical."};
  app.name("s3migrate");
  app.set_version_flag("--version", VersionText());
  app.require_subcommand(1);
  app.fallthrough();  // global options may follow the command name too
  GlobalFlags flags;
  AddGlobalOptions(app, flags);
  app.footer(
      "Examples:\n"
      "  s3migrate ls                                   # buckets these credentials can see\n"
      "  s3migrate --endpoint-url http://127.0.0.1:9000 ls -r photos\n"
      "  s3migrate scan                                 # inventory every bucket\n"
      "  s3migrate status                               # totals, states, Glacier, costs\n"
      "  s3migrate migrate                              # download, verify, delete: until done\n"
      "  s3migrate verify                               # re-check local copies, S3 not needed\n"
      "  s3migrate --http 127.0.0.1:8080 migrate        # with a live page and /metrics\n"
      "  s3migrate report --html report.html            # what moved, how verified, costs\n"
      "\n"
      "Exit codes: 0 done, 1 objects in error or waiting for disk space, 2 usage or\n"
      "            configuration error,"
      " 3 fatal runtime error, 130 interrupted (state saved, resumable).");

  LsOptions ls_options;
  CLI::App* ls = AddLsCommand(app, ls_options);
  ScanCommandOptions scan_options;
  CLI::App* scan = AddScanCommand(app, scan_options);
  ScanCommandOptions rescan_options;
  CLI::App* rescan = AddRescanCommand(app, rescan_options);
  StatusOptions status_options;
  CLI::App* status = AddStatusCommand(app, status_options);
  ResetOptions reset_options;
  CLI::App* reset = AddResetCommand(app, reset_options);
  RetryOptions retry_options;
  CLI::App* retry = AddRetryCommand(app, retry_options);
  MigrateCommandOptions migrate_options;
  CLI::App* migrate = AddMigrateCommand(app, migrate_options);
  SettingsOptions settings_options;
  CLI::App* settings = AddSettingsCommand(app, settings_options);
  VerifyOptions verify_options;
  CLI::App* verify = AddVerifyCommand(app, verify_options);
  ServeOptions serve_options;
  CLI::App* serve = AddServeCommand(app, serve_options);
  ReportOptions report_options;
  CLI::App* report = AddReportCommand(app, report_options);
  StateTransferOptions state_options;
  CLI::App* state = AddStateCommand(app, state_options);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e);
    return rc == 0 ? kExitOk : kExitUsage;
  }

  auto ctx = CommandContext::Create(flags);
  if (!ctx.ok()) {
    ReportError(ctx.status());
    return ExitCodeFor(ctx.status());
  }
  g_cancel_flag = &(*ctx)->cancelled();
  // A closed pipe on stdout (`s3migrate migrate | head`) must not kill a
  // run mid-transfer: writes fail with EPIPE instead, and are ignored.
  std::signal(SIGPIPE, SIG_IGN);
  InterruptWatch::Instance();  // created before a handler could need it
  std::signal(SIGINT, OnInterrupt);
  std::signal(SIGTERM, OnInterrupt);

  if (ls->parsed()) return RunLsCommand(ls_options, **ctx);
  if (scan->parsed()) return RunScanCommand(scan_options, **ctx);
  if (rescan->parsed()) return RunRescanCommand(rescan_options, **ctx);
  if (status->parsed()) return RunStatusCommand(status_options, **ctx);
  if (reset->parsed()) return RunResetCommand(reset_options, **ctx);
  if (retry->parsed()) return RunRetryCommand(retry_options, **ctx);
  if (migrate->parsed()) return RunMigrateCommand(migrate_options, **ctx);
  if (settings->parsed()) return RunSettingsCommand(settings_options, **ctx);
  if (verify->parsed()) return RunVerifyCommand(verify_options, **ctx);
  if (serve->parsed()) return RunServeCommand(serve_options, **ctx);
  if (report->parsed()) return RunReportCommand(report_options, **ctx);
  if (state->parsed()) return RunStateCommand(state_options, **ctx);
  return kExitUsage;
}

}  // namespace s3m::cli
