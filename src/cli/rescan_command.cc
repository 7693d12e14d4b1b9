#include "cli/rescan_command.h"

namespace s3m::cli {

CLI::App* AddRescanCommand(CLI::App& app, ScanCommandOptions& options) {
  CLI::App* cmd = app.add_subcommand(
      "rescan", "List buckets again: add new objects, catch changed and removed ones");
  cmd->add_option("buckets", options.buckets, "Buckets to list again");
  cmd->add_flag("--all", options.all, "Every bucket recorded in the state database");
  cmd->add_option("--parallel", options.parallel_buckets, "Listings at once: buckets, or key ranges of one (default 4)")
      ->check(CLI::Range(1, 64));
  cmd->callback([&options] {
    if (options.buckets.empty() && !options.all) {
      throw CLI::ValidationError("rescan", "name the buckets to list again, or pass --all");
    }
  });
  cmd->footer(
      "What a rescan does to each recorded object:\n"
      "  listed, unchanged ............ nothing (a storage-class change is recorded)\n"
      "  ETag, size or version changed  back to 'discovered'; a complete older local copy is\n"
      "                                 recorded in previous_* and kept until the new one is verified\n"
      "  no longer listed ............. not yet downloaded: state 'error', gone_at set, reported;\n"
      "                                 downloaded/verified: gone_at set, local copy kept\n"
      "  listed again after 'deleted' . a new object to migrate ('discovered')\n"
      "\n"
      "Examples:\n"
      "  s3migrate rescan photos\n"
      "  s3migrate rescan --all\n"
      "  sqlite3 s3_migration_state.db \"SELECT bucket, key FROM files WHERE gone_at IS NOT NULL\"\n"
      "\n"
      "Exit codes: 0 done, 1 some bucket failed (run again to resume), 2 usage error,\n"
      "            3 credentials rejected or database unusable, 130 interrupted.");
  return cmd;
}

int RunRescanCommand(const ScanCommandOptions& options, CommandContext& ctx) {
  return RunListing(scan::ScanMode::kRescan, options, ctx);
}

}  // namespace s3m::cli
