// Settings: PRODUCT.md §2. Sources, strongest first: command-line flags, AWS
// environment variables (for the AWS-shaped settings, resolved in
// s3/aws_config), the TOML config file (--config, else ./s3migrate.toml when
// present), built-in defaults.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"
#include "store/cost.h"

namespace s3m::cli {

struct Settings {
  std::string local_base_path = "~/s3_backup";
  int glacier_restore_days = 1;
  std::string glacier_restore_tier = "Standard";  // Expedited | Standard | Bulk
  int restore_poll_interval = 60;                 // seconds
  double progress_update_interval = 2;            // seconds
  std::string verification_method = "etag";       // etag | md5
  int max_glacier_restores = 100;
  uint64_t download_chunk_size = 8ull << 20;
  int concurrency = 0;  // 0 = chosen for the machine
  bool delete_after_verify = true;
  std::string state_db = "s3_migration_state.db";

  // Beyond the original guide's settings:
  // Free space kept on the destination; unset: the smaller of 1 GiB and 5%
  // of the destination's size (engine/disk_space.h).
  std::optional<uint64_t> min_free_space;
  int max_attempts = 5;                  // failed attempts of one object before `error`
  double stall_timeout = 60;             // seconds under 1 KiB/s before a transfer is abandoned
  // "auto" (probe the endpoint), "honoured" (trust <ETag> conditions),
  // "head-first" (HEAD right before every unversioned delete).
  std::string conditional_deletes = "auto";
  bool xattrs = true;  // S3's metadata on each file as user.s3.* extended attributes
  bool delete_size_only_verified = false;  // delete objects only their size could verify
  int restore_requests_per_second = 200;
  std::string bwlimit;  // --bwlimit: a rate or a timetable (core/bandwidth_schedule.h); "" = none
  int max_requests_per_second = 0;  // all S3 requests of the process; 0 = no limit
  int worker_lease = 60;  // seconds a worker's claims outlive its last heartbeat
  int state_reconnect_timeout = 600;  // seconds a migrate worker tries to rejoin a lost PostgreSQL state
  bool scan_split_listings = true;  // idle listers split a bucket's listing under way

  // AWS-shaped settings; empty = let the AWS resolution chain decide.
  std::string endpoint_url;
  std::string region;
  std::string profile;
  bool path_style = false;

  // The live status page and /metrics (src/watch): "" = off, else PORT,
  // HOST:PORT or [IPv6]:PORT; a file holding the bearer token that a
  // non-loopback address requires; how often migrate stores a progress
  // sample for the charts.
  std::string http_listen;
  std::string http_token_file;
  double progress_sample_interval = 10;  // seconds

  std::string log_level = "warn";
  std::vector<std::string> include;  // bucket or bucket/key glob patterns
  std::vector<std::string> exclude;

  // [prices]: the cost estimate of `status` (defaults: AWS us-east-1 list
  // prices, see store/cost.h).
  store::PriceTable prices;

  std::string config_file;  // the file the settings came from, "" for none
  std::vector<std::string> file_keys;  // the keys that file set
};

// Reads a TOML config file into `settings` (keys not in the file keep their
// value). Unknown keys, wrong types and out-of-range values are errors of
// kind kInvalidArgument naming the file, the key and, where known, the line.
Status LoadConfigFile(const std::string& path, Settings& settings);
// The same for TOML text; `path` names it in messages.
Status LoadConfigText(std::string_view text, const std::string& path, Settings& settings);

// Checks values that may come from any source. `~` in paths is expanded.
Status ValidateSettings(Settings& settings);

// "8MiB", "512 KiB", "1GB", "1048576" -> bytes.
std::optional<uint64_t> ParseByteSize(std::string_view text);

// Expands a leading "~" or "~/" with $HOME.
std::string ExpandUser(const std::string& path);

}  // namespace s3m::cli
