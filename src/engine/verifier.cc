#include "engine/verifier.h"

#include <algorithm>
#include <charconv>
#include <numeric>
#include <utility>

#include <fmt/format.h>

#include "core/checksum.h"
#include "core/hash.h"
#include "core/text.h"

namespace s3m::engine {

namespace {

constexpr uint64_t kMiB = uint64_t{1} << 20;

size_t DigestSize(HashAlgorithm algorithm) {
  switch (algorithm) {
    case HashAlgorithm::kMd5: return 16;
    case HashAlgorithm::kCrc32:
    case HashAlgorithm::kCrc32c: return 4;
    case HashAlgorithm::kCrc64Nvme: return 8;
    case HashAlgorithm::kSha1: return 20;
    case HashAlgorithm::kSha256: return 32;
  }
  return 0;
}

// A read buffer for `length` bytes: large reads, but no more than needed.
std::vector<char> ChunkBuffer(uint64_t length, size_t max_size) {
  return std::vector<char>(static_cast<size_t>(std::clamp<uint64_t>(length, 1, max_size)));
}

std::string_view StripQuotes(std::string_view s) {
  s = TrimAsciiSpace(s);
  if (s.size() >= 2 && s.front() == '"' && s.back() == '"') s = s.substr(1, s.size() - 2);
  return s;
}

// S3 multipart uploads have 1 to 10,000 parts.
constexpr int kMaxParts = 10000;

// "...-12" -> ("...", 12); no suffix -> (s, 0); a malformed suffix, or a count
// no S3 upload has (it would only feed nonsense to the layout guesses), -> nullopt.
std::optional<std::pair<std::string_view, int>> SplitPartCount(std::string_view s) {
  const size_t dash = s.rfind('-');
  if (dash == std::string_view::npos) return std::make_pair(s, 0);
  const std::string_view digits = s.substr(dash + 1);
  int parts = 0;
  const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), parts);
  if (ec != std::errc() || end != digits.data() + digits.size() || parts < 1 || parts > kMaxParts) {
    return std::nullopt;
  }
  return std::make_pair(s.substr(0, dash), parts);
}

struct ParsedChecksum {
  std::string raw;
  int part_count = 0;
};

// "base64" or "base64-N" (composite), decoding to the algorithm's digest size.
std::optional<ParsedChecksum> ParseChecksumValue(std::string_view value, HashAlgorithm algorithm) {
  std::optional<std::pair<std::string_view, int>> split = SplitPartCount(TrimAsciiSpace(value));
  if (!split) return std::nullopt;
  ParsedChecksum parsed;
  parsed.part_count = split->second;
  if (!Base64Decode(split->first, &parsed.raw) || parsed.raw.size() != DigestSize(algorithm)) {
    return std::nullopt;
  }
  return parsed;
}

std::string SizeLabel(uint64_t bytes) {
  if (bytes > 0 && bytes % kMiB == 0) return fmt::format("{}MiB", bytes / kMiB);
  return fmt::format("{}B", bytes);
}

// "8MiB parts" when every part but a shorter last one has the same size,
// else "N parts".
std::string DescribeLayout(const std::vector<uint64_t>& parts) {
  if (parts.size() == 1) return "1 part";
  const bool uniform =
      !parts.empty() && parts.back() <= parts.front() &&
      std::all_of(parts.begin(), parts.end() - 1, [&](uint64_t p) { return p == parts.front(); });
  if (uniform) return SizeLabel(parts.front()) + " parts";
  return fmt::format("{} parts", parts.size());
}

std::string MethodName(VerificationMethod method, HashAlgorithm algorithm,
                       const std::vector<uint64_t>& layout) {
  switch (method) {
    case VerificationMethod::kFullObjectChecksum: return std::string(HashAlgorithmName(algorithm));
    case VerificationMethod::kCompositeChecksum:
      return fmt::format("composite-{}({})", HashAlgorithmName(algorithm), DescribeLayout(layout));
    case VerificationMethod::kMd5Etag: return "md5-etag";
    case VerificationMethod::kMultipartEtag:
      return fmt::format("multipart-etag({})", DescribeLayout(layout));
    case VerificationMethod::kSizeOnly: return "size-only";
  }
  return "?";
}

