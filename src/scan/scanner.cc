#include "scan/scanner.h"

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <future>
#include <map>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_set>

#include <fmt/format.h>

#include "core/logging.h"

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

namespace {

// Control characters as \xNN, so a key with a newline stays on one line.
std::string PrintableForMessage(std::string_view key) {
  std::string out;
  for (char ch : key) {
    const auto c = static_cast<unsigned char>(ch);
    if (c < 0x20 || c == 0x7f) {
      out += fmt::format("\\x{:02x}", c);
    } else {
      out.push_back(ch);
    }
  }
  return out;
}

constexpr const char* kListObjectsV2 = "ListObjectsV2";
constexpr const char* kListObjectVersions = "ListObjectVersions";

// What a lister sends the writer. Handled strictly in arrival order, so a
// bucket's end always follows its last page.
struct Message {
  enum class Kind { kStart, kPage, kEnd } kind = Kind::kPage;
  std::string bucket;
  // kStart: the listing to record; the writer answers with the bucket row.
  store::StartListingRequest start;
  std::promise<Result<store::BucketRecord>>* reply = nullptr;
  // kPage
  store::ListingPage page;
  // kEnd
  BucketOutcome outcome = BucketOutcome::kComplete;
  Status error;
};

// A FIFO of at most `capacity` messages between the listers and the writer:
// listers block while the writer is behind, so memory stays bounded.
class MessageQueue {
 public:
  MessageQueue(size_t capacity, int producers) : capacity_(capacity), producers_(producers) {}

  // False when the writer stopped and nobody will read the message.
  bool Push(Message message) {
    std::unique_lock lock(mu_);
    not_full_.wait(lock, [&] { return queue_.size() < capacity_ || closed_; });
    if (closed_) return false;
    queue_.push_back(std::move(message));
    not_empty_.notify_one();
    return true;
  }

  // The next message; nullopt once every producer finished and all is read.
  std::optional<Message> Pop() {
    std::unique_lock lock(mu_);
    not_empty_.wait(lock, [&] { return !queue_.empty() || producers_ == 0; });
    if (queue_.empty()) return std::nullopt;
    Message m = std::move(queue_.front());
    queue_.pop_front();
    not_full_.notify_one();
    return m;
  }

  // The next message if it is a listing page and already waiting; nullopt
  // otherwise (never blocks).
  std::optional<Message> TryPopPage() {
    std::lock_guard lock(mu_);
    if (queue_.empty() || queue_.front().kind != Message::Kind::kPage) return std::nullopt;
    Message m = std::move(queue_.front());
    queue_.pop_front();
    not_full_.notify_one();
    return m;
  }

  void ProducerDone() {
    std::lock_guard lock(mu_);
    --producers_;
    not_empty_.notify_all();
  }

  // The writer gives up: producers' pushes fail from now on.
  void Close() {
    std::lock_guard lock(mu_);
    closed_ = true;
    not_full_.notify_all();
  }

 private:
  const size_t capacity_;
  std::mutex mu_;
  // Guarded by mu_:
  std::deque<Message> queue_;
  int producers_;
  bool closed_ = false;
  std::condition_variable not_full_;
  std::condition_variable not_empty_;
};

}  // namespace

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

namespace {

// Lists one bucket from its recorded position, sending pages to the writer.
class BucketLister {
 public:
  BucketLister(s3::ObjectStore& objects, const ScanOptions& options, MessageQueue& queue,
               std::string bucket)
      : objects_(objects), options_(options), queue_(queue), bucket_(std::move(bucket)) {}

  void Run() {
    Message end;
    end.kind = Message::Kind::kEnd;
    end.bucket = bucket_;
    end.outcome = ListBucket(end.error);
    queue_.Push(std::move(end));
  }

 private:
  bool Cancelled() const {
    return (options_.cancelled != nullptr && options_.cancelled->load()) ||
           (options_.worker != nullptr && options_.worker->lost());
  }

