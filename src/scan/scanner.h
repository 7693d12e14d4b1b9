// The scanner: lists buckets through s3::ObjectStore and records every
// current object in the state database (scan and rescan, issue 4).
//
// Shape of a run:
//
//   lister threads (`parallel_buckets` of them; lister.h), one job at a time:
//     a bucket: region -> versioning -> StartListing (resume position) -> pages
//     a key range of a bucket: pages from the range's position to its end
//     nothing left: split a range another lister lists (range_split.h) and
//     list the keys above the split
//          │  bounded queue of pages (memory independent of object count)
//          ▼
//   writer (the calling thread): one transaction per page holding its rows
//   AND the position after it, so an interrupted scan resumes exactly; the
//   last page's transaction (of the last unfinished range) also marks the
//   bucket complete and, on a full listing, marks objects it never saw as
//   gone.
//
// A listing that fails (an error after retries, a server that repeats a
// continuation token) marks only its bucket 'failed', keeping the last
// committed position; other buckets go on. Nothing here ever marks a bucket
// complete unless its last page arrived (PRODUCT.md §5.7).
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "core/status.h"
#include "s3/object_store.h"
#include "scan/filter.h"
#include "store/state_store.h"
#include "store/worker_heartbeat.h"

namespace s3m::scan {

enum class ScanMode {
  kScan,    // inventory: complete buckets are skipped, interrupted ones resumed
  kRescan,  // list again: new, changed and removed objects are caught
};

struct ScanOptions {
  ScanMode mode = ScanMode::kScan;
  // Buckets to list; empty = every bucket the credentials can list
  // (ListBuckets), narrowed by `filter`.
  std::vector<std::string> buckets;
  ScanFilter filter;
  int parallel_buckets = 4;  // listers: buckets, or key ranges of one, listed at once
  int max_keys = 1000;  // per listing page
  // Listers with no bucket left split a listing still under way at a key
  // between its lister's position and its last key, and list the keys
  // above it: one large bucket is listed by every lister (and by every scan
  // worker of a shared state).
  bool split_listings = true;
  // Set (e.g. by SIGINT) to stop: listers stop after their current page, the
  // pages already listed are committed, buckets stay resumable.
  const std::atomic<bool>* cancelled = nullptr;
  // Set when this scan is one of several workers on a shared state (the
  // store lists for it: StateStore::SetScanWorker). Each bucket is listed
  // by the worker that claims it; the run then waits for the buckets other
  // workers list, and takes over those a dead one left. A lost heartbeat
  // stops the run (its buckets go to the others).
  const store::WorkerHeartbeat* worker = nullptr;
};

enum class BucketOutcome {
  kComplete,     // listed to the end this run
  kSkipped,      // scan: already complete (use rescan to list it again)
  kFailed,       // listing failed; resumable from its committed position
  kInterrupted,  // stopped by `cancelled`; resumable
  kElsewhere,    // listed by another scan worker (complete, unless it failed there)
};

struct BucketScanResult {
  std::string bucket;
  BucketOutcome outcome = BucketOutcome::kComplete;
  std::string region;
  std::string versioning;
  bool resumed = false;            // continued an interrupted listing
  int64_t ranges = 0;              // key ranges this run listed (more than 1: the listing was split)
  bool gone_detection = true;      // false when key filters applied
  store::PageOutcome counts;       // what this run's pages did
  int64_t objects_listed = 0;      // current objects listed this run (after filters)
  int64_t bytes_listed = 0;
  int64_t noncurrent_versions = 0;
  int64_t delete_markers = 0;
  Status error;                    // for kFailed
};

struct ScanReport {
  std::vector<BucketScanResult> buckets;
  int64_t objects_listed = 0;
  double seconds = 0;
  bool interrupted = false;
  int failed() const;
};

// Callbacks run on the thread that called Scanner::Run, between transactions.
class ScanObserver {
 public:
  virtual ~ScanObserver() = default;
  virtual void OnPage(const std::string& bucket, int64_t objects_in_page, int64_t objects_total) {
    (void)bucket, (void)objects_in_page, (void)objects_total;
  }
  virtual void OnBucketDone(const BucketScanResult& result) { (void)result; }
};

struct ListingJob;
class JobBoard;

class Scanner {
 public:
  // `objects` and `state` must outlive the scanner; `state` is used only from
  // the thread calling Run (listers hand it their requests through Run).
  Scanner(s3::ObjectStore& objects, store::StateStore& state, ScanOptions options);
  ~Scanner();

  // Lists every selected bucket. A bucket's failure is in its result; the
  // returned Status is an error only when the run itself could not go on
  // (the database failed, or the bucket list could not be read).
  Result<ScanReport> Run(ScanObserver* observer = nullptr);

 private:
  class WriterSide;
  // Runs `jobs` (listers produce, this thread writes), recording each
  // bucket's outcome in `results`; with split_listings, idle listers split
  // listings under way until none is left to split.
  Status ListAll(std::vector<ListingJob> jobs, std::map<std::string, BucketScanResult>& results,
                 ScanReport& report, ScanObserver* observer);
  // Scan workers: waits for the listings of `work` other workers hold,
  // splitting them and taking over what no live worker holds; then fills in
  // what the others found.
  Status FinishWithOthers(const std::vector<std::string>& work, std::map<std::string, BucketScanResult>& results,
                          ScanReport& report, ScanObserver* observer);
  // Adds an applied page to its bucket's result.
  static void Record(BucketScanResult& r, const store::PageOutcome& applied, ScanReport& report,
                     ScanObserver* observer);
  bool Stopped() const;

  s3::ObjectStore& objects_;
  store::StateStore& state_;
  ScanOptions options_;
  std::set<std::string> run_buckets_;  // the listings this run does (or waits for)
  std::unique_ptr<JobBoard> board_;    // kept across ListAll calls: each range is probed once
};

// True when a page starting at `first` went back before the previous page's
// last key (in both UTF-8 and UTF-16 order; `allow_equal` for version
// listings, where one key's versions may span pages). Pure; unit-tested.
bool ListingWentBack(std::string_view previous_last, std::string_view first, bool allow_equal);

// The version-id-marker to go on from after a truncated version listing
// page: the server's NextVersionIdMarker, except when it says "null" for
// its NextKeyMarker while the page's last version of that key has an id
// (Swift 2.30 does; going on from "null" it lists nothing more, so the
// listing would end early): then that version's id. Pure; unit-tested.
std::string NextVersionIdMarker(const s3::ListObjectVersionsPage& page);

// Converts listing entries into database rows (pure; unit-tested).
store::ListedObject ListedFromSummary(const s3::ObjectSummary& summary);
store::ListedObject ListedFromVersion(const s3::ObjectVersion& version);

}  // namespace s3m::scan