// The digest as S3 spells it for this method.
std::string FormatDigest(const VerificationPlan& plan, std::string_view raw) {
  const std::string suffix = plan.per_part() ? fmt::format("-{}", plan.part_count) : "";
  const bool etag = plan.method == VerificationMethod::kMd5Etag ||
                    plan.method == VerificationMethod::kMultipartEtag;
  return (etag ? HexEncode(raw) : Base64Encode(raw)) + suffix;
}

// The layout S3 reported, when it fits the object; else empty (guess it).
std::vector<uint64_t> UsableLayout(const ObjectFacts& facts, int part_count,
                                   std::vector<std::string>* notes) {
  if (part_count == 1) return {facts.size};  // nothing to guess
  if (facts.part_sizes.empty()) return {};
  const uint64_t total = std::accumulate(facts.part_sizes.begin(), facts.part_sizes.end(), uint64_t{0});
  if (facts.part_sizes.size() == static_cast<size_t>(part_count) && total == facts.size) {
    return facts.part_sizes;
  }
  notes->push_back(fmt::format("the part layout S3 reported ({} parts, {} bytes) does not fit "
                               "{} parts of {} bytes; guessing it",
                               facts.part_sizes.size(), total, part_count, facts.size));
  return {};
}

std::string JoinNotes(const std::vector<std::string>& notes) {
  std::string out;
  for (const std::string& note : notes) out += (out.empty() ? "" : "; ") + note;
  return out;
}

const std::string* FindChecksum(const std::map<std::string, std::string>& checksums,
                                ChecksumAlgorithm algorithm) {
  for (const auto& [name, value] : checksums) {
    if (EqualsIgnoreCase(name, ChecksumAlgorithmName(algorithm))) return &value;
  }
  return nullptr;
}

}  // namespace

std::optional<ParsedEtag> ParseEtag(std::string_view etag) {
  std::optional<std::pair<std::string_view, int>> split = SplitPartCount(StripQuotes(etag));
  if (!split) return std::nullopt;
  ParsedEtag parsed;
  parsed.part_count = split->second;
  if (split->first.size() != 32 || !HexDecode(split->first, &parsed.md5)) return std::nullopt;
  return parsed;
}

