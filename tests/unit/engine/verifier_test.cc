#include "engine/verifier.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>
#include <random>
#include <thread>

#include "engine_test_util.h"

namespace s3m::engine {
namespace {

using testing_util::Pattern;
using testing_util::ScratchDir;

constexpr uint64_t kMiB = 1 << 20;

// Expected values computed with Python's hashlib and zlib (CRC32C and
// CRC64NVME with table-driven code checked against the catalogue values),
// over Pattern(): byte i = (i * 131 + (i >> 10) * 7 + 3) mod 256.
//
// Object A: 10,000 bytes; as a multipart upload, parts of 4096, 4096, 1808.
constexpr size_t kSizeA = 10000;
const std::vector<uint64_t> kPartsA = {4096, 4096, 1808};
struct AlgorithmVectors {
  const char* name;
  const char* full;       // x-amz-checksum-* of a single-part upload
  const char* composite;  // x-amz-checksum-* of the 3-part upload
};
const AlgorithmVectors kVectorsA[] = {
    {"CRC32", "8bw0Og==", "gzMTlw==-3"},
    {"CRC32C", "gVmUbw==", "FjeD0Q==-3"},
    {"CRC64NVME", "hAKS1Ha1D9I=", "8WuJihUSoPE=-3"},
    {"SHA1", "64vGwGK2zfd66XojEvkmRsy8aRE=", "y9x8yXgu/oK7d5ul08CwB/q1s1g=-3"},
    {"SHA256", "4+llLWsKFT29/TMR7B/OFwghA46gi+7aFubLzItWeVI=",
     "Hhb9NZFe9Fz+DYxp2cefsh58RpWZJPgWTTaw1Fzm5tM=-3"},
};
constexpr const char* kMd5A = "02df339bc42ece00698bcd172ef451d6";
constexpr const char* kEtagA = "6a0a8ccc601ba8c7d05d9037921b8852-3";

// Object C: 21 MiB + 12,345 bytes, uploaded with various part sizes.
constexpr size_t kSizeC = 22032441;
constexpr const char* kEtagC8MiB = "4f31993babf5e008fdc56960319284ce-3";
constexpr const char* kEtagC5MiB = "4190e1f143d5680059e435059615256a-5";
constexpr const char* kEtagC7MiB = "c799f02e7745951ac335b530ecf57db5-4";  // no common uploader
constexpr const char* kCompositeSha256C8MiB = "NAR/HcLOMMUAG4iWhmQqXzEUtIF+wIprkBSs9haeT7w=-3";
constexpr const char* kCompositeCrc32C5MiB = "m0Z6Gg==-5";
constexpr const char* kMd5C = "83f5aa429997d75dc5abadf0c5ae18a0";

std::string Raw(HashAlgorithm algorithm, std::string_view data) {
  StreamHasher hasher(algorithm);
  hasher.Update(data.data(), data.size());
  return hasher.Finish();
}

TEST(ParseEtagTest, Table) {
  struct Case {
    const char* etag;
    bool valid;
    int parts;
  };
  for (const Case& c : {Case{"9b2cf535f27731c974343645a3985328", true, 0},
                        Case{"\"9b2cf535f27731c974343645a3985328\"", true, 0},
                        Case{"9B2CF535F27731C974343645A3985328", true, 0},
                        Case{"\"4f31993babf5e008fdc56960319284ce-3\"", true, 3},
                        Case{"4f31993babf5e008fdc56960319284ce-10000", true, 10000},
                        Case{"4f31993babf5e008fdc56960319284ce-10001", false, 0},  // S3's limit
                        Case{"4f31993babf5e008fdc56960319284ce-2147483647", false, 0},
                        Case{"4f31993babf5e008fdc56960319284ce-0", false, 0},
                        Case{"4f31993babf5e008fdc56960319284ce-", false, 0},
                        Case{"4f31993babf5e008fdc56960319284ce-x", false, 0},
                        Case{"4f31993babf5e008fdc56960319284c", false, 0},
                        Case{"4f31993babf5e008fdc56960319284cz", false, 0},
                        Case{"", false, 0},
                        Case{"abc-3", false, 0}}) {
    const std::optional<ParsedEtag> parsed = ParseEtag(c.etag);
    EXPECT_EQ(parsed.has_value(), c.valid) << c.etag;
    if (parsed) {
      EXPECT_EQ(parsed->part_count, c.parts) << c.etag;
      EXPECT_EQ(parsed->md5.size(), 16u);
    }
  }
}

TEST(AggregateTest, MultipartEtagAndCompositeChecksumsMatchPython) {
  const std::string data = Pattern(kSizeA);
  auto parts = [&](HashAlgorithm algorithm) {
    std::vector<std::string> out;
    uint64_t offset = 0;
    for (uint64_t size : kPartsA) {
      out.push_back(Raw(algorithm, std::string_view(data).substr(offset, size)));
      offset += size;
    }
    return out;
  };
  EXPECT_EQ(MultipartEtag(parts(HashAlgorithm::kMd5)), kEtagA);
  for (const AlgorithmVectors& v : kVectorsA) {
    const HashAlgorithm algorithm = FromChecksumAlgorithm(*ParseChecksumAlgorithm(v.name));
    EXPECT_EQ(CompositeChecksum(algorithm, parts(algorithm)), v.composite) << v.name;
    EXPECT_EQ(Base64Encode(Raw(algorithm, data)), v.full) << v.name;
  }
  EXPECT_EQ(HexEncode(Raw(HashAlgorithm::kMd5, data)), kMd5A);
  // The one-part multipart upload of an empty object.
  EXPECT_EQ(MultipartEtag({Raw(HashAlgorithm::kMd5, "")}), "59adb24ef3cdbe0297f05b395827453f-1");
}

TEST(LayoutTest, UniformPartLayout) {
  EXPECT_EQ(UniformPartLayout(10, 4), (std::vector<uint64_t>{4, 4, 2}));
  EXPECT_EQ(UniformPartLayout(8, 4), (std::vector<uint64_t>{4, 4}));
  EXPECT_EQ(UniformPartLayout(3, 4), (std::vector<uint64_t>{3}));
  EXPECT_EQ(UniformPartLayout(0, 4), (std::vector<uint64_t>{0}));
}

TEST(LayoutTest, CandidatePartSizesKeepOnlyThoseGivingThePartCount) {
  struct Case {
    uint64_t size;
    int parts;
    std::vector<uint64_t> want;
  };
  for (const Case& c : {
           Case{kSizeC, 3, {8 * kMiB, 7344147}},   // 8 MiB; size/3 exactly (rounded = 8 MiB)
           Case{kSizeC, 4, {6 * kMiB, 5508111}},   // size/4 rounded up to a MiB, and exactly
           Case{kSizeC, 5, {5 * kMiB, 4406489}},   // 5 MiB (= size/5 rounded)
           Case{kSizeC, 2, {15 * kMiB, 16 * kMiB, 11 * kMiB, 11016221}},
           Case{100 * 1024 * kMiB, 6400, {16 * kMiB}},  // AWS CLI doubling for 100 GiB
           Case{100 * 1024 * kMiB, 3200, {32 * kMiB}},
           Case{kSizeC, 0, {}},
           Case{kSizeC, 100000, {}},  // 221-byte parts would make only 99,695 of them
       }) {
    EXPECT_EQ(CandidatePartSizes(c.size, c.parts), c.want) << c.size << " in " << c.parts;
  }
  EXPECT_EQ(CandidatePartSizes(0, 1).front(), 5 * kMiB) << "one empty part fits any size";
  EXPECT_TRUE(CandidatePartSizes(0, 2).empty());
}

// ChooseVerification is a pure function: one table of HeadObject answers.
TEST(ChooseVerificationTest, Table) {
  const std::string md5_etag = kMd5A;
  struct Case {
    const char* name;
    ObjectFacts facts;
    VerificationMethod method;
    HashAlgorithm algorithm;
    int parts;
    bool guessed;
    const char* note_contains;
  };
  const std::vector<uint64_t> layout = kPartsA;
  const std::vector<Case> cases = {
      {"full-object crc64nvme",
       {.size = kSizeA, .etag = md5_etag, .checksums = {{"CRC64NVME", "hAKS1Ha1D9I="}}, .checksum_type = "FULL_OBJECT"},
       VerificationMethod::kFullObjectChecksum, HashAlgorithm::kCrc64Nvme, 0, false, ""},
      {"checksum order: crc32c before crc32 and sha256",
       {.size = kSizeA, .checksums = {{"SHA256", "4+llLWsKFT29/TMR7B/OFwghA46gi+7aFubLzItWeVI="},
                                      {"CRC32", "8bw0Og=="}, {"CRC32C", "gVmUbw=="}}},
       VerificationMethod::kFullObjectChecksum, HashAlgorithm::kCrc32c, 0, false, ""},
      {"lower-case header name",
       {.size = kSizeA, .checksums = {{"sha1", "64vGwGK2zfd66XojEvkmRsy8aRE="}}},
       VerificationMethod::kFullObjectChecksum, HashAlgorithm::kSha1, 0, false, ""},
      {"composite with the real layout",
       {.size = kSizeA, .etag = kEtagA, .checksums = {{"CRC32C", "FjeD0Q==-3"}}, .checksum_type = "COMPOSITE", .part_sizes = layout},
       VerificationMethod::kCompositeChecksum, HashAlgorithm::kCrc32c, 3, false, ""},
      {"composite without a layout: guess",
       {.size = kSizeA, .etag = kEtagA, .checksums = {{"SHA256", "Hhb9NZFe9Fz+DYxp2cefsh58RpWZJPgWTTaw1Fzm5tM=-3"}}},
       VerificationMethod::kCompositeChecksum, HashAlgorithm::kSha256, 3, true, ""},
      {"COMPOSITE type without -N takes the ETag's part count",
       {.size = kSizeA, .etag = kEtagA, .checksums = {{"CRC32", "gzMTlw=="}}, .checksum_type = "COMPOSITE", .part_sizes = layout},
       VerificationMethod::kCompositeChecksum, HashAlgorithm::kCrc32, 3, false, ""},
      {"malformed checksum falls back to the ETag",
       {.size = kSizeA, .etag = md5_etag, .checksums = {{"CRC32C", "not base64!"}}},
       VerificationMethod::kMd5Etag, HashAlgorithm::kMd5, 0, false, "malformed"},
      {"checksum of the wrong length is malformed",
       {.size = kSizeA, .etag = md5_etag, .checksums = {{"CRC64NVME", "8bw0Og=="}}},
       VerificationMethod::kMd5Etag, HashAlgorithm::kMd5, 0, false, "x-amz-checksum-crc64nvme"},
      {"SSE-KMS with a checksum uses the checksum",
       {.size = kSizeA, .etag = md5_etag, .server_side_encryption = "aws:kms", .checksums = {{"CRC32", "8bw0Og=="}}},
       VerificationMethod::kFullObjectChecksum, HashAlgorithm::kCrc32, 0, false, ""},
      {"SSE-KMS without a checksum: size only",
       {.size = kSizeA, .etag = md5_etag, .server_side_encryption = "aws:kms"},
       VerificationMethod::kSizeOnly, HashAlgorithm::kMd5, 0, false, "SSE-KMS"},
      {"DSSE-KMS: size only",
       {.size = kSizeA, .etag = md5_etag, .server_side_encryption = "aws:kms:dsse"},
       VerificationMethod::kSizeOnly, HashAlgorithm::kMd5, 0, false, "SSE-KMS"},
      {"SSE-KMS multipart: size only",
       {.size = kSizeA, .etag = kEtagA, .server_side_encryption = "aws:kms", .part_sizes = layout},
       VerificationMethod::kSizeOnly, HashAlgorithm::kMd5, 0, false, "not an MD5"},
      {"SSE-C: size only",
       {.size = kSizeA, .etag = md5_etag, .sse_customer_key = true},
       VerificationMethod::kSizeOnly, HashAlgorithm::kMd5, 0, false, "SSE-C"},
      {"SSE-S3 ETag is still an MD5",
       {.size = kSizeA, .etag = "\"02DF339BC42ECE00698BCD172EF451D6\"", .server_side_encryption = "AES256"},
       VerificationMethod::kMd5Etag, HashAlgorithm::kMd5, 0, false, ""},
      {"multipart ETag with the real layout",
       {.size = kSizeA, .etag = kEtagA, .part_sizes = layout},
       VerificationMethod::kMultipartEtag, HashAlgorithm::kMd5, 3, false, ""},
      {"multipart ETag, layout unknown (Swift 405): guess",
       {.size = kSizeA, .etag = kEtagA},
       VerificationMethod::kMultipartEtag, HashAlgorithm::kMd5, 3, true, ""},
      {"a layout that does not fit is ignored",
       {.size = kSizeA, .etag = kEtagA, .part_sizes = {4096, 4096}},
       VerificationMethod::kMultipartEtag, HashAlgorithm::kMd5, 3, true, "does not fit"},
      {"one-part multipart needs no layout",
       {.size = kSizeA, .etag = "59adb24ef3cdbe0297f05b395827453f-1"},
       VerificationMethod::kMultipartEtag, HashAlgorithm::kMd5, 1, false, ""},
      {"an ETag that is no MD5",
       {.size = kSizeA, .etag = "abc123"},
       VerificationMethod::kSizeOnly, HashAlgorithm::kMd5, 0, false, "not an MD5"},
  };
  for (const Case& c : cases) {
    const VerificationPlan plan = ChooseVerification(c.facts);
    EXPECT_EQ(plan.method, c.method) << c.name;
    EXPECT_EQ(plan.size, c.facts.size) << c.name;
    if (plan.method != VerificationMethod::kSizeOnly) {
      EXPECT_EQ(plan.algorithm, c.algorithm) << c.name;
    }
    EXPECT_EQ(plan.part_count, c.parts) << c.name;
    EXPECT_EQ(plan.layout_guessed(), c.guessed) << c.name;
    EXPECT_NE(plan.note.find(c.note_contains), std::string::npos) << c.name << ": " << plan.note;
    if (std::string_view(c.note_contains).empty()) {
      EXPECT_EQ(plan.note, "") << c.name;
    }
  }
  EXPECT_EQ(ChooseVerification(cases[13].facts).expected, kMd5A) << "unquoted, lower case";
}

// Streams `data` through an ObjectVerifier the way the engine does: the
// object cut into ranges, the ranges handed to `threads` workers in shuffled
// order, each range written to the file chunk by chunk and fed after each
// write.
class StreamingTest : public ::testing::Test {
 protected:
  Result<VerificationResult> Stream(const VerificationPlan& plan, const std::string& data,
                                    const std::vector<uint64_t>& range_sizes, int threads,
                                    uint32_t seed, uint64_t* reread = nullptr) {
    auto file = PosixFileSystem::Default().Open(dir_ / "object", OpenOptions::CreateTruncate());
    EXPECT_TRUE(file.ok());
    EXPECT_TRUE((*file)->Allocate(0, data.size()).ok());
    ObjectVerifier verifier(plan, file->get());

    std::vector<std::pair<uint64_t, uint64_t>> ranges;
    uint64_t offset = 0;
    for (uint64_t size : range_sizes) {
      ranges.emplace_back(offset, size);
      offset += size;
    }
    EXPECT_EQ(offset, data.size());
    std::mt19937 rng(seed);
    std::shuffle(ranges.begin(), ranges.end(), rng);

    std::vector<std::thread> workers;
    for (int t = 0; t < threads; ++t) {
      workers.emplace_back([&, t] {
        for (size_t i = t; i < ranges.size(); i += threads) {
          const auto [begin, length] = ranges[i];
          ObjectVerifier::RangeFeed feed = verifier.BeginRange(begin, length);
          for (uint64_t pos = begin; pos < begin + length;) {
            const size_t n = std::min<uint64_t>(1000, begin + length - pos);
            EXPECT_TRUE((*file)->WriteAt(pos, data.data() + pos, n).ok());
            feed.Update(data.data() + pos, n);
            pos += n;
          }
          EXPECT_TRUE(feed.Finish().ok());
        }
      });
    }
    for (auto& w : workers) w.join();
    Result<VerificationResult> result = verifier.Finish();
    if (reread != nullptr) *reread = verifier.bytes_reread();
    return result;
  }

