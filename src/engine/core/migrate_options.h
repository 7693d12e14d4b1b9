// The settings of one `s3migrate migrate` run, as the engine takes them
// (src/cli/migrate_command.cc maps the configuration and flags onto them).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "core/bandwidth_limit.h"
#include "core/clock.h"
#include "core/rate_limit.h"
#include "engine/delete_gate.h"
#include "engine/progress.h"
#include "s3/object_store.h"

namespace s3m::engine {

// download_chunk_size's least value: an object this size or smaller was
// never downloaded by ranges, whatever any run's setting was.
inline constexpr uint64_t kSmallestChunk = 1ull << 20;

struct MigrateOptions {
  std::string dest_root;  // local_base_path
  int concurrency = 16;
  uint64_t chunk_size = 8ull << 20;  // at least kSmallestChunk (the setting's bound)
  bool reread_after_download = false;  // verification_method = "md5"
  bool set_attributes = true;          // S3's metadata as user.s3.* xattrs; --no-xattrs
  bool keep_source = false;            // --keep-source / delete_after_verify = false
  bool dry_run = false;                // download and verify; request no restores, delete nothing
  bool allow_size_only_delete = false;
  ConditionalDeletes conditional_deletes = ConditionalDeletes::kUnknown;

  int restore_days = 1;
  s3::RestoreTier restore_tier = s3::RestoreTier::kStandard;
  int max_restores_in_flight = 100;
  double restore_requests_per_second = 200;  // AWS allows about 1,000/s per account
  std::chrono::seconds restore_poll_interval{60};

  // Free space kept on the destination (disk_space.h); unset: the smaller
  // of 1 GiB and 5% of the destination's size.
  std::optional<uint64_t> min_free_bytes;
  // Failed attempts of one object before it is left in `error`.
  int max_attempts = 5;
  std::chrono::milliseconds retry_base_delay{2000};
  std::chrono::milliseconds retry_max_delay{300000};

  // --max-requests-per-second, enforced by the S3 client; here to be shown.
  int max_requests_per_second = 0;
  // Its budget, which the client takes slots from (nullptr: no limit). The
  // workers of a shared state each take 1/N of it, N the live workers.
  RateLimit* request_limit = nullptr;
  // --bwlimit: every received byte passes through it (nullptr: no limit).
  BandwidthLimit* bandwidth = nullptr;

  std::chrono::milliseconds progress_interval{2000};
  std::function<void(const ProgressSnapshot&)> on_progress;
  // A progress sample is stored in the state database this often (the live
  // page's and the report's charts); zero: none.
  std::chrono::milliseconds sample_interval{10000};

  // This run is a worker (store/workers.h): how long its claims outlive its
  // last heartbeat (renewed every quarter of it).
  std::chrono::seconds worker_lease{60};

  const std::atomic<bool>* cancelled = nullptr;  // SIGINT/SIGTERM
  Clock* clock = nullptr;                        // null = Clock::Real()
};

}  // namespace s3m::engine
