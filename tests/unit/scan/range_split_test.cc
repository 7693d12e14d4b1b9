#include "scan/range_split.h"

#include <gtest/gtest.h>

namespace s3m::scan {
namespace {

// The split lies half way between the first key left above the lister's
// position (which moved on while the probes ran) and the last key found.
TEST(RangeSplitTest, SplitKeyIsHalfWayThroughWhatIsLeft) {
  const KeysLeft left{"data/0010000.bin", "data/0059999.bin"};
  EXPECT_EQ(SplitKey(left, ""), "data/003");                   // '1' .. '5'
  EXPECT_EQ(SplitKey(left, "data/0009999.bin"), "data/003");   // below the first key: from the first
  EXPECT_EQ(SplitKey(left, "data/0031999.bin"), "data/004");   // '3' .. '5'
  EXPECT_EQ(SplitKey(left, "data/0059999.bin"), std::nullopt);  // all listed meanwhile
  EXPECT_EQ(SplitKey(left, "data/0060000.bin"), std::nullopt);
  // Adjacent keys: nothing between.
  EXPECT_EQ(SplitKey(KeysLeft{"a", "a\x01"}, ""), std::nullopt);
}

}  // namespace
}  // namespace s3m::scan
