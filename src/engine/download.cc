#include "engine/download.h"

#include <algorithm>
#include <cerrno>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/time_format.h"
#include "engine/write_coalescer.h"

namespace s3m::engine {

namespace {

constexpr std::string_view kEmptyMd5 = "d41d8cd98f00b204e9800998ecf8427e";

// The largest write of a transfer's bytes (write_coalescer.h): 1 MiB per
// transfer in flight, 256 writes for a 256 MiB object instead of 16,384.
constexpr uint64_t kWriteSize = 1 << 20;

// A GET's outcome once the bytes it delivered are written: the caller's
// position (and a retry from it) counts only written bytes. A failed GET's
// error wins over a failed write of what it delivered before failing.
Result<s3::ObjectMetadata> Drained(Result<s3::ObjectMetadata> got, WriteCoalescer& buffer,
                                   const WriteCoalescer::Write& write) {
  Status written = buffer.Drain(write);
  if (got.ok() && !written.ok()) return written;
  return got;
}

bool IsFolderMarker(const store::WorkItem& item) {
  return !item.key.empty() && item.key.back() == '/' && item.size == 0;
}

// A parent of the path is a regular file, or the path is a directory: the
// object cannot live under this name (PRODUCT.md §5.5: `a` and `a/b`).
bool IsPathConflict(const Status& status) {
  const int err = status.context().sys_errno;
  return err == ENOTDIR || err == EISDIR || err == EEXIST;
}

}  // namespace

std::string_view DownloadResultName(DownloadResult result) {
  switch (result) {
    case DownloadResult::kDone: return "done";
    case DownloadResult::kChanged: return "changed";
    case DownloadResult::kNeedsRestore: return "needs-restore";
    case DownloadResult::kGone: return "gone";
    case DownloadResult::kMismatch: return "mismatch";
    case DownloadResult::kPathConflict: return "path-conflict";
    case DownloadResult::kFailed: return "failed";
    case DownloadResult::kCancelled: return "cancelled";
  }
  return "unknown";
}

ObjectDownload::ObjectDownload(s3::ObjectStore& store, FileSystem& fs, DirectoryMaker& directories,
                               store::WorkItem item, std::string final_path,
                               DownloadSettings settings, std::unique_ptr<AtomicFile> resumed_file,
                               std::vector<ByteSpan> done_ranges)
    : store_(store),
      fs_(fs),
      directories_(directories),
      item_(std::move(item)),
      final_path_(std::move(final_path)),
      settings_(settings),
      clock_(settings.clock ? *settings.clock : Clock::Real()),
      backoff_(settings.range_retry, DefaultUniformRandom()),
      file_(std::move(resumed_file)),
      done_ranges_(std::move(done_ranges)) {
  facts_.id = item_.id;
  facts_.local_path = final_path_;
}

ObjectDownload::~ObjectDownload() = default;

bool ObjectDownload::is_large() const {
  return static_cast<uint64_t>(item_.size) > settings_.chunk_size && !IsFolderMarker(item_);
}

s3::GetObjectRequest ObjectDownload::PinnedGet() const {
  s3::GetObjectRequest req;
  req.bucket = item_.bucket;
  req.key = item_.key;
  req.version_id = item_.version_id;
  // Pinned (PRODUCT.md §5.2): the bytes are those of the object that was
  // scanned, or the GET fails with 412 and the engine looks again.
  if (settings_.pin_with_if_match) req.if_match = item_.etag;
  req.checksum_mode = true;
  // The client's own retries stop too when the run stops or this worker may
  // no longer hold the object (write_fence.h).
  req.may_retry = [this] { return MayStart().ok(); };
  return req;
}

s3::HeadObjectRequest ObjectDownload::PinnedHead() const {
  s3::HeadObjectRequest req;
  req.bucket = item_.bucket;
  req.key = item_.key;
  req.version_id = item_.version_id;
  if (settings_.pin_with_if_match) req.if_match = item_.etag;
  req.checksum_mode = true;
  return req;
}

template <typename Fn>
auto ObjectDownload::Retried(const uint64_t& delivered, Fn&& fn) -> decltype(fn(0)) {
  std::atomic<bool> stop{false};
  return RetryCall(
      backoff_, clock_,
      [&](int n) {
        const uint64_t before = delivered;
        auto outcome = fn(n);
        // A stopping run, or a worker whose fence closed (it may no longer
        // hold this object), tries no more.
        const bool cancelled = (settings_.cancelled != nullptr && settings_.cancelled->load()) ||
                               (settings_.fence != nullptr && !settings_.fence->open());
        if (!retry_detail::StatusOf(outcome).ok() && (cancelled || delivered == before)) stop = true;
        return outcome;
      },
      &stop);
}

ObjectFacts ObjectDownload::FactsFrom(const s3::ObjectMetadata& meta) const {
  ObjectFacts facts;
  facts.size = meta.content_length;
  facts.etag = meta.etag;
  facts.server_side_encryption = meta.server_side_encryption;
  facts.sse_customer_key = !meta.sse_customer_algorithm.empty();
  facts.checksums = meta.checksums;
  facts.checksum_type = meta.checksum_type;
  return facts;
}

void ObjectDownload::RememberMetadata(const s3::ObjectMetadata& meta) {
  facts_.kept = KeptFrom(meta);
  if (auto etag = ParseEtag(meta.etag)) facts_.parts_count = etag->part_count;
}

Status ObjectDownload::FetchTags() {
  KeptMetadata& kept = facts_.kept;
  if (kept.tag_count <= 0 || !kept.tags.empty()) return Status::Ok();
  auto tags = store_.GetObjectTagging(item_.bucket, item_.key, item_.version_id);
  if (!tags.ok()) {
    return tags.status().WithContext(ErrorContext::ForObject("GetObjectTagging", item_.bucket, item_.key));
  }
  kept.tags = std::move(*tags);
  return Status::Ok();
}

std::vector<uint64_t> ObjectDownload::PartLayout(const s3::ObjectMetadata& head, int part_count) {
  s3::HeadObjectRequest req = PinnedHead();
  req.part_number = 1;
  req.checksum_mode = false;
  auto part = store_.HeadObject(req);
  // kUnsupported: the server ignores partNumber (s3rver) or refuses it
  // (Swift 2.30: 405); the verifier then tries common part sizes (§9).
  if (!part.ok() || part->parts_count != part_count) return {};
  const uint64_t size = head.content_length;
  const uint64_t first = part->content_length;
  // Every uploader we know uses equal parts but the last; the verifier
  // proves it (a wrong layout cannot produce the ETag).
  if (first == 0 || (static_cast<uint64_t>(part_count) - 1) * first >= size ||
      size > static_cast<uint64_t>(part_count) * first) {
    return {};
  }
  facts_.part_size = first;
  return UniformPartLayout(size, first);
}

Status ObjectDownload::OpenFile(bool resumable) {
  AtomicFile::Options options;
  options.resumable = resumable;
  // Reserving the blocks of a file fetched in one GET saves nothing (a full
  // disk fails its one write just as early) and costs a call per object.
  options.preallocate = resumable;
  options.directories = &directories_;
  auto file = AtomicFile::Create(fs_, final_path_, static_cast<uint64_t>(item_.size), options);
  if (!file.ok()) return file.status();
  file_ = std::move(*file);
  return Status::Ok();
}

DownloadOutcome ObjectDownload::Fail(Status status) {
  DownloadOutcome out = facts_;
  out.bytes_received = bytes_received();
  out.status = status;
  bool keep_partial = false;
  if (IsPathConflict(status)) {
    out.result = DownloadResult::kPathConflict;
  } else {
    switch (status.kind()) {
      case ErrorKind::kPreconditionFailed: {
        out.result = DownloadResult::kChanged;
        s3::HeadObjectRequest head;
        head.bucket = item_.bucket;
        head.key = item_.key;
        head.version_id = item_.version_id;
        auto now = store_.HeadObject(head);
        if (now.ok()) out.current = *now;
        break;
      }
      case ErrorKind::kNeedsRestore: {
        out.result = DownloadResult::kNeedsRestore;
        s3::HeadObjectRequest head = PinnedHead();
        head.checksum_mode = false;
        auto now = store_.HeadObject(head);
        if (now.ok()) out.archive_status = now->archive_status;
        break;
      }
      case ErrorKind::kNotFound:
        out.result = DownloadResult::kGone;
        break;
      case ErrorKind::kCancelled:
        out.result = DownloadResult::kCancelled;
        keep_partial = true;
        break;
      default:
        out.result = DownloadResult::kFailed;
        keep_partial = is_large();  // a small object starts over anyway
        break;
    }
  }
  if (file_ && !keep_partial) {
    (void)file_->Abandon();
    file_.reset();
  }
  return out;
}

void ObjectDownload::RecordFailure(Status status) {
  std::lock_guard lock(mu_);
  if (failure_.ok()) failure_ = std::move(status);
}

DownloadOutcome ObjectDownload::MakeDirectory() {
  Status made = directories_.MakeDirectories(final_path_);
  if (!made.ok()) return Fail(made);
  VerificationResult result;
  result.matched = true;
  result.expected = item_.etag;
  result.actual = std::string(kEmptyMd5);
  if (ParseEtag(item_.etag) && ParseEtag(item_.etag)->part_count == 0 && item_.etag == kEmptyMd5) {
    result.method = VerificationMethod::kMd5Etag;
    result.method_name = "md5-etag";
  } else {
    result.method = VerificationMethod::kSizeOnly;
    result.method_name = "size-only";
    result.message = "an empty folder marker whose ETag is not the MD5 of nothing";
  }
  DownloadOutcome out = facts_;
  out.result = DownloadResult::kDone;
  out.directory = true;
  out.verification = result;
  return out;
}

DownloadOutcome ObjectDownload::Complete(VerificationResult result) {
  const auto mismatch = [&](const VerificationResult& r) {
    DownloadOutcome out = facts_;
    out.bytes_received = bytes_received();
    out.result = DownloadResult::kMismatch;
    out.verification = r;
    ErrorContext ctx = ErrorContext::ForObject("verify", item_.bucket, item_.key);
    ctx.version_id = item_.version_id;
    out.status = Status::Error(
        ErrorKind::kTransient,
        fmt::format("downloaded bytes do not match S3's {}: expected {}, got {}{}{}",
                    r.method_name, r.expected, r.actual, r.message.empty() ? "" : "; ", r.message),
        ctx);
    (void)file_->Abandon();
    file_.reset();
    return out;
  };
  if (!result.matched) return mismatch(result);
  if (settings_.reread_after_download && result.content_verified()) {
    // verification_method = "md5": hash the file once more, as written.
    Status synced = file_->Sync();
    if (!synced.ok()) return Fail(synced);
    auto again = VerifyFile(file_->file(), plan_);
    if (!again.ok()) return Fail(again.status());
    if (!again->matched) return mismatch(*again);
  }
  // Tags before the commit: an object whose tags cannot be read is not
  // recorded downloaded, so it is never deleted with its tags unkept.
  Status tagged = FetchTags();
  if (!tagged.ok()) return Fail(tagged);
  AtomicFile::CommitOptions commit;
  commit.mtime = ParseIso8601(item_.last_modified);
  if (settings_.set_attributes) commit.attributes = ExtendedAttributes(facts_.kept);
  DownloadOutcome out = facts_;
  if (settings_.batch_publish && !is_large()) {
    Status sealed = file_->Seal(commit);
    if (!sealed.ok()) return Fail(sealed);
    out.attribute_note = file_->attribute_note();
    out.sealed = std::shared_ptr<AtomicFile>(std::move(file_));
  } else {
    if (settings_.fence) {
      if (Status fenced = settings_.fence->Check(); !fenced.ok()) return Fail(fenced);
    }
    Status committed = file_->Commit(commit);
    if (!committed.ok()) return Fail(committed);
    out.attribute_note = file_->attribute_note();
    file_.reset();
  }
  out.result = DownloadResult::kDone;
  out.bytes_received = bytes_received();
  out.verification = std::move(result);
  return out;
}

Status ObjectDownload::Accept(uint64_t& position, uint64_t end, const char* data, size_t n,
                              ObjectVerifier::RangeFeed* feed) {
  if (settings_.cancelled && settings_.cancelled->load(std::memory_order_relaxed)) {
    return Status::Error(ErrorKind::kCancelled, "the run is stopping");
  }
  if (position + n > end) {
    return Status::Error(ErrorKind::kTransient, "the server sent more bytes than asked for");
  }
  // Paced before it is written: while this thread sleeps, curl reads no
  // more and TCP slows the sender down.
  if (settings_.bandwidth) settings_.bandwidth->Acquire(n, settings_.cancelled);
  if (settings_.fence) S3M_RETURN_IF_ERROR(settings_.fence->Check());
  // Written first, then hashed: the verifier may read the file back.
  S3M_RETURN_IF_ERROR(file_->WriteAt(position, data, n));
  if (feed) feed->Update(data, n);
  position += n;
  bytes_received_.fetch_add(n, std::memory_order_relaxed);
  if (settings_.bytes_counter) settings_.bytes_counter->fetch_add(n, std::memory_order_relaxed);
  return Status::Ok();
}

// One whole-object GET's state, reset by each attempt's headers.
struct ObjectDownload::Whole {
  std::optional<ObjectVerifier::RangeFeed> feed;
  uint64_t position = 0;
  uint64_t delivered = 0;  // bytes received over all attempts (Retried's progress)
  bool deferred = false;   // per-part plan: verified after the layout is known
  ObjectFacts facts;
};

Status ObjectDownload::StartWhole(const s3::ObjectMetadata& meta, Whole& whole) {
  const uint64_t size = static_cast<uint64_t>(item_.size);
  if (meta.content_length != size) {
    return Status::Error(ErrorKind::kPreconditionFailed,
                         fmt::format("the object has {} bytes now, {} when it was scanned",
                                     meta.content_length, size),
                         ErrorContext::ForObject("GetObject", item_.bucket, item_.key));
  }
  RememberMetadata(meta);
  whole.facts = FactsFrom(meta);
  plan_ = ChooseVerification(whole.facts);
  whole.deferred = plan_.per_part();
  whole.feed.reset();
  verifier_.reset();
  whole.position = 0;
  if (!whole.deferred) {
    verifier_ = std::make_unique<ObjectVerifier>(plan_, &file_->file());
    whole.feed.emplace(verifier_->BeginRange(0, size));
  }
  return Status::Ok();
}

Result<VerificationResult> ObjectDownload::VerifyWhole(Whole& whole, const s3::ObjectMetadata& got) {
  if (!whole.deferred) {
    S3M_RETURN_IF_ERROR(whole.feed->Finish());
    return verifier_->Finish();
  }
  // A multipart ETag or composite checksum on a small object: fetch the real
  // layout, then hash the file (at most a chunk, from the page cache).
  if (auto etag = ParseEtag(whole.facts.etag); etag && etag->part_count > 0) {
    whole.facts.part_sizes = PartLayout(got, etag->part_count);
  }
  plan_ = ChooseVerification(whole.facts);
  return VerifyFile(file_->file(), plan_);
}

Status ObjectDownload::MayStart() const {
  if (settings_.cancelled && settings_.cancelled->load()) {
    return Status::Error(ErrorKind::kCancelled, "the run is stopping");
  }
  return settings_.fence ? settings_.fence->Check() : Status::Ok();
}

DownloadOutcome ObjectDownload::RunWhole() {
  if (Status may = MayStart(); !may.ok()) return Fail(may);
  if (IsFolderMarker(item_)) return MakeDirectory();
  Status opened = OpenFile(/*resumable=*/false);
  if (!opened.ok()) return Fail(opened);

  const uint64_t size = static_cast<uint64_t>(item_.size);
  Whole whole;
  s3::GetObjectRequest req = PinnedGet();
  req.on_metadata = [&](const s3::ObjectMetadata& meta) { return StartWhole(meta, whole); };
  WriteCoalescer buffer(std::clamp<uint64_t>(size, 1, kWriteSize));
  const WriteCoalescer::Write write = [&](const char* data, size_t n) {
    return Accept(whole.position, size, data, n, whole.feed ? &*whole.feed : nullptr);
  };
  const s3::BodySink sink = [&](const char* data, size_t n) -> Status {
    S3M_RETURN_IF_ERROR(buffer.Add(data, n, write));
    whole.delivered += n;
    return Status::Ok();
  };
  auto got = Retried(whole.delivered, [&](int) -> Result<s3::ObjectMetadata> {
    auto r = Drained(store_.GetObject(req, sink), buffer, write);
    if (r.ok() && whole.position != size) {
      return Status::Error(ErrorKind::kTransient,
                           fmt::format("the body ended after {} of {} bytes", whole.position, size),
                           ErrorContext::ForObject("GetObject", item_.bucket, item_.key));
    }
    return r;
  });
  if (!got.ok()) return Fail(got.status());
  Result<VerificationResult> verdict = VerifyWhole(whole, *got);
  if (!verdict.ok()) return Fail(verdict.status());
  return Complete(std::move(*verdict));
}

std::optional<DownloadOutcome> ObjectDownload::SizeChanged(const s3::ObjectMetadata& head) const {
  if (head.content_length == static_cast<uint64_t>(item_.size)) return std::nullopt;
  DownloadOutcome out = facts_;
  out.result = DownloadResult::kChanged;
  out.current = head;
  out.status = Status::Error(ErrorKind::kPreconditionFailed,
                             fmt::format("the object has {} bytes now, {} when it was scanned",
                                         head.content_length, item_.size),
                             ErrorContext::ForObject("HeadObject", item_.bucket, item_.key));
  return out;
}

bool ObjectDownload::Prepare() {
  if (Status may = MayStart(); !may.ok()) {
    ended_ = Fail(may);
    return false;
  }
  if (IsFolderMarker(item_)) {
    ended_ = MakeDirectory();
    return false;
  }
  auto head = store_.HeadObject(PinnedHead());
  if (!head.ok()) {
    ended_ = Fail(head.status());
    return false;
  }
  if ((ended_ = SizeChanged(*head))) return false;
  RememberMetadata(*head);
  ObjectFacts facts = FactsFrom(*head);
  if (auto etag = ParseEtag(head->etag); etag && etag->part_count > 0) {
    facts.part_sizes = PartLayout(*head, etag->part_count);
  }
  plan_ = ChooseVerification(facts);
  Status ready = Status::Ok();
  if (!file_) {
    done_ranges_.clear();  // nothing recorded is in a fresh file
    ready = OpenFile(/*resumable=*/true);
  }
  if (ready.ok()) {
    verifier_ = std::make_unique<ObjectVerifier>(plan_, &file_->file());
    ready = FeedDoneRanges();
  }
  if (!ready.ok()) {
    ended_ = Fail(ready);
    return false;
  }
  ranges_ = RangesToFetch();
  return true;
}

// Bytes a previous run wrote and synced are fed from the file (they must be
// hashed too) and not fetched again.
Status ObjectDownload::FeedDoneRanges() {
  std::sort(done_ranges_.begin(), done_ranges_.end(),
            [](const ByteSpan& a, const ByteSpan& b) { return a.offset < b.offset; });
  for (const ByteSpan& done : done_ranges_) {
    if (done.offset + done.length > static_cast<uint64_t>(item_.size)) continue;
    S3M_RETURN_IF_ERROR(verifier_->AddExistingRange(done.offset, done.length));
  }
  return Status::Ok();
}

// The parts when their layout is known (each part then streams in order from
// one worker and its hasher never re-reads), split further when a part is
// much larger than a chunk; else chunk_size pieces. Minus the done ranges.
std::vector<ByteSpan> ObjectDownload::RangesToFetch() const {
  const uint64_t size = static_cast<uint64_t>(item_.size);
  const uint64_t chunk = std::max<uint64_t>(settings_.chunk_size, 1);
  std::vector<ByteSpan> base;
  uint64_t offset = 0;
  for (uint64_t part : plan_.part_sizes) {
    const uint64_t pieces = part <= 2 * chunk ? 1 : (part + chunk - 1) / chunk;
    const uint64_t piece = (part + pieces - 1) / pieces;
    for (uint64_t at = 0; at < part; at += piece) base.push_back({offset + at, std::min(piece, part - at)});
    offset += part;
  }
  if (plan_.part_sizes.empty()) {
    for (uint64_t at = 0; at < size; at += chunk) base.push_back({at, std::min(chunk, size - at)});
  }
  std::vector<ByteSpan> ranges;
  for (const ByteSpan& span : base) {
    uint64_t at = span.offset;
    const uint64_t end = span.offset + span.length;
    for (const ByteSpan& done : done_ranges_) {
      const uint64_t done_end = done.offset + done.length;
      if (done_end <= at || done.offset >= end) continue;
      if (done.offset > at) ranges.push_back({at, done.offset - at});
      at = std::max(at, done_end);
    }
    if (at < end) ranges.push_back({at, end - at});
  }
  return ranges;
}

void ObjectDownload::FetchRange(size_t index, const RangeSynced& on_range_synced) {
  if (AnotherRangeFailed()) return;
  if (Status may = MayStart(); !may.ok()) return RecordFailure(may);
  const ByteSpan span = ranges_[index];
  const uint64_t end = span.offset + span.length;
  ObjectVerifier::RangeFeed feed = verifier_->BeginRange(span.offset, span.length);
  uint64_t position = span.offset;

  s3::GetObjectRequest req = PinnedGet();
  req.checksum_mode = false;
  WriteCoalescer buffer(std::clamp<uint64_t>(span.length, 1, kWriteSize));
  const WriteCoalescer::Write write = [&](const char* data, size_t n) {
    return Accept(position, end, data, n, &feed);
  };
  const s3::BodySink sink = [&](const char* data, size_t n) { return buffer.Add(data, n, write); };
  // A body that breaks off is resumed from the byte it reached: the feed
  // keeps its place, nothing is written or hashed twice.
  bool another_failed = false;
  auto got = Retried(position, [&](int) -> Result<s3::ObjectMetadata> {
    if ((another_failed = AnotherRangeFailed())) {
      return Status::Error(ErrorKind::kCancelled, "another range failed");
    }
    req.range = s3::ByteRange{position, end - 1};
    auto r = Drained(store_.GetObject(req, sink), buffer, write);
    if (r.ok() && position != end) {
      return Status::Error(ErrorKind::kTransient,
                           fmt::format("the body of bytes {}-{} ended at {}", span.offset, end - 1,
                                       position),
                           ErrorContext::ForObject("GetObject", item_.bucket, item_.key));
    }
    return r;
  });
  Status fed = feed.Finish();
  Status done = got.ok() ? fed : got.status();
  // The ordering rule of atomic_file.h: sync, then let the range be recorded.
  if (done.ok()) done = file_->Sync();
  if (!done.ok()) {
    if (!another_failed) RecordFailure(done);
    return;
  }
  if (on_range_synced) on_range_synced(item_.id, span);
}

bool ObjectDownload::AnotherRangeFailed() {
  std::lock_guard lock(mu_);
  return !failure_.ok();
}

DownloadOutcome ObjectDownload::Finish() {
  if (ended_) return *ended_;
  Status failure;
  {
    std::lock_guard lock(mu_);
    failure = failure_;
  }
  if (!failure.ok()) return Fail(failure);
  if (settings_.cancelled && settings_.cancelled->load()) {
    return Fail(Status::Error(ErrorKind::kCancelled, "the run is stopping"));
  }
  if (settings_.fence) {
    if (Status fenced = settings_.fence->Check(); !fenced.ok()) return Fail(fenced);
  }
  auto verdict = verifier_->Finish();
  if (!verdict.ok()) return Fail(verdict.status());
  return Complete(std::move(*verdict));
}

}  // namespace s3m::engine