  // Random cuts into `pieces` ranges.
  static std::vector<uint64_t> RandomRanges(uint64_t size, int pieces, uint32_t seed) {
    std::mt19937 rng(seed);
    std::vector<uint64_t> cuts = {0, size};
    for (int i = 1; i < pieces; ++i) cuts.push_back(rng() % (size + 1));
    std::sort(cuts.begin(), cuts.end());
    std::vector<uint64_t> sizes;
    for (size_t i = 0; i + 1 < cuts.size(); ++i) sizes.push_back(cuts[i + 1] - cuts[i]);
    return sizes;
  }

  ScratchDir dir_;
  const std::string data_a_ = Pattern(kSizeA);
};

TEST_F(StreamingTest, FullObjectChecksumsFromRangesInAnyOrder) {
  for (const AlgorithmVectors& v : kVectorsA) {
    const VerificationPlan plan =
        ChooseVerification({.size = kSizeA, .checksums = {{v.name, v.full}}});
    for (uint32_t seed = 1; seed <= 5; ++seed) {
      auto result = Stream(plan, data_a_, RandomRanges(kSizeA, 7, seed), 3, seed);
      ASSERT_TRUE(result.ok()) << v.name << ": " << result.status().ToString();
      EXPECT_TRUE(result->matched) << v.name << ": " << result->message;
      EXPECT_TRUE(result->content_verified());
      EXPECT_EQ(result->method, VerificationMethod::kFullObjectChecksum);
      EXPECT_EQ(result->expected, v.full);
      EXPECT_EQ(result->actual, v.full);
    }
  }
  const VerificationPlan crc = ChooseVerification({.size = kSizeA, .checksums = {{"CRC64NVME", "hAKS1Ha1D9I="}}});
  EXPECT_EQ(Stream(crc, data_a_, {kSizeA}, 1, 1)->method_name, "crc64nvme");
}

TEST_F(StreamingTest, CompositeChecksumsWithAlignedAndUnalignedRanges) {
  for (const AlgorithmVectors& v : kVectorsA) {
    const VerificationPlan plan = ChooseVerification(
        {.size = kSizeA, .etag = kEtagA, .checksums = {{v.name, v.composite}}, .part_sizes = kPartsA});
    ASSERT_EQ(plan.method, VerificationMethod::kCompositeChecksum);
    uint64_t reread = 0;
    auto aligned = Stream(plan, data_a_, kPartsA, 3, 1, &reread);
    ASSERT_TRUE(aligned.ok()) << aligned.status().ToString();
    EXPECT_TRUE(aligned->matched) << v.name << ": " << aligned->message;
    EXPECT_EQ(reread, 0u) << "ranges aligned to parts stream each part in order";
    EXPECT_EQ(aligned->method_name,
              "composite-" + std::string(HashAlgorithmName(plan.algorithm)) + "(4096B parts)");
    for (uint32_t seed = 1; seed <= 3; ++seed) {
      auto unaligned = Stream(plan, data_a_, RandomRanges(kSizeA, 9, seed), 4, seed);
      ASSERT_TRUE(unaligned.ok()) << unaligned.status().ToString();
      EXPECT_TRUE(unaligned->matched) << v.name << " seed " << seed;
      EXPECT_EQ(unaligned->actual, v.composite);
    }
  }
}

TEST_F(StreamingTest, Md5EtagSinglePart) {
  const VerificationPlan plan = ChooseVerification({.size = kSizeA, .etag = kMd5A});
  for (uint32_t seed = 1; seed <= 5; ++seed) {
    auto result = Stream(plan, data_a_, RandomRanges(kSizeA, 6, seed), 3, seed);
    ASSERT_TRUE(result.ok()) << result.status().ToString();
    EXPECT_TRUE(result->matched);
    EXPECT_EQ(result->method_name, "md5-etag");
    EXPECT_EQ(result->actual, kMd5A);
  }
  uint64_t reread = 1;
  ASSERT_TRUE(Stream(plan, data_a_, {kSizeA}, 1, 1, &reread).ok());
  EXPECT_EQ(reread, 0u) << "a whole-object GET never re-reads";
}

TEST_F(StreamingTest, MultipartEtagWithKnownLayout) {
  const VerificationPlan plan = ChooseVerification({.size = kSizeA, .etag = kEtagA, .part_sizes = kPartsA});
  for (uint32_t seed = 1; seed <= 5; ++seed) {
    auto result = Stream(plan, data_a_, RandomRanges(kSizeA, 8, seed), 4, seed);
    ASSERT_TRUE(result.ok()) << result.status().ToString();
    EXPECT_TRUE(result->matched);
    EXPECT_EQ(result->method_name, "multipart-etag(4096B parts)");
    EXPECT_EQ(result->actual, kEtagA);
    EXPECT_FALSE(result->layout_guessed);
  }
}

TEST_F(StreamingTest, NonUniformLayoutIsNamedByPartCount) {
  const std::vector<uint64_t> parts = {1000, 5000, 4000};
  std::vector<std::string> md5s;
  for (uint64_t off = 0, i = 0; i < parts.size(); off += parts[i++]) {
    md5s.push_back(Raw(HashAlgorithm::kMd5, std::string_view(data_a_).substr(off, parts[i])));
  }
  const VerificationPlan plan =
      ChooseVerification({.size = kSizeA, .etag = MultipartEtag(md5s), .part_sizes = parts});
  auto result = Stream(plan, data_a_, parts, 2, 3);
  ASSERT_TRUE(result.ok());
  EXPECT_TRUE(result->matched);
  EXPECT_EQ(result->method_name, "multipart-etag(3 parts)");
}

TEST_F(StreamingTest, CorruptionIsAMismatch) {
  std::string corrupt = data_a_;
  corrupt[5000] ^= 1;
  for (const ObjectFacts& facts :
       {ObjectFacts{.size = kSizeA, .etag = kMd5A},
        ObjectFacts{.size = kSizeA, .etag = kEtagA, .part_sizes = kPartsA},
        ObjectFacts{.size = kSizeA, .checksums = {{"CRC64NVME", "hAKS1Ha1D9I="}}},
        ObjectFacts{.size = kSizeA, .etag = kEtagA, .checksums = {{"CRC32C", "FjeD0Q==-3"}}, .part_sizes = kPartsA}}) {
    const VerificationPlan plan = ChooseVerification(facts);
    auto result = Stream(plan, corrupt, RandomRanges(kSizeA, 5, 9), 2, 9);
    ASSERT_TRUE(result.ok()) << result.status().ToString();
    EXPECT_FALSE(result->matched) << result->method_name;
    EXPECT_FALSE(result->content_verified());
    EXPECT_NE(result->message.find("mismatch"), std::string::npos) << result->message;
    EXPECT_NE(result->message.find(result->expected), std::string::npos) << result->message;
    EXPECT_NE(result->expected, result->actual);
  }
}

TEST_F(StreamingTest, SizeOnlyIsMatchedButNotContentVerified) {
  const VerificationPlan plan =
      ChooseVerification({.size = kSizeA, .etag = kMd5A, .server_side_encryption = "aws:kms"});
  auto result = Stream(plan, data_a_, RandomRanges(kSizeA, 4, 2), 2, 2);
  ASSERT_TRUE(result.ok());
  EXPECT_TRUE(result->matched);
  EXPECT_FALSE(result->content_verified());
  EXPECT_EQ(result->method_name, "size-only");
  EXPECT_NE(result->message.find("SSE-KMS"), std::string::npos);
}

TEST_F(StreamingTest, EmptyObjects) {
  for (const ObjectFacts& facts :
       {ObjectFacts{.size = 0, .etag = "d41d8cd98f00b204e9800998ecf8427e"},
        ObjectFacts{.size = 0, .etag = "59adb24ef3cdbe0297f05b395827453f-1"},
        ObjectFacts{.size = 0, .checksums = {{"CRC32C", "AAAAAA=="}}}}) {
    const VerificationPlan plan = ChooseVerification(facts);
    ObjectVerifier verifier(plan, nullptr);
    auto result = verifier.Finish();
    ASSERT_TRUE(result.ok()) << result.status().ToString();
    EXPECT_TRUE(result->content_verified()) << result->method_name << " " << result->message;
  }
}

TEST_F(StreamingTest, ARetriedGetContinuesItsFeed) {
  const VerificationPlan plan = ChooseVerification({.size = kSizeA, .etag = kMd5A});
  ObjectVerifier verifier(plan, nullptr);
  ObjectVerifier::RangeFeed feed = verifier.BeginRange(0, kSizeA);
  feed.Update(data_a_.data(), 3000);  // then the connection drops
  const uint64_t resume_at = feed.position();
  EXPECT_EQ(resume_at, 3000u);
  feed.Update(data_a_.data() + resume_at, kSizeA - resume_at);  // the retried GET from there
  ASSERT_TRUE(feed.Finish().ok());
  EXPECT_TRUE(verifier.Finish()->matched);
}

TEST_F(StreamingTest, ResumedDownloadHashesExistingRangesFromTheFile) {
  // A previous run wrote and synced the first two parts; this run fetches the
  // third and feeds the first two from the file.
  auto file = PosixFileSystem::Default().Open(dir_ / "partial", OpenOptions::CreateTruncate());
  ASSERT_TRUE(file.ok());
  ASSERT_TRUE((*file)->WriteAt(0, data_a_.data(), 8192).ok());
  for (const ObjectFacts& facts :
       {ObjectFacts{.size = kSizeA, .etag = kEtagA, .part_sizes = kPartsA},
        ObjectFacts{.size = kSizeA, .checksums = {{"CRC32", "8bw0Og=="}}},
        ObjectFacts{.size = kSizeA, .etag = kMd5A}}) {
    ObjectVerifier verifier(ChooseVerification(facts), file->get());
    ObjectVerifier::RangeFeed feed = verifier.BeginRange(8192, kSizeA - 8192);
    ASSERT_TRUE((*file)->WriteAt(8192, data_a_.data() + 8192, kSizeA - 8192).ok());
    feed.Update(data_a_.data() + 8192, kSizeA - 8192);
    ASSERT_TRUE(feed.Finish().ok());
    ASSERT_TRUE(verifier.AddExistingRange(0, 8192).ok());
    auto result = verifier.Finish();
    ASSERT_TRUE(result.ok()) << result.status().ToString();
    EXPECT_TRUE(result->content_verified()) << result->method_name;
  }
}

TEST_F(StreamingTest, MisuseIsReported) {
  const VerificationPlan plan = ChooseVerification({.size = kSizeA, .etag = kEtagA, .part_sizes = kPartsA});
  {
    ObjectVerifier verifier(plan, nullptr);
    ObjectVerifier::RangeFeed feed = verifier.BeginRange(0, 100);
    feed.Update(data_a_.data(), 50);
    EXPECT_FALSE(feed.Finish().ok()) << "range ended early";
    EXPECT_FALSE(verifier.Finish().ok());
  }
  {
    ObjectVerifier verifier(plan, nullptr);
    ObjectVerifier::RangeFeed feed = verifier.BeginRange(0, 100);
    feed.Update(data_a_.data(), 101);
    EXPECT_EQ(feed.Finish().kind(), ErrorKind::kInvalidArgument) << "more than the range";
  }
  {
    ObjectVerifier verifier(plan, nullptr);
    EXPECT_EQ(verifier.BeginRange(9000, 2000).Finish().kind(), ErrorKind::kInvalidArgument);
    EXPECT_EQ(verifier.AddExistingRange(9000, 2000).kind(), ErrorKind::kInvalidArgument);
  }
  {
    ObjectVerifier verifier(plan, nullptr);
    ObjectVerifier::RangeFeed feed = verifier.BeginRange(0, 4096);
    feed.Update(data_a_.data(), 4096);
    ASSERT_TRUE(feed.Finish().ok());
    ObjectVerifier::RangeFeed again = verifier.BeginRange(0, 4096);
    again.Update(data_a_.data(), 4096);
    EXPECT_NE(again.Finish().message().find("twice"), std::string::npos);
  }
  {
    ObjectVerifier verifier(plan, nullptr);
    ObjectVerifier::RangeFeed feed = verifier.BeginRange(0, 4096);
    feed.Update(data_a_.data(), 4096);
    ASSERT_TRUE(feed.Finish().ok());
    const Status missing = verifier.Finish().status();
    EXPECT_NE(missing.message().find("saw 4096 bytes"), std::string::npos) << missing.message();
  }
}

// Object C on disk, for the layout guessing that reads the finished file.
class GuessTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    scratch_ = new ScratchDir();
    data_ = new std::string(Pattern(kSizeC));
    testing_util::WriteAll(*scratch_ / "c", *data_);
  }
  static void TearDownTestSuite() {
    delete scratch_;
    delete data_;
  }
  void SetUp() override {
    auto file = PosixFileSystem::Default().Open(*scratch_ / "c", OpenOptions::Read());
    ASSERT_TRUE(file.ok());
    file_ = std::move(*file);
  }