  BucketOutcome Fail(Status& error, Status status) {
    error = std::move(status);
    return BucketOutcome::kFailed;
  }

  Status RepeatedPosition(const std::string& operation, int64_t pages) const {
    return Status::Error(
        ErrorKind::kFatal,
        fmt::format("the server returned a continuation position it had already given (after {} "
                    "pages): the listing would loop forever, so it stops here and the bucket is "
                    "not marked scanned. s3rver 3.7.1 does this on keys containing newlines; "
                    "exclude such keys or list this bucket with another server",
                    pages),
        ErrorContext::ForObject(operation, bucket_));
  }

  Status WentBack(const std::string& operation, const std::string& key) const {
    return Status::Error(
        ErrorKind::kFatal,
        fmt::format("the server listed key \"{}\" again after it had listed later keys: the "
                    "listing went back and could loop forever, so it stops here and the bucket is "
                    "not marked scanned. s3rver 3.7.1 does this on keys containing newlines; "
                    "exclude such keys or list this bucket with another server",
                    PrintableForMessage(key)),
        ErrorContext::ForObject(operation, bucket_));
  }

  Status TruncatedWithoutToken(const std::string& operation) const {
    return Status::Error(ErrorKind::kFatal,
                         "the server said the listing was truncated but gave no position to "
                         "continue from; the bucket is not marked scanned",
                         ErrorContext::ForObject(operation, bucket_));
  }

  // Returns true when this position was seen before in this listing. Keeps a
  // 64-bit hash per page (8 bytes per 1,000 objects listed).
  bool Repeated(const std::string& position) {
    return !seen_positions_.insert(std::hash<std::string>{}(position)).second;
  }

  BucketOutcome ListBucket(Status& error) {
    if (Cancelled()) return BucketOutcome::kInterrupted;
    auto region = objects_.GetBucketRegion(bucket_);
    if (!region.ok()) return Fail(error, region.status());
    auto versioning = objects_.GetBucketVersioning(bucket_);
    std::string versioning_status;
    bool list_versions = false;
    if (versioning.ok()) {
      versioning_status = *versioning;
      // A bucket that ever had versioning may hold noncurrent versions and
      // delete markers: list versions to see (and report) them.
      list_versions = !versioning_status.empty();
    } else if (versioning.status().kind() == ErrorKind::kAuth ||
               versioning.status().kind() == ErrorKind::kAccessDenied ||
               versioning.status().kind() == ErrorKind::kNotFound ||
               versioning.status().kind() == ErrorKind::kCancelled) {
      return Fail(error, versioning.status());
    } else {
      // Servers without versioning answer 501/405, or (s3rver) ignore the
      // query and send a listing. Ask for versions once: if that works the
      // bucket is listed with versions, whatever the first answer was; a
      // versioned bucket must never be taken for an unversioned one.
      s3::ListObjectVersionsRequest probe;
      probe.bucket = bucket_;
      probe.max_keys = 1;
      auto probed = objects_.ListObjectVersions(probe);
      if (probed.ok()) {
        list_versions = true;
      } else if (probed.status().kind() == ErrorKind::kAuth ||
                 probed.status().kind() == ErrorKind::kAccessDenied ||
                 probed.status().kind() == ErrorKind::kNotFound ||
                 probed.status().kind() == ErrorKind::kCancelled) {
        return Fail(error, probed.status());
      } else {
        S3M_LOG_INFO("s3://{}: the server has no versioning API ({}); listing current objects",
                     bucket_, versioning.status().ToString());
      }
    }

    std::promise<Result<store::BucketRecord>> reply;
    Message start;
    start.kind = Message::Kind::kStart;
    start.bucket = bucket_;
    start.start.bucket = bucket_;
    start.start.region = *region;
    start.start.versioning = versioning_status;
    start.start.listing_api = list_versions ? kListObjectVersions : kListObjectsV2;
    start.start.scan_filter = options_.filter.Describe(bucket_);
    start.reply = &reply;
    auto answer = reply.get_future();
    if (!queue_.Push(std::move(start))) return BucketOutcome::kInterrupted;
    Result<store::BucketRecord> record = answer.get();
    // Another scan worker holds the bucket (or listed it to the end).
    if (!record.ok() && record.status().kind() == ErrorKind::kConflict) return BucketOutcome::kElsewhere;
    if (!record.ok()) return Fail(error, record.status());
    last_key_ = record->last_key;
    return record->listing_api == kListObjectVersions ? ListVersions(*record, error)
                                                      : ListObjects(*record, error);
  }

