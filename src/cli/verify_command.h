// `s3migrate verify [BUCKET...]`: re-reads every local copy the engine
// verified (state 'verified' or 'deleted') and checks it against the checksum
// or ETag it was verified with, as the state database recorded it. Needs
// neither S3 nor credentials: it is the proof, after the buckets are empty,
// that the copies are still what S3 held. With --manifests it reads the
// per-bucket manifests under the destination instead (engine/manifest.h),
// so the proof stands even without the database.
#pragma once

#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "cli/context.h"

namespace s3m::cli {

struct VerifyOptions {
  std::vector<std::string> buckets;  // empty = all
  // Check the copies listed in the per-bucket manifests under --dest
  // instead of the state database (which may be gone).
  bool manifests = false;
};

CLI::App* AddVerifyCommand(CLI::App& app, VerifyOptions& options);
int RunVerifyCommand(const VerifyOptions& options, CommandContext& ctx);

}  // namespace s3m::cli
