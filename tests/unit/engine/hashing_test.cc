#include "engine/hashing.h"

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

constexpr std::string_view kCheck = "123456789";

std::string RandomBytes(std::mt19937& rng, size_t size) {
  std::string out(size, '\0');
  for (char& c : out) c = static_cast<char>(rng());
  return out;
}

std::string OneShot(HashAlgorithm algorithm, std::string_view data) {
  StreamHasher hasher(algorithm);
  hasher.Update(data.data(), data.size());
  return hasher.Finish();
}

// Random cut points of [0, size), sorted, with 0 and size at the ends;
// repeated cuts give empty pieces.
std::vector<size_t> RandomCuts(std::mt19937& rng, size_t size, int pieces) {
  std::vector<size_t> cuts = {0, size};
  for (int i = 1; i < pieces; ++i) cuts.push_back(size == 0 ? 0 : rng() % (size + 1));
  std::sort(cuts.begin(), cuts.end());
  return cuts;
}

TEST(StreamHasherTest, KnownValues) {
  // "hello world": CRC32, SHA-1, SHA-256 and MD5 from Python's zlib/hashlib;
  // CRC32C and CRC64NVME from table-driven implementations checked against
  // the catalogue values 0xe3069283 and 0xae8b14860a799888.
  struct Case {
    HashAlgorithm algorithm;
    const char* base64;
  };
  for (const Case& c : {Case{HashAlgorithm::kCrc32, "DUoRhQ=="},
                        Case{HashAlgorithm::kCrc32c, "yZRlqg=="},
                        Case{HashAlgorithm::kCrc64Nvme, "jSnVw/bqjr4="},
                        Case{HashAlgorithm::kSha1, "Kq5sNclPz7QV2+lfQIuc6R7oRu0="},
                        Case{HashAlgorithm::kSha256, "uU0nuZNNPgilLlLX2n2r+sSE7+N6U4DukIj3rOLvzek="}}) {
    StreamHasher hasher(c.algorithm);
    hasher.Update("hello ", 6);
    hasher.Update("world", 5);
    EXPECT_EQ(Base64Encode(hasher.Finish()), c.base64) << HashAlgorithmName(c.algorithm);
    EXPECT_EQ(Base64Encode(OneShot(c.algorithm, "hello world")), c.base64) << "reusable after Finish";
  }
  EXPECT_EQ(HexEncode(OneShot(HashAlgorithm::kMd5, "hello world")), "5eb63bbbe01eeed093cb22bb8f5acdc3");
}

TEST(StreamHasherTest, NamesAndConversions) {
  EXPECT_EQ(HashAlgorithmName(HashAlgorithm::kCrc64Nvme), "crc64nvme");
  EXPECT_EQ(HashAlgorithmName(HashAlgorithm::kMd5), "md5");
  EXPECT_EQ(FromChecksumAlgorithm(ChecksumAlgorithm::kCrc32c), HashAlgorithm::kCrc32c);
  EXPECT_EQ(FromChecksumAlgorithm(ChecksumAlgorithm::kSha1), HashAlgorithm::kSha1);
  EXPECT_TRUE(IsCrc(HashAlgorithm::kCrc32));
  EXPECT_FALSE(IsCrc(HashAlgorithm::kSha256));
  EXPECT_FALSE(IsCrc(HashAlgorithm::kMd5));
}

TEST(CrcTest, CatalogueCheckValues) {
  EXPECT_EQ(CrcUpdate(HashAlgorithm::kCrc32, 0, kCheck.data(), kCheck.size()), 0xcbf43926u);
  EXPECT_EQ(CrcUpdate(HashAlgorithm::kCrc32c, 0, kCheck.data(), kCheck.size()), 0xe3069283u);
  EXPECT_EQ(CrcUpdate(HashAlgorithm::kCrc64Nvme, 0, kCheck.data(), kCheck.size()),
            0xae8b14860a799888ull);
  EXPECT_EQ(HexEncode(CrcBytes(HashAlgorithm::kCrc32c, 0xe3069283u)), "e3069283");
  EXPECT_EQ(HexEncode(CrcBytes(HashAlgorithm::kCrc64Nvme, 0xae8b14860a799888ull)), "ae8b14860a799888");
}