  Result<VerificationResult> StreamAndFinish(const ObjectFacts& facts) {
    ObjectVerifier verifier(ChooseVerification(facts), file_.get());
    ObjectVerifier::RangeFeed feed = verifier.BeginRange(0, kSizeC);
    feed.Update(data_->data(), data_->size());  // nothing hashed while streaming a guess
    EXPECT_TRUE(feed.Finish().ok());
    return verifier.Finish();
  }

  static ScratchDir* scratch_;
  static std::string* data_;
  std::unique_ptr<File> file_;
};
ScratchDir* GuessTest::scratch_ = nullptr;
std::string* GuessTest::data_ = nullptr;

TEST_F(GuessTest, FindPartSizeTriesAllCandidatesInOnePass) {
  struct Case {
    const char* etag;
    std::optional<uint64_t> want;
  };
  for (const Case& c : {Case{kEtagC8MiB, 8 * kMiB}, Case{kEtagC5MiB, 5 * kMiB}, Case{kEtagC7MiB, std::nullopt}}) {
    const std::optional<ParsedEtag> etag = ParseEtag(c.etag);
    auto found = FindPartSize(*file_, kSizeC, HashAlgorithm::kMd5, etag->part_count, etag->md5);
    ASSERT_TRUE(found.ok()) << found.status().ToString();
    EXPECT_EQ(*found, c.want) << c.etag;
  }
  std::string raw;
  ASSERT_TRUE(Base64Decode("m0Z6Gg==", &raw));
  EXPECT_EQ(*FindPartSize(*file_, kSizeC, HashAlgorithm::kCrc32, 5, raw), 5 * kMiB);
  EXPECT_EQ(*FindPartSize(*file_, kSizeC, HashAlgorithm::kMd5, 0, raw), std::nullopt) << "no candidates";
  EXPECT_FALSE(FindPartSize(*file_, kSizeC + 1, HashAlgorithm::kMd5, 3, raw).ok()) << "file too short";
}

