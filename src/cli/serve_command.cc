#include "cli/serve_command.h"

#include <chrono>
#include <thread>

#include "cli/app.h"
#include "cli/state_commands.h"
#include "cli/watch_source.h"

namespace s3m::cli {

CLI::App* AddServeCommand(CLI::App& app, ServeOptions& options) {
  CLI::App* cmd = app.add_subcommand(
      "serve", "Serve the live status page and /metrics from the state database (read-only)");
  AddHttpTokenOption(*cmd, options.http_token);
  cmd->footer(
      "Listens on --http (setting http_listen; default 127.0.0.1:8080). Read-only: works while\n"
      "migrate runs (its stored progress samples draw the charts) and after it finished.\n"
      "\n"
      "Examples:\n"
      "  s3migrate serve                                  # http://127.0.0.1:8080/\n"
      "  s3migrate --http 0.0.0.0:8080 --http-token-file /etc/s3migrate/token serve\n"
      "  curl -s http://127.0.0.1:8080/metrics\n"
      "\n"
      "Exit codes: 0 stopped by Ctrl+C, 2 no database at --db or a bad --http, 3 cannot listen\n"
      "or database unusable.");
  return cmd;
}

int RunServeCommand(const ServeOptions& options, CommandContext& ctx) {
  // A missing or unusable database is said now, not on the first request.
  {
    auto state = OpenStateForReading(ctx);
    if (!state.ok()) return FailCommand(state.status());
  }
  const std::string& listen = ctx.settings().http_listen;
  auto server = StartStatusServer(ctx, listen.empty() ? "127.0.0.1:8080" : listen, options.http_token, nullptr);
  if (!server.ok()) return FailCommand(server.status());
  while (!ctx.cancelled().load()) std::this_thread::sleep_for(std::chrono::milliseconds(200));
  return kExitOk;
}

}  // namespace s3m::cli