TEST(CrcCombinerTest, CombiningPiecesEqualsOneShotForS3Crcs) {
  std::mt19937 rng(20240611);
  for (HashAlgorithm algorithm : {HashAlgorithm::kCrc32, HashAlgorithm::kCrc32c, HashAlgorithm::kCrc64Nvme}) {
    const CrcCombiner& combiner = CrcCombiner::For(algorithm);
    EXPECT_EQ(combiner.Empty(), 0u);
    for (int trial = 0; trial < 200; ++trial) {
      const std::string data = RandomBytes(rng, rng() % 5000);
      const uint64_t whole = CrcUpdate(algorithm, 0, data.data(), data.size());
      const std::vector<size_t> cuts = RandomCuts(rng, data.size(), 1 + static_cast<int>(rng() % 8));
      uint64_t combined = 0;  // CRC of the empty prefix
      for (size_t i = 0; i + 1 < cuts.size(); ++i) {
        const size_t length = cuts[i + 1] - cuts[i];
        const uint64_t piece = CrcUpdate(algorithm, 0, data.data() + cuts[i], length);
        combined = combiner.Combine(combined, piece, length);
      }
      ASSERT_EQ(combined, whole) << HashAlgorithmName(algorithm) << " trial " << trial;
    }
  }
}

TEST(CrcCombinerTest, LongSecondPart) {
  // Exercises many bits of the length: 3 MiB + 5 bytes.
  const std::string a = "prefix";
  const std::string b = Pattern((3 << 20) + 5);
  for (HashAlgorithm algorithm : {HashAlgorithm::kCrc32, HashAlgorithm::kCrc32c, HashAlgorithm::kCrc64Nvme}) {
    const uint64_t whole = CrcUpdate(algorithm, CrcUpdate(algorithm, 0, a.data(), a.size()), b.data(), b.size());
    const uint64_t combined = CrcCombiner::For(algorithm).Combine(
        CrcUpdate(algorithm, 0, a.data(), a.size()), CrcUpdate(algorithm, 0, b.data(), b.size()), b.size());
    EXPECT_EQ(combined, whole) << HashAlgorithmName(algorithm);
  }
}

// Bit-at-a-time reference for any reflected CRC.
uint64_t ReferenceCrc(const CrcSpec& spec, std::string_view data) {
  const uint64_t mask = spec.width == 64 ? ~0ull : (1ull << spec.width) - 1;
  uint64_t reg = spec.init & mask;
  for (unsigned char byte : data) {
    reg ^= byte;
    for (int bit = 0; bit < 8; ++bit) reg = (reg & 1) ? (reg >> 1) ^ spec.reflected_poly : reg >> 1;
  }
  return (reg ^ spec.xorout) & mask;
}

TEST(CrcCombinerTest, AnyReflectedPolynomialIncludingInitNotEqualXorout) {
  struct Case {
    const char* name;
    CrcSpec spec;
    uint64_t check;  // of "123456789", from the CRC catalogue
  };
  for (const Case& c : {Case{"CRC-16/ARC", {16, 0xa001, 0, 0}, 0xbb3d},
                        Case{"CRC-32/JAMCRC", {32, 0xedb88320, 0xffffffff, 0}, 0x340bc6d9},
                        Case{"CRC-64/XZ", {64, 0xc96c5795d7870f42ull, ~0ull, ~0ull}, 0x995dc9bbdf1939faull},
                        Case{"CRC-32C", kCrc32cSpec, 0xe3069283},
                        Case{"CRC-64/NVME", kCrc64NvmeSpec, 0xae8b14860a799888ull}}) {
    ASSERT_EQ(ReferenceCrc(c.spec, kCheck), c.check) << c.name;
    const CrcCombiner combiner(c.spec);
    std::mt19937 rng(7);
    for (int trial = 0; trial < 100; ++trial) {
      const std::string data = RandomBytes(rng, rng() % 600);
      const size_t split = data.empty() ? 0 : rng() % (data.size() + 1);
      const std::string_view left = std::string_view(data).substr(0, split);
      const std::string_view right = std::string_view(data).substr(split);
      ASSERT_EQ(combiner.Combine(ReferenceCrc(c.spec, left), ReferenceCrc(c.spec, right), right.size()),
                ReferenceCrc(c.spec, data))
          << c.name << " trial " << trial;
    }
    EXPECT_EQ(combiner.Empty(), ReferenceCrc(c.spec, "")) << c.name;
  }
}

