#include "engine/write_coalescer.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace s3m::engine {
namespace {

// Records every write the coalescer makes.
struct Recorder {
  std::string bytes;
  std::vector<size_t> writes;
  int fail_at = -1;  // the write number that fails
  WriteCoalescer::Write Fn() {
    return [this](const char* data, size_t n) {
      if (static_cast<int>(writes.size()) == fail_at) {
        writes.push_back(0);
        return Status::Error(ErrorKind::kFatal, "no space");
      }
      writes.push_back(n);
      bytes.append(data, n);
      return Status::Ok();
    };
  }
};

std::string Body(size_t n) {
  std::string s(n, '\0');
  for (size_t i = 0; i < n; ++i) s[i] = static_cast<char>('a' + i * 7 % 26);
  return s;
}

// Feeds `body` in pieces of the given sizes (cycled), then drains.
Recorder Feed(size_t capacity, const std::string& body, std::vector<size_t> pieces) {
  WriteCoalescer buffer(capacity);
  Recorder rec;
  size_t at = 0;
  for (size_t i = 0; at < body.size(); ++i) {
    const size_t n = std::min(pieces[i % pieces.size()], body.size() - at);
    EXPECT_TRUE(buffer.Add(body.data() + at, n, rec.Fn()).ok());
    at += n;
  }
  EXPECT_TRUE(buffer.Drain(rec.Fn()).ok());
  EXPECT_EQ(buffer.held(), 0u);
  return rec;
}

TEST(WriteCoalescerTest, PiecesBecomeFewWritesOfEveryByteInOrder) {
  struct Case {
    size_t capacity;
    size_t body;
    std::vector<size_t> pieces;
    std::vector<size_t> writes;
  };
  for (const Case& c : {
           // libcurl's 16 KiB pieces of a 64 KiB range, 32 KiB writes.
           Case{32768, 65536, {16384}, {32768, 32768}},
           // A small object: one write at the end.
           Case{16384, 16384, {6000, 10384}, {16384}},
           // Pieces that do not divide the capacity: a write never passes it.
           Case{10, 25, {4}, {8, 8, 9}},
           // A piece as large as the buffer goes straight through, after
           // what was held.
           Case{8, 27, {3, 8, 16}, {3, 8, 16}},
           Case{100, 0, {1}, {}},
       }) {
    const std::string body = Body(c.body);
    Recorder rec = Feed(c.capacity, body, c.pieces);
    EXPECT_EQ(rec.bytes, body) << "capacity " << c.capacity;
    EXPECT_EQ(rec.writes, c.writes) << "capacity " << c.capacity;
  }
}

TEST(WriteCoalescerTest, AFailedWriteIsReportedAndItsBytesAreNotHeldAgain) {
  WriteCoalescer buffer(8);
  Recorder rec;
  rec.fail_at = 0;
  const std::string body = Body(12);
  ASSERT_TRUE(buffer.Add(body.data(), 6, rec.Fn()).ok());
  // The next piece does not fit: the held bytes are written, and that fails.
  Status s = buffer.Add(body.data() + 6, 6, rec.Fn());
  EXPECT_EQ(s.kind(), ErrorKind::kFatal);
  EXPECT_EQ(buffer.held(), 0u);
  // A retry starts from the caller's position: nothing stale comes out.
  ASSERT_TRUE(buffer.Add(body.data(), 4, rec.Fn()).ok());
  ASSERT_TRUE(buffer.Drain(rec.Fn()).ok());
  EXPECT_EQ(rec.bytes, body.substr(0, 4));
  EXPECT_EQ(rec.writes, (std::vector<size_t>{0, 4}));
}

}  // namespace
}  // namespace s3m::engine