  bool SendPage(store::ListingPage page) {
    Message m;
    m.kind = Message::Kind::kPage;
    m.bucket = bucket_;
    m.page = std::move(page);
    return queue_.Push(std::move(m));
  }

  BucketOutcome ListObjects(const store::BucketRecord& record, Status& error) {
    const bool detect_gone = !options_.filter.FiltersKeys(bucket_);
    s3::ListObjectsV2Request req;
    req.bucket = bucket_;
    req.max_keys = options_.max_keys;
    req.url_encoding = true;
    req.fetch_restore_status = true;
    req.continuation_token = record.continuation_token;
    if (req.continuation_token.empty()) req.start_after = record.last_key;
    bool first = true;
    for (int64_t pages = 0;; ++pages) {
      if (Cancelled()) return BucketOutcome::kInterrupted;
      auto page = objects_.ListObjectsV2(req);
      if (!page.ok() && first && !req.continuation_token.empty() && !record.last_key.empty() &&
          page.status().kind() == ErrorKind::kInvalidArgument) {
        // The recorded token is no longer accepted: resume after the last
        // committed key instead, which every server understands.
        S3M_LOG_INFO("s3://{}: continuation token refused ({}); resuming after the last key",
                     bucket_, page.status().ToString());
        req.continuation_token.clear();
        req.start_after = record.last_key;
        first = false;
        continue;
      }
      if (!page.ok()) return Fail(error, page.status());
      first = false;
      if (!page->objects.empty() &&
          ListingWentBack(last_key_, page->objects.front().key, /*allow_equal=*/false)) {
        return Fail(error, WentBack(kListObjectsV2, page->objects.front().key));
      }
      store::ListingPage out;
      out.bucket = bucket_;
      out.detect_gone = detect_gone;
      for (const s3::ObjectSummary& o : page->objects) {
        if (options_.filter.KeySelected(bucket_, o.key)) out.objects.push_back(ListedFromSummary(o));
      }
      if (!page->objects.empty()) last_key_ = out.last_key = page->objects.back().key;
      if (page->is_truncated) {
        if (page->next_continuation_token.empty()) return Fail(error, TruncatedWithoutToken(kListObjectsV2));
        if (Repeated(page->next_continuation_token)) {
          return Fail(error, RepeatedPosition(kListObjectsV2, pages + 1));
        }
        out.next_token = page->next_continuation_token;
      } else {
        out.last_page = true;
      }
      if (!SendPage(std::move(out))) return BucketOutcome::kInterrupted;
      if (!page->is_truncated) return BucketOutcome::kComplete;
      req.continuation_token = page->next_continuation_token;
      req.start_after.clear();
    }
  }

