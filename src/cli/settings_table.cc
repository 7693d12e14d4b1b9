#include "cli/settings_table.h"

#include <cmath>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "engine/core/migrate_options.h"

namespace s3m::cli {

namespace {

using T = SettingType;
constexpr double kGiB = 1 << 30;

std::vector<SettingSpec> MakeSpecs() {
  using S = Settings;
  return {
      {"local_base_path", T::kText, &S::local_base_path, "Where things go",
       "Destination root: each bucket becomes a folder, each key a path below it.", "--dest"},
      {"state_db", T::kText, &S::state_db, "Where things go",
       "The state database (SQLite; query it with sqlite3).", "--db"},
      {"glacier_restore_days", T::kInteger, &S::glacier_restore_days, "Glacier restores",
       "Days a restored copy stays readable.", {}, 1, 365000},
      {"glacier_restore_tier", T::kChoice, &S::glacier_restore_tier, "Glacier restores",
       "Restore speed and price (Deep Archive has no Expedited: Standard is used).", {}, 0, 0,
       {"Expedited", "Standard", "Bulk"}},
      {"max_glacier_restores", T::kInteger, &S::max_glacier_restores, "Glacier restores",
       "Restores paid for and not yet downloaded, at most (requested, running, or restored and "
       "waiting); for all workers of a shared state together.", {}, 1, 1000000},
      {"restore_poll_interval", T::kInteger, &S::restore_poll_interval, "Glacier restores",
       "Seconds between checks of the restores under way.", {}, 1, 86400},
      {"restore_requests_per_second", T::kInteger, &S::restore_requests_per_second,
       "Glacier restores", "RestoreObject requests per second, at most, for all workers together (AWS "
       "allows about 1,000).",
       {}, 1, 10000},
      {"concurrency", T::kInteger, &S::concurrency, "Transfers",
       "Parallel transfers; 0 = chosen for the machine.", "--concurrency", 0, 1024, {},
       "chosen for the machine", "32"},
      {"download_chunk_size", T::kBytes, &S::download_chunk_size, "Transfers",
       "Ranged-GET size for large objects; smaller objects take one GET.", {},
       static_cast<int64_t>(engine::kSmallestChunk), 5 * kGiB},
      {"max_requests_per_second", T::kInteger, &S::max_requests_per_second, "Transfers",
       "S3 requests per second at most, of every kind (GET, HEAD, LIST, DELETE, restores), shared "
       "by all transfers (workers of a shared state each take an equal part); 0 = no limit.",
       "--max-requests-per-second", 0, 100000, {}, "no limit", "100"},
      {"bwlimit", T::kText, &S::bwlimit, "Transfers",
       "Bandwidth limit of all downloads together, bytes/s with B, K, M, G or T (binary), or a "
       "timetable of local times \"HH:MM,RATE ...\" (RATE may be off); re-read from the config file "
       "while migrate runs (at once on SIGHUP).", "--bwlimit", 0, 0, {}, "no limit",
       R"("08:00,10M 19:00,off")"},
      {"max_attempts", T::kInteger, &S::max_attempts, "Transfers",
       "Failed attempts of one object before it is left in error.", {}, 1, 1000},
      {"stall_timeout", T::kSeconds, &S::stall_timeout, "Transfers",
       "Seconds a transfer may receive under 1 KiB/s before it is abandoned and tried again.",
       {}, 1, 3600},
      {"verification_method", T::kChoice, &S::verification_method, "Verification and deletion",
       "etag: the strongest checksum S3 has, while downloading; md5: also re-read every "
       "finished file.", {}, 0, 0, {"etag", "md5"}},
      {"xattrs", T::kBoolean, &S::xattrs, "Verification and deletion",
       "Also keep what S3 knew of each object (content type and other headers, user metadata, "
       "tags, checksums, storage class, version id, encryption) on its file as user.s3.* extended "
       "attributes; it is always in the state database and the manifest.", "--no-xattrs"},
      {"delete_after_verify", T::kBoolean, &S::delete_after_verify, "Verification and deletion",
       "false: copy and verify only, as --keep-source."},
      {"delete_size_only_verified", T::kBoolean, &S::delete_size_only_verified,
       "Verification and deletion",
       "Also delete objects only their size could verify (SSE-KMS without checksums, ...)."},
      {"conditional_deletes", T::kChoice, &S::conditional_deletes, "Verification and deletion",
       "auto: probe whether the endpoint honours ETag conditions on deletes; honoured: trust "
       "them; head-first: HEAD right before every unversioned delete.", {}, 0, 0,
       {"auto", "honoured", "head-first"}},
      {"min_free_space", T::kBytes, &S::min_free_space, "Disk",
       "Free space kept on the destination.", {}, 0, 1e18, {},
       "the smaller of 1 GiB and 5% of the destination's size", "\"1GiB\""},
      {"worker_lease", T::kInteger, &S::worker_lease, "Several workers",
       "Seconds the objects a migrate worker holds stay its own after its last heartbeat (renewed "
       "every quarter of this); after that, other workers sharing the PostgreSQL state take them "
       "over. A worker that cannot renew for half of it stops its run, then rejoins as a new worker "
       "(state_reconnect_timeout).", {}, 4, 86400},
      {"state_reconnect_timeout", T::kInteger, &S::state_reconnect_timeout, "Several workers",
       "migrate, scan and rescan on a PostgreSQL state: when the database ends the session (a "
       "restart, a failover, a network cut), fails a transaction for another's sake (deadlock), or "
       "leaves a heartbeat unrenewed for half of worker_lease, the run stops as for a fatal error, then reconnects and goes on as a new worker; this many "
       "seconds of trying to reconnect before it gives up (exit 3). 0: stop at once.", {}, 0, 86400},
      {"scan_split_listings", T::kBoolean, &S::scan_split_listings, "Several workers",
       "scan and rescan: a lister with no bucket left splits a listing still under way at a key "
       "half way between its position and its last key (found with a few one-key listings) and "
       "lists the keys above it, so one large bucket is listed by every lister (--parallel) and by "
       "every scan worker of a shared PostgreSQL state; false: one lister per bucket."},
      {"progress_update_interval", T::kSeconds, &S::progress_update_interval, "Output",
       "Seconds between progress redraws.", {}, 0.1, 3600},
      {"http_listen", T::kText, &S::http_listen, "Watching",
       "Serve the live status page and /metrics here while migrate runs (and with `serve`): "
       "PORT or HOST:PORT; a non-loopback HOST needs http_token_file.", "--http", 0, 0, {}, "off",
       R"("127.0.0.1:8080")"},
      {"http_token_file", T::kText, &S::http_token_file, "Watching",
       "File whose first line is the bearer token the status page and /metrics require.",
       "--http-token-file", 0, 0, {}, "none (loopback only)", R"("/etc/s3migrate/http-token")"},
      {"progress_sample_interval", T::kSeconds, &S::progress_sample_interval, "Watching",
       "Seconds between the progress samples migrate stores for the charts.", {}, 1, 3600},
      {"log_level", T::kChoice, &S::log_level, "Output", "Messages on stderr, from this level up.",
       "--log-level", 0, 0, {"debug", "info", "warn", "error", "off"}},
      {"include", T::kTextList, &S::include, "Which buckets and keys",
       "Only buckets or bucket/key paths matching one of these globs.", "--include", 0, 0, {}, "none",
       R"(["photos", "logs-*"])"},
      {"exclude", T::kTextList, &S::exclude, "Which buckets and keys",
       "Skip buckets or bucket/key paths matching one of these globs.", "--exclude", 0, 0, {}, "none",
       R"(["*/tmp/*"])"},
      {"endpoint_url", T::kText, &S::endpoint_url, "S3 endpoint",
       "S3-compatible endpoint, e.g. http://127.0.0.1:9000 (env: AWS_ENDPOINT_URL_S3, "
       "AWS_ENDPOINT_URL).", "--endpoint-url", 0, 0, {}, "AWS", R"("http://127.0.0.1:9000")"},
      {"region", T::kText, &S::region, "S3 endpoint",
       "Default region (env: AWS_REGION, AWS_DEFAULT_REGION).", "--region", 0, 0, {},
       "from the AWS environment and profile", R"("us-east-1")"},
      {"profile", T::kText, &S::profile, "S3 endpoint", "AWS profile (env: AWS_PROFILE).",
       "--profile", 0, 0, {}, "the profile named default", R"("default")"},
      {"path_style", T::kBoolean, &S::path_style, "S3 endpoint",
       "Address buckets as https://host/bucket/key.", "--path-style"},
  };
}

Status Invalid(const SettingSpec& spec, std::string message) {
  ErrorContext ctx;
  ctx.operation = "check settings";
  return Status::Error(ErrorKind::kInvalidArgument,
                       fmt::format("{}: {}", spec.key, std::move(message)), ctx);
}

std::string BytesText(uint64_t bytes) {
  for (auto [unit, size] : {std::pair{"GiB", 1ull << 30}, {"MiB", 1ull << 20}, {"KiB", 1ull << 10}}) {
    if (bytes >= size && bytes % size == 0) return fmt::format("{}{}", bytes / size, unit);
  }
  return fmt::format("{}", bytes);
}

// Whole numbers without a fraction; any other (or one too large for an
// int64_t, which the cast would make undefined) as the double prints.
std::string NumberText(double v) {
  if (v == std::floor(v) && std::fabs(v) < 0x1p62) return fmt::format("{}", static_cast<int64_t>(v));
  return fmt::format("{}", v);
}

}  // namespace

const std::vector<SettingSpec>& SettingSpecs() {
  static const std::vector<SettingSpec> specs = MakeSpecs();
  return specs;
}

const SettingSpec* FindSetting(std::string_view key) {
  for (const SettingSpec& spec : SettingSpecs()) {
    if (spec.key == key) return &spec;
  }
  return nullptr;
}

Status SetSettingFromText(const SettingSpec& spec, std::string_view text, Settings& s) {
  switch (spec.type) {
    case T::kText:
    case T::kChoice:
      s.*std::get<std::string Settings::*>(spec.field) = std::string(text);
      return Status::Ok();
    case T::kTextList:
      (s.*std::get<std::vector<std::string> Settings::*>(spec.field)).emplace_back(text);
      return Status::Ok();
    case T::kBoolean:
      if (text != "true" && text != "false") return Invalid(spec, "must be true or false");
      s.*std::get<bool Settings::*>(spec.field) = text == "true";
      return Status::Ok();
    case T::kBytes: {
      std::optional<uint64_t> bytes = ParseByteSize(text);
      if (!bytes) return Invalid(spec, "must be a byte count such as 8388608 or \"8MiB\"");
      if (auto* f = std::get_if<uint64_t Settings::*>(&spec.field)) {
        s.**f = *bytes;
      } else {
        s.*std::get<std::optional<uint64_t> Settings::*>(spec.field) = *bytes;
      }
      return Status::Ok();
    }
    case T::kInteger:
    case T::kSeconds: {
      char* end = nullptr;
      const std::string copy(text);
      const double v = std::strtod(copy.c_str(), &end);
      if (copy.empty() || *end != '\0' || (spec.type == T::kInteger && v != std::floor(v))) {
        return Invalid(spec, spec.type == T::kInteger ? "must be an integer" : "must be a number of seconds");
      }
      if (spec.type == T::kSeconds) {
        s.*std::get<double Settings::*>(spec.field) = v;
      } else if (v < -2e9 || v > 2e9) {
        return Invalid(spec, fmt::format("{} is out of range [{}, {}]", copy, NumberText(spec.min),
                                         NumberText(spec.max)));
      } else {
        s.*std::get<int Settings::*>(spec.field) = static_cast<int>(v);
      }
      return Status::Ok();
    }
  }
  return Status::Ok();
}

Status CheckSetting(const SettingSpec& spec, const Settings& s) {
  double value = 0;
  switch (spec.type) {
    case T::kChoice: {
      const std::string& v = s.*std::get<std::string Settings::*>(spec.field);
      for (std::string_view choice : spec.choices) {
        if (v == choice) return Status::Ok();
      }
      return Invalid(spec, fmt::format("\"{}\" is not one of {}", v, fmt::join(spec.choices, ", ")));
    }
    case T::kInteger: value = s.*std::get<int Settings::*>(spec.field); break;
    case T::kSeconds: value = s.*std::get<double Settings::*>(spec.field); break;
    case T::kBytes:
      if (auto* f = std::get_if<uint64_t Settings::*>(&spec.field)) {
        value = static_cast<double>(s.**f);
      } else if (auto v = s.*std::get<std::optional<uint64_t> Settings::*>(spec.field)) {
        value = static_cast<double>(*v);
      }
      break;
    default: return Status::Ok();
  }
  if (value >= spec.min && value <= spec.max) return Status::Ok();
  if (spec.type == T::kBytes) {
    return Invalid(spec, fmt::format("{} must be between {} and {}", BytesText(static_cast<uint64_t>(value)),
                                     BytesText(static_cast<uint64_t>(spec.min)),
                                     BytesText(static_cast<uint64_t>(spec.max))));
  }
  return Invalid(spec, fmt::format("{} is out of range [{}, {}]", NumberText(value),
                                   NumberText(spec.min), NumberText(spec.max)));
}

std::optional<std::string> SettingValueToml(const SettingSpec& spec, const Settings& s) {
  switch (spec.type) {
    case T::kText:
    case T::kChoice: {
      const std::string& v = s.*std::get<std::string Settings::*>(spec.field);
      if (v.empty() && !spec.unset_means.empty()) return std::nullopt;
      return fmt::format("\"{}\"", v);
    }
    case T::kTextList: {
      const auto& v = s.*std::get<std::vector<std::string> Settings::*>(spec.field);
      if (v.empty()) return std::nullopt;
      std::string out;
      for (const std::string& item : v) out += (out.empty() ? "" : ", ") + fmt::format("\"{}\"", item);
      return "[" + out + "]";
    }
    case T::kBoolean: return s.*std::get<bool Settings::*>(spec.field) ? "true" : "false";
    case T::kInteger: {
      const int v = s.*std::get<int Settings::*>(spec.field);
      if (v == 0 && !spec.unset_means.empty()) return std::nullopt;
      return fmt::format("{}", v);
    }
    case T::kSeconds: return NumberText(s.*std::get<double Settings::*>(spec.field));
    case T::kBytes:
      if (auto* f = std::get_if<uint64_t Settings::*>(&spec.field)) {
        return fmt::format("\"{}\"", BytesText(s.**f));
      }
      if (auto v = s.*std::get<std::optional<uint64_t> Settings::*>(spec.field)) {
        return fmt::format("\"{}\"", BytesText(*v));
      }
      return std::nullopt;
  }
  return std::nullopt;
}

std::string_view UnsetText(const SettingSpec& spec) {
  return spec.unset_means.empty() ? "none" : spec.unset_means;
}

std::string SettingTypeText(const SettingSpec& spec) {
  switch (spec.type) {
    case T::kText: return "text";
    case T::kChoice: return fmt::format("one of {}", fmt::join(spec.choices, ", "));
    case T::kInteger: return fmt::format("integer {}..{}", NumberText(spec.min), NumberText(spec.max));
    case T::kSeconds: return fmt::format("seconds {}..{}", NumberText(spec.min), NumberText(spec.max));
    case T::kBoolean: return "true or false";
    case T::kBytes:
      return fmt::format("bytes {}..{} (a number, or \"8MiB\", \"1GB\", ...)",
                         BytesText(static_cast<uint64_t>(spec.min)),
                         spec.max >= 1e18 ? "any" : BytesText(static_cast<uint64_t>(spec.max)));
    case T::kTextList: return "list of text";
  }
  return "";
}

}  // namespace s3m::cli
