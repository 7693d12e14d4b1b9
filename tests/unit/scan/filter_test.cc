#include "scan/filter.h"

#include <gtest/gtest.h>

namespace s3m::scan {
namespace {

TEST(ScanFilterTest, NoPatternsTakeEverything) {
  ScanFilter f;
  EXPECT_TRUE(f.BucketSelected("any"));
  EXPECT_TRUE(f.KeySelected("any", "deep/key"));
  EXPECT_FALSE(f.FiltersKeys("any"));
  EXPECT_EQ(f.Describe("any"), "");
}

TEST(ScanFilterTest, BucketAndPathPatterns) {
  auto f = ScanFilter::Create({"logs-*", "photos/2020/*"}, {"logs-tmp", "*/cache/*"});
  ASSERT_TRUE(f.ok());
  EXPECT_TRUE(f->BucketSelected("logs-a"));
  EXPECT_FALSE(f->BucketSelected("logs-tmp"));
  EXPECT_TRUE(f->BucketSelected("photos"));
  EXPECT_FALSE(f->BucketSelected("videos"));
  // Whole bucket included, minus the key exclude.
  EXPECT_TRUE(f->KeySelected("logs-a", "x/y"));
  EXPECT_FALSE(f->KeySelected("logs-a", "x/cache/y"));
  // Only keys under 2020/ of photos; "*" crosses "/".
  EXPECT_TRUE(f->KeySelected("photos", "2020/01/a.jpg"));
  EXPECT_FALSE(f->KeySelected("photos", "2021/a.jpg"));
  EXPECT_TRUE(f->FiltersKeys("photos"));
  EXPECT_TRUE(f->FiltersKeys("logs-a"));  // the cache exclude
  EXPECT_EQ(f->Describe("photos"), "include photos/2020/*, exclude */cache/*");
}

TEST(ScanFilterTest, ExcludeOnlyFiltersKeysNotBuckets) {
  auto f = ScanFilter::Create({}, {"b/tmp/*"});
  ASSERT_TRUE(f.ok());
  EXPECT_TRUE(f->BucketSelected("b"));
  EXPECT_FALSE(f->KeySelected("b", "tmp/x"));
  EXPECT_TRUE(f->KeySelected("c", "tmp/x"));
  EXPECT_FALSE(f->FiltersKeys("c"));
}

TEST(ScanFilterTest, PatternWithoutBucketIsRefused) {
  auto f = ScanFilter::Create({"/key"}, {});
  ASSERT_FALSE(f.ok());
  EXPECT_EQ(f.status().kind(), ErrorKind::kInvalidArgument);
  EXPECT_FALSE(ScanFilter::Create({}, {""}).ok());
}

}  // namespace
}  // namespace s3m::scan
