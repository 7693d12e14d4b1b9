#include "scan/scanner.h"

#include <algorithm>
#include <chrono>
#include <map>
#include <optional>
#include <set>
#include <thread>

#include "core/logging.h"
#include "scan/lister.h"
#include "scan/listing_queue.h"

namespace s3m::scan {

int ScanReport::failed() const {
  return static_cast<int>(std::count_if(buckets.begin(), buckets.end(), [](const auto& b) {
    return b.outcome == BucketOutcome::kFailed;
  }));
}

namespace {

// The fields ObjectSummary (ListObjectsV2) and ObjectVersion share.
template <typename Entry>
store::ListedObject ListedFromEntry(const Entry& entry) {
  store::ListedObject o;
  o.key = entry.key;
  o.size = entry.size;
  o.etag = entry.etag;
  o.storage_class = entry.storage_class.empty() ? "STANDARD" : entry.storage_class;
  o.last_modified = entry.last_modified;
  if (!entry.checksum_algorithms.empty()) o.checksum_algorithm = entry.checksum_algorithms.front();
  o.checksum_type = entry.checksum_type;
  if (entry.restore_status) {
    o.restore_in_progress = entry.restore_status->in_progress;
    if (!entry.restore_status->in_progress) o.restore_expiry = entry.restore_status->expiry_date;
  }
  return o;
}

}  // namespace

store::ListedObject ListedFromSummary(const s3::ObjectSummary& summary) {
  return ListedFromEntry(summary);
}

store::ListedObject ListedFromVersion(const s3::ObjectVersion& version) {
  store::ListedObject o = ListedFromEntry(version);
  o.version_id = version.version_id;
  return o;
}

std::string NextVersionIdMarker(const s3::ListObjectVersionsPage& page) {
  if (page.next_version_id_marker != "null" || page.versions.empty()) return page.next_version_id_marker;
  const s3::ObjectVersion& last = page.versions.back();
  if (last.key != page.next_key_marker || last.version_id.empty()) return page.next_version_id_marker;
  return last.version_id;
}

bool ListingWentBack(std::string_view previous_last, std::string_view first, bool allow_equal) {
  if (previous_last.empty()) return false;
  // S3 lists keys in UTF-8 byte order; some servers (s3rver, on JavaScript
  // strings) in UTF-16 code unit order. The two differ only for keys mixing
  // characters above U+FFFF with ones in U+E000..U+FFFF, so a page that
  // starts before the previous one ended in BOTH orders went back.
  auto utf16_units = [](std::string_view s) {
    std::u16string out;
    for (size_t i = 0; i < s.size();) {
      const auto c = static_cast<unsigned char>(s[i]);
      const size_t len = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xe ? 3 : (c >> 3) == 0x1e ? 4 : 0;
      if (len == 0 || i + len > s.size()) {
        out.push_back(c);  // not UTF-8: compare the byte itself
        ++i;
        continue;
      }
      uint32_t cp = len == 1 ? c : c & (0x7f >> len);
      for (size_t k = 1; k < len; ++k) cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3f);
      if (cp >= 0x10000) {
        cp -= 0x10000;
        out.push_back(static_cast<char16_t>(0xd800 + (cp >> 10)));
        out.push_back(static_cast<char16_t>(0xdc00 + (cp & 0x3ff)));
      } else {
        out.push_back(static_cast<char16_t>(cp));
      }
      i += len;
    }
    return out;
  };
  const bool back_in_bytes = allow_equal ? first < previous_last : first <= previous_last;
  const auto a = utf16_units(previous_last);
  const auto b = utf16_units(first);
  const bool back_in_utf16 = allow_equal ? b < a : b <= a;
  return back_in_bytes && back_in_utf16;
}

// The listers' calls on the state, run on the writer thread (the one that
// called Scanner::Run), which also keeps each bucket's result.
class Scanner::WriterSide : public ListingWriter {
 public:
  WriterSide(store::StateStore& state, const ScanOptions& options, const std::set<std::string>& buckets,
             std::map<std::string, BucketScanResult>& results)
      : state_(state), options_(options), buckets_(buckets), results_(results) {}

