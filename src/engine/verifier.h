// Content verification (PRODUCT.md §5.3), computed while the bytes stream in
// as disjoint ranges from parallel workers.
//
// 1. ChooseVerification() - a pure function of what HeadObject said - picks
//    the strongest evidence S3 offers, in §5.3's order:
//      additional checksum, full-object or composite
//        (x-amz-checksum-crc64nvme | crc32c | crc32 | sha256 | sha1)
//      > ETag as MD5 (single-part; not SSE-KMS, not SSE-C)
//      > multipart ETag over the real part layout, or a guessed one when the
//        server will not tell it (Swift 2.30 answers 405 to partNumber, §9)
//      > size only (kept, and not deleted from S3 without an explicit opt-in).
// 2. ObjectVerifier computes the plan's digests as workers feed it ranges:
//      * full-object CRC: each worker CRCs its own range; the CRCs combine in
//        offset order (hashing.h), so the work is parallel and nothing is
//        read twice;
//      * full-object SHA / single-part MD5: one in-order hasher (hashing.h)
//        that hashes from the workers' buffers when bytes come in order and
//        re-reads from the file (page cache) what came early;
//      * composite checksum / multipart ETag with a known layout: one hasher
//        per part. The engine aligns its ranges to part boundaries, so each
//        part streams in order from one worker and nothing is re-read;
//      * guessed layout: nothing while streaming; Finish() reads the finished
//        file once and tries every candidate part size in that one pass.
// 3. VerifyFile() re-reads a finished file (verification_method = "md5").
//
// VerificationResult::method_name is what the database and the final report
// show: "crc64nvme", "composite-sha256(8MiB parts)", "md5-etag",
// "multipart-etag(8MiB parts)", "size-only".
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/status.h"
#include "engine/file_system.h"
#include "engine/hashing.h"

namespace s3m::engine {

// What S3 said about the object (HeadObject with x-amz-checksum-mode:
// ENABLED), reduced to what verification needs.
struct ObjectFacts {
  uint64_t size = 0;
  std::string etag{};                  // quotes are ignored
  std::string server_side_encryption{};  // x-amz-server-side-encryption: "", "AES256", "aws:kms", "aws:kms:dsse"
  bool sse_customer_key = false;       // SSE-C: x-amz-server-side-encryption-customer-algorithm present
  // "CRC64NVME" -> base64 value, as s3::ObjectMetadata::checksums holds them;
  // a composite value ends in "-<parts>".
  std::map<std::string, std::string> checksums{};
  std::string checksum_type{};        // x-amz-checksum-type: "FULL_OBJECT", "COMPOSITE" or ""
  std::vector<uint64_t> part_sizes{};  // the real layout (HeadObject partNumber); empty = unknown
};

enum class VerificationMethod {
  kFullObjectChecksum,  // one digest of the whole object
  kCompositeChecksum,   // checksum of the concatenated part checksums, "-N"
  kMd5Etag,             // the ETag is the object's MD5
  kMultipartEtag,       // MD5 of the concatenated part MD5s, "-N"
  kSizeOnly,
};

struct VerificationPlan {
  VerificationMethod method = VerificationMethod::kSizeOnly;
  // The whole object's digest (full-object, md5-etag) or each part's
  // (composite, multipart).
  HashAlgorithm algorithm = HashAlgorithm::kMd5;
  uint64_t size = 0;
  std::string expected;      // as S3 spells it ("...==-3", "<hex>-3")
  std::string expected_raw;  // the digest bytes compared against
  int part_count = 0;        // composite, multipart
  // Composite, multipart: the real layout, or empty when it must be guessed.
  std::vector<uint64_t> part_sizes;
  std::string note;  // why nothing stronger applied; empty when nothing was passed over

  bool per_part() const {
    return method == VerificationMethod::kCompositeChecksum ||
           method == VerificationMethod::kMultipartEtag;
  }
  bool layout_guessed() const { return per_part() && part_sizes.empty(); }
};

VerificationPlan ChooseVerification(const ObjectFacts& facts);

struct ParsedEtag {
  std::string md5;     // raw 16 bytes: the object's MD5, or the MD5 of the part MD5s
  int part_count = 0;  // 0 for a single-part ETag
};
// "9b2cf535f27731c974343645a3985328" or "...-12", with or without quotes;
// nullopt when it is not shaped like either (then it cannot be an MD5).
std::optional<ParsedEtag> ParseEtag(std::string_view etag);

// hex(md5(concat(part MD5s))) + "-N", from the raw part MD5s.
std::string MultipartEtag(const std::vector<std::string>& part_md5s);
// base64(checksum(concat(part checksums))) + "-N", from the raw part checksums.
std::string CompositeChecksum(HashAlgorithm algorithm, const std::vector<std::string>& part_checksums);

// Parts of `part_size` bytes, the last one shorter; {0} for an empty object.
std::vector<uint64_t> UniformPartLayout(uint64_t size, uint64_t part_size);

// The part sizes common uploaders use that give exactly `part_count` parts
// for `size` bytes, most common first: 5, 8, 15, 16, 64, 100 MiB (rclone,
// AWS CLI/boto3, s3cmd, mc, ...), size/part_count rounded up to a MiB and
// exactly, and the AWS CLI's doublings of 8 MiB for huge files.
std::vector<uint64_t> CandidatePartSizes(uint64_t size, int part_count);

// Reads `file` once and computes, in that single pass, the per-part hashes of
// every candidate layout at once (each buffer is fed to each candidate's
// current part hasher), then returns the first candidate whose aggregate
// (MD5 of part MD5s, or checksum of part checksums) equals `expected_raw`;
// nullopt when none does.
Result<std::optional<uint64_t>> FindPartSize(File& file, uint64_t size, HashAlgorithm part_algorithm,
                                             int part_count, std::string_view expected_raw);

struct VerificationResult {
  bool matched = false;  // content (size, for kSizeOnly) agrees with S3
  VerificationMethod method = VerificationMethod::kSizeOnly;  // what was actually used
  std::string method_name;  // see the top of this file
  bool layout_guessed = false;
  std::string expected;  // as S3 spells it
  std::string actual;    // the same form, from the local bytes
  std::string message;   // the mismatch, or why only the size was checked

