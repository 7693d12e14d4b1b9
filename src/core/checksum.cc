#include "core/checksum.h"

#include <isa-l.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <limits>

#include "core/text.h"

namespace s3m {

std::optional<ChecksumAlgorithm> ParseChecksumAlgorithm(std::string_view name) {
  std::string upper(name);
  std::transform(upper.begin(), upper.end(), upper.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  if (upper == "CRC32") return ChecksumAlgorithm::kCrc32;
  if (upper == "CRC32C") return ChecksumAlgorithm::kCrc32c;
  if (upper == "CRC64NVME") return ChecksumAlgorithm::kCrc64Nvme;
  if (upper == "SHA1") return ChecksumAlgorithm::kSha1;
  if (upper == "SHA256") return ChecksumAlgorithm::kSha256;
  return std::nullopt;
}

std::string_view ChecksumAlgorithmName(ChecksumAlgorithm algorithm) {
  switch (algorithm) {
    case ChecksumAlgorithm::kCrc32: return "CRC32";
    case ChecksumAlgorithm::kCrc32c: return "CRC32C";
    case ChecksumAlgorithm::kCrc64Nvme: return "CRC64NVME";
    case ChecksumAlgorithm::kSha1: return "SHA1";
    case ChecksumAlgorithm::kSha256: return "SHA256";
  }
  return "";
}

std::string ChecksumHeaderName(ChecksumAlgorithm algorithm) {
  std::string name(ChecksumAlgorithmName(algorithm));
  std::transform(name.begin(), name.end(), name.begin(),
                 [](char c) { return AsciiToLower(c); });
  return "x-amz-checksum-" + name;
}

// ISA-L's 32-bit CRC entry points take at most INT_MAX/UINT64 bytes per call;
// feed them in slices so any size_t works.
constexpr size_t kMaxSlice = size_t{1} << 30;

uint32_t Crc32(uint32_t crc, const void* data, size_t size) {
  const auto* p = static_cast<const unsigned char*>(data);
  while (size > 0) {
    const size_t n = std::min(size, kMaxSlice);
    crc = crc32_gzip_refl(crc, p, n);  // handles the init/final inversion itself
    p += n;
    size -= n;
  }
  return crc;
}

uint32_t Crc32c(uint32_t crc, const void* data, size_t size) {
  auto* p = static_cast<unsigned char*>(const_cast<void*>(data));  // ISA-L's API lacks const
  uint32_t state = ~crc;
  while (size > 0) {
    const size_t n = std::min(size, kMaxSlice);
    state = crc32_iscsi(p, static_cast<int>(n), state);
    p += n;
    size -= n;
  }
  return ~state;
}

namespace {

// Slice-by-8 tables for the reflected CRC-64/NVME polynomial.
// 0x9a6c9329ac4bc9b5 is 0xad93d23594c93659 with its bits reversed.
constexpr uint64_t kCrc64NvmeReflectedPoly = 0x9a6c9329ac4bc9b5ull;

using Crc64Tables = std::array<std::array<uint64_t, 256>, 8>;

constexpr Crc64Tables MakeCrc64Tables() {
  Crc64Tables t{};
  for (uint64_t i = 0; i < 256; ++i) {
    uint64_t crc = i;
    for (int bit = 0; bit < 8; ++bit) {
      crc = (crc & 1) ? (crc >> 1) ^ kCrc64NvmeReflectedPoly : crc >> 1;
    }
    t[0][i] = crc;
  }
  for (size_t i = 0; i < 256; ++i) {
    for (size_t k = 1; k < 8; ++k) t[k][i] = (t[k - 1][i] >> 8) ^ t[0][t[k - 1][i] & 0xff];
  }
  return t;
}

constexpr Crc64Tables kCrc64Tables = MakeCrc64Tables();

}  // namespace

uint64_t Crc64Nvme(uint64_t crc, const void* data, size_t size) {
  const auto* p = static_cast<const unsigned char*>(data);
  uint64_t state = ~crc;
  while (size >= 8) {
    uint64_t word = 0;
    for (int i = 7; i >= 0; --i) word = (word << 8) | p[i];  // little-endian load
    state ^= word;
    state = kCrc64Tables[7][state & 0xff] ^ kCrc64Tables[6][(state >> 8) & 0xff] ^
            kCrc64Tables[5][(state >> 16) & 0xff] ^ kCrc64Tables[4][(state >> 24) & 0xff] ^
            kCrc64Tables[3][(state >> 32) & 0xff] ^ kCrc64Tables[2][(state >> 40) & 0xff] ^
            kCrc64Tables[1][(state >> 48) & 0xff] ^ kCrc64Tables[0][state >> 56];
    p += 8;
    size -= 8;
  }
  while (size-- > 0) state = kCrc64Tables[0][(state ^ *p++) & 0xff] ^ (state >> 8);
  return ~state;
}

Checksummer::Checksummer(ChecksumAlgorithm algorithm) : algorithm_(algorithm) {
  if (algorithm == ChecksumAlgorithm::kSha1) digest_.emplace(DigestAlgorithm::kSha1);
  if (algorithm == ChecksumAlgorithm::kSha256) digest_.emplace(DigestAlgorithm::kSha256);
}

void Checksummer::Update(const void* data, size_t size) {
  switch (algorithm_) {
    case ChecksumAlgorithm::kCrc32: crc_ = Crc32(static_cast<uint32_t>(crc_), data, size); break;
    case ChecksumAlgorithm::kCrc32c: crc_ = Crc32c(static_cast<uint32_t>(crc_), data, size); break;
    case ChecksumAlgorithm::kCrc64Nvme: crc_ = Crc64Nvme(crc_, data, size); break;
    case ChecksumAlgorithm::kSha1:
    case ChecksumAlgorithm::kSha256: digest_->Update(data, size); break;
  }
}

std::string Checksummer::Finish() {
  if (digest_) return digest_->Finish();
  const int bytes = algorithm_ == ChecksumAlgorithm::kCrc64Nvme ? 8 : 4;
  std::string out(static_cast<size_t>(bytes), '\0');
  for (int i = 0; i < bytes; ++i) {
    out[static_cast<size_t>(i)] = static_cast<char>((crc_ >> (8 * (bytes - 1 - i))) & 0xff);
  }
  crc_ = 0;
  return out;
}

}  // namespace s3m
