// The cost estimate from fabricated aggregates, checked by hand arithmetic.
#include "store/cost.h"

#include <gtest/gtest.h>

namespace s3m::store {
namespace {

constexpr int64_t kGiB = 1ll << 30;

StateClassTally Group(FileState state, const std::string& storage_class, int64_t files, int64_t bytes,
                      int64_t gets) {
  StateClassTally t;
  t.state = state;
  t.storage_class = storage_class;
  t.tally = {files, bytes};
  t.get_requests = gets;
  return t;
}

TEST(CostTest, RestoreRequestsTransferAndEarlyDeletion) {
  Summary s;
  s.groups = {Group(FileState::kDiscovered, "GLACIER", 1000, 100 * kGiB, 2000),
              Group(FileState::kDiscovered, "DEEP_ARCHIVE", 2000, 200 * kGiB, 3000),
              Group(FileState::kDiscovered, "STANDARD", 7000, 10 * kGiB, 7000),
              Group(FileState::kDeleted, "STANDARD", 5000, 50 * kGiB, 5000)};
  EarlyDeletionTally glacier{"GLACIER", 90, 10, 10 * kGiB, 10.0 * kGiB * 30};  // 10 GiB x 30 days left
  EarlyDeletionTally deep{"DEEP_ARCHIVE", 180, 0, 0, 0};
  s.early_deletion = {glacier, deep};
  PriceTable p;
  CostEstimate e = EstimateCost(s, p, "Standard");

  ASSERT_EQ(e.restore.size(), 3u);
  // Expedited: GLACIER 100 GiB x $0.03 + 1 x $10; DEEP_ARCHIVE priced as Standard.
  EXPECT_NEAR(e.restore[0].glacier, 3.0 + 10.0, 1e-9);
  EXPECT_NEAR(e.restore[0].deep_archive, 200 * 0.02 + 2 * 0.10, 1e-9);
  EXPECT_NEAR(e.restore[1].glacier, 1.0 + 0.05, 1e-9);
  EXPECT_NEAR(e.restore[2].glacier, 0.0, 1e-9);
  EXPECT_NEAR(e.restore[2].deep_archive, 200 * 0.0025 + 2 * 0.025, 1e-9);
  // To download: everything but the deleted group; a HEAD plus the GETs each.
  EXPECT_EQ(e.to_download.files, 10000);
  EXPECT_EQ(e.to_download.bytes, 310 * kGiB);
  EXPECT_EQ(e.get_requests, 10000 + 12000);
  EXPECT_EQ(e.list_requests, 15);
  EXPECT_NEAR(e.requests, 22 * 0.0004 + 0.015 * 0.005, 1e-9);
  EXPECT_NEAR(e.transfer_out, 310 * 0.09, 1e-9);
  // 10 GiB x 30 days = 10 GiB-months of GLACIER storage at $0.0036.
  EXPECT_NEAR(e.early_deletion, 10 * 0.0036, 1e-9);
  EXPECT_EQ(e.early_deletion_objects.files, 10);
  EXPECT_NEAR(e.total, e.restore[1].total() + e.requests + e.transfer_out + e.early_deletion, 1e-9);

  // Overridden prices are used.
  p.transfer_out_per_gb = 0;
  EXPECT_NEAR(EstimateCost(s, p, "Bulk").transfer_out, 0.0, 1e-12);
}

TEST(CostTest, GoneObjectsAreNotDownloaded) {
  Summary s;
  s.groups = {Group(FileState::kError, "STANDARD", 3, 3 * kGiB, 3)};
  s.gone_before_download = {2, 2 * kGiB};
  CostEstimate e = EstimateCost(s, PriceTable{}, "Standard");
  EXPECT_EQ(e.to_download.files, 1);
  EXPECT_EQ(e.to_download.bytes, kGiB);
}

TEST(CostTest, EveryPriceHasAConfigName) {
  PriceTable p;
  for (const auto& f : PriceFields()) {
    p.*(f.member) = 123.0;
  }
  EXPECT_EQ(p.deep_archive_storage_per_gb_month, 123.0);
  EXPECT_EQ(p.glacier_expedited_per_1000, 123.0);
  EXPECT_EQ(PriceFields().size(), sizeof(PriceTable) / sizeof(double));
}

}  // namespace
}  // namespace s3m::store
