#include "cli/state_transfer_command.h"

#include <cstdio>

#include <fmt/format.h>

#include "cli/app.h"
#include "cli/state_commands.h"
#include "store/postgres.h"
#include "store/state_transfer.h"

namespace s3m::cli {

namespace {

std::string CountsText(const store::TransferCounts& counts) {
  std::string text;
  for (const auto& [table, rows] : counts) {
    text += fmt::format("{}{} {}", text.empty() ? "" : ", ", FormatCount(rows), table);
  }
  return text;
}

Status NeedsUri(const std::string& flag, const std::string& value) {
  return Status::Error(ErrorKind::kInvalidArgument,
                       fmt::format("state: {} '{}' is not a PostgreSQL URI "
                                   "(postgresql://USER@HOST:PORT/DBNAME)",
                                   flag, store::RedactPostgresUri(value)));
}

}  // namespace

CLI::App* AddStateCommand(CLI::App& app, StateTransferOptions& options) {
  CLI::App* cmd = app.add_subcommand("state", "Move the state database between SQLite and PostgreSQL");
  cmd->require_subcommand(1);
  options.export_cmd = cmd->add_subcommand(
      "export", "Copy the SQLite state database (--db) into an empty PostgreSQL database");
  options.export_cmd->add_option("--to", options.to, "postgresql://USER@HOST:PORT/DBNAME")->required();
  options.import_cmd = cmd->add_subcommand(
      "import", "Copy an exported PostgreSQL state into a new SQLite database (--db)");
  options.import_cmd->add_option("--from", options.from, "postgresql://USER@HOST:PORT/DBNAME")->required();
  cmd->footer(
      "The PostgreSQL side has the same tables, columns and state strings as SQLite (query it\n"
      "with psql as with sqlite3). One transaction on each side; an export needs a database\n"
      "without s3migrate tables, an import a --db file that does not exist: nothing is merged\n"
      "or overwritten. Passwords come from the URI, PGPASSWORD or ~/.pgpass and are never\n"
      "printed. Stop migrate first: the export is a snapshot.\n"
      "\n"
      "Examples:\n"
      "  s3migrate state export --to postgresql://s3m@db.example:5432/migration\n"
      "  s3migrate --db restored.db state import --from postgresql://s3m@db.example/migration\n"
      "\n"
      "Exit codes: 0 copied, 2 usage (target not empty, --db exists, not a URI), 3 a database\n"
      "could not be read or written (nothing was committed on the target).");
  return cmd;
}

int RunStateCommand(const StateTransferOptions& options, CommandContext& ctx) {
  const std::string& sqlite = ctx.settings().state_db;
  if (store::IsPostgresUri(sqlite)) {
    return FailCommand(Status::Error(ErrorKind::kInvalidArgument,
                                     "state export/import: --db names the SQLite side (a file); the "
                                     "PostgreSQL side is --to / --from"));
  }
  if (options.export_cmd->parsed()) {
    if (!store::IsPostgresUri(options.to)) return FailCommand(NeedsUri("--to", options.to));
    auto counts = store::ExportToPostgres(sqlite, options.to);
    if (!counts.ok()) return FailCommand(counts.status());
    std::printf("exported %s to %s: %s\n", sqlite.c_str(), store::RedactPostgresUri(options.to).c_str(),
                CountsText(*counts).c_str());
    return kExitOk;
  }
  if (!store::IsPostgresUri(options.from)) return FailCommand(NeedsUri("--from", options.from));
  auto counts = store::ImportFromPostgres(options.from, sqlite);
  if (!counts.ok()) return FailCommand(counts.status());
  std::printf("imported %s into %s: %s\n", store::RedactPostgresUri(options.from).c_str(), sqlite.c_str(),
              CountsText(*counts).c_str());
  return kExitOk;
}

}  // namespace s3m::cli
