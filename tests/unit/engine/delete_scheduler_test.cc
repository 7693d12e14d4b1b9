// DeleteScheduler from tables of events -> batches, on fake clock readings.
#include "engine/delete_scheduler.h"

#include <gtest/gtest.h>

namespace s3m::engine {
namespace {

using std::chrono::milliseconds;
using Mono = DeleteScheduler::Mono;

const Mono kT0{};

DeleteRequest Req(int64_t id, const std::string& bucket = "b") {
  DeleteRequest r;
  r.id = id;
  r.bucket = bucket;
  r.key = "k" + std::to_string(id);
  r.etag = "e";
  return r;
}

// "bucket:count" for each batch, in order.
std::vector<std::string> Shape(const std::vector<DeleteBatch>& batches) {
  std::vector<std::string> out;
  for (const auto& b : batches) out.push_back(b.bucket + ":" + std::to_string(b.requests.size()));
  return out;
}

DeleteScheduler::Options Small() { return {.batch_size = 3, .max_wait = milliseconds(1000), .max_batches_in_flight = 2}; }

TEST(DeleteSchedulerTest, FullBatchesLeaveAtOncePartialOnesWait) {
  DeleteScheduler s(Small());
  for (int i = 0; i < 4; ++i) s.Add(Req(i), kT0);
  EXPECT_EQ(Shape(s.TakeBatches(kT0, false)), std::vector<std::string>{"b:3"});
  EXPECT_EQ(s.pending(), 1u);
  EXPECT_EQ(s.NextWake(), kT0 + milliseconds(1000));
  EXPECT_TRUE(s.TakeBatches(kT0 + milliseconds(999), false).empty());
  EXPECT_EQ(Shape(s.TakeBatches(kT0 + milliseconds(1000), false)), std::vector<std::string>{"b:1"});
  EXPECT_FALSE(s.NextWake().has_value());
}

// While the in-flight limit holds the waiting requests back, no timer can
// send them: only an answer can. A wake-up time in the past here made the
// run loop spin (a step, a transaction, a full core) until a batch came back;
// on s3rver's slow deletes that was 100 s of CPU for 10,000 objects.
TEST(DeleteSchedulerTest, NoWakeUpWhileTheInFlightLimitHoldsEverythingBack) {
  DeleteScheduler s(Small());
  for (int i = 0; i < 7; ++i) s.Add(Req(i), kT0);
  EXPECT_EQ(Shape(s.TakeBatches(kT0, false)), (std::vector<std::string>{"b:3", "b:3"}));
  EXPECT_EQ(s.pending(), 1u);
  // The partial batch has waited long enough, but two batches are out.
  EXPECT_TRUE(s.TakeBatches(kT0 + milliseconds(5000), false).empty());
  EXPECT_FALSE(s.NextWake().has_value());
  s.RetryAt(Req(8), kT0 + milliseconds(100));
  EXPECT_FALSE(s.NextWake().has_value()) << "a due retry cannot leave either";
  // An answer frees a place: the timers count again.
  s.BatchDone();
  ASSERT_TRUE(s.NextWake().has_value());
  EXPECT_LE(*s.NextWake(), kT0 + milliseconds(6000));
  EXPECT_EQ(Shape(s.TakeBatches(kT0 + milliseconds(6000), false)), std::vector<std::string>{"b:2"});
}

TEST(DeleteSchedulerTest, NothingMoreComingFlushesPartialBatchesPerBucket) {
  DeleteScheduler s(Small());
  s.Add(Req(1, "a"), kT0);
  s.Add(Req(2, "b"), kT0);
  s.Add(Req(3, "a"), kT0);
  EXPECT_EQ(Shape(s.TakeBatches(kT0, true)), (std::vector<std::string>{"a:2", "b:1"}));
  EXPECT_EQ(s.pending(), 0u);
}

TEST(DeleteSchedulerTest, BatchesInFlightAreBounded) {
  DeleteScheduler s(Small());
  for (int i = 0; i < 9; ++i) s.Add(Req(i), kT0);
  EXPECT_EQ(Shape(s.TakeBatches(kT0, true)), (std::vector<std::string>{"b:3", "b:3"}));
  EXPECT_FALSE(s.WantsMore());
  EXPECT_TRUE(s.TakeBatches(kT0, true).empty());
  s.BatchDone();
  EXPECT_EQ(Shape(s.TakeBatches(kT0, true)), std::vector<std::string>{"b:3"});
  s.BatchDone();
  s.BatchDone();
  EXPECT_TRUE(s.Idle());
  EXPECT_TRUE(s.WantsMore());
}

TEST(DeleteSchedulerTest, FailedDeletesComeBackAtTheirTime) {
  DeleteScheduler s(Small());
  s.RetryAt(Req(7), kT0 + milliseconds(500));
  EXPECT_FALSE(s.Idle());
  EXPECT_EQ(s.NextWake(), kT0 + milliseconds(500));
  EXPECT_TRUE(s.TakeBatches(kT0 + milliseconds(499), true).empty());
  auto batches = s.TakeBatches(kT0 + milliseconds(500), true);
  ASSERT_EQ(Shape(batches), std::vector<std::string>{"b:1"});
  EXPECT_EQ(batches[0].requests[0].id, 7);
}

TEST(DeleteSchedulerTest, ClearDropsWhatWasNotHandedOut) {
  DeleteScheduler s(Small());
  for (int i = 0; i < 4; ++i) s.Add(Req(i), kT0);
  s.RetryAt(Req(9), kT0);
  ASSERT_EQ(s.TakeBatches(kT0, false).size(), 1u);
  s.Clear();
  EXPECT_EQ(s.pending(), 0u);
  EXPECT_TRUE(s.TakeBatches(kT0 + milliseconds(5000), true).empty());
  s.BatchDone();
  EXPECT_TRUE(s.Idle());
}

}  // namespace
}  // namespace s3m::engine