TEST(RangeCrcAccumulatorTest, RangesInAnyOrderFromManyThreads) {
  std::mt19937 rng(11);
  const std::string data = RandomBytes(rng, 100000);
  const HashAlgorithm algorithm = HashAlgorithm::kCrc64Nvme;
  const uint64_t whole = CrcUpdate(algorithm, 0, data.data(), data.size());
  for (int trial = 0; trial < 20; ++trial) {
    std::vector<size_t> cuts = RandomCuts(rng, data.size(), 40);
    std::vector<size_t> order(cuts.size() - 1);
    std::iota(order.begin(), order.end(), 0);
    std::shuffle(order.begin(), order.end(), rng);
    RangeCrcAccumulator accumulator(CrcCombiner::For(algorithm), data.size());
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
      threads.emplace_back([&, t] {
        for (size_t i = t; i < order.size(); i += 4) {
          const size_t piece = order[i];
          const size_t length = cuts[piece + 1] - cuts[piece];
          EXPECT_TRUE(accumulator
                          .Add(cuts[piece], length,
                               CrcUpdate(algorithm, 0, data.data() + cuts[piece], length))
                          .ok());
        }
      });
    }
    for (auto& th : threads) th.join();
    ASSERT_TRUE(accumulator.complete());
    EXPECT_EQ(*accumulator.Value(), whole);
  }
}

TEST(RangeCrcAccumulatorTest, RejectsOverlapsAndOutOfBounds) {
  const CrcCombiner& combiner = CrcCombiner::For(HashAlgorithm::kCrc32c);
  RangeCrcAccumulator accumulator(combiner, 100);
  EXPECT_TRUE(accumulator.Add(10, 10, 1).ok());
  EXPECT_EQ(accumulator.Add(15, 10, 1).kind(), ErrorKind::kInvalidArgument);
  EXPECT_EQ(accumulator.Add(5, 10, 1).kind(), ErrorKind::kInvalidArgument);
  EXPECT_EQ(accumulator.Add(10, 10, 1).kind(), ErrorKind::kInvalidArgument);
  EXPECT_EQ(accumulator.Add(95, 10, 1).kind(), ErrorKind::kInvalidArgument);
  EXPECT_TRUE(accumulator.Add(50, 0, 1).ok()) << "empty ranges are ignored";
  EXPECT_FALSE(accumulator.complete());
  EXPECT_FALSE(accumulator.Value().has_value());

  RangeCrcAccumulator empty(combiner, 0);
  EXPECT_TRUE(empty.complete());
  EXPECT_EQ(*empty.Value(), 0u);
}

class InOrderHasherTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto file = PosixFileSystem::Default().Open(dir_ / "f", OpenOptions::CreateTruncate());
    ASSERT_TRUE(file.ok());
    file_ = std::move(*file);
    ASSERT_TRUE(file_->WriteAt(0, data_.data(), data_.size()).ok());
  }

  ScratchDir dir_;
  const std::string data_ = Pattern(300000);
  std::unique_ptr<File> file_;
};

TEST_F(InOrderHasherTest, InOrderBytesAreHashedFromTheBufferAlone) {
  InOrderHasher hasher(HashAlgorithm::kSha256, 0, data_.size(), nullptr);
  for (size_t off = 0; off < data_.size(); off += 7000) {
    const size_t n = std::min<size_t>(7000, data_.size() - off);
    hasher.Written(off, data_.data() + off, n);
  }
  ASSERT_TRUE(hasher.complete());
  auto digest = hasher.Finish();
  ASSERT_TRUE(digest.ok());
  EXPECT_EQ(*digest, OneShot(HashAlgorithm::kSha256, data_));
  EXPECT_EQ(hasher.bytes_reread(), 0u);
}

TEST_F(InOrderHasherTest, EarlyBytesAreReadBackOnceTheGapFills) {
  InOrderHasher hasher(HashAlgorithm::kMd5, 0, data_.size(), file_.get());
  const size_t third = data_.size() / 3;
  hasher.Written(2 * third, data_.data() + 2 * third, data_.size() - 2 * third);
  hasher.Written(third, data_.data() + third, third);
  EXPECT_FALSE(hasher.complete());
  hasher.Written(0, data_.data(), third);  // fills the gap: the rest is read back
  ASSERT_TRUE(hasher.complete());
  EXPECT_EQ(*hasher.Finish(), OneShot(HashAlgorithm::kMd5, data_));
  EXPECT_EQ(hasher.bytes_reread(), data_.size() - third);
}