namespace {

// 1. An additional checksum, in PRODUCT.md §5.3's order. false: none usable.
bool PlanFromChecksum(const ObjectFacts& facts, const std::optional<ParsedEtag>& etag,
                      VerificationPlan& plan, std::vector<std::string>& notes) {
  for (ChecksumAlgorithm algorithm :
       {ChecksumAlgorithm::kCrc64Nvme, ChecksumAlgorithm::kCrc32c, ChecksumAlgorithm::kCrc32,
        ChecksumAlgorithm::kSha256, ChecksumAlgorithm::kSha1}) {
    const std::string* value = FindChecksum(facts.checksums, algorithm);
    if (value == nullptr) continue;
    const HashAlgorithm hash = FromChecksumAlgorithm(algorithm);
    std::optional<ParsedChecksum> parsed = ParseChecksumValue(*value, hash);
    if (!parsed) {
      notes.push_back(fmt::format("{} '{}' is malformed", ChecksumHeaderName(algorithm), *value));
      continue;
    }
    int parts = parsed->part_count;
    // A composite value should carry "-N"; if a server leaves it off, the
    // ETag still tells the part count.
    if (parts == 0 && EqualsIgnoreCase(facts.checksum_type, "COMPOSITE") && etag) {
      parts = etag->part_count;
    }
    plan.algorithm = hash;
    plan.expected = std::string(TrimAsciiSpace(*value));
    plan.expected_raw = std::move(parsed->raw);
    if (parts == 0) {
      plan.method = VerificationMethod::kFullObjectChecksum;
    } else {
      plan.method = VerificationMethod::kCompositeChecksum;
      plan.part_count = parts;
      plan.part_sizes = UsableLayout(facts, parts, &notes);
    }
    return true;
  }
  return false;
}

// 2. The ETag, unless encryption made it something other than an MD5.
bool PlanFromEtag(const ObjectFacts& facts, const std::optional<ParsedEtag>& etag,
                  VerificationPlan& plan, std::vector<std::string>& notes) {
  const bool kms = facts.server_side_encryption.size() >= 7 &&
                   EqualsIgnoreCase(facts.server_side_encryption.substr(0, 7), "aws:kms");
  if (kms || facts.sse_customer_key) {
    notes.push_back(fmt::format("{} object without an additional checksum: its ETag is not an "
                                "MD5 of the content",
                                kms ? "SSE-KMS" : "SSE-C"));
    return false;
  }
  if (!etag) {
    notes.push_back(fmt::format("ETag '{}' is not an MD5", facts.etag));
    return false;
  }
  plan.algorithm = HashAlgorithm::kMd5;
  plan.expected = std::string(StripQuotes(facts.etag));
  std::transform(plan.expected.begin(), plan.expected.end(), plan.expected.begin(), AsciiToLower);
  plan.expected_raw = etag->md5;
  if (etag->part_count == 0) {
    plan.method = VerificationMethod::kMd5Etag;
  } else {
    plan.method = VerificationMethod::kMultipartEtag;
    plan.part_count = etag->part_count;
    plan.part_sizes = UsableLayout(facts, etag->part_count, &notes);
  }
  return true;
}

}  // namespace

VerificationPlan ChooseVerification(const ObjectFacts& facts) {
  VerificationPlan plan;
  plan.size = facts.size;
  std::vector<std::string> notes;
  const std::optional<ParsedEtag> etag = ParseEtag(facts.etag);
  if (!PlanFromChecksum(facts, etag, plan, notes) && !PlanFromEtag(facts, etag, plan, notes)) {
    plan.method = VerificationMethod::kSizeOnly;  // 3. nothing but the size
  }
  plan.note = JoinNotes(notes);
  return plan;
}

std::string MultipartEtag(const std::vector<std::string>& part_md5s) {
  StreamHasher outer(HashAlgorithm::kMd5);
  for (const std::string& md5 : part_md5s) outer.Update(md5.data(), md5.size());
  return fmt::format("{}-{}", HexEncode(outer.Finish()), part_md5s.size());
}

std::string CompositeChecksum(HashAlgorithm algorithm, const std::vector<std::string>& part_checksums) {
  StreamHasher outer(algorithm);
  for (const std::string& part : part_checksums) outer.Update(part.data(), part.size());
  return fmt::format("{}-{}", Base64Encode(outer.Finish()), part_checksums.size());
}

std::vector<uint64_t> UniformPartLayout(uint64_t size, uint64_t part_size) {
  if (size == 0 || part_size == 0) return {size};
  std::vector<uint64_t> parts(static_cast<size_t>((size + part_size - 1) / part_size), part_size);
  parts.back() = size - part_size * (parts.size() - 1);
  return parts;
}

std::vector<uint64_t> CandidatePartSizes(uint64_t size, int part_count) {
  if (part_count < 1) return {};
  const uint64_t n = static_cast<uint64_t>(part_count);
  std::vector<uint64_t> candidates;
  for (uint64_t mib : {5, 8, 15, 16, 64, 100}) candidates.push_back(mib * kMiB);
  const uint64_t per_part = (size + n - 1) / n;
  candidates.push_back((per_part + kMiB - 1) / kMiB * kMiB);
  candidates.push_back(per_part);
  // The AWS CLI and boto3 double their 8 MiB chunk until 10,000 parts suffice.
  for (uint64_t doubled = 16 * kMiB; doubled <= 64 * 1024 * kMiB; doubled *= 2) {
    candidates.push_back(doubled);
  }

  std::vector<uint64_t> fitting;
  for (uint64_t part_size : candidates) {
    // Exactly n parts: n - 1 full ones and a non-empty last one (or a single
    // empty part for an empty object).
    const bool fits = part_size > 0 && (size == 0 ? n == 1
                                                  : (n - 1) * part_size < size && size <= n * part_size);
    if (fits && std::find(fitting.begin(), fitting.end(), part_size) == fitting.end()) {
      fitting.push_back(part_size);
    }
  }
  return fitting;
}

