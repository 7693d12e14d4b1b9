// S3's additional checksums (x-amz-checksum-*), computed incrementally over
// streamed bytes. CRC32 and CRC32C come from ISA-L; CRC64/NVME is written here
// because Debian 12's ISA-L 2.30 predates it; SHA-1/SHA-256 come from OpenSSL.
//
// S3 transmits every checksum as base64 of the big-endian digest bytes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/hash.h"

namespace s3m {

enum class ChecksumAlgorithm { kCrc32, kCrc32c, kCrc64Nvme, kSha1, kSha256 };

// "CRC32", "CRC32C", "CRC64NVME", "SHA1", "SHA256" (case-insensitive).
std::optional<ChecksumAlgorithm> ParseChecksumAlgorithm(std::string_view name);
std::string_view ChecksumAlgorithmName(ChecksumAlgorithm algorithm);  // upper case, as S3 spells it
// The response/request header, e.g. "x-amz-checksum-crc64nvme".
std::string ChecksumHeaderName(ChecksumAlgorithm algorithm);

// Raw CRC primitives. `crc` is the value returned for the bytes so far
// (0 for none), so calls chain: Crc32(Crc32(0, a), b) == Crc32(0, a + b).
uint32_t Crc32(uint32_t crc, const void* data, size_t size);
uint32_t Crc32c(uint32_t crc, const void* data, size_t size);
// CRC-64/NVME: reflected polynomial 0xad93d23594c93659, init and xorout all
// ones; check value of "123456789" is 0xae8b14860a799888.
uint64_t Crc64Nvme(uint64_t crc, const void* data, size_t size);

// Incremental checksum of one algorithm. Not thread-safe.
class Checksummer {
 public:
  explicit Checksummer(ChecksumAlgorithm algorithm);

  void Update(const void* data, size_t size);
  void Update(std::string_view data) { Update(data.data(), data.size()); }
  // Raw big-endian digest bytes (4, 8, 20 or 32 of them). Resets the state.
  std::string Finish();
  // base64 of Finish(), the form S3 sends in x-amz-checksum-* headers.
  std::string FinishBase64() { return Base64Encode(Finish()); }
  ChecksumAlgorithm algorithm() const { return algorithm_; }

 private:
  ChecksumAlgorithm algorithm_;
  uint64_t crc_ = 0;
  std::optional<Digest> digest_;
};

}  // namespace s3m