  // The only results that let the engine delete from S3 without an opt-in.
  bool content_verified() const { return matched && method != VerificationMethod::kSizeOnly; }
};

// Computes a plan's digests from ranges fed by parallel workers.
//
//   ObjectVerifier verifier(plan, &atomic_file.file());
//   worker:  auto feed = verifier.BeginRange(offset, length);
//            for each received buffer: file.WriteAt(pos, buf, n); feed.Update(buf, n);
//            feed.Finish();
//   after all workers: Result<VerificationResult> r = verifier.Finish();
//
// Thread safety: BeginRange, AddExistingRange and each RangeFeed may be used
// from different threads at once; one RangeFeed belongs to one thread at a
// time. Finish runs after every feed has finished.
class ObjectVerifier {
 public:
  struct Segment;
  class RangeFeed;

  // `file` holds the bytes as they are written; it is read only for bytes of
  // an in-order digest that arrive early, for AddExistingRange, and for a
  // guessed layout. Must outlive the verifier.
  ObjectVerifier(VerificationPlan plan, File* file);
  ~ObjectVerifier();
  ObjectVerifier(const ObjectVerifier&) = delete;
  ObjectVerifier& operator=(const ObjectVerifier&) = delete;

  // The bytes of one range, fed in order. A GET that fails midway keeps its
  // feed: retry from position() and go on feeding; never feed a byte twice.
  class RangeFeed {
   public:
    RangeFeed(RangeFeed&&) noexcept;
    RangeFeed& operator=(RangeFeed&&) = delete;
    ~RangeFeed();

    // `data` must already be written to the file at position(), since an
    // in-order hasher may read it back from there.
    void Update(const void* data, size_t size);
    // All `length` bytes were fed. Reports the first error of this range.
    Status Finish();
    uint64_t position() const { return position_; }

   private:
    friend class ObjectVerifier;
    RangeFeed(ObjectVerifier* verifier, uint64_t offset, uint64_t length);
    void EnterSegment();
    void LeaveSegment();

    ObjectVerifier* verifier_;
    uint64_t position_;
    uint64_t end_;
    size_t segment_ = 0;
    uint64_t segment_end_ = 0;
    std::shared_ptr<Segment> state_;  // the segment holding position_, while inside it
    uint64_t crc_ = 0;                // CRC of [crc_start_, position_) in a CRC segment
    uint64_t crc_start_ = 0;
    Status error_;
  };

  RangeFeed BeginRange(uint64_t offset, uint64_t length);
  // Feeds [offset, offset + length) from the file: bytes a previous run wrote
  // and synced, when resuming a download.
  Status AddExistingRange(uint64_t offset, uint64_t length);
  // The verdict, once every byte was fed; an error when bytes are missing or
  // the file could not be read.
  Result<VerificationResult> Finish();

  // Bytes hashed from the file rather than from the workers' buffers.
  uint64_t bytes_reread() const { return bytes_reread_.load(std::memory_order_relaxed); }

 private:
  std::shared_ptr<Segment> Acquire(size_t index);
  void MaybeFinalize(size_t index, const std::shared_ptr<Segment>& segment);
  void Fail(const Status& status);
  VerificationResult Compare(std::string_view actual_raw, bool layout_guessed) const;
  Result<VerificationResult> FinishGuessed();

  const VerificationPlan plan_;
  File* const file_;
  // Segment i is [bounds_[i], bounds_[i + 1]): the whole object, or each
  // part. Empty when nothing is hashed while streaming.
  std::vector<uint64_t> bounds_;
  std::atomic<uint64_t> bytes_fed_{0};
  std::atomic<uint64_t> bytes_reread_{0};

  std::mutex mu_;
  // Guarded by mu_. Segments are created when first touched and dropped once
  // hashed, so a 10,000-part object holds only the hashers of parts in flight.
  std::unordered_map<size_t, std::shared_ptr<Segment>> active_;
  std::vector<std::string> digests_;  // raw digest of each finished segment
  std::vector<bool> finished_;
  Status error_;
};

// Re-reads a finished file and checks it against the plan, in one pass.
Result<VerificationResult> VerifyFile(File& file, const VerificationPlan& plan);

// The facts that choose again the plan a copy was verified with, from what
// the database recorded of it (files.verified_by, verified_checksum, etag,
// size, part_size): `s3migrate verify` re-checks copies with them after S3
// is empty. The inverse of VerificationResult::method_name + expected:
//   ("composite-crc32(16MiB parts)", "m0Z6Gg==-16", _, size, 16 MiB)
//     -> checksums {"CRC32": "m0Z6Gg==-16"}, COMPOSITE, 16 parts of 16 MiB
//   ("md5-etag", "", "83f5...", size, 0) -> etag "83f5..." (rows verified
//     before verified_checksum was recorded fall back to the ETag)
// part_size 0 (or one that does not give the part count): the layout is
// guessed, as it was while downloading. nullopt: "size-only", a checksum
// that was not recorded, or a method this build does not know.
std::optional<ObjectFacts> FactsFromRecord(std::string_view verified_by,
                                           std::string_view verified_checksum,
                                           std::string_view etag, uint64_t size,
                                           uint64_t part_size);

}  // namespace s3m::engine