TEST_F(GuessTest, GuessedMultipartEtagIsVerified) {
  for (const auto& [etag, name] : {std::pair{kEtagC8MiB, "multipart-etag(8MiB parts)"},
                                   std::pair{kEtagC5MiB, "multipart-etag(5MiB parts)"}}) {
    auto result = StreamAndFinish({.size = kSizeC, .etag = etag});
    ASSERT_TRUE(result.ok()) << result.status().ToString();
    EXPECT_TRUE(result->content_verified()) << etag;
    EXPECT_TRUE(result->layout_guessed);
    EXPECT_EQ(result->method_name, name);
    EXPECT_EQ(result->actual, etag);
  }
}

TEST_F(GuessTest, GuessedCompositeChecksumIsVerified) {
  auto result = StreamAndFinish(
      {.size = kSizeC, .etag = kEtagC8MiB, .checksums = {{"SHA256", kCompositeSha256C8MiB}}});
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_TRUE(result->content_verified());
  EXPECT_EQ(result->method_name, "composite-sha256(8MiB parts)");
  result = StreamAndFinish({.size = kSizeC, .checksums = {{"CRC32", kCompositeCrc32C5MiB}}});
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result->method_name, "composite-crc32(5MiB parts)");
}

TEST_F(GuessTest, NoCommonLayoutFallsBackToSizeOnly) {
  auto result = StreamAndFinish({.size = kSizeC, .etag = kEtagC7MiB});
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_TRUE(result->matched);
  EXPECT_FALSE(result->content_verified());
  EXPECT_EQ(result->method, VerificationMethod::kSizeOnly);
  EXPECT_EQ(result->method_name, "size-only");
  EXPECT_NE(result->message.find("tried: 6MiB, 5508111B"), std::string::npos) << result->message;
}