  Result<StartReply> StartBucket(const store::StartListingRequest& request) override {
    StartReply reply;
    if (options_.worker != nullptr) {
      S3M_ASSIGN_OR_RETURN(store::StateStore::BucketClaim claim, state_.ClaimBucket(request.bucket));
      if (claim != store::StateStore::BucketClaim::kClaimed) {
        reply.elsewhere = true;  // another scan worker lists it (or listed it to the end)
        return reply;
      }
    }
    S3M_ASSIGN_OR_RETURN(reply.record, state_.StartListing(request));
    BucketScanResult& r = results_[request.bucket];
    r.region = request.region;
    r.versioning = request.versioning;
    r.gone_detection = !options_.filter.FiltersKeys(request.bucket);
    if (reply.record.ranged) {
      S3M_ASSIGN_OR_RETURN(reply.ranges, state_.ClaimRanges(request.bucket));
    }
    return reply;
  }

  Result<std::vector<store::ListingRange>> ClaimRanges(const std::string& bucket) override {
    return state_.ClaimRanges(bucket);
  }

  Result<std::vector<store::ListingRange>> RangesBeingListed() override {
    S3M_ASSIGN_OR_RETURN(std::vector<store::ListingRange> all, state_.RangesBeingListed());
    std::vector<store::ListingRange> ours;
    for (auto& range : all) {
      if (buckets_.count(range.bucket)) ours.push_back(std::move(range));
    }
    return ours;
  }

  Result<std::optional<store::ListingRange>> Split(const store::ListingRange& range, const std::string& at) override {
    return state_.SplitListing(range, at);
  }

 private:
  store::StateStore& state_;
  const ScanOptions& options_;
  const std::set<std::string>& buckets_;
  std::map<std::string, BucketScanResult>& results_;
};

Scanner::Scanner(s3::ObjectStore& objects, store::StateStore& state, ScanOptions options)
    : objects_(objects), state_(state), options_(std::move(options)), board_(std::make_unique<JobBoard>()) {}

Scanner::~Scanner() = default;

void Scanner::Record(BucketScanResult& r, const store::PageOutcome& applied, ScanReport& report,
                     ScanObserver* observer) {
  r.counts.inserted += applied.inserted;
  r.counts.changed += applied.changed;
  r.counts.reappeared += applied.reappeared;
  r.counts.unchanged += applied.unchanged;
  r.counts.gone_before_download += applied.gone_before_download;
  r.counts.gone_after_download += applied.gone_after_download;
  r.objects_listed += applied.objects;
  r.bytes_listed += applied.bytes;
  r.noncurrent_versions += applied.noncurrent_versions;
  r.delete_markers += applied.delete_markers;
  report.objects_listed += applied.objects;
  if (observer != nullptr) observer->OnPage(r.bucket, applied.objects, report.objects_listed);
  if (applied.bucket_complete) {
    r.outcome = BucketOutcome::kComplete;
    r.error = Status::Ok();
    if (observer != nullptr) observer->OnBucketDone(r);
  }
}

