// Hashing bytes that arrive as disjoint ranges, in any order, from parallel
// range workers (PRODUCT.md §5.3, §7):
//
//   * CRCs combine: each worker computes the CRC of its own range and
//     RangeCrcAccumulator folds them together in offset order with
//     CrcCombiner, so CRC work is fully parallel and nothing is read twice.
//   * MD5 and SHA cannot combine: they need every byte in order.
//     InOrderHasher hashes bytes straight from the worker's buffer when they
//     are next in order, and otherwise reads them back from the file once the
//     gap before them is filled (from the page cache: they were just written).
//     With ranges aligned to the part layout each part has its own hasher and
//     its worker streams it in order, so nothing is re-read at all.
//
// Performance: hashers take whole buffers (no per-byte calls, no copies) and
// dispatch on the algorithm once per buffer.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/checksum.h"
#include "core/hash.h"
#include "core/status.h"
#include "engine/file_system.h"

namespace s3m::engine {

// Every hash verification uses: MD5 for ETags, the rest for S3's additional
// checksums.
enum class HashAlgorithm { kMd5, kCrc32, kCrc32c, kCrc64Nvme, kSha1, kSha256 };

HashAlgorithm FromChecksumAlgorithm(ChecksumAlgorithm algorithm);
// Lower case, as the database and reports spell methods: "md5", "crc64nvme".
std::string_view HashAlgorithmName(HashAlgorithm algorithm);
bool IsCrc(HashAlgorithm algorithm);

// Raw CRC of kCrc32, kCrc32c or kCrc64Nvme; chains like core/checksum.h.
uint64_t CrcUpdate(HashAlgorithm algorithm, uint64_t crc, const void* data, size_t size);
// Big-endian bytes of a CRC value, as S3 encodes it (4 or 8 bytes).
std::string CrcBytes(HashAlgorithm algorithm, uint64_t crc);

// Incremental hash of any HashAlgorithm. Not thread-safe; movable.
class StreamHasher {
 public:
  explicit StreamHasher(HashAlgorithm algorithm);
  void Update(const void* data, size_t size);
  // Raw big-endian digest bytes; the hasher starts over afterwards.
  std::string Finish();
  HashAlgorithm algorithm() const { return algorithm_; }

 private:
  HashAlgorithm algorithm_;
  std::optional<Checksummer> checksum_;  // CRCs and SHAs
  std::optional<Digest> md5_;
};

// A reflected CRC (refin = refout = true), as all of S3's are.
struct CrcSpec {
  int width;                // bits, 1..64
  uint64_t reflected_poly;  // the polynomial with its bits reversed
  uint64_t init;            // initial register value
  uint64_t xorout;          // final xor
};
inline constexpr CrcSpec kCrc32Spec{32, 0xedb88320u, 0xffffffffu, 0xffffffffu};
inline constexpr CrcSpec kCrc32cSpec{32, 0x82f63b78u, 0xffffffffu, 0xffffffffu};
inline constexpr CrcSpec kCrc64NvmeSpec{64, 0x9a6c9329ac4bc9b5ull, ~0ull, ~0ull};

// crc(A || B) from crc(A), crc(B) and len(B), as zlib's crc32_combine does it,
// for any reflected CRC. Appending a zero bit to the message is a linear map
// on the CRC register over GF(2), a width x width matrix; appending n zero
// bytes is that matrix to the power 8n. The constructor squares its way to the
// operators for 2^k zero bytes (k = 0..63) once, so Combine costs one
// matrix-vector product per set bit of len(B): about 64 * 64 bit operations,
// independent of the data size. Then
//   crc(A || B) = Zeros^len(B)(crc(A) ^ init ^ xorout) ^ crc(B).
// Immutable after construction, so thread-safe.
class CrcCombiner {
 public:
  explicit CrcCombiner(const CrcSpec& spec);

  uint64_t Combine(uint64_t crc_a, uint64_t crc_b, uint64_t length_b) const;
  // CRC of the empty message (init ^ xorout).
  uint64_t Empty() const { return (spec_.init ^ spec_.xorout) & mask_; }

  // The shared instance for kCrc32, kCrc32c or kCrc64Nvme.
  static const CrcCombiner& For(HashAlgorithm algorithm);

 private:
  using Matrix = std::array<uint64_t, 64>;  // column i = image of register bit i
  static uint64_t Apply(const Matrix& m, uint64_t vector);
  static Matrix Square(const Matrix& m, int width);

  CrcSpec spec_;
  uint64_t mask_;
  std::array<Matrix, 64> zero_bytes_{};  // [k]: append 2^k zero bytes
};

// Collects the CRCs of disjoint ranges of [0, length), arriving in any order
// from any thread, and merges each with its neighbours at once so memory stays
// proportional to the number of gaps. Thread-safe.
class RangeCrcAccumulator {
 public:
  RangeCrcAccumulator(const CrcCombiner& combiner, uint64_t length);

  // kInvalidArgument when the range overlaps one already added or passes
  // `length`.
  Status Add(uint64_t offset, uint64_t length, uint64_t crc);
  bool complete() const;
  // The CRC of all `length` bytes, once complete().
  std::optional<uint64_t> Value() const;

 private:
  struct Piece {
    uint64_t length;
    uint64_t crc;
  };
  const CrcCombiner& combiner_;
  const uint64_t length_;
  mutable std::mutex mu_;
  std::map<uint64_t, Piece> pieces_;  // guarded by mu_; by offset, never adjacent
};

// An in-order digest (MD5, SHA-1, SHA-256) of the bytes [begin, begin +
// length) of `file`, fed by workers that write those bytes in any order.
//
// Contract for Written(): the bytes [offset, offset + size) were written to
// `file` (its WriteAt returned OK) before the call, and no byte is reported
// twice. `data` points at those bytes, or is null when they are only in the
// file (e.g. written by an earlier run).
//
// Exactly one thread hashes at a time. A caller whose bytes are next in order
// hashes them from `data`, then keeps going with any later bytes that are
// already written, reading them back from `file`; a caller that finds another
// thread hashing, or its bytes not yet next, only records the range and
// returns at once, so a network worker never waits for another's hashing.
//
// Thread-safe. `file` must outlive the hasher and support concurrent ReadAt;
// it may be null when every byte is reported in order with its data.
class InOrderHasher {
 public:
  InOrderHasher(HashAlgorithm algorithm, uint64_t begin, uint64_t length, File* file);

  void Written(uint64_t offset, const void* data, size_t size);
  // Every byte hashed (possible only when no Written call is still running).
  bool complete() const;
  // The digest once complete; else why not (a read error, a gap, an overlap).
  Result<std::string> Finish();
  // Bytes hashed from the file rather than from callers' buffers.
  uint64_t bytes_reread() const { return bytes_reread_.load(std::memory_order_relaxed); }

 private:
  // Hashes the bytes starting at frontier_ while any are written; called with
  // hashing_ set, and `lock` held on entry and exit.
  void HashAvailable(std::unique_lock<std::mutex>& lock);
  void FailLocked(Status status);

  const uint64_t begin_;
  const uint64_t end_;
  File* const file_;
  std::atomic<uint64_t> bytes_reread_{0};

  mutable std::mutex mu_;
  // Guarded by mu_:
  uint64_t frontier_;                  // every byte before it is hashed
  std::map<uint64_t, uint64_t> ready_;  // written, not hashed: offset -> length, never adjacent
  bool hashing_ = false;               // a thread owns hasher_ and buffer_
  Status error_;

  // Owned by the thread that set hashing_:
  StreamHasher hasher_;
  std::vector<char> buffer_;
};

}  // namespace s3m::engine