Result<std::optional<uint64_t>> FindPartSize(File& file, uint64_t size, HashAlgorithm part_algorithm,
                                             int part_count, std::string_view expected_raw) {
  struct Candidate {
    uint64_t part_size;
    uint64_t part_left;   // bytes still to come in the current part
    StreamHasher part;    // the current part's hash
    StreamHasher outer;   // over the finished parts' hashes
  };
  std::vector<Candidate> candidates;
  for (uint64_t part_size : CandidatePartSizes(size, part_count)) {
    candidates.push_back(
        Candidate{part_size, part_size, StreamHasher(part_algorithm), StreamHasher(part_algorithm)});
  }
  if (candidates.empty()) return std::optional<uint64_t>();

  std::vector<char> buffer = ChunkBuffer(size, 8 << 20);
  S3M_RETURN_IF_ERROR(ReadRange(file, 0, size, buffer, [&candidates](const char* data, size_t length) {
    // Each candidate cuts the same buffer at its own part boundaries.
    for (Candidate& c : candidates) {
      const char* p = data;
      size_t left = length;
      while (left > 0) {
        const size_t n = static_cast<size_t>(std::min<uint64_t>(left, c.part_left));
        c.part.Update(p, n);
        p += n;
        left -= n;
        c.part_left -= n;
        if (c.part_left == 0) {
          const std::string digest = c.part.Finish();
          c.outer.Update(digest.data(), digest.size());
          c.part_left = c.part_size;
        }
      }
    }
  }));
  for (Candidate& c : candidates) {
    if (c.part_left != c.part_size || size == 0) {  // the shorter last part (or the one empty part)
      const std::string digest = c.part.Finish();
      c.outer.Update(digest.data(), digest.size());
    }
    if (c.outer.Finish() == expected_raw) return std::optional<uint64_t>(c.part_size);
  }
  return std::optional<uint64_t>();
}

// One segment's hashing state: a CRC accumulator, or an in-order hasher.
struct ObjectVerifier::Segment {
  uint64_t begin = 0;
  std::unique_ptr<RangeCrcAccumulator> crc;
  std::unique_ptr<InOrderHasher> ordered;
};

ObjectVerifier::ObjectVerifier(VerificationPlan plan, File* file) : plan_(std::move(plan)), file_(file) {
  const bool streamed = plan_.method != VerificationMethod::kSizeOnly && !plan_.layout_guessed();
  if (!streamed) return;
  bounds_.push_back(0);
  if (plan_.per_part()) {
    for (uint64_t part : plan_.part_sizes) bounds_.push_back(bounds_.back() + part);
  } else {
    bounds_.push_back(plan_.size);
  }
  digests_.resize(bounds_.size() - 1);
  finished_.resize(bounds_.size() - 1, false);
}

ObjectVerifier::~ObjectVerifier() = default;

void ObjectVerifier::Fail(const Status& status) {
  std::lock_guard<std::mutex> lock(mu_);
  if (error_.ok()) error_ = status;
}

