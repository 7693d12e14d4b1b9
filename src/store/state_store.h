// StateStore: the state database (PRODUCT.md §3), its only reader and writer.
//
// Everything the scanner, the commands and the migration engine persist goes
// through here as prepared statements in short transactions. One instance
// belongs to one thread at a time (the scanner funnels all pages through one
// writer thread); several processes may read the same file while one writes
// (WAL). A writing process must also hold the WriterLock (writer_lock.h):
// OpenForWriting() takes it for the life of the StateStore.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <map>
#include <set>
#include <tuple>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "core/status.h"
#include "store/file_state.h"
#include "store/sqlite.h"
#include "store/workers.h"
#include "store/writer_lock.h"

namespace s3m::store {

// One current object as a listing reported it.
struct ListedObject {
  std::string key;
  std::string version_id;  // "" when listed with ListObjectsV2
  uint64_t size = 0;
  std::string etag;  // without quotes
  std::string storage_class = "STANDARD";
  std::string last_modified;  // ISO 8601 as listed
  std::string checksum_algorithm;  // first of ChecksumAlgorithm, "" when none
  std::string checksum_type;
  bool restore_in_progress = false;  // RestoreStatus: IsRestoreInProgress
  std::string restore_expiry;        // RestoreStatus: RestoreExpiryDate, "" when none
};

// A bucket row ("buckets" table).
struct BucketRecord {
  std::string name;
  std::string region;
  std::string versioning;   // "", "Enabled", "Suspended"
  std::string listing_api;  // "ListObjectsV2" or "ListObjectVersions"
  std::string scan_state;   // "pending", "listing", "complete", "failed"
  int64_t scan_generation = 0;
  std::string continuation_token;  // ListObjectsV2 token, or ListObjectVersions key-marker
  std::string version_id_marker;
  std::string last_key;
  std::string scan_filter;
  std::optional<std::string> scan_started_at;
  std::optional<std::string> scan_completed_at;
  int64_t listed_objects = 0;
  int64_t listed_bytes = 0;
  int64_t noncurrent_versions = 0;
  int64_t noncurrent_bytes = 0;
  int64_t delete_markers = 0;
  std::optional<std::string> last_error;
  // The listing is split into key ranges (listing_ranges holds their
  // positions; the row's own position is unused until the listing ends).
  bool ranged = false;

