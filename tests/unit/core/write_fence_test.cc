// WriteFence on a fake clock: open until its deadline, moved later by
// renewals, and closed for good once the deadline passed.
#include "core/write_fence.h"

#include <gtest/gtest.h>

namespace s3m {
namespace {

using std::chrono::seconds;

TEST(WriteFenceTest, OpenUntilTheDeadlineThenClosedForGood) {
  FakeClock clock;
  WriteFence fence(clock, clock.MonotonicNow() + seconds(30));
  EXPECT_TRUE(fence.open());
  EXPECT_TRUE(fence.Check().ok());
  clock.Advance(seconds(20));
  fence.ExtendTo(clock.MonotonicNow() + seconds(30));  // a renewal: 50 s from the start
  clock.Advance(seconds(25));
  EXPECT_TRUE(fence.open()) << "45 s: within the renewed deadline";
  fence.ExtendTo(clock.MonotonicNow() - seconds(10));  // never earlier
  EXPECT_TRUE(fence.open());
  clock.Advance(seconds(5));
  EXPECT_FALSE(fence.open()) << "50 s: the deadline";
  const Status closed = fence.Check();
  EXPECT_EQ(closed.kind(), ErrorKind::kCancelled);
  EXPECT_NE(closed.message().find("could not renew its lease"), std::string::npos) << closed.ToString();
  // A renewal that lands late (the process was frozen) does not reopen it:
  // another worker may own the objects by now.
  fence.ExtendTo(clock.MonotonicNow() + seconds(30));
  EXPECT_FALSE(fence.open());
}

}  // namespace
}  // namespace s3m