std::shared_ptr<ObjectVerifier::Segment> ObjectVerifier::Acquire(size_t index) {
  std::lock_guard<std::mutex> lock(mu_);
  if (finished_[index]) return nullptr;
  std::shared_ptr<Segment>& segment = active_[index];
  if (!segment) {
    segment = std::make_shared<Segment>();
    segment->begin = bounds_[index];
    const uint64_t length = bounds_[index + 1] - bounds_[index];
    if (IsCrc(plan_.algorithm)) {
      segment->crc =
          std::make_unique<RangeCrcAccumulator>(CrcCombiner::For(plan_.algorithm), length);
    } else {
      segment->ordered =
          std::make_unique<InOrderHasher>(plan_.algorithm, segment->begin, length, file_);
    }
  }
  return segment;
}

void ObjectVerifier::MaybeFinalize(size_t index, const std::shared_ptr<Segment>& segment) {
  std::lock_guard<std::mutex> lock(mu_);
  if (finished_[index]) return;
  if (segment->crc) {
    const std::optional<uint64_t> crc = segment->crc->Value();
    if (!crc) return;
    digests_[index] = CrcBytes(plan_.algorithm, *crc);
  } else {
    if (!segment->ordered->complete()) return;
    Result<std::string> digest = segment->ordered->Finish();
    if (!digest.ok()) {
      if (error_.ok()) error_ = digest.status();
      return;
    }
    digests_[index] = std::move(digest).value();
    bytes_reread_.fetch_add(segment->ordered->bytes_reread(), std::memory_order_relaxed);
  }
  finished_[index] = true;
  active_.erase(index);
}

ObjectVerifier::RangeFeed::RangeFeed(ObjectVerifier* verifier, uint64_t offset, uint64_t length)
    : verifier_(verifier), position_(offset), end_(offset + length) {
  if (offset > verifier->plan_.size || length > verifier->plan_.size - offset) {
    error_ = Status::Error(ErrorKind::kInvalidArgument,
                           fmt::format("range [{}, {}) passes the object size {}", offset,
                                       offset + length, verifier->plan_.size));
  }
}

ObjectVerifier::RangeFeed::RangeFeed(RangeFeed&&) noexcept = default;
ObjectVerifier::RangeFeed::~RangeFeed() = default;

void ObjectVerifier::RangeFeed::EnterSegment() {
  const std::vector<uint64_t>& bounds = verifier_->bounds_;
  // The last segment starting at or before position_ (skipping empty ones).
  segment_ = static_cast<size_t>(std::upper_bound(bounds.begin(), bounds.end(), position_) -
                                 bounds.begin()) - 1;
  segment_end_ = bounds[segment_ + 1];
  state_ = verifier_->Acquire(segment_);
  if (!state_) {
    error_ = Status::Error(ErrorKind::kInvalidArgument,
                           fmt::format("byte {} was fed twice", position_));
  }
  crc_ = 0;
  crc_start_ = position_;
}

void ObjectVerifier::RangeFeed::LeaveSegment() {
  if (!state_) return;
  if (state_->crc && position_ > crc_start_) {
    const Status added = state_->crc->Add(crc_start_ - state_->begin, position_ - crc_start_, crc_);
    if (!added.ok() && error_.ok()) error_ = added;
  }
  verifier_->MaybeFinalize(segment_, state_);
  state_.reset();
}

void ObjectVerifier::RangeFeed::Update(const void* data, size_t size) {
  if (!error_.ok() || size == 0) return;
  if (size > end_ - position_) {
    error_ = Status::Error(ErrorKind::kInvalidArgument,
                           fmt::format("{} bytes fed at {}, past the range end {}", size,
                                       position_, end_));
    return;
  }
  verifier_->bytes_fed_.fetch_add(size, std::memory_order_relaxed);
  if (verifier_->bounds_.empty()) {  // nothing hashed while streaming
    position_ += size;
    return;
  }
  const auto* p = static_cast<const char*>(data);
  while (size > 0) {
    if (!state_) {
      EnterSegment();
      if (!error_.ok()) return;
    }
    const size_t n = static_cast<size_t>(std::min<uint64_t>(size, segment_end_ - position_));
    if (state_->crc) {
      crc_ = CrcUpdate(verifier_->plan_.algorithm, crc_, p, n);
    } else {
      state_->ordered->Written(position_, p, n);
    }
    position_ += n;
    p += n;
    size -= n;
    if (position_ == segment_end_) LeaveSegment();
  }
}