  // A listing that stopped part-way (interrupted or failed) and can go on
  // from its committed position.
  bool resumable() const {
    return (scan_state == "listing" || scan_state == "failed") &&
           (ranged || !continuation_token.empty() || !last_key.empty());
  }
};

// One key range of a listing under way (core/key_range.h): a listing_ranges
// row, or the whole bucket while its listing is not split.
struct ListingRange {
  std::string bucket;
  std::string start;  // keys after this ("" = from the first)
  std::string end;    // up to and including this ("" = to the last)
  std::string continuation_token;  // the position reached, as BucketRecord's
  std::string version_id_marker;
  std::string last_key;
  std::string listing_api;  // the bucket's
  bool ranged = false;      // false: the bucket row's listing, not split yet
  // Where its lister goes on from: after the last key listed, or after the
  // range's start.
  const std::string& after() const { return last_key.empty() ? start : last_key; }
};

struct StartListingRequest {
  std::string bucket;
  std::string region;
  std::string versioning;
  std::string listing_api;
  std::string scan_filter;  // "" when every key is listed
  // true: begin a new generation even if an interrupted listing could be
  // resumed (the caller decided its position is no longer valid).
  bool restart = false;
};

// One listing page, applied in one transaction together with the position
// that follows it: after a crash the listing resumes exactly after the last
// page whose rows are in the database.
struct ListingPage {
  std::string bucket;
  std::vector<ListedObject> objects;
  std::string next_token;               // continuation token or next key-marker
  std::string next_version_id_marker;
  std::string last_key;                 // last key of this page ("" when none)
  int64_t noncurrent_versions = 0;      // in this page
  int64_t noncurrent_bytes = 0;
  int64_t delete_markers = 0;
  // The listing ends with this page: mark the bucket complete in the same
  // transaction, and (when detect_gone) mark objects this generation never
  // listed as gone.
  bool last_page = false;
  bool detect_gone = true;
  // The key range this page lists (ListingRange::start; "" = the first, or
  // the bucket's whole listing). A range's end may move down while its page
  // is listed (another lister split it): rows past the end are left to the
  // range above, and the range is done.
  std::string range_start = {};
  // ListObjectVersions pages: noncurrent versions and delete markers by key,
  // counted (with the counts above) only when inside the page's range.
  struct OtherVersion {
    std::string key;
    int64_t size = 0;
    bool delete_marker = false;
  };
  std::vector<OtherVersion> other_versions = {};
};

struct PageOutcome {
  int64_t inserted = 0;     // new objects
  int64_t changed = 0;      // ETag, size or version changed: back to discovered
  int64_t reappeared = 0;   // listed again after `deleted` or after being gone
  int64_t unchanged = 0;
  // Filled on the last page when detect_gone:
  int64_t gone_before_download = 0;  // now 'error', gone_at set
  int64_t gone_after_download = 0;   // downloaded/verified, copy kept, gone_at set
  // What of the page was recorded (the rows inside its range).
  int64_t objects = 0;
  int64_t bytes = 0;
  int64_t noncurrent_versions = 0;
  int64_t delete_markers = 0;
  bool range_done = false;       // the page's range is listed to its end (or already was)
  bool bucket_complete = false;  // the bucket's listing completed with this page
};

// One row of `files`, as the engine and `reset` need it.
struct FileRecord {
  int64_t id = 0;
  std::string bucket;
  std::string key;
  std::string version_id;
  int64_t size = 0;
  std::string etag;
  std::string storage_class;
  bool archived = false;
  std::string last_modified;
  FileState state = FileState::kDiscovered;
  int64_t attempts = 0;
  std::optional<std::string> error_message;
  std::optional<std::string> local_path;
  std::optional<std::string> restore_expiry;
  std::optional<std::string> gone_at;
  std::optional<std::string> previous_etag;
  std::optional<std::string> previous_local_path;
  // How the copy at local_path was verified (`s3migrate verify` checks it
  // again with these): "crc64nvme", "multipart-etag(8MiB parts)",
  // "size-only", ...; the checksum or ETag it matched, as S3 spells it
  // (empty in rows verified before schema 5); the part size (0 = unknown).
  std::string verified_by;
  std::string verified_checksum;
  int64_t part_size = 0;
};

// Counts and bytes.
struct Tally {
  int64_t files = 0;
  int64_t bytes = 0;
  void Add(int64_t f, int64_t b) {
    files += f;
    bytes += b;
  }
};

// One (state, storage class) group of the status query.
struct StateClassTally {
  std::string bucket;  // "" in the global summary
  FileState state = FileState::kDiscovered;
  std::string storage_class;
  Tally tally;
  int64_t get_requests = 0;  // GETs to fetch them: files + bytes / chunk (an upper estimate)
};

struct EarlyDeletionTally {
  std::string storage_class;  // "GLACIER" or "DEEP_ARCHIVE"
  int minimum_days = 0;
  int64_t young_files = 0;       // stored fewer than minimum_days so far
  int64_t young_bytes = 0;
  double remaining_byte_days = 0;  // sum of size * days left until the minimum
};

struct SummaryOptions {
  bool by_bucket = false;
  uint64_t chunk_size = 8ull << 20;  // to count ranged GETs
  Clock::WallTime now;
};

// Everything `status` prints, from SQL aggregates only.
struct Summary {
  int schema_version = 0;
  std::vector<BucketRecord> buckets;
  std::vector<StateClassTally> groups;             // global, by state and storage class
  std::vector<StateClassTally> bucket_groups;      // with by_bucket, by bucket and state
  Tally archived_other_discovered;  // e.g. INTELLIGENT_TIERING found archived by the engine
  std::vector<EarlyDeletionTally> early_deletion;
  Tally gone_before_download;
  Tally gone_after_download;
  Tally previous_copies;  // changed objects whose older local copy is kept
  // The migrate workers: live ones first, then the most recently stopped
  // (at most kSummaryWorkers).
  std::vector<WorkerRecord> workers;
};
inline constexpr int kSummaryWorkers = 20;

// One progress sample of a migrate run (table progress_samples).
struct ProgressSample {
  std::string at;              // ISO 8601 UTC, to the second
  std::string run_started_at;  // the run it belongs to
  int64_t bytes_received = 0;  // by that run so far
  int64_t active_transfers = 0;
  int64_t restores_in_flight = 0;
  int64_t restores_ready = 0;
  int64_t errors_this_run = 0;
  bool run_ended = false;  // the last sample of its run
  std::array<Tally, kAllFileStates.size()> by_state{};  // indexed by FileState
};

// Restores of one tier in one state (restore requests in flight, or
// restored copies waiting for their download).
struct RestoreGroup {
  std::string tier;  // restore_tier as requested ("" when not recorded)
  FileState state = FileState::kGlacierRestoreRequested;  // kDiscovered: restored, waiting
  Tally tally;
  std::optional<std::string> oldest_request;   // min(restore_requested_at)
  std::optional<std::string> earliest_expiry;  // min(restore_expiry)
  std::optional<std::string> latest_expiry;
};

// For `report`: how the copies were verified, what restores were paid for,
// what stays in S3, and the runs the progress samples saw.
struct MethodTally {
  std::string method;  // verified_by ("" when not recorded)
  FileState state = FileState::kVerified;  // kVerified or kDeleted
  Tally tally;
};
struct RestoreSpent {
  std::string storage_class;
  std::string tier;
  Tally tally;  // objects with a restore requested, and their bytes
};
struct LeftTally {
  FileState state = FileState::kDiscovered;
  bool archived = false;
  bool size_only = false;  // verified by size only
  Tally tally;
};
struct RunSpan {
  std::string started_at;
  std::string last_sample_at;
  int64_t bytes_received = 0;  // the most its samples saw
  int64_t samples = 0;
};
struct ReportFigures {
  std::vector<MethodTally> methods;
  std::vector<RestoreSpent> restores;
  std::vector<LeftTally> left;
  std::vector<RunSpan> runs;
  std::optional<std::string> first_verified_at, last_deleted_at;
};

struct RetryOutcome {
  int64_t retried = 0;
  int64_t gone_left = 0;  // errors for objects gone from S3, left as they are
};

enum class OpenMode {
  kRead,   // reads only; an older schema is upgraded first if no writer holds the lock
  kWrite,  // takes the WriterLock, creates and upgrades the schema
};

// Processes that may write one PostgreSQL state at once, each a worker
// (store/workers.h): migrate workers claim objects, scan workers buckets.
enum class WorkerGroup { kNone, kMigrate, kScan };

struct StoreOptions {
  OpenMode mode = OpenMode::kRead;
  std::string command = "s3migrate";  // recorded in the lock file
  Synchronous synchronous = Synchronous::kNormal;
  Clock* clock = nullptr;  // null = Clock::Real()
  int busy_timeout_ms = 10000;
  // kWrite on PostgreSQL: the workers of one group share the writer lock
  // with each other (they coordinate through claims), never with another
  // group or a lone writer (kNone: reset, retry, rescan, ...). SQLite's lock
  // stays exclusive.
  WorkerGroup workers = WorkerGroup::kNone;
};

class StateStore {
 public:
  static Result<std::unique_ptr<StateStore>> Open(const std::string& path, const StoreOptions& options);
  ~StateStore();

