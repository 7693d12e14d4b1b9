// `s3migrate state export --to postgresql://...` and
// `s3migrate --db NEW.db state import --from postgresql://...`: move a
// migration's state between SQLite (--db) and PostgreSQL (store/state_transfer.h).
#pragma once

#include <string>

#include <CLI/CLI.hpp>

#include "cli/context.h"

namespace s3m::cli {

struct StateTransferOptions {
  std::string to;    // export target
  std::string from;  // import source
  CLI::App* export_cmd = nullptr;
  CLI::App* import_cmd = nullptr;
};

CLI::App* AddStateCommand(CLI::App& app, StateTransferOptions& options);
int RunStateCommand(const StateTransferOptions& options, CommandContext& ctx);

}  // namespace s3m::cli