TEST_F(InOrderHasherTest, BytesOnlyInTheFile) {
  InOrderHasher hasher(HashAlgorithm::kSha1, 0, data_.size(), file_.get());
  hasher.Written(0, nullptr, data_.size());
  EXPECT_EQ(*hasher.Finish(), OneShot(HashAlgorithm::kSha1, data_));
}

TEST_F(InOrderHasherTest, SegmentInTheMiddleOfTheFile) {
  const uint64_t begin = 1000;
  const uint64_t length = 50000;
  InOrderHasher hasher(HashAlgorithm::kSha256, begin, length, file_.get());
  hasher.Written(begin + 20000, data_.data() + begin + 20000, length - 20000);
  hasher.Written(begin, data_.data() + begin, 20000);
  EXPECT_EQ(*hasher.Finish(), OneShot(HashAlgorithm::kSha256, std::string_view(data_).substr(begin, length)));
}

TEST_F(InOrderHasherTest, ParallelWritersInAnyOrder) {
  // Four "range workers" each own a quarter and stream it in 4 KiB chunks,
  // writing each chunk to the file before reporting it.
  auto out = PosixFileSystem::Default().Open(dir_ / "g", OpenOptions::CreateTruncate());
  ASSERT_TRUE(out.ok());
  ASSERT_TRUE((*out)->Allocate(0, data_.size()).ok());
  InOrderHasher hasher(HashAlgorithm::kSha256, 0, data_.size(), out->get());
  const size_t quarter = data_.size() / 4;
  std::vector<std::thread> workers;
  for (int w = 3; w >= 0; --w) {
    workers.emplace_back([&, w] {
      const size_t begin = w * quarter;
      const size_t end = w == 3 ? data_.size() : begin + quarter;
      for (size_t off = begin; off < end; off += 4096) {
        const size_t n = std::min<size_t>(4096, end - off);
        ASSERT_TRUE((*out)->WriteAt(off, data_.data() + off, n).ok());
        hasher.Written(off, data_.data() + off, n);
      }
    });
  }
  for (auto& th : workers) th.join();
  ASSERT_TRUE(hasher.complete());
  EXPECT_EQ(*hasher.Finish(), OneShot(HashAlgorithm::kSha256, data_));
  EXPECT_LT(hasher.bytes_reread(), data_.size());
}

TEST_F(InOrderHasherTest, GapsDuplicatesAndMissingFileAreErrors) {
  {
    InOrderHasher hasher(HashAlgorithm::kMd5, 0, 100, file_.get());
    hasher.Written(0, data_.data(), 10);
    hasher.Written(50, data_.data() + 50, 50);
    const Status s = hasher.Finish().status();
    EXPECT_FALSE(s.ok());
    EXPECT_NE(s.message().find("[10, 50)"), std::string::npos) << s.message();
  }
  {
    InOrderHasher hasher(HashAlgorithm::kMd5, 0, 100, file_.get());
    hasher.Written(0, data_.data(), 10);
    hasher.Written(5, data_.data() + 5, 10);
    EXPECT_NE(hasher.Finish().status().message().find("twice"), std::string::npos);
  }
  {
    InOrderHasher hasher(HashAlgorithm::kMd5, 0, 100, file_.get());
    hasher.Written(90, data_.data(), 20);
    EXPECT_NE(hasher.Finish().status().message().find("outside"), std::string::npos);
  }
  {
    InOrderHasher hasher(HashAlgorithm::kMd5, 0, 100, nullptr);
    hasher.Written(50, data_.data() + 50, 50);
    hasher.Written(0, data_.data(), 50);
    EXPECT_FALSE(hasher.Finish().ok()) << "out of order without a file to read back";
  }
}

TEST_F(InOrderHasherTest, ShortFileIsAnError) {
  InOrderHasher hasher(HashAlgorithm::kMd5, 0, data_.size() + 10, file_.get());
  hasher.Written(data_.size(), "0123456789", 10);  // reported but never written to the file
  hasher.Written(0, data_.data(), data_.size());
  const Status s = hasher.Finish().status();
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("file ended"), std::string::npos) << s.message();
}

TEST(InOrderHasherEmptyTest, EmptyRangeIsTheEmptyDigest) {
  InOrderHasher hasher(HashAlgorithm::kMd5, 0, 0, nullptr);
  EXPECT_TRUE(hasher.complete());
  EXPECT_EQ(HexEncode(*hasher.Finish()), "d41d8cd98f00b204e9800998ecf8427e");
}

}  // namespace
}  // namespace s3m::engine