  const std::string& path() const { return db_->path(); }
  Database& database() { return *db_; }
  // Other migrate workers may write this state beside this process (a
  // PostgreSQL state opened with shared_with_workers); false: it is this
  // process's alone.
  bool shared_with_workers() const { return shared_with_workers_; }
  // Another connection to the same database, for a thread of its own (a
  // worker's heartbeat): no lock, no schema check.
  Result<std::unique_ptr<Database>> OpenAnotherConnection() const;

  // --- Buckets and listings (scan, rescan) -------------------------------
  Result<std::optional<BucketRecord>> GetBucket(const std::string& name);
  Result<std::vector<BucketRecord>> Buckets();
  // Records a listing as started (or resumed) and returns the bucket row to
  // continue from: its generation and, when resuming, its position.
  Result<BucketRecord> StartListing(const StartListingRequest& request);

  // --- Scan workers (several `scan` processes on one shared state) -------
  // From now on this store lists for worker `id`: a bucket is listed by the
  // worker that claimed it (buckets.claimed_by), and a page is recorded only
  // while its worker still holds the bucket (else kConflict: its lease
  // lapsed and another took the bucket over).
  void SetScanWorker(int64_t id) { scan_worker_ = id; }
  enum class BucketClaim {
    kClaimed,        // this worker lists it now
    kHeldElsewhere,  // a live other worker lists it
    kComplete,       // listed to the end already
  };
  Result<BucketClaim> ClaimBucket(const std::string& bucket);
  // Of `names`, the buckets whose listing has not ended ('pending' or
  // 'listing'): those no live worker holds (this one may take them over)
  // and how many live others still list.
  struct Unfinished {
    std::vector<std::string> claimable;
    // Split listings with a range no live worker holds (ClaimRanges).
    std::vector<std::string> ranges_claimable;
    int64_t held_elsewhere = 0;
  };
  Result<Unfinished> UnfinishedListings(const std::vector<std::string>& names);

