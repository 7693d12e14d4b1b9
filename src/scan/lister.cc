#include "scan/lister.h"

#include <algorithm>
#include <chrono>

#include <fmt/format.h>

#include "core/key_range.h"
#include "core/logging.h"
#include "scan/range_split.h"

namespace s3m::scan {

namespace {

constexpr const char* kListObjectsV2 = "ListObjectsV2";
constexpr const char* kListObjectVersions = "ListObjectVersions";

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

bool StopsTheBucket(ErrorKind kind) {
  return kind == ErrorKind::kAuth || kind == ErrorKind::kAccessDenied || kind == ErrorKind::kNotFound ||
         kind == ErrorKind::kCancelled;
}

BucketOutcome Fail(Status& error, Status status) {
  error = std::move(status);
  return BucketOutcome::kFailed;
}

}  // namespace

void Lister::Run(bool split) {
  using namespace std::chrono_literals;
  while (!Cancelled()) {
    const int64_t changes = board_.Changes();
    if (std::optional<ListingJob> job = board_.Take()) {
      RunJob(*job);
      board_.Finished();
      continue;
    }
    if (split) {
      board_.Busy();  // while probing: others wait for what this may find
      std::optional<ListingJob> stolen = SplitOne();
      if (stolen) RunJob(*stolen);
      board_.Finished();
      if (stolen) continue;
    }
    if (!board_.WaitForWork(changes, 1000ms)) break;
  }
  queue_.ProducerDone();
}

bool Lister::Cancelled() const {
  return (options_.cancelled != nullptr && options_.cancelled->load()) ||
         (options_.worker != nullptr && options_.worker->lost());
}

void Lister::RunJob(const ListingJob& job) {
  Message end;
  end.kind = Message::Kind::kEnd;
  end.bucket = job.bucket;
  listed_ = false;
  end.outcome = Job(job, end.error);
  end.listed = listed_;
  queue_.Push(std::move(end));
}

BucketOutcome Lister::Job(const ListingJob& job, Status& error) {
  if (Cancelled()) return BucketOutcome::kInterrupted;
  if (job.kind == ListingJob::Kind::kBucket) return StartBucket(job.bucket, error);
  // The region, cached by the client after the first time: requests for
  // the bucket are signed for it.
  auto region = objects_.GetBucketRegion(job.bucket);
  if (!region.ok()) return Fail(error, region.status());
  if (job.kind == ListingJob::Kind::kRange) return ListRange(job.range, error);
  auto ranges = CallWriter<std::vector<store::ListingRange>>(
      queue_, job.bucket, [&] { return writer_.ClaimRanges(job.bucket); });
  if (!ranges.ok()) return BucketOutcome::kInterrupted;  // the run stopped (the writer says why)
  return ListRanges(std::move(*ranges), error);
}

BucketOutcome Lister::StartBucket(const std::string& bucket, Status& error) {
  auto region = objects_.GetBucketRegion(bucket);
  if (!region.ok()) return Fail(error, region.status());
  auto versioning = objects_.GetBucketVersioning(bucket);
  std::string versioning_status;
  bool list_versions = false;
  if (versioning.ok()) {
    versioning_status = *versioning;
    // A bucket that ever had versioning may hold noncurrent versions and
    // delete markers: list versions to see (and report) them.
    list_versions = !versioning_status.empty();
  } else if (StopsTheBucket(versioning.status().kind())) {
    return Fail(error, versioning.status());
  } else {
    // Servers without versioning answer 501/405, or (s3rver) ignore the
    // query and send a listing. Ask for versions once: if that works the
    // bucket is listed with versions, whatever the first answer was; a
    // versioned bucket must never be taken for an unversioned one.
    s3::ListObjectVersionsRequest probe;
    probe.bucket = bucket;
    probe.max_keys = 1;
    auto probed = objects_.ListObjectVersions(probe);
    if (probed.ok()) {
      list_versions = true;
    } else if (StopsTheBucket(probed.status().kind())) {
      return Fail(error, probed.status());
    } else {
      S3M_LOG_INFO("s3://{}: the server has no versioning API ({}); listing current objects", bucket,
                   versioning.status().ToString());
    }
  }
  store::StartListingRequest request;
  request.bucket = bucket;
  request.region = *region;
  request.versioning = versioning_status;
  request.listing_api = list_versions ? kListObjectVersions : kListObjectsV2;
  request.scan_filter = options_.filter.Describe(bucket);
  auto started = CallWriter<StartReply>(queue_, bucket, [&] { return writer_.StartBucket(request); });
  if (!started.ok()) return BucketOutcome::kInterrupted;  // the run stopped (the writer says why)
  if (started->elsewhere) return BucketOutcome::kElsewhere;
  board_.Changed();
  if (started->record.ranged) return ListRanges(std::move(started->ranges), error);
  store::ListingRange whole;
  whole.bucket = bucket;
  whole.continuation_token = started->record.continuation_token;
  whole.version_id_marker = started->record.version_id_marker;
  whole.last_key = started->record.last_key;
  whole.listing_api = started->record.listing_api;
  return ListRange(whole, error);
}

BucketOutcome Lister::ListRanges(std::vector<store::ListingRange> ranges, Status& error) {
  if (ranges.empty()) return BucketOutcome::kElsewhere;  // live others hold every range left
  for (size_t i = 1; i < ranges.size(); ++i) {
    ListingJob job;
    job.kind = ListingJob::Kind::kRange;
    job.bucket = ranges[i].bucket;
    job.range = std::move(ranges[i]);
    board_.Add(std::move(job));
  }
  return ListRange(ranges.front(), error);
}

BucketOutcome Lister::ListRange(const store::ListingRange& range, Status& error) {
  seen_positions_.clear();
  last_key_ = range.last_key;
  listed_ = true;
  return range.listing_api == kListObjectVersions ? ListVersions(range, error) : ListObjects(range, error);
}

bool Lister::SendPage(const std::string& bucket, store::ListingPage page) {
  if (!page.last_key.empty()) board_.Listed(bucket, page.range_start, page.last_key);
  Message m;
  m.kind = Message::Kind::kPage;
  m.bucket = bucket;
  m.page = std::move(page);
  return queue_.Push(std::move(m));
}

BucketOutcome Lister::ListObjects(const store::ListingRange& range, Status& error) {
  const std::string& bucket = range.bucket;
  const bool detect_gone = !options_.filter.FiltersKeys(bucket);
  s3::ListObjectsV2Request req;
  req.bucket = bucket;
  req.max_keys = options_.max_keys;
  req.url_encoding = true;
  req.fetch_restore_status = true;
  req.continuation_token = range.continuation_token;
  if (req.continuation_token.empty()) req.start_after = range.after();
  bool first = true;
  for (int64_t pages = 0;; ++pages) {
    if (Cancelled()) return BucketOutcome::kInterrupted;
    if (board_.Done(bucket, range.start)) return BucketOutcome::kComplete;  // split below its lister's position
    auto page = objects_.ListObjectsV2(req);
    if (!page.ok() && first && !req.continuation_token.empty() && !range.after().empty() &&
        page.status().kind() == ErrorKind::kInvalidArgument) {
      // The recorded token is no longer accepted: resume after the last
      // committed key instead, which every server understands.
      S3M_LOG_INFO("s3://{}: continuation token refused ({}); resuming after the last key", bucket,
                   page.status().ToString());
      req.continuation_token.clear();
      req.start_after = range.after();
      first = false;
      continue;
    }
    if (!page.ok()) return Fail(error, page.status());
    first = false;
    if (!page->objects.empty() && ListingWentBack(last_key_, page->objects.front().key, /*allow_equal=*/false)) {
      return Fail(error, WentBack(bucket, kListObjectsV2, page->objects.front().key));
    }
    store::ListingPage out;
    out.bucket = bucket;
    out.range_start = range.start;
    out.detect_gone = detect_gone;
    for (const s3::ObjectSummary& o : page->objects) {
      if (options_.filter.KeySelected(bucket, o.key)) out.objects.push_back(ListedFromSummary(o));
    }
    if (!page->objects.empty()) last_key_ = out.last_key = page->objects.back().key;
    if (page->is_truncated) {
      if (page->next_continuation_token.empty()) return Fail(error, TruncatedWithoutToken(bucket, kListObjectsV2));
      if (Repeated(page->next_continuation_token)) {
        return Fail(error, RepeatedPosition(bucket, kListObjectsV2, pages + 1));
      }
      out.next_token = page->next_continuation_token;
    } else {
      out.last_page = true;
    }
    const bool reached_end = ListingReachedEnd(last_key_, range.end, /*version_listing=*/false);
    if (!SendPage(bucket, std::move(out))) return BucketOutcome::kInterrupted;
    if (!page->is_truncated || reached_end) return BucketOutcome::kComplete;
    req.continuation_token = page->next_continuation_token;
    req.start_after.clear();
  }
}

BucketOutcome Lister::ListVersions(const store::ListingRange& range, Status& error) {
  const std::string& bucket = range.bucket;
  const bool detect_gone = !options_.filter.FiltersKeys(bucket);
  s3::ListObjectVersionsRequest req;
  req.bucket = bucket;
  req.max_keys = options_.max_keys;
  req.url_encoding = true;
  req.key_marker = range.continuation_token.empty() ? range.after() : range.continuation_token;
  req.version_id_marker = range.continuation_token.empty() ? "" : range.version_id_marker;
  for (int64_t pages = 0;; ++pages) {
    if (Cancelled()) return BucketOutcome::kInterrupted;
    if (board_.Done(bucket, range.start)) return BucketOutcome::kComplete;
    auto page = objects_.ListObjectVersions(req);
    if (!page.ok()) return Fail(error, page.status());
    // Versions of one key may continue on the next page: equal is fine.
    if (!page->versions.empty() && ListingWentBack(last_key_, page->versions.front().key, /*allow_equal=*/true)) {
      return Fail(error, WentBack(bucket, kListObjectVersions, page->versions.front().key));
    }
    store::ListingPage out;
    out.bucket = bucket;
    out.range_start = range.start;
    out.detect_gone = detect_gone;
    for (const s3::ObjectVersion& v : page->versions) {
      if (!options_.filter.KeySelected(bucket, v.key)) continue;
      if (v.is_latest && !v.is_delete_marker) {
        out.objects.push_back(ListedFromVersion(v));
      } else {
        // A latest delete marker means the key has no current object.
        out.other_versions.push_back({v.key, static_cast<int64_t>(v.size), v.is_delete_marker});
      }
    }
    if (!page->versions.empty()) last_key_ = out.last_key = page->versions.back().key;
    if (page->is_truncated) {
      if (page->next_key_marker.empty()) return Fail(error, TruncatedWithoutToken(bucket, kListObjectVersions));
      const std::string version_marker = NextVersionIdMarker(*page);
      if (Repeated(page->next_key_marker + '\0' + version_marker)) {
        return Fail(error, RepeatedPosition(bucket, kListObjectVersions, pages + 1));
      }
      out.next_token = page->next_key_marker;
      out.next_version_id_marker = version_marker;
    } else {
      out.last_page = true;
    }
    const bool reached_end = ListingReachedEnd(last_key_, range.end, /*version_listing=*/true);
    if (!SendPage(bucket, std::move(out))) return BucketOutcome::kInterrupted;
    if (!page->is_truncated || reached_end) return BucketOutcome::kComplete;
    req.key_marker = page->next_key_marker;
    req.version_id_marker = NextVersionIdMarker(*page);
  }
}

std::optional<ListingJob> Lister::SplitOne() {
  // A split refused (another lister split the range first, or its lister
  // passed the key) is tried again on the ranges as they are now.
  for (bool refused = true; refused;) {
    refused = false;
    auto ranges =
        CallWriter<std::vector<store::ListingRange>>(queue_, {}, [&] { return writer_.RangesBeingListed(); });
    if (!ranges.ok()) return std::nullopt;
    for (const store::ListingRange& range : *ranges) {
      if (Cancelled()) return std::nullopt;
      if (!board_.ShouldTry(range)) continue;
      SplitAttempt attempt = TrySplit(range);
      board_.TryDone(range);
      if (attempt.job) return attempt.job;
      if (attempt.stop) return std::nullopt;
      refused = refused || attempt.refused;
    }
  }
  return std::nullopt;
}

Lister::SplitAttempt Lister::TrySplit(const store::ListingRange& range) {
  SplitAttempt attempt;
  if (!objects_.GetBucketRegion(range.bucket).ok()) return attempt;
  auto left = ProbeKeysLeft(objects_, range);
  if (!left.ok() || !*left) {
    S3M_LOG_DEBUG("s3://{}: range after \"{}\" to \"{}\": not split ({})", range.bucket,
                  PrintableForMessage(range.after()), PrintableForMessage(range.end),
                  left.ok() ? "under two keys left" : left.status().ToString());
    board_.GiveUp(range);
    return attempt;
  }
  // Its lister went on while the probes ran: split what is left now.
  auto now = CallWriter<std::vector<store::ListingRange>>(queue_, {}, [&] { return writer_.RangesBeingListed(); });
  if (!now.ok()) {
    attempt.stop = true;
    return attempt;
  }
  std::optional<std::string> at;
  store::ListingRange target = range;
  for (const store::ListingRange& current : *now) {
    if (current.bucket == range.bucket && current.start == range.start) {
      target = current;
      // A lister of this process may have listed further than it committed.
      at = SplitKey(**left, std::max(current.after(), board_.ListedPosition(range.bucket, range.start)));
    }
  }
  S3M_LOG_DEBUG("s3://{}: range after \"{}\" to \"{}\", last key about \"{}\": split key {}", range.bucket,
                PrintableForMessage(range.after()), PrintableForMessage(range.end),
                PrintableForMessage((*left)->last), at ? "\"" + PrintableForMessage(*at) + "\"" : "none");
  if (!at) return attempt;
  auto split = CallWriter<std::optional<store::ListingRange>>(queue_, range.bucket,
                                                              [&] { return writer_.Split(target, *at); });
  if (!split.ok()) {
    attempt.stop = true;
    return attempt;
  }
  if (!*split) {
    attempt.refused = true;
    return attempt;
  }
  S3M_LOG_INFO("s3://{}: listing split at key \"{}\"; this lister lists the keys after it", range.bucket,
               PrintableForMessage(*at));
  ListingJob job;
  job.kind = ListingJob::Kind::kRange;
  job.bucket = range.bucket;
  job.range = std::move(**split);
  attempt.job = std::move(job);
  return attempt;
}

Status Lister::RepeatedPosition(const std::string& bucket, const std::string& operation, int64_t pages) const {
  return Status::Error(
      ErrorKind::kFatal,
      fmt::format("the server returned a continuation position it had already given (after {} "
                  "pages): the listing would loop forever, so it stops here and the bucket is "
                  "not marked scanned. s3rver 3.7.1 does this on keys containing newlines; "
                  "exclude such keys or list this bucket with another server",
                  pages),
      ErrorContext::ForObject(operation, bucket));
}

Status Lister::WentBack(const std::string& bucket, const std::string& operation, const std::string& key) const {
  return Status::Error(
      ErrorKind::kFatal,
      fmt::format("the server listed key \"{}\" again after it had listed later keys: the "
                  "listing went back and could loop forever, so it stops here and the bucket is "
                  "not marked scanned. s3rver 3.7.1 does this on keys containing newlines; "
                  "exclude such keys or list this bucket with another server",
                  PrintableForMessage(key)),
      ErrorContext::ForObject(operation, bucket));
}

Status Lister::TruncatedWithoutToken(const std::string& bucket, const std::string& operation) const {
  return Status::Error(ErrorKind::kFatal,
                       "the server said the listing was truncated but gave no position to "
                       "continue from; the bucket is not marked scanned",
                       ErrorContext::ForObject(operation, bucket));
}

}  // namespace s3m::scan
