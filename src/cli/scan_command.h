// `s3migrate scan [BUCKET...]`: inventory every bucket the credentials can
// list (or the named ones) into the state database. Re-running it adds
// nothing twice: complete buckets are skipped, interrupted or failed
// listings resume from their last committed page.
#pragma once

#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "cli/context.h"
#include "scan/scanner.h"

namespace s3m::cli {

struct ScanCommandOptions {
  std::vector<std::string> buckets;
  int parallel_buckets = 4;
  bool all = false;  // rescan: every bucket in the database
  // scan --inventory: S3 Inventory manifests (s3://bucket/key/manifest.json)
  // read instead of listing their source buckets.
  std::vector<std::string> inventories;
};

CLI::App* AddScanCommand(CLI::App& app, ScanCommandOptions& options);
int RunScanCommand(const ScanCommandOptions& options, CommandContext& ctx);

// Shared by scan and rescan: lists, prints progress and the report, and
// returns the exit code (0 done, 1 some bucket failed, 2 usage, 3 fatal —
// credentials rejected, database unusable —, 130 interrupted).
int RunListing(scan::ScanMode mode, const ScanCommandOptions& options, CommandContext& ctx);

}  // namespace s3m::cli
