#include "cli/verify_command.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cerrno>
#include <cstdio>
#include <fstream>
#include <map>
#include <optional>
#include <thread>

#include <fmt/format.h>

#include "cli/app.h"
#include "cli/state_commands.h"
#include "engine/copy_check.h"
#include "engine/file_system.h"
#include "engine/manifest.h"

namespace s3m::cli {

namespace {

using engine::CopyCheck;
using engine::CopyVerdict;

// Rows read and checked at a time: memory stays flat in the row count.
constexpr int kPageRows = 512;

using Totals = std::map<CopyVerdict, store::Tally>;

// Checks one page of copies on `threads` threads; results by index.
std::vector<CopyCheck> CheckPage(const std::vector<store::FileRecord>& page, int threads,
                                 const std::atomic<bool>& cancelled) {
  std::vector<CopyCheck> checks(page.size());
  std::atomic<size_t> next{0};
  auto work = [&] {
    for (size_t i; (i = next.fetch_add(1)) < page.size() && !cancelled.load();) {
      checks[i] = engine::CheckCopy(engine::PosixFileSystem::Default(), page[i]);
    }
  };
  std::vector<std::thread> pool;
  const size_t n = std::min<size_t>(static_cast<size_t>(threads), page.size());
  for (size_t t = 1; t < n; ++t) pool.emplace_back(work);
  work();
  for (auto& t : pool) t.join();
  return checks;
}

// One line per copy that is not simply fine.
void PrintCheck(const store::FileRecord& copy, const CopyCheck& check) {
  if (check.verdict == CopyVerdict::kMatches || check.verdict == CopyVerdict::kMatchesSize) return;
  const char* label = engine::IsCopyProblem(check.verdict) ? "" : "not checked: ";
  std::printf("%s%s %s (%s): %s\n", label, std::string(engine::CopyVerdictName(check.verdict)).c_str(),
              ObjectUrl(copy.bucket, copy.key).c_str(), copy.local_path.value_or("").c_str(), check.detail.c_str());
}

std::string Summary(const Totals& t, double seconds) {
  auto get = [&](CopyVerdict v) {
    auto it = t.find(v);
    return it == t.end() ? store::Tally{} : it->second;
  };
  store::Tally all;
  for (const auto& [verdict, tally] : t) all.Add(tally.files, tally.bytes);
  return fmt::format(
      "checked {} local copies ({}) in {:.1f} s: {} match the checksum or ETag they were verified "
      "with, {} by size (all they were verified by), {} changed, {} missing, {} unreadable, {} "
      "could not be checked",
      FormatCount(all.files), FormatBytes(all.bytes), seconds,
      FormatCount(get(CopyVerdict::kMatches).files), FormatCount(get(CopyVerdict::kMatchesSize).files),
      FormatCount(get(CopyVerdict::kChanged).files), FormatCount(get(CopyVerdict::kMissing).files),
      FormatCount(get(CopyVerdict::kUnreadable).files),
      FormatCount(get(CopyVerdict::kUncheckable).files));
}

// Checks one page and adds it to the totals; false when interrupted.
bool CheckAndCount(const std::vector<store::FileRecord>& page, int threads, CommandContext& ctx,
                   Totals& totals) {
  std::vector<CopyCheck> checks = CheckPage(page, threads, ctx.cancelled());
  if (ctx.cancelled().load()) return false;
  for (size_t i = 0; i < page.size(); ++i) {
    totals[checks[i].verdict].Add(1, page[i].size);
    PrintCheck(page[i], checks[i]);
  }
  return true;
}

// Every copy the state database records as verified, a page at a time.
// Returns an exit code when it cannot go on, nullopt when done.
std::optional<int> VerifyFromDatabase(const VerifyOptions& options, CommandContext& ctx, int threads,
                                      Totals& totals) {
  auto state = OpenStateForReading(ctx);
  if (!state.ok()) return FailCommand(state.status());
  std::vector<std::optional<std::string>> scopes;
  for (const std::string& bucket : options.buckets) {
    auto known = (*state)->GetBucket(bucket);
    if (!known.ok()) return FailCommand(known.status());
    if (!known->has_value()) {
      return FailCommand(Status::Error(
          ErrorKind::kInvalidArgument,
          fmt::format("{}: no such bucket in the state database (`s3migrate status` lists them)",
                      ObjectUrl(bucket))));
    }
    scopes.emplace_back(bucket);
  }
  if (scopes.empty()) scopes.emplace_back(std::nullopt);
  for (const auto& scope : scopes) {
    for (int64_t after = 0;;) {
      auto page = (*state)->VerifiedCopies(scope, after, kPageRows);
      if (!page.ok()) return FailCommand(page.status());
      if (page->empty()) break;
      after = page->back().id;
      if (!CheckAndCount(*page, threads, ctx, totals)) return kExitInterrupted;
    }
  }
  return std::nullopt;
}

// Every copy the manifests list, a page at a time. A line that is not a
// manifest line is a problem (counted unreadable), except a last line
// without its newline: a crash cut it while it was appended, and its row
// was never committed as deleted.
std::optional<int> VerifyFromManifests(const VerifyOptions& options, CommandContext& ctx, int threads,
                                       Totals& totals) {
  auto files = engine::ManifestFiles(engine::PosixFileSystem::Default(),
                                     ctx.settings().local_base_path, options.buckets);
  if (!files.ok()) return FailCommand(files.status());
  for (const std::string& path : *files) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return FailCommand(Status::FromErrno(errno, "read manifest", path));
    std::vector<store::FileRecord> page;
    std::string line;
    for (int64_t number = 1; std::getline(in, line); ++number) {
      auto record = engine::ParseManifestLine(line);
      if (!record.ok()) {
        if (in.eof()) {
          std::printf("note: %s:%lld: a torn last line (cut by a crash while it was appended; "
                      "its object was not recorded as deleted), skipped\n",
                      path.c_str(), static_cast<long long>(number));
        } else {
          std::printf("unreadable %s:%lld: %s\n", path.c_str(), static_cast<long long>(number),
                      record.status().message().c_str());
          totals[CopyVerdict::kUnreadable].Add(1, 0);
        }
        continue;
      }
      page.push_back(std::move(*record));
      if (page.size() == static_cast<size_t>(kPageRows)) {
        if (!CheckAndCount(page, threads, ctx, totals)) return kExitInterrupted;
        page.clear();
      }
    }
    if (!page.empty() && !CheckAndCount(page, threads, ctx, totals)) return kExitInterrupted;
  }
  return std::nullopt;
}

}  // namespace