  BucketOutcome ListVersions(const store::BucketRecord& record, Status& error) {
    const bool detect_gone = !options_.filter.FiltersKeys(bucket_);
    s3::ListObjectVersionsRequest req;
    req.bucket = bucket_;
    req.max_keys = options_.max_keys;
    req.url_encoding = true;
    req.key_marker = record.continuation_token;
    req.version_id_marker = record.version_id_marker;
    for (int64_t pages = 0;; ++pages) {
      if (Cancelled()) return BucketOutcome::kInterrupted;
      auto page = objects_.ListObjectVersions(req);
      if (!page.ok()) return Fail(error, page.status());
      // Versions of one key may continue on the next page: equal is fine.
      if (!page->versions.empty() &&
          ListingWentBack(last_key_, page->versions.front().key, /*allow_equal=*/true)) {
        return Fail(error, WentBack(kListObjectVersions, page->versions.front().key));
      }
      store::ListingPage out;
      out.bucket = bucket_;
      out.detect_gone = detect_gone;
      for (const s3::ObjectVersion& v : page->versions) {
        if (!options_.filter.KeySelected(bucket_, v.key)) continue;
        if (v.is_delete_marker) {
          // A latest delete marker means the key has no current object.
          ++out.delete_markers;
        } else if (v.is_latest) {
          out.objects.push_back(ListedFromVersion(v));
        } else {
          ++out.noncurrent_versions;
          out.noncurrent_bytes += static_cast<int64_t>(v.size);
        }
      }
      if (!page->versions.empty()) last_key_ = out.last_key = page->versions.back().key;
      if (page->is_truncated) {
        if (page->next_key_marker.empty()) return Fail(error, TruncatedWithoutToken(kListObjectVersions));
        if (Repeated(page->next_key_marker + '\0' + page->next_version_id_marker)) {
          return Fail(error, RepeatedPosition(kListObjectVersions, pages + 1));
        }
        out.next_token = page->next_key_marker;
        out.next_version_id_marker = page->next_version_id_marker;
      } else {
        out.last_page = true;
      }
      if (!SendPage(std::move(out))) return BucketOutcome::kInterrupted;
      if (!page->is_truncated) return BucketOutcome::kComplete;
      req.key_marker = page->next_key_marker;
      req.version_id_marker = page->next_version_id_marker;
    }
  }

  s3::ObjectStore& objects_;
  const ScanOptions& options_;
  MessageQueue& queue_;
  const std::string bucket_;
  std::unordered_set<size_t> seen_positions_;
  std::string last_key_;  // last key of the previous page (resumes start from the recorded one)
};

}  // namespace

Scanner::Scanner(s3::ObjectStore& objects, store::StateStore& state, ScanOptions options)
    : objects_(objects), state_(state), options_(std::move(options)) {}