Status Scanner::ListAll(std::vector<ListingJob> jobs, std::map<std::string, BucketScanResult>& results,
                        ScanReport& report, ScanObserver* observer) {
  // Listers produce, this thread writes. With splitting, every lister
  // starts: those without a bucket of their own split the others' listings.
  const bool split = options_.split_listings;
  const int threads = split ? std::max(1, options_.parallel_buckets)
                            : std::max(1, std::min<int>(options_.parallel_buckets, static_cast<int>(jobs.size())));
  if (jobs.empty() && !split) return Status::Ok();
  for (ListingJob& job : jobs) board_->Add(std::move(job));
  WriterSide writer(state_, options_, run_buckets_, results);
  MessageQueue queue(static_cast<size_t>(2 * threads + 2), threads);
  std::vector<std::thread> listers;
  for (int i = 0; i < threads; ++i) {
    listers.emplace_back([&] { Lister(objects_, options_, queue, *board_, writer).Run(split); });
  }

  Status fatal;
  // Pages already waiting when the writer takes one are applied in the same
  // transaction (StateStore::BeginPageGroup): one commit for several pages
  // when listing outpaces the database. A group holds one bucket's pages:
  // it locks that bucket's row only, so two workers' groups never wait on
  // each other in opposite orders.
  constexpr int kMaxPagesPerCommit = 8;
  int grouped_pages = 0;
  std::string group_bucket;
  std::set<std::string> touched;
  std::set<std::string> interrupted;
  for (;;) {
    std::optional<Message> m;
    if (grouped_pages > 0 && grouped_pages < kMaxPagesPerCommit && fatal.ok()) {
      m = queue.TryPopPage(group_bucket);
    }
    if (!m && grouped_pages > 0) {
      grouped_pages = 0;
      // A page that failed was undone to its savepoint; the pages before it
      // are whole, with their positions, and are kept.
      if (Status committed = state_.CommitPageGroup(); !committed.ok() && fatal.ok()) {
        fatal = committed;
        queue.Close();
      }
    }
    if (!m) m = queue.Pop();
    if (!m) break;
    if (!fatal.ok()) {
      // Draining after a database failure: release listers still waiting.
      if (m->kind == Message::Kind::kCall) (void)m->call(false);
      continue;
    }
    if (m->kind == Message::Kind::kPage && grouped_pages == 0) {
      if (Status begun = state_.BeginPageGroup(); !begun.ok()) {
        fatal = begun;
        queue.Close();
        continue;
      }
      group_bucket = m->bucket;
    }
    switch (m->kind) {
      case Message::Kind::kCall: {
        if (Status called = m->call(true); !called.ok()) {
          fatal = called;
          queue.Close();
        }
        break;
      }
      case Message::Kind::kPage: {
        ++grouped_pages;
        touched.insert(m->bucket);
        auto applied = state_.ApplyPage(m->page);
        if (!applied.ok()) {
          fatal = applied.status();
          queue.Close();
          break;
        }
        if (applied->range_done) board_->MarkDone(m->bucket, m->page.range_start);
        Record(results[m->bucket], *applied, report, observer);
        break;
      }
      case Message::Kind::kEnd: {
        touched.insert(m->bucket);
        if (m->outcome == BucketOutcome::kInterrupted) interrupted.insert(m->bucket);
        BucketScanResult& r = results[m->bucket];
        if (m->listed) ++r.ranges;
        if (m->outcome != BucketOutcome::kFailed || r.outcome == BucketOutcome::kComplete ||
            r.outcome == BucketOutcome::kFailed) {
          break;
        }
        // One range's failure is its bucket's: the listing stays resumable
        // from every range's committed position.
        r.outcome = BucketOutcome::kFailed;
        r.error = m->error;
        if (Status recorded = state_.FailListing(m->bucket, r.error.ToString()); !recorded.ok()) {
          fatal = recorded;
          queue.Close();
          break;
        }
        if (observer != nullptr) observer->OnBucketDone(r);
        break;
      }
    }
  }
  for (auto& t : listers) t.join();
  // A bucket neither complete nor failed: this run stopped listing it, or
  // other scan workers list the rest.
  for (const std::string& name : touched) {
    BucketScanResult& r = results[name];
    if (r.outcome == BucketOutcome::kComplete || r.outcome == BucketOutcome::kFailed) continue;
    r.outcome = interrupted.count(name) ? BucketOutcome::kInterrupted : BucketOutcome::kElsewhere;
    if (observer != nullptr && fatal.ok()) observer->OnBucketDone(r);
  }
  return fatal;
}

bool Scanner::Stopped() const {
  return (options_.cancelled != nullptr && options_.cancelled->load()) ||
         (options_.worker != nullptr && options_.worker->lost());
}