CLI::App* AddVerifyCommand(CLI::App& app, VerifyOptions& options) {
  CLI::App* cmd = app.add_subcommand(
      "verify",
      "Re-read every verified local copy and check it against the checksum or ETag it was "
      "verified with (needs only the state database and the files: works after S3 is empty)");
  cmd->add_option("buckets", options.buckets, "Only these buckets (default: all)");
  cmd->add_flag("--manifests", options.manifests,
                "Check the copies the per-bucket manifests under --dest list "
                "(<dest>/.s3migrate/manifests), without the state database");
  cmd->footer(
      "Examples:\n"
      "  s3migrate verify                  # every copy migrate verified\n"
      "  s3migrate verify photos videos\n"
      "  s3migrate --dest /data verify --manifests   # the database is gone: the manifests\n"
      "\n"
      "Prints one line per copy that is missing, changed or unreadable (and per copy whose\n"
      "record holds nothing to compare with), then a summary.\n"
      "Exit codes: 0 every copy checked is intact, 1 copies missing, changed or unreadable,\n"
      "            2 a bucket the state database does not know (or without a manifest),\n"
      "            3 database unusable,\n"
      "            130 interrupted.");
  return cmd;
}

int RunVerifyCommand(const VerifyOptions& options, CommandContext& ctx) {
  const int threads = static_cast<int>(std::clamp(std::thread::hardware_concurrency(), 1u, 8u));
  const auto start = std::chrono::steady_clock::now();
  Totals totals;
  const std::optional<int> stopped = options.manifests
                                         ? VerifyFromManifests(options, ctx, threads, totals)
                                         : VerifyFromDatabase(options, ctx, threads, totals);
  if (stopped == kExitInterrupted) std::printf("interrupted; nothing was changed\n");
  if (stopped) return *stopped;
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("%s\n", Summary(totals, seconds).c_str());
  const bool problems = std::any_of(totals.begin(), totals.end(), [](const auto& entry) {
    return engine::IsCopyProblem(entry.first) && entry.second.files > 0;
  });
  return problems ? kExitObjectsInError : kExitOk;
}

}  // namespace s3m::cli
