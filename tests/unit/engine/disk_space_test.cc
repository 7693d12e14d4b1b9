#include "engine/disk_space.h"

#include <gtest/gtest.h>

namespace s3m::engine {
namespace {

constexpr uint64_t kMiB = 1 << 20;
constexpr uint64_t kGiB = 1ull << 30;

TEST(DiskSpaceTest, DefaultReserveScalesWithTheDestination) {
  EXPECT_EQ(FreeSpaceReserve(std::nullopt, 200 * kMiB), 10 * kMiB);
  EXPECT_EQ(FreeSpaceReserve(std::nullopt, 10 * kGiB), 512 * kMiB);
  EXPECT_EQ(FreeSpaceReserve(std::nullopt, 4096 * kGiB), kGiB);
  EXPECT_EQ(FreeSpaceReserve(std::nullopt, 0), 0u);
  EXPECT_EQ(FreeSpaceReserve(0, 4096 * kGiB), 0u);
  EXPECT_EQ(FreeSpaceReserve(3 * kGiB, 200 * kMiB), 3 * kGiB);
}

TEST(DiskSpaceTest, Decisions) {
  struct Case {
    uint64_t free, reserve, size;
    SpaceCheck expected;
  };
  for (const Case& c : {
           Case{UINT64_MAX, kGiB, 100 * kGiB, SpaceCheck::kGo},  // unknown: try
           Case{190 * kMiB, 10 * kMiB, 40 * kMiB, SpaceCheck::kGo},  // a 200 MiB destination
           Case{190 * kMiB, 10 * kMiB, 180 * kMiB, SpaceCheck::kGo},
           Case{190 * kMiB, 10 * kMiB, 180 * kMiB + 1, SpaceCheck::kSetAside},
           Case{190 * kMiB, 10 * kMiB, 0, SpaceCheck::kGo},
           Case{10 * kMiB, 10 * kMiB, 0, SpaceCheck::kGo},
           Case{10 * kMiB - 1, 10 * kMiB, 0, SpaceCheck::kPause},  // below the reserve
           Case{0, 0, 0, SpaceCheck::kGo},
           Case{0, 0, 1, SpaceCheck::kSetAside},
       }) {
    EXPECT_EQ(CheckSpace(c.free, c.reserve, c.size), c.expected)
        << c.free << " free, " << c.reserve << " reserve, " << c.size << " size";
  }
}

}  // namespace
}  // namespace s3m::engine
