// What the commands on the state database (scan, rescan, status, reset,
// retry, and later migrate) share: opening it the right way, naming objects,
// and failing with the documented exit code. Numbers print through cli/format.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "cli/context.h"
#include "cli/format.h"  // FormatCount, FormatBytes, FormatUsd
#include "store/state_store.h"

namespace s3m::cli {

// Opens settings().state_db for a command that changes it: takes the writer
// lock (refusing at once, naming the holder, when another command has it),
// creates or upgrades the schema. `workers`: the command runs as a worker of
// that group, sharing a PostgreSQL state with the group's other processes.
Result<std::unique_ptr<store::StateStore>> OpenStateForWriting(
    const CommandContext& ctx, const std::string& command,
    store::Synchronous synchronous = store::Synchronous::kFull,
    store::WorkerGroup workers = store::WorkerGroup::kNone);

// For the commands that work on what `scan` recorded (migrate, rescan,
// reset, retry): as OpenStateForWriting, but a missing database (not
// created) or one without buckets is kInvalidArgument (exit 2): "nothing
// scanned yet; run `s3migrate scan` first".
Result<std::unique_ptr<store::StateStore>> OpenScannedStateForWriting(
    const CommandContext& ctx, const std::string& command,
    store::Synchronous synchronous = store::Synchronous::kFull,
    store::WorkerGroup workers = store::WorkerGroup::kNone);

// Opens it for reading only; works while a writer runs.
Result<std::unique_ptr<store::StateStore>> OpenStateForReading(const CommandContext& ctx);

// "s3://bucket/key" with the key made printable (see PrintableKey)
std::string ObjectUrl(const std::string& bucket, const std::string& key = {});

// Reports `status` and returns its exit code.
int FailCommand(const Status& status);

}  // namespace s3m::cli