  // --- Key ranges (one bucket listed by several listers; listing_ranges.cc)
  // The ranges being listed now, past their first page, of every bucket
  // whose listing is under way: what an idle lister may split.
  Result<std::vector<ListingRange>> RangesBeingListed();
  // Splits `range` at key `at`: it ends at `at`, and a new range (after
  // `at`, to its old end) is returned, held by this store's worker, for the
  // caller to list. nullopt when the range moved meanwhile (its lister
  // passed `at`, it was split or it ended). The first split moves the
  // bucket row's position into listing_ranges.
  Result<std::optional<ListingRange>> SplitListing(const ListingRange& range, const std::string& at);
  // The unfinished ranges of a split listing that no live worker holds,
  // claimed for this store's worker (every unfinished one without workers).
  Result<std::vector<ListingRange>> ClaimRanges(const std::string& bucket);
  Result<PageOutcome> ApplyPage(const ListingPage& page);
  // Pages applied between these two share one transaction: each page's rows
  // still commit together with the position after it (and never without
  // it); there are only fewer commits when the writer has pages waiting. A
  // page that fails is undone to its own savepoint; the pages before it
  // commit with the group.
  Status BeginPageGroup();
  Status CommitPageGroup();
  // Marks the bucket's listing failed; its committed position is kept so
  // the next scan resumes. Never marks it complete (PRODUCT.md §5.7).
  Status FailListing(const std::string& bucket, const std::string& error);

  // --- Objects -----------------------------------------------------------
  // One object's row, for `reset` and `status` (the engine reads rows as
  // MigrationStore's WorkItems and changes them only through it).
  Result<std::optional<FileRecord>> GetFile(const std::string& bucket, const std::string& key);
  // `reset BUCKET KEY`: back to discovered, attempts and error cleared.
  // kInvalidArgument when no such object is recorded or it was already
  // deleted from S3. Returns the state it was in.
  Result<FileState> ResetObject(const std::string& bucket, const std::string& key);
  // `retry`: every error back to discovered, except objects gone from S3.
  Result<RetryOutcome> RetryErrors(const std::optional<std::string>& bucket);
  // Up to `limit` verified copies (state 'verified' or 'deleted', with a
  // local path) with id > `after_id`, in id order, of one bucket or all:
  // page through with the last id returned.
  Result<std::vector<FileRecord>> VerifiedCopies(const std::optional<std::string>& bucket,
                                                   int64_t after_id, int limit);

  // --- Aggregates (status) -----------------------------------------------
  Result<Summary> Summarize(const SummaryOptions& options);

  // --- Watching (the live page, /metrics, report; watch_queries.cc) -------
  // Appends a sample and drops those beyond the newest kMaxProgressSamples.
  static constexpr int64_t kMaxProgressSamples = 250000;
  Status AddProgressSample(const ProgressSample& sample);
  // The samples, oldest first, thinned evenly to at most `max_points` (the
  // newest is always included).
  Result<std::vector<ProgressSample>> ProgressSamples(int max_points);
  // Objects in `error`, the most recently changed first, at most `limit`;
  // and how many there are in all.
  Result<std::pair<std::vector<FileRecord>, int64_t>> RecentErrors(int limit);
  // Restores in flight or restored and waiting, by tier and state.
  Result<std::vector<RestoreGroup>> RestoreGroups();
  // The report's aggregates (full scans of `files`: for a report, not a page).
  Result<ReportFigures> ReportAggregates();