TEST_F(GuessTest, VerifyFileRereadsTheFinishedFile) {
  auto md5 = VerifyFile(*file_, ChooseVerification({.size = kSizeC, .etag = kMd5C}));
  ASSERT_TRUE(md5.ok()) << md5.status().ToString();
  EXPECT_TRUE(md5->content_verified());
  EXPECT_EQ(md5->method_name, "md5-etag");

  auto known = VerifyFile(*file_, ChooseVerification({.size = kSizeC, .etag = kEtagC8MiB,
                                                      .part_sizes = UniformPartLayout(kSizeC, 8 * kMiB)}));
  ASSERT_TRUE(known.ok());
  EXPECT_TRUE(known->content_verified());
  EXPECT_FALSE(known->layout_guessed);

  auto guessed = VerifyFile(*file_, ChooseVerification({.size = kSizeC, .etag = kEtagC5MiB}));
  ASSERT_TRUE(guessed.ok());
  EXPECT_TRUE(guessed->content_verified());

  auto wrong_size = VerifyFile(*file_, ChooseVerification({.size = kSizeC + 1, .etag = kMd5C}));
  ASSERT_TRUE(wrong_size.ok());
  EXPECT_FALSE(wrong_size->matched);
  EXPECT_NE(wrong_size->message.find("22032441 bytes"), std::string::npos) << wrong_size->message;

  auto wrong_md5 = VerifyFile(*file_, ChooseVerification({.size = kSizeC, .etag = kMd5A}));
  ASSERT_TRUE(wrong_md5.ok());
  EXPECT_FALSE(wrong_md5->matched);
}