Status ObjectVerifier::RangeFeed::Finish() {
  if (error_.ok() && position_ != end_) {
    error_ = Status::Error(ErrorKind::kFatal,
                           fmt::format("range ended at byte {}, {} bytes short", position_,
                                       end_ - position_));
  }
  LeaveSegment();
  if (!error_.ok()) verifier_->Fail(error_);
  return error_;
}

ObjectVerifier::RangeFeed ObjectVerifier::BeginRange(uint64_t offset, uint64_t length) {
  return RangeFeed(this, offset, length);
}

Status ObjectVerifier::AddExistingRange(uint64_t offset, uint64_t length) {
  RangeFeed feed = BeginRange(offset, length);
  if (!feed.error_.ok()) return feed.error_;
  if (bounds_.empty()) {  // nothing is hashed while streaming: only count the bytes
    bytes_fed_.fetch_add(length, std::memory_order_relaxed);
    return Status::Ok();
  }
  if (file_ == nullptr) {
    return Status::Error(ErrorKind::kFatal, "no file to read existing bytes from");
  }
  std::vector<char> buffer = ChunkBuffer(length, 4 << 20);
  S3M_RETURN_IF_ERROR(ReadRange(*file_, offset, length, buffer,
                                [&feed](const char* data, size_t size) { feed.Update(data, size); }));
  return feed.Finish();
}

VerificationResult ObjectVerifier::Compare(std::string_view actual_raw, bool layout_guessed) const {
  VerificationResult result;
  result.method = plan_.method;
  result.layout_guessed = layout_guessed;
  result.expected = plan_.expected;
  result.actual = FormatDigest(plan_, actual_raw);
  result.matched = actual_raw == plan_.expected_raw;
  return result;
}

Result<VerificationResult> ObjectVerifier::FinishGuessed() {
  if (file_ == nullptr) return Status::Error(ErrorKind::kFatal, "no file to guess the part layout from");
  S3M_ASSIGN_OR_RETURN(std::optional<uint64_t> part_size,
                       FindPartSize(*file_, plan_.size, plan_.algorithm, plan_.part_count,
                                    plan_.expected_raw));
  if (part_size) {
    VerificationResult result = Compare(plan_.expected_raw, /*layout_guessed=*/true);
    result.method_name =
        MethodName(plan_.method, plan_.algorithm, UniformPartLayout(plan_.size, *part_size));
    result.message = plan_.note;
    return result;
  }
  // PRODUCT.md §9: only after every common part size failed, fall back to the size.
  VerificationResult result;
  result.method = VerificationMethod::kSizeOnly;
  result.method_name = MethodName(VerificationMethod::kSizeOnly, plan_.algorithm, {});
  result.matched = true;
  result.expected = plan_.expected;
  std::string tried;
  for (uint64_t size : CandidatePartSizes(plan_.size, plan_.part_count)) {
    tried += (tried.empty() ? "" : ", ") + SizeLabel(size);
  }
  result.message = fmt::format("{} {} matched no common part layout (tried: {}); only the size "
                               "was checked",
                               plan_.method == VerificationMethod::kMultipartEtag
                                   ? "multipart ETag"
                                   : "composite checksum",
                               plan_.expected, tried.empty() ? "none fits" : tried);
  return result;
}

