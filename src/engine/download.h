// Downloading one object to its final local path, verified while it streams
// (PRODUCT.md §5.3, §5.4, §7).
//
// Two shapes, decided by the engine from the recorded size:
//
//   small (size <= download_chunk_size): RunWhole() — one GET of the whole
//     object, pinned with If-Match (or its version id), written into a
//     partial file and hashed as it arrives; the reply's headers choose the
//     verification (x-amz-checksum-mode: ENABLED), so no HEAD is needed.
//
//   large: Prepare() — HEAD (pinned), and for a multipart ETag HEAD
//     partNumber=1 for the part layout; opens (or resumes) the partial file
//     and splits the object into ranges aligned to the parts — then
//     FetchRange(i) for every range, from any number of workers at once —
//     then Finish() once they are all done.
//
// Ordering rules:
//   * A byte reaches the verifier only after it was written to the file
//     (ObjectVerifier may read it back).
//   * A range is reported by on_range_synced only after a Sync() that
//     followed its last write (atomic_file.h): the engine records it in the
//     database, and a resumed download trusts exactly those ranges.
//   * The file is committed (fsync, rename, directory fsync) only after the
//     verifier agreed with S3. A mismatch abandons the partial file; nothing
//     wrong ever sits under the final name.
//
// Nothing here touches the database or decides retries of whole objects: the
// outcome says what happened and the engine decides.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/bandwidth_limit.h"
#include "core/clock.h"
#include "core/retry.h"
#include "core/status.h"
#include "engine/atomic_file.h"
#include "engine/file_system.h"
#include "engine/object_metadata.h"
#include "engine/verifier.h"
#include "s3/object_store.h"
#include "core/write_fence.h"
#include "store/migration_store.h"

namespace s3m::engine {

struct DownloadSettings {
  uint64_t chunk_size = 8ull << 20;
  // verification_method = "md5": re-read the finished file and check it again.
  bool reread_after_download = false;
  // Retries of a body that broke off midway (resumed from the byte reached),
  // only while attempts make progress; failures before any byte are the S3
  // client's to retry, whole-object retries the engine's (failure_policy.h).
  RetryPolicy range_retry{};
  Clock* clock = nullptr;
  const std::atomic<bool>* cancelled = nullptr;
  // A worker's fence (write_fence.h): asked before every write and the
  // commit; nullptr: none.
  const WriteFence* fence = nullptr;
  // Small objects end Seal()ed, not committed: BatchPublisher makes a batch
  // of them durable at once (publisher.h). Large ones always Commit().
  bool batch_publish = false;
  // Pin GETs and HEADs with If-Match: the recorded ETag (PRODUCT.md §5.2).
  // Off for an object whose endpoint answered 412 although the ETag matched
  // (failure_policy.h): verification against the recorded ETag or checksum
  // still refuses other bytes.
  bool pin_with_if_match = true;
  // Set what S3 knew of the object on the file as extended attributes
  // (object_metadata.h); off with --no-xattrs.
  bool set_attributes = true;
  // Every received block is paced by it (--bwlimit); nullptr: no limit.
  BandwidthLimit* bandwidth = nullptr;
  // Every byte received is also added here (the run's throughput).
  std::atomic<uint64_t>* bytes_counter = nullptr;
};

enum class DownloadResult {
  kDone,          // verified and committed under final_path
  kChanged,       // S3 holds a different object now (412 or a new ETag): `current`
  kNeedsRestore,  // 403 InvalidObjectState: archived (again, or Intelligent-Tiering)
  kGone,          // 404: the object is no longer in S3
  kMismatch,      // the bytes did not match S3's record; the partial file was dropped
  kPathConflict,  // a parent of final_path is a file: the engine picks another path
  kFailed,        // anything else (status); the partial file is kept for a resume
  kCancelled,     // the run is stopping; the partial file is kept for a resume
};

std::string_view DownloadResultName(DownloadResult result);

struct DownloadOutcome {
  int64_t id = 0;
  DownloadResult result = DownloadResult::kFailed;
  Status status;  // the cause, for every result but kDone
  VerificationResult verification;
  std::string local_path;
  uint64_t bytes_received = 0;
  bool directory = false;  // a folder marker, made as a directory
  // What S3 said about the object (its tags included), for the database,
  // the manifest and the file's extended attributes.
  KeptMetadata kept;
  // kDone: why some extended attributes are not on the file ("" = all are,
  // or none were asked for).
  std::string attribute_note;
  int parts_count = 0;
  uint64_t part_size = 0;
  // kChanged: the object as S3 describes it now (nullopt when unknown).
  std::optional<s3::ObjectMetadata> current;
  // kNeedsRestore: x-amz-archive-status of an Intelligent-Tiering object.
  std::string archive_status;
  // kDone with batch_publish: the sealed file, not yet under its final name.
  std::shared_ptr<AtomicFile> sealed;
};

struct ByteSpan {
  uint64_t offset = 0;
  uint64_t length = 0;
};

class ObjectDownload {
 public:
  using RangeSynced = std::function<void(int64_t file_id, ByteSpan range)>;

