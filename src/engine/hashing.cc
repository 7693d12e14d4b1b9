#include "engine/hashing.h"

#include <algorithm>
#include <utility>

#include <fmt/format.h>

namespace s3m::engine {

HashAlgorithm FromChecksumAlgorithm(ChecksumAlgorithm algorithm) {
  switch (algorithm) {
    case ChecksumAlgorithm::kCrc32: return HashAlgorithm::kCrc32;
    case ChecksumAlgorithm::kCrc32c: return HashAlgorithm::kCrc32c;
    case ChecksumAlgorithm::kCrc64Nvme: return HashAlgorithm::kCrc64Nvme;
    case ChecksumAlgorithm::kSha1: return HashAlgorithm::kSha1;
    case ChecksumAlgorithm::kSha256: return HashAlgorithm::kSha256;
  }
  return HashAlgorithm::kSha256;
}

std::string_view HashAlgorithmName(HashAlgorithm algorithm) {
  switch (algorithm) {
    case HashAlgorithm::kMd5: return "md5";
    case HashAlgorithm::kCrc32: return "crc32";
    case HashAlgorithm::kCrc32c: return "crc32c";
    case HashAlgorithm::kCrc64Nvme: return "crc64nvme";
    case HashAlgorithm::kSha1: return "sha1";
    case HashAlgorithm::kSha256: return "sha256";
  }
  return "?";
}

bool IsCrc(HashAlgorithm algorithm) {
  return algorithm == HashAlgorithm::kCrc32 || algorithm == HashAlgorithm::kCrc32c ||
         algorithm == HashAlgorithm::kCrc64Nvme;
}

uint64_t CrcUpdate(HashAlgorithm algorithm, uint64_t crc, const void* data, size_t size) {
  switch (algorithm) {
    case HashAlgorithm::kCrc32: return Crc32(static_cast<uint32_t>(crc), data, size);
    case HashAlgorithm::kCrc32c: return Crc32c(static_cast<uint32_t>(crc), data, size);
    case HashAlgorithm::kCrc64Nvme: return Crc64Nvme(crc, data, size);
    default: return crc;  // not a CRC: callers check IsCrc first
  }
}

std::string CrcBytes(HashAlgorithm algorithm, uint64_t crc) {
  const size_t bytes = algorithm == HashAlgorithm::kCrc64Nvme ? 8 : 4;
  std::string out(bytes, '\0');
  for (size_t i = 0; i < bytes; ++i) {
    out[i] = static_cast<char>((crc >> (8 * (bytes - 1 - i))) & 0xff);
  }
  return out;
}

namespace {

std::optional<ChecksumAlgorithm> ToChecksumAlgorithm(HashAlgorithm algorithm) {
  switch (algorithm) {
    case HashAlgorithm::kMd5: return std::nullopt;
    case HashAlgorithm::kCrc32: return ChecksumAlgorithm::kCrc32;
    case HashAlgorithm::kCrc32c: return ChecksumAlgorithm::kCrc32c;
    case HashAlgorithm::kCrc64Nvme: return ChecksumAlgorithm::kCrc64Nvme;
    case HashAlgorithm::kSha1: return ChecksumAlgorithm::kSha1;
    case HashAlgorithm::kSha256: return ChecksumAlgorithm::kSha256;
  }
  return std::nullopt;
}

// Adds the disjoint range [offset, offset + LengthOf(piece)) to `pieces`
// (keyed by offset), merging it with the neighbours it touches through
// merge(left, right). False, and no change, when it overlaps a range there.
template <typename Piece, typename LengthOf, typename Merge>
bool InsertRange(std::map<uint64_t, Piece>& pieces, uint64_t offset, Piece piece,
                 LengthOf length_of, Merge merge) {
  auto next = pieces.lower_bound(offset);
  if (next != pieces.end() && next->first < offset + length_of(piece)) return false;
  if (next != pieces.begin()) {
    auto prev = std::prev(next);
    const uint64_t prev_end = prev->first + length_of(prev->second);
    if (prev_end > offset) return false;
    if (prev_end == offset) {
      piece = merge(prev->second, piece);
      offset = prev->first;
      pieces.erase(prev);
    }
  }
  if (next != pieces.end() && next->first == offset + length_of(piece)) {
    piece = merge(piece, next->second);
    pieces.erase(next);
  }
  pieces.emplace(offset, piece);
  return true;
}

}  // namespace

StreamHasher::StreamHasher(HashAlgorithm algorithm) : algorithm_(algorithm) {
  if (std::optional<ChecksumAlgorithm> checksum = ToChecksumAlgorithm(algorithm)) {
    checksum_.emplace(*checksum);
  } else {
    md5_.emplace(DigestAlgorithm::kMd5);
  }
}

void StreamHasher::Update(const void* data, size_t size) {
  if (checksum_) {
    checksum_->Update(data, size);
  } else {
    md5_->Update(data, size);
  }
}

std::string StreamHasher::Finish() { return checksum_ ? checksum_->Finish() : md5_->Finish(); }

CrcCombiner::CrcCombiner(const CrcSpec& spec)
    : spec_(spec), mask_(spec.width >= 64 ? ~0ull : (1ull << spec.width) - 1) {
  // One zero bit shifts a reflected register right and xors in the
  // polynomial when the bit shifted out was set.
  Matrix m{};
  m[0] = spec.reflected_poly & mask_;
  for (int i = 1; i < spec.width; ++i) m[static_cast<size_t>(i)] = 1ull << (i - 1);
  for (int i = 0; i < 3; ++i) m = Square(m, spec.width);  // 2, 4, 8 bits: one byte
  zero_bytes_[0] = m;
  for (size_t k = 1; k < zero_bytes_.size(); ++k) {
    zero_bytes_[k] = Square(zero_bytes_[k - 1], spec.width);
  }
}

uint64_t CrcCombiner::Apply(const Matrix& m, uint64_t vector) {
  uint64_t out = 0;
  for (size_t i = 0; vector != 0; ++i, vector >>= 1) {
    if (vector & 1) out ^= m[i];
  }
  return out;
}

CrcCombiner::Matrix CrcCombiner::Square(const Matrix& m, int width) {
  Matrix out{};
  for (size_t i = 0; i < static_cast<size_t>(width); ++i) out[i] = Apply(m, m[i]);
  return out;
}

uint64_t CrcCombiner::Combine(uint64_t crc_a, uint64_t crc_b, uint64_t length_b) const {
  // The init and xorout terms cancel for S3's CRCs (both all ones) but not in
  // general; see the header.
  uint64_t reg = (crc_a ^ spec_.init ^ spec_.xorout) & mask_;
  for (size_t k = 0; length_b != 0; ++k, length_b >>= 1) {
    if (length_b & 1) reg = Apply(zero_bytes_[k], reg);
  }
  return (reg ^ crc_b) & mask_;
}

const CrcCombiner& CrcCombiner::For(HashAlgorithm algorithm) {
  static const CrcCombiner crc32(kCrc32Spec);
  static const CrcCombiner crc32c(kCrc32cSpec);
  static const CrcCombiner crc64nvme(kCrc64NvmeSpec);
  switch (algorithm) {
    case HashAlgorithm::kCrc32: return crc32;
    case HashAlgorithm::kCrc32c: return crc32c;
    default: return crc64nvme;
  }
}

RangeCrcAccumulator::RangeCrcAccumulator(const CrcCombiner& combiner, uint64_t length)
    : combiner_(combiner), length_(length) {}

Status RangeCrcAccumulator::Add(uint64_t offset, uint64_t length, uint64_t crc) {
  if (length == 0) return Status::Ok();
  if (offset > length_ || length > length_ - offset) {
    return Status::Error(ErrorKind::kInvalidArgument,
                         fmt::format("CRC range [{}, {}) passes the end {}", offset,
                                     offset + length, length_));
  }
  std::lock_guard<std::mutex> lock(mu_);
  const bool inserted = InsertRange(
      pieces_, offset, Piece{length, crc}, [](const Piece& p) { return p.length; },
      [this](const Piece& left, const Piece& right) {
        return Piece{left.length + right.length,
                     combiner_.Combine(left.crc, right.crc, right.length)};
      });
  if (!inserted) {
    return Status::Error(ErrorKind::kInvalidArgument,
                         fmt::format("CRC range [{}, {}) overlaps one already counted", offset,
                                     offset + length));
  }
  return Status::Ok();
}

bool RangeCrcAccumulator::complete() const { return Value().has_value(); }

std::optional<uint64_t> RangeCrcAccumulator::Value() const {
  std::lock_guard<std::mutex> lock(mu_);
  if (length_ == 0) return combiner_.Empty();
  if (pieces_.size() != 1 || pieces_.begin()->first != 0 ||
      pieces_.begin()->second.length != length_) {
    return std::nullopt;
  }
  return pieces_.begin()->second.crc;
}

InOrderHasher::InOrderHasher(HashAlgorithm algorithm, uint64_t begin, uint64_t length, File* file)
    : begin_(begin), end_(begin + length), file_(file), frontier_(begin), hasher_(algorithm) {}

void InOrderHasher::FailLocked(Status status) {
  if (error_.ok()) error_ = std::move(status);
}

void InOrderHasher::Written(uint64_t offset, const void* data, size_t size) {
  std::unique_lock<std::mutex> lock(mu_);
  if (!error_.ok() || size == 0) return;
  if (offset < begin_ || offset > end_ || size > end_ - offset) {
    FailLocked(Status::Error(ErrorKind::kInvalidArgument,
                             fmt::format("bytes [{}, {}) lie outside [{}, {})", offset,
                                         offset + size, begin_, end_)));
    return;
  }
  if (!hashing_ && offset == frontier_ && data != nullptr) {
    // Next in order: hash straight from the caller's buffer, without the lock.
    hashing_ = true;
    lock.unlock();
    hasher_.Update(data, size);
    lock.lock();
    frontier_ += size;
  } else {
    const bool inserted =
        offset >= frontier_ &&
        InsertRange(
            ready_, offset, uint64_t{size}, [](uint64_t length) { return length; },
            [](uint64_t left, uint64_t right) { return left + right; });
    if (!inserted) {
      FailLocked(Status::Error(ErrorKind::kInvalidArgument,
                               fmt::format("bytes [{}, {}) were reported twice", offset,
                                           offset + size)));
      return;
    }
    // Another thread is hashing and will pick these up, or a gap remains.
    if (hashing_ || ready_.begin()->first != frontier_) return;
    hashing_ = true;
  }
  HashAvailable(lock);
  hashing_ = false;
}

void InOrderHasher::HashAvailable(std::unique_lock<std::mutex>& lock) {
  constexpr size_t kBufferSize = size_t{1} << 20;
  while (error_.ok() && !ready_.empty() && ready_.begin()->first == frontier_) {
    const uint64_t start = frontier_;
    const uint64_t length = ready_.begin()->second;
    ready_.erase(ready_.begin());
    lock.unlock();
    // Only this thread touches hasher_ and buffer_ while hashing_ is set.
    Status status;
    if (file_ == nullptr) {
      status = Status::Error(ErrorKind::kFatal,
                             "bytes arrived out of order and there is no file to read them from");
    } else if (buffer_.empty()) {
      buffer_.resize(kBufferSize);
    }
    if (status.ok()) {
      status = ReadRange(*file_, start, length, buffer_,
                         [this](const char* data, size_t size) { hasher_.Update(data, size); });
    }
    bytes_reread_.fetch_add(length, std::memory_order_relaxed);
    lock.lock();
    if (!status.ok()) {
      FailLocked(std::move(status));
      return;
    }
    frontier_ = start + length;
  }
}

bool InOrderHasher::complete() const {
  std::lock_guard<std::mutex> lock(mu_);
  return error_.ok() && frontier_ == end_;
}

Result<std::string> InOrderHasher::Finish() {
  std::lock_guard<std::mutex> lock(mu_);
  if (!error_.ok()) return error_;
  if (frontier_ != end_) {
    const uint64_t gap_end = ready_.empty() ? end_ : ready_.begin()->first;
    return Status::Error(ErrorKind::kFatal,
                         fmt::format("bytes [{}, {}) were never written", frontier_, gap_end));
  }
  std::vector<char>().swap(buffer_);
  return hasher_.Finish();
}

}  // namespace s3m::engine