 private:
  StateStore(std::unique_ptr<Database> db, std::optional<WriterLock> lock, Clock* clock);
  // A PostgreSQL state (postgresql:// URI). A writer takes the advisory
  // writer lock (the WriterLock's stand-in) and makes the schema in an empty
  // database; a reader needs a state already there.
  static Result<std::unique_ptr<StateStore>> OpenPostgres(const std::string& uri, const StoreOptions& options,
                                                          Clock* clock);
  Status PrepareWriteStatements();
  std::string Now() const;
  // Rows this store inserts are counted into file_totals per page (the
  // UPDATE/DELETE triggers count everything else): key = (state, storage
  // class, archived, archived_day). The views point into the page being
  // applied and into static state names: a delta lives for one ApplyPage.
  using TotalsKey = std::tuple<std::string_view, std::string_view, int64_t, std::string_view>;
  using TotalsDelta = std::map<TotalsKey, Tally>;
  Result<PageOutcome> ApplyObjectLocked(const std::string& bucket, int64_t generation,
                                        const ListedObject& object, const std::string& now,
                                        TotalsDelta& inserted);
  Status AddToTotalsLocked(const std::string& bucket, const TotalsDelta& inserted);
  // The parts of ApplyPage (listing_pages.cc), each within its transaction:
  // the end of the page's range as it is now (nullopt: the range is done or
  // gone); the page's objects recorded; the bucket's counts and position.
  Result<std::optional<std::string>> OpenRangeEndLocked(const ListingPage& page);
  Result<PageOutcome> ApplyObjectsLocked(const std::string& bucket, int64_t generation,
                                         const std::vector<ListedObject>& objects, const std::string& now);
  Status RecordPageCountsLocked(const ListingPage& page, bool of_a_range, const PageOutcome& total,
                                int64_t noncurrent_bytes, const std::string& now);
  // Adds one inserted object to its totals group.
  static void CountInserted(const ListedObject& object, TotalsDelta& inserted);
  // Inserts the leading whole batches of a fresh bucket's page; returns how
  // many objects it took (the rest go through ApplyObjectLocked).
  Result<size_t> InsertFreshBatchesLocked(const std::string& bucket, int64_t generation,
                                          const std::vector<ListedObject>& objects,
                                          const std::string& now, TotalsDelta& inserted,
                                          PageOutcome& outcome);
  Result<PageOutcome> MarkGoneLocked(const std::string& bucket, int64_t generation,
                                     const std::string& now);
  // The bucket row, locked to the end of the transaction on PostgreSQL: a
  // page of a range and a split of it take the bucket first, so a split
  // never passes a page being recorded (and no two lock in other orders).
  Result<std::optional<BucketRecord>> LockBucket(const std::string& name);
  // Notes whether the bucket's current generation started with no older
  // rows (its objects are then inserted without a lookup).
  Status NoteFreshness(const std::string& bucket, int64_t generation);
  // The ranged part of ApplyPage: the page's range position, and the
  // bucket complete when it was its last unfinished range.
  Status RecordRangePage(const ListingPage& page, const BucketRecord& bucket, const std::string& now,
                         PageOutcome& outcome);
  Status CompleteListing(const std::string& bucket, int64_t generation, bool detect_gone,
                         const std::string& now, PageOutcome& outcome);
  // kConflict: this scan worker's claim on `bucket` (or on a range of it)
  // lapsed and another worker took the listing over.
  Status LostBucket(const std::string& bucket) const;

  // Buckets whose listing generation started with no older rows: their
  // objects are inserted without looking for an existing row first.
  std::set<std::string> fresh_buckets_;
  std::set<std::string> freshness_noted_;  // buckets NoteFreshness looked at
  std::optional<Transaction> page_group_;  // declared before db_: rolled back before it closes
  std::optional<WriterLock> lock_;  // held for the life of a writing store
  std::unique_ptr<Database> db_;    // declared after lock_: closed before the lock is released
  Clock* clock_;
  std::string open_path_;  // as given (a URI may hold a password: never shown)
  bool shared_with_workers_ = false;
  int64_t scan_worker_ = 0;  // SetScanWorker
  // " AND claimed_by = <scan worker>" when one is set.
  std::string HeldBucketSql() const;
  // Hot statements of the listing path, prepared once.
  Statement find_latest_;
  Statement insert_file_;
  Statement insert_new_file_;
  Statement add_totals_;
  Statement insert_new_batch_;  // prepared on first use
  Statement touch_file_;
  Statement refresh_file_;
  Statement replace_file_;
  Statement clear_chunks_;
};

}  // namespace s3m::store
