// Micro-benchmark of the state database's scan path, without a server:
//   1. ingest N synthetic listed objects in pages of 1,000, through the same
//      StateStore::ApplyPage the scanner uses (one transaction per page,
//      with the listing position) -> rows/s;
//   2. a rescan of the same N objects (all unchanged) -> rows/s;
//   3. the `status` figures (StateStore::Summarize + the cost estimate) on
//      that database -> seconds;
//   4. peak RSS of the process (VmHWM), which must not grow with N.
// Targets (issue 4): ingest >= 200,000 rows/s, status < 0.5 s, peak RSS < 150 MiB.
//
//   bench_scan_store_ingest [--objects N] [--dir DIR] [--keep]
//
// Prints one line per figure and a final "targets: met|MISSED" line; exits 1
// when a target is missed. Rates are given by wall clock and by this
// thread's CPU time: on a shared machine the second is what an idle one
// would reach.
#include <time.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>

#include <fmt/format.h>

#include "store/cost.h"
#include "store/state_store.h"

namespace {

using s3m::store::ListedObject;
using s3m::store::ListingPage;
using s3m::store::StateStore;

// "VmHWM:     123456 kB" from /proc/self/status, in MiB.
double PeakRssMiB() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmHWM:", 0) == 0) return std::strtod(line.c_str() + 6, nullptr) / 1024.0;
  }
  return -1;
}

// Keys shaped like a real photo/log bucket; sorted as a listing returns them.
ListedObject Synthetic(int64_t i) {
  ListedObject o;
  o.key = fmt::format("photos/{:04d}/{:02d}/IMG_{:08d}.jpg", 2000 + i / 100000, (i / 1000) % 100, i);
  o.size = static_cast<uint64_t>(1000 + (i * 7919) % 5000000);
  o.etag = fmt::format("{:032x}", static_cast<unsigned long long>(i * 2654435761u));
  static const char* kClasses[] = {"STANDARD", "STANDARD", "STANDARD", "STANDARD_IA", "GLACIER",
                                   "DEEP_ARCHIVE", "INTELLIGENT_TIERING", "STANDARD"};
  o.storage_class = kClasses[i % 8];
  o.last_modified = fmt::format("2026-{:02d}-{:02d}T12:00:00.000Z", 1 + (i % 10), 1 + (i % 28));
  return o;
}

constexpr int kPage = 1000;  // objects per listing page, as S3 returns them
double ThreadCpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

struct Timing {
  double wall = 0;
  double cpu = 0;  // this thread's CPU time: what the rate would be on an idle machine
};

Timing ListAll(StateStore& store, int64_t n, const char* what) {
  s3m::store::StartListingRequest start;
  start.bucket = "bench-bucket";
  start.region = "us-east-1";
  start.listing_api = "ListObjectsV2";
  auto rec = store.StartListing(start);
  if (!rec.ok()) {
    std::fprintf(stderr, "%s\n", rec.status().ToString().c_str());
    std::exit(2);
  }
  Timing t;
  for (int64_t i = 0; i < n;) {
    ListingPage page;
    page.bucket = start.bucket;
    // Building the page is the lister's work, not the database's: not timed.
    for (int k = 0; k < kPage && i < n; ++k, ++i) page.objects.push_back(Synthetic(i));
    page.last_key = page.objects.back().key;
    page.last_page = i >= n;
    page.next_token = page.last_page ? "" : fmt::format("token-{}", i);
    const auto t0 = std::chrono::steady_clock::now();
    const double c0 = ThreadCpuSeconds();
    auto out = store.ApplyPage(page);
    t.cpu += ThreadCpuSeconds() - c0;
    t.wall += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (!out.ok()) {
      std::fprintf(stderr, "%s: %s\n", what, out.status().ToString().c_str());
      std::exit(2);
    }
  }
  return t;
}

}  // namespace

int main(int argc, char** argv) {
  int64_t n = 1000000;
  std::string dir;
  bool keep = false;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--objects") && i + 1 < argc) n = std::atoll(argv[++i]);
    else if (!std::strcmp(argv[i], "--dir") && i + 1 < argc) dir = argv[++i];
    else if (!std::strcmp(argv[i], "--keep")) keep = true;
    else {
      std::fprintf(stderr, "usage: %s [--objects N] [--dir DIR] [--keep]\n", argv[0]);
      return 2;
    }
  }
  if (dir.empty()) {
    std::string tmpl = (std::filesystem::temp_directory_path() / "s3m-bench-XXXXXX").string();
    dir = ::mkdtemp(tmpl.data());
  }
  const std::string path = dir + "/s3_migration_state.db";
  std::filesystem::remove(path);

  auto opened = StateStore::Open(path, {.mode = s3m::store::OpenMode::kWrite, .command = "bench"});
  if (!opened.ok()) {
    std::fprintf(stderr, "%s\n", opened.status().ToString().c_str());
    return 2;
  }
  StateStore& store = **opened;

  const auto rate = [&](double seconds) { return static_cast<double>(n) / seconds; };
  const Timing ingest = ListAll(store, n, "ingest");
  const double ingest_rate = rate(ingest.wall);
  std::printf("ingest:   %lld rows in %.2f s = %.0f rows/s (CPU %.2f s = %.0f rows/s per core)\n",
              static_cast<long long>(n), ingest.wall, ingest_rate, ingest.cpu, rate(ingest.cpu));
  const Timing rescan = ListAll(store, n, "rescan");
  std::printf("rescan:   %lld unchanged rows in %.2f s = %.0f rows/s (CPU %.2f s = %.0f rows/s per core)\n",
              static_cast<long long>(n), rescan.wall, rate(rescan.wall), rescan.cpu, rate(rescan.cpu));
  opened->reset();

  // status as the command runs it: a fresh reading process-like connection.
  const auto t0 = std::chrono::steady_clock::now();
  auto reader = StateStore::Open(path, {.mode = s3m::store::OpenMode::kRead});
  if (!reader.ok()) {
    std::fprintf(stderr, "%s\n", reader.status().ToString().c_str());
    return 2;
  }
  s3m::store::SummaryOptions options;
  options.by_bucket = true;
  options.now = std::chrono::system_clock::now();
  auto summary = (*reader)->Summarize(options);
  if (!summary.ok()) {
    std::fprintf(stderr, "%s\n", summary.status().ToString().c_str());
    return 2;
  }
  const auto cost = s3m::store::EstimateCost(*summary, {}, "Standard");
  const double status_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  int64_t files = 0;
  for (const auto& g : summary->groups) files += g.tally.files;
  std::printf("status:   %.3f s (%lld files, estimate $%.2f)\n", status_s, static_cast<long long>(files),
              cost.total);
  const double rss = PeakRssMiB();
  std::printf("peak RSS: %.1f MiB\n", rss);
  std::printf("db size:  %.1f MiB\n", static_cast<double>(std::filesystem::file_size(path)) / (1 << 20));
  const bool met = ingest_rate >= 200000 && status_s < 0.5 && rss < 150;
  std::printf("targets (ingest >= 200000 rows/s, status < 0.5 s, peak RSS < 150 MiB): %s\n",
              met ? "met" : "MISSED");
  if (!keep) std::filesystem::remove_all(dir);
  return met ? 0 : 1;
}