  // `resumed_file`: a partial file the engine reopened for this object
  // (AtomicFile::Resume), with `done_ranges` its recorded, synced ranges.
  ObjectDownload(s3::ObjectStore& store, FileSystem& fs, DirectoryMaker& directories,
                 store::WorkItem item, std::string final_path, DownloadSettings settings,
                 std::unique_ptr<AtomicFile> resumed_file = nullptr,
                 std::vector<ByteSpan> done_ranges = {});
  ~ObjectDownload();
  ObjectDownload(const ObjectDownload&) = delete;
  ObjectDownload& operator=(const ObjectDownload&) = delete;

  const store::WorkItem& item() const { return item_; }
  bool is_large() const;

  // --- small objects -----------------------------------------------------
  DownloadOutcome RunWhole();

  // --- large objects -----------------------------------------------------
  // Returns false when the download already ended (outcome() is final).
  bool Prepare();
  size_t range_count() const { return ranges_.size(); }
  // Thread-safe for distinct i. Records the first failure; later ranges of a
  // failed download return at once.
  void FetchRange(size_t index, const RangeSynced& on_range_synced);
  DownloadOutcome Finish();

  // Bytes received so far (for throughput), thread-safe.
  uint64_t bytes_received() const { return bytes_received_.load(std::memory_order_relaxed); }

 private:
  s3::GetObjectRequest PinnedGet() const;
  // kCancelled when the run stops or this worker's fence closed: no request
  // is sent for an object this worker may no longer hold.
  Status MayStart() const;
  s3::HeadObjectRequest PinnedHead() const;
  // Turns a failed request into an outcome (changed, archived, gone, ...).
  DownloadOutcome Fail(Status status);
  void RecordFailure(Status status);
  ObjectFacts FactsFrom(const s3::ObjectMetadata& meta) const;
  void RememberMetadata(const s3::ObjectMetadata& meta);
  // GetObjectTagging when HEAD/GET announced tags (x-amz-tagging-count).
  Status FetchTags();
  // Opens a fresh partial file (creating directories); kPathConflict-shaped
  // outcome when a parent is a file.
  Status OpenFile(bool resumable);
  // Verification done: optional re-read, then commit. Fills the outcome.
  DownloadOutcome Complete(VerificationResult result);
  DownloadOutcome MakeDirectory();
  // HEAD partNumber=1 for the part layout of a multipart ETag: uniform parts
  // of part 1's size. Empty when the server will not say.
  std::vector<uint64_t> PartLayout(const s3::ObjectMetadata& head, int part_count);
  // The retry layer for a body that breaks off midway. The S3 client has
  // already retried every failure before the first byte (its budget) and
  // cannot take back bytes it handed on, so an attempt here is retried only
  // when it made progress (`delivered` grew): one failure never costs the
  // client's budget times this one.
  template <typename Fn>
  auto Retried(const uint64_t& delivered, Fn&& fn) -> decltype(fn(0));
  // Takes `n` received bytes at `position` (< `end`): written, then hashed
  // by `feed`, then counted. Refuses bytes past `end` and a stopping run.
  Status Accept(uint64_t& position, uint64_t end, const char* data, size_t n,
                ObjectVerifier::RangeFeed* feed);
  struct Whole;
  // A whole-object GET's headers: the size check and the verification plan.
  Status StartWhole(const s3::ObjectMetadata& meta, Whole& whole);
  Result<VerificationResult> VerifyWhole(Whole& whole, const s3::ObjectMetadata& got);
  // kChanged when HEAD shows another size than the one scanned.
  std::optional<DownloadOutcome> SizeChanged(const s3::ObjectMetadata& head) const;
  Status FeedDoneRanges();
  std::vector<ByteSpan> RangesToFetch() const;
  bool AnotherRangeFailed();

  s3::ObjectStore& store_;
  FileSystem& fs_;
  DirectoryMaker& directories_;
  const store::WorkItem item_;
  const std::string final_path_;
  const DownloadSettings settings_;
  Clock& clock_;
  Backoff backoff_;

  std::unique_ptr<AtomicFile> file_;
  std::vector<ByteSpan> done_ranges_;
  std::unique_ptr<ObjectVerifier> verifier_;
  VerificationPlan plan_;
  std::vector<ByteSpan> ranges_;
  std::atomic<uint64_t> bytes_received_{0};

  std::mutex mu_;
  Status failure_;                       // guarded by mu_: the first failure of any range
  std::optional<DownloadOutcome> ended_;  // set by Prepare when it ended the download
  DownloadOutcome facts_;                 // sidecar fields, filled by HEAD/GET
};

}  // namespace s3m::engine