Result<VerificationResult> ObjectVerifier::Finish() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!error_.ok()) return error_;
  }
  const uint64_t fed = bytes_fed_.load();
  if (fed != plan_.size) {
    return Status::Error(ErrorKind::kFatal,
                         fmt::format("verification saw {} bytes of an object of {}", fed, plan_.size));
  }
  if (plan_.method == VerificationMethod::kSizeOnly) {
    VerificationResult result;
    result.matched = true;
    result.method_name = MethodName(plan_.method, plan_.algorithm, {});
    result.message = plan_.note;
    return result;
  }
  if (plan_.layout_guessed()) return FinishGuessed();

  // Empty segments were never entered; everything else must be complete.
  for (size_t i = 0; i + 1 < bounds_.size(); ++i) {
    if (std::shared_ptr<Segment> segment = Acquire(i)) MaybeFinalize(i, segment);
  }
  std::lock_guard<std::mutex> lock(mu_);
  if (!error_.ok()) return error_;
  for (size_t i = 0; i < finished_.size(); ++i) {
    if (!finished_[i]) {
      return Status::Error(ErrorKind::kFatal,
                           fmt::format("bytes [{}, {}) were not all fed", bounds_[i], bounds_[i + 1]));
    }
  }
  std::string actual_raw;
  if (plan_.per_part()) {
    StreamHasher outer(plan_.algorithm);
    for (const std::string& digest : digests_) outer.Update(digest.data(), digest.size());
    actual_raw = outer.Finish();
  } else {
    actual_raw = digests_.front();
  }
  VerificationResult result = Compare(actual_raw, /*layout_guessed=*/false);
  result.method_name = MethodName(plan_.method, plan_.algorithm, plan_.part_sizes);
  if (!result.matched) {
    result.message = fmt::format("{} mismatch: S3 has {}, the local copy {}", result.method_name,
                                 result.expected, result.actual);
  } else {
    result.message = plan_.note;
  }
  return result;
}

std::optional<ObjectFacts> FactsFromRecord(std::string_view verified_by,
                                           std::string_view verified_checksum,
                                           std::string_view etag, uint64_t size,
                                           uint64_t part_size) {
  const std::string_view method = verified_by.substr(0, verified_by.find('('));
  ObjectFacts facts;
  facts.size = size;
  std::string_view value = verified_checksum;
  if (method == "md5-etag" || method == "multipart-etag") {
    if (value.empty()) value = etag;
    facts.etag = std::string(value);
  } else {
    constexpr std::string_view kComposite = "composite-";
    const bool composite = method.substr(0, kComposite.size()) == kComposite;
    const std::string_view name = composite ? method.substr(kComposite.size()) : method;
    std::optional<HashAlgorithm> algorithm;
    for (HashAlgorithm a : {HashAlgorithm::kCrc32, HashAlgorithm::kCrc32c, HashAlgorithm::kCrc64Nvme,
                            HashAlgorithm::kSha1, HashAlgorithm::kSha256}) {
      if (HashAlgorithmName(a) == name) algorithm = a;
    }
    if (!algorithm || value.empty()) return std::nullopt;
    facts.checksums[std::string(name)] = std::string(value);  // names match in any case
    facts.checksum_type = composite ? "COMPOSITE" : "FULL_OBJECT";
  }
  if (value.empty()) return std::nullopt;
  // "<digest>-<parts>": the recorded part size gives the layout when it fits.
  const auto split = SplitPartCount(StripQuotes(value));
  if (split && split->second > 0 && part_size > 0) {
    std::vector<uint64_t> layout = UniformPartLayout(size, part_size);
    if (layout.size() == static_cast<size_t>(split->second)) facts.part_sizes = std::move(layout);
  }
  return facts;
}

Result<VerificationResult> VerifyFile(File& file, const VerificationPlan& plan) {
  S3M_ASSIGN_OR_RETURN(FileInfo info, file.Stat());
  if (info.size != plan.size) {
    VerificationResult result;
    result.method = plan.method;
    result.method_name = MethodName(plan.method, plan.algorithm, plan.part_sizes);
    result.expected = plan.expected;
    result.message = fmt::format("the local file has {} bytes, S3 says {}", info.size, plan.size);
    return result;
  }
  ObjectVerifier verifier(plan, &file);
  S3M_RETURN_IF_ERROR(verifier.AddExistingRange(0, plan.size));
  return verifier.Finish();
}

}  // namespace s3m::engine