Status Scanner::FinishWithOthers(const std::vector<std::string>& work,
                                 std::map<std::string, BucketScanResult>& results, ScanReport& report,
                                 ScanObserver* observer) {
  while (!Stopped()) {
    S3M_ASSIGN_OR_RETURN(store::StateStore::Unfinished left, state_.UnfinishedListings(work));
    // Left by a worker that died (or stopped part-way): resumed from the
    // committed positions.
    std::vector<ListingJob> jobs;
    for (const std::string& bucket : left.claimable) jobs.push_back({ListingJob::Kind::kBucket, bucket, {}});
    for (const std::string& bucket : left.ranges_claimable) {
      jobs.push_back({ListingJob::Kind::kClaimRanges, bucket, {}});
    }
    if (!jobs.empty()) {
      S3M_RETURN_IF_ERROR(ListAll(std::move(jobs), results, report, observer));
      continue;
    }
    if (left.held_elsewhere == 0) break;
    // Others still list: split what they have left.
    if (options_.split_listings) S3M_RETURN_IF_ERROR(ListAll({}, results, report, observer));
    SleepUnlessCancelled(Clock::Real(), std::chrono::seconds(1), options_.cancelled);
  }
  // What the bucket's listing found, by every worker.
  for (auto& [name, r] : results) {
    if (r.outcome != BucketOutcome::kElsewhere && r.outcome != BucketOutcome::kComplete) continue;
    S3M_ASSIGN_OR_RETURN(std::optional<store::BucketRecord> record, state_.GetBucket(name));
    if (!record) continue;
    r.region = record->region;
    r.versioning = record->versioning;
    r.objects_listed = record->listed_objects;
    r.bytes_listed = record->listed_bytes;
    r.noncurrent_versions = record->noncurrent_versions;
    r.delete_markers = record->delete_markers;
    if (record->scan_state == "complete") {
      // Listed to the end; by this worker too when it listed a range of it.
      if (r.ranges > 0) r.outcome = BucketOutcome::kComplete;
    } else if (record->scan_state == "failed") {
      r.outcome = BucketOutcome::kFailed;
      r.error = Status::Error(ErrorKind::kFatal, record->last_error.value_or("the listing failed"),
                              ErrorContext::ForObject("scan", name));
    } else {
      r.outcome = BucketOutcome::kInterrupted;  // this run stopped before the others finished
    }
  }
  return Status::Ok();
}

Result<ScanReport> Scanner::Run(ScanObserver* observer) {
  const auto started = std::chrono::steady_clock::now();
  ScanReport report;

  // 1. Which buckets.
  std::vector<std::string> names = options_.buckets;
  if (names.empty()) {
    auto listed = objects_.ListBuckets();
    if (!listed.ok()) return listed.status();
    for (const auto& b : *listed) {
      if (options_.filter.BucketSelected(b.name)) names.push_back(b.name);
    }
  }
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());

  // 2. scan skips what is already complete; rescan lists everything again.
  std::map<std::string, BucketScanResult> results;
  std::vector<std::string> work;
  for (const auto& name : names) {
    BucketScanResult r;
    r.bucket = name;
    S3M_ASSIGN_OR_RETURN(std::optional<store::BucketRecord> existing, state_.GetBucket(name));
    if (existing) {
      r.region = existing->region;
      r.versioning = existing->versioning;
    }
    if (options_.mode == ScanMode::kScan && existing && existing->scan_state == "complete") {
      r.outcome = BucketOutcome::kSkipped;
      r.objects_listed = existing->listed_objects;
      r.bytes_listed = existing->listed_bytes;
    } else {
      work.push_back(name);
      r.resumed = existing && existing->resumable();
      r.outcome = BucketOutcome::kInterrupted;  // until its lister reports the end
    }
    results.emplace(name, std::move(r));
  }

  run_buckets_ = std::set<std::string>(work.begin(), work.end());
  std::vector<ListingJob> jobs;
  for (const std::string& bucket : work) jobs.push_back({ListingJob::Kind::kBucket, bucket, {}});
  S3M_RETURN_IF_ERROR(ListAll(std::move(jobs), results, report, observer));
  if (options_.worker != nullptr) S3M_RETURN_IF_ERROR(FinishWithOthers(work, results, report, observer));
  if (options_.worker != nullptr && options_.worker->lost()) return options_.worker->LostStatus();

  report.interrupted = options_.cancelled != nullptr && options_.cancelled->load();
  for (auto& [name, r] : results) report.buckets.push_back(std::move(r));
  report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return report;
}

}  // namespace s3m::scan