Status Scanner::ListAll(const std::vector<std::string>& work, std::map<std::string, BucketScanResult>& results,
                       ScanReport& report, ScanObserver* observer) {
  // Listers produce, this thread writes.
  const int threads = std::max(1, std::min<int>(options_.parallel_buckets, static_cast<int>(work.size())));
  MessageQueue queue(static_cast<size_t>(2 * threads + 2), work.empty() ? 0 : threads);
  std::atomic<size_t> next_bucket{0};
  std::vector<std::thread> listers;
  for (int i = 0; i < threads && !work.empty(); ++i) {
    listers.emplace_back([&] {
      for (size_t n; (n = next_bucket.fetch_add(1)) < work.size();) {
        BucketLister(objects_, options_, queue, work[n]).Run();
      }
      queue.ProducerDone();
    });
  }

  Status fatal;
  // Pages already waiting when the writer takes one are applied in the same
  // transaction (StateStore::BeginPageGroup): one commit for several pages
  // when listing outpaces the database.
  constexpr int kMaxPagesPerCommit = 8;
  int grouped_pages = 0;
  for (;;) {
    std::optional<Message> m;
    if (grouped_pages > 0 && grouped_pages < kMaxPagesPerCommit && fatal.ok()) {
      m = queue.TryPopPage();
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
    if (m->kind == Message::Kind::kPage && fatal.ok() && grouped_pages == 0) {
      Status begun = state_.BeginPageGroup();
      if (!begun.ok()) {
        fatal = begun;
        queue.Close();
      }
    }
    if (m->kind == Message::Kind::kPage) ++grouped_pages;
    BucketScanResult& r = results[m->bucket];
    if (!fatal.ok()) {
      // Draining after a database failure: release listers still waiting.
      if (m->reply != nullptr) m->reply->set_value(fatal);
      continue;
    }
    switch (m->kind) {
      case Message::Kind::kStart: {
        if (options_.worker != nullptr) {
          auto claim = state_.ClaimBucket(m->bucket);
          if (!claim.ok()) {
            fatal = claim.status();
            queue.Close();
            m->reply->set_value(claim.status());
            break;
          }
          if (*claim != store::StateStore::BucketClaim::kClaimed) {
            m->reply->set_value(Status::Error(ErrorKind::kConflict, "another scan worker lists this bucket"));
            break;
          }
        }
        auto record = state_.StartListing(m->start);
        r.region = m->start.region;
        r.versioning = m->start.versioning;
        r.gone_detection = !options_.filter.FiltersKeys(m->bucket);
        if (!record.ok()) {
          fatal = record.status();
          queue.Close();
        }
        m->reply->set_value(std::move(record));
        break;
      }
      case Message::Kind::kPage: {
        auto applied = state_.ApplyPage(m->page);
        if (!applied.ok()) {
          fatal = applied.status();
          queue.Close();
          break;
        }
        r.counts.inserted += applied->inserted;
        r.counts.changed += applied->changed;
        r.counts.reappeared += applied->reappeared;
        r.counts.unchanged += applied->unchanged;
        r.counts.gone_before_download += applied->gone_before_download;
        r.counts.gone_after_download += applied->gone_after_download;
        r.objects_listed += static_cast<int64_t>(m->page.objects.size());
        for (const auto& o : m->page.objects) r.bytes_listed += static_cast<int64_t>(o.size);
        r.noncurrent_versions += m->page.noncurrent_versions;
        r.delete_markers += m->page.delete_markers;
        report.objects_listed += static_cast<int64_t>(m->page.objects.size());
        if (observer != nullptr) {
          observer->OnPage(m->bucket, static_cast<int64_t>(m->page.objects.size()),
                           report.objects_listed);
        }
        break;
      }
      case Message::Kind::kEnd: {
        r.outcome = m->outcome;
        r.error = m->error;
        if (m->outcome == BucketOutcome::kFailed) {
          Status recorded = state_.FailListing(m->bucket, m->error.ToString());
          if (!recorded.ok()) {
            fatal = recorded;
            queue.Close();
            break;
          }
        }
        if (observer != nullptr) observer->OnBucketDone(r);
        break;
      }
    }
  }
  for (auto& t : listers) t.join();
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
    if (!left.claimable.empty()) {
      // Left by a worker that died (or stopped part-way): resumed from its
      // committed position.
      S3M_RETURN_IF_ERROR(ListAll(left.claimable, results, report, observer));
      continue;
    }
    if (left.held_elsewhere == 0) break;
    SleepUnlessCancelled(Clock::Real(), std::chrono::seconds(1), options_.cancelled);
  }
  for (auto& [name, r] : results) {
    if (r.outcome != BucketOutcome::kElsewhere) continue;
    S3M_ASSIGN_OR_RETURN(std::optional<store::BucketRecord> record, state_.GetBucket(name));
    if (!record) continue;
    r.region = record->region;
    r.versioning = record->versioning;
    r.objects_listed = record->listed_objects;
    r.bytes_listed = record->listed_bytes;
    r.noncurrent_versions = record->noncurrent_versions;
    r.delete_markers = record->delete_markers;
    if (record->scan_state == "failed") {
      r.outcome = BucketOutcome::kFailed;
      r.error = Status::Error(ErrorKind::kFatal, record->last_error.value_or("the listing failed"),
                              ErrorContext::ForObject("scan", name));
    } else if (record->scan_state != "complete") {
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

  S3M_RETURN_IF_ERROR(ListAll(work, results, report, observer));
  if (options_.worker != nullptr) S3M_RETURN_IF_ERROR(FinishWithOthers(work, results, report, observer));
  if (options_.worker != nullptr && options_.worker->lost()) return options_.worker->LostStatus();

  report.interrupted = options_.cancelled != nullptr && options_.cancelled->load();
  for (auto& [name, r] : results) report.buckets.push_back(std::move(r));
  report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return report;
}

}  // namespace s3m::scan