// What the database records of a verification is enough to check the copy
// again, by the same method, with or without the part size.
TEST_F(GuessTest, ARecordedVerificationChecksTheCopyAgain) {
  StreamHasher crc(HashAlgorithm::kCrc64Nvme);
  crc.Update(data_->data(), data_->size());
  const std::string full_crc = Base64Encode(crc.Finish());
  struct Case {
    ObjectFacts facts;
    uint64_t part_size;
  };
  for (const Case& c : {
           Case{{.size = kSizeC, .etag = kMd5C}, 0},
           Case{{.size = kSizeC, .etag = kEtagC8MiB, .part_sizes = UniformPartLayout(kSizeC, 8 * kMiB)},
                8 * kMiB},
           Case{{.size = kSizeC, .etag = kEtagC5MiB}, 0},
           Case{{.size = kSizeC, .checksums = {{"SHA256", kCompositeSha256C8MiB}}}, 8 * kMiB},
           Case{{.size = kSizeC, .checksums = {{"CRC32", kCompositeCrc32C5MiB}}}, 0},
           // A recorded part size that does not give the part count: guessed.
           Case{{.size = kSizeC, .checksums = {{"CRC32", kCompositeCrc32C5MiB}}}, 7 * kMiB},
           Case{{.size = kSizeC, .checksums = {{"CRC64NVME", full_crc}}, .checksum_type = "FULL_OBJECT"},
                0},
       }) {
    auto first = VerifyFile(*file_, ChooseVerification(c.facts));
    ASSERT_TRUE(first.ok() && first->content_verified()) << c.facts.etag;
    std::optional<ObjectFacts> again =
        FactsFromRecord(first->method_name, first->expected, "", kSizeC, c.part_size);
    ASSERT_TRUE(again.has_value()) << first->method_name;
    auto second = VerifyFile(*file_, ChooseVerification(*again));
    ASSERT_TRUE(second.ok()) << second.status().ToString();
    EXPECT_TRUE(second->content_verified()) << first->method_name << ": " << second->message;
    EXPECT_EQ(second->method, first->method) << first->method_name;
    EXPECT_EQ(second->expected, first->expected);
    // The same record against other bytes: a changed copy is found.
    auto other = VerifyFile(*file_, ChooseVerification(*FactsFromRecord(
                                        first->method_name, first->expected, "", kSizeC + 1,
                                        c.part_size)));
    ASSERT_TRUE(other.ok());
    EXPECT_FALSE(other->matched) << first->method_name;
  }
  // Rows verified before the checksum was recorded: the ETag methods fall
  // back to the row's ETag, the checksum methods cannot be checked again.
  EXPECT_EQ(FactsFromRecord("md5-etag", "", kMd5C, kSizeC, 0)->etag, kMd5C);
  EXPECT_FALSE(FactsFromRecord("composite-crc32(5MiB parts)", "", kMd5C, kSizeC, 0));
  EXPECT_FALSE(FactsFromRecord("size-only", "", kMd5C, kSizeC, 0));
  EXPECT_FALSE(FactsFromRecord("whirlpool", "abc", "", kSizeC, 0));
}

}  // namespace
}  // namespace s3m::engine
