// The report at the end of a run (PRODUCT.md §6): what this run did, where
// every object stands, what was left behind on purpose and why, and the
// objects in error — read from the database after the workers ended.
#pragma once

#include "core/status.h"
#include "engine/core/delete_policy.h"
#include "engine/core/disk_guard.h"
#include "engine/core/run_context.h"
#include "engine/progress.h"
#include "store/migration_store.h"
#include "store/state_store.h"

namespace s3m::engine {

struct ReportSources {
  store::StateStore& state;
  RunContext& ctx;
  const DeletePolicy& policy;
  const DiskGuard& disk;
  Clock::WallTime started_at{};
  int64_t bytes_received = 0;
};

Result<MigrationReport> BuildReport(const ReportSources& in);

// A run's counters as its figures have them now.
RunTally TallyOf(const RunFigures& figures, Clock::WallTime started_at, int64_t bytes_received);

}  // namespace s3m::engine
