#include <gtest/gtest.h>

#include "engine/restore.h"

namespace s3m::engine {
namespace {

// Issue 15: restored copies waiting for a download slot count against
// max_glacier_restores, so a slow download stage holds back new restores
// instead of letting paid ones expire.
TEST(RestoreCapacityTest, RestoredCopiesWaitingCountAgainstTheLimit) {
  struct Case {
    int64_t max, pending, restoring, waiting, expected;
  };
  for (const Case& c : {
           Case{100, 0, 0, 0, 100},
           Case{100, 10, 20, 0, 70},
           Case{100, 0, 0, 100, 0},   // every paid restore waits for a download
           Case{100, 0, 40, 60, 0},
           Case{100, 5, 40, 60, 0},   // never negative
           Case{1, 0, 0, 0, 1},
       }) {
    EXPECT_EQ(RestoreCapacity(c.max, c.pending, c.restoring, c.waiting), c.expected)
        << c.max << " " << c.pending << " " << c.restoring << " " << c.waiting;
  }
}

}  // namespace
}  // namespace s3m::engine
