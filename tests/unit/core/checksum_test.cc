#include "core/checksum.h"

#include <gtest/gtest.h>

#include <random>

namespace s3m {
namespace {

constexpr std::string_view kCheck = "123456789";

TEST(ChecksumTest, CatalogueCheckValues) {
  EXPECT_EQ(Crc32(0, kCheck.data(), kCheck.size()), 0xcbf43926u);
  EXPECT_EQ(Crc32c(0, kCheck.data(), kCheck.size()), 0xe3069283u);
  EXPECT_EQ(Crc64Nvme(0, kCheck.data(), kCheck.size()), 0xae8b14860a799888ull);
}

TEST(ChecksumTest, EmptyInputIsZero) {
  EXPECT_EQ(Crc32(0, "", 0), 0u);
  EXPECT_EQ(Crc32c(0, "", 0), 0u);
  EXPECT_EQ(Crc64Nvme(0, "", 0), 0u);
}

TEST(ChecksumTest, ChainingEqualsOneShotAtEverySplit) {
  std::mt19937 rng(7);
  std::string data(1000, '\0');
  for (char& c : data) c = static_cast<char>(rng());
  const uint32_t crc32 = Crc32(0, data.data(), data.size());
  const uint32_t crc32c = Crc32c(0, data.data(), data.size());
  const uint64_t crc64 = Crc64Nvme(0, data.data(), data.size());
  for (size_t split = 0; split <= data.size(); split += 37) {
    EXPECT_EQ(Crc32(Crc32(0, data.data(), split), data.data() + split, data.size() - split), crc32);
    EXPECT_EQ(Crc32c(Crc32c(0, data.data(), split), data.data() + split, data.size() - split), crc32c);
    EXPECT_EQ(Crc64Nvme(Crc64Nvme(0, data.data(), split), data.data() + split, data.size() - split),
              crc64);
  }
}

// Values as S3 returns them (base64 of the big-endian digest) for the ASCII
// body "hello world"; CRC32 and the SHAs cross-checked with Python's zlib and
// hashlib, CRC32C (0xc99465aa) with the value other implementations publish.
TEST(ChecksumTest, Base64MatchesS3Encoding) {
  struct Case {
    ChecksumAlgorithm algorithm;
    const char* expected;
  };
  for (const Case& c : {Case{ChecksumAlgorithm::kCrc32, "DUoRhQ=="},
                        Case{ChecksumAlgorithm::kCrc32c, "yZRlqg=="},
                        Case{ChecksumAlgorithm::kSha1, "Kq5sNclPz7QV2+lfQIuc6R7oRu0="},
                        Case{ChecksumAlgorithm::kSha256,
                             "uU0nuZNNPgilLlLX2n2r+sSE7+N6U4DukIj3rOLvzek="}}) {
    Checksummer sum(c.algorithm);
    sum.Update("hello ");
    sum.Update("world");
    EXPECT_EQ(sum.FinishBase64(), c.expected) << ChecksumAlgorithmName(c.algorithm);
  }
}

TEST(ChecksumTest, Crc64NvmeDigestIsBigEndian) {
  Checksummer sum(ChecksumAlgorithm::kCrc64Nvme);
  sum.Update(kCheck);
  std::string raw = sum.Finish();
  EXPECT_EQ(HexEncode(raw), "ae8b14860a799888");
}

TEST(ChecksumTest, NamesRoundTrip) {
  for (auto a : {ChecksumAlgorithm::kCrc32, ChecksumAlgorithm::kCrc32c, ChecksumAlgorithm::kCrc64Nvme,
                 ChecksumAlgorithm::kSha1, ChecksumAlgorithm::kSha256}) {
    EXPECT_EQ(ParseChecksumAlgorithm(ChecksumAlgorithmName(a)), a);
  }
  EXPECT_EQ(ParseChecksumAlgorithm("crc32c"), ChecksumAlgorithm::kCrc32c);
  EXPECT_EQ(ParseChecksumAlgorithm("md5"), std::nullopt);
  EXPECT_EQ(ChecksumHeaderName(ChecksumAlgorithm::kCrc64Nvme), "x-amz-checksum-crc64nvme");
}

}  // namespace
}  // namespace s3m
