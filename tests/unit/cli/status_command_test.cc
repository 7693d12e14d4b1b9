// status output from fabricated aggregates, the shared number formats, and
// the [prices] table of the config file.
#include "cli/status_command.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "cli/config.h"
#include "cli/state_commands.h"

namespace s3m::cli {
namespace {

using ::testing::HasSubstr;

store::StateClassTally Group(store::FileState state, const std::string& storage_class, int64_t files,
                             int64_t bytes) {
  store::StateClassTally t;
  t.state = state;
  t.storage_class = storage_class;
  t.tally = {files, bytes};
  t.get_requests = files;
  return t;
}

store::Summary Fabricated() {
  store::Summary s;
  s.schema_version = 2;
  store::BucketRecord photos;
  photos.name = "photos";
  photos.region = "eu-west-1";
  photos.scan_state = "complete";
  photos.scan_completed_at = "2026-11-24T06:00:00Z";
  store::BucketRecord logs;
  logs.name = "logs";
  logs.region = "us-east-1";
  logs.scan_state = "failed";
  logs.last_error = "ListObjectsV2 s3://logs/: HTTP 500";
  s.buckets = {logs, photos};
  s.groups = {Group(store::FileState::kDiscovered, "STANDARD", 3210, 3210ll << 20),
              Group(store::FileState::kDiscovered, "GLACIER", 12, 12ll << 30),
              Group(store::FileState::kDiscovered, "DEEP_ARCHIVE", 3, 3ll << 30),
              Group(store::FileState::kGlacierRestoring, "GLACIER", 2, 2ll << 30),
              Group(store::FileState::kDeleted, "STANDARD", 1234, 1234ll << 20),
              Group(store::FileState::kError, "STANDARD", 2, 2048)};
  auto bucket_group = Group(store::FileState::kDiscovered, "", 3225, 3210ll << 20);
  bucket_group.bucket = "photos";
  s.bucket_groups = {bucket_group};
  s.gone_before_download = {1, 1024};
  return s;
}

TEST(StatusRenderTest, TextHasTheSeedsFiguresAndTheCosts) {
  const store::Summary s = Fabricated();
  const auto cost = store::EstimateCost(s, {}, "Standard");
  const std::string text = RenderStatusText("./s3_migration_state.db", s, cost, /*by_bucket=*/true);
  EXPECT_THAT(text, HasSubstr("MIGRATION STATUS"));
  EXPECT_THAT(text, HasSubstr("Buckets:         1 scanned, 1 not complete (logs): run `s3migrate scan`"));
  EXPECT_THAT(text, HasSubstr("Files:           4,463\n"));
  EXPECT_THAT(text, ::testing::ContainsRegex("Discovered +3,225 files +18\\.13 GB"));
  EXPECT_THAT(text, ::testing::ContainsRegex("Glacier restoring +2 files +2\\.00 GB"));
  EXPECT_THAT(text, ::testing::ContainsRegex("Need restore +15 files +15\\.00 GB"));
  EXPECT_THAT(text, ::testing::ContainsRegex("DEEP_ARCHIVE +3 files"));
  EXPECT_THAT(text, ::testing::ContainsRegex("Restores in flight +2 files"));
  EXPECT_THAT(text, HasSubstr("Gone before download"));
  EXPECT_THAT(text, HasSubstr("LISTING FAILED (resumable): ListObjectsV2 s3://logs/: HTTP 500"));
  EXPECT_THAT(text, HasSubstr("photos  [eu-west-1] scanned 2026-11-24T06:00:00Z"));
  EXPECT_THAT(text, HasSubstr("<- glacier_restore_tier"));
  EXPECT_THAT(text, HasSubstr("Deep Archive has no Expedited: priced as Standard"));
  // Every one of the eight states is listed, even when empty.
  for (const char* label : {"Discovered", "Downloading", "Downloaded", "Verified", "Deleted",
                            "Glacier restore requested", "Glacier restoring", "Error"}) {
    EXPECT_THAT(text, HasSubstr(std::string("  ") + label + " ")) << label;
  }
}

TEST(StatusRenderTest, JsonCarriesTheSameFigures) {
  const store::Summary s = Fabricated();
  store::PriceTable prices;
  prices.transfer_out_per_gb = 0.05;
  const auto cost = store::EstimateCost(s, prices, "Bulk");
  const auto j = RenderStatusJson("db", s, cost, prices, true, "2026-11-24T07:00:00Z");
  EXPECT_EQ(j["totals"]["files"], 4463);
  EXPECT_EQ(j["states"]["discovered"]["files"], 3225);
  EXPECT_EQ(j["states"]["downloading"]["files"], 0);
  EXPECT_EQ(j["states"].size(), 8u);
  EXPECT_EQ(j["glacier"]["need_restore"]["files"], 15);
  EXPECT_EQ(j["glacier"]["need_restore_by_class"]["DEEP_ARCHIVE"]["files"], 3);
  EXPECT_EQ(j["glacier"]["restores_in_flight"]["files"], 2);
  EXPECT_EQ(j["rescan"]["gone_before_download"]["files"], 1);
  EXPECT_EQ(j["buckets"][1]["name"], "photos");
  EXPECT_EQ(j["buckets"][1]["states"]["discovered"]["files"], 3225);
  EXPECT_EQ(j["buckets"][0]["last_error"], "ListObjectsV2 s3://logs/: HTTP 500");
  EXPECT_EQ(j["cost_estimate"]["configured_tier"], "Bulk");
  EXPECT_DOUBLE_EQ(j["cost_estimate"]["prices"]["transfer_out_per_gb"].get<double>(), 0.05);
  EXPECT_DOUBLE_EQ(j["cost_estimate"]["total"].get<double>(), cost.total);
  EXPECT_EQ(j["generated_at"], "2026-11-24T07:00:00Z");
}

TEST(FormatTest, CountsBytesAndDollars) {
  EXPECT_EQ(FormatCount(0), "0");
  EXPECT_EQ(FormatCount(999), "999");
  EXPECT_EQ(FormatCount(1234567), "1,234,567");
  EXPECT_EQ(FormatCount(-1000), "-1,000");
  EXPECT_EQ(FormatBytes(512), "512 B");
  EXPECT_EQ(FormatBytes(1536), "1.50 KB");
  EXPECT_EQ(FormatBytes(156780ll << 20), "153.11 GB");
  EXPECT_EQ(FormatUsd(0), "$0.00");
  EXPECT_EQ(FormatUsd(1234.567), "$1,234.57");
  EXPECT_EQ(FormatUsd(0.0012), "$0.0012");
  EXPECT_EQ(FormatUsd(0.00001), "< $0.0001");
  EXPECT_EQ(ObjectUrl("b", "dir/a\nb"), "s3://b/dir/a\\x0ab");
}

class PricesConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("s3m-prices-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string Write(const std::string& text) {
    const std::string path = (dir_ / "s3migrate.toml").string();
    std::ofstream(path) << text;
    return path;
  }
  std::filesystem::path dir_;
};

TEST_F(PricesConfigTest, OverridesSomePricesAndKeepsTheOthers) {
  Settings s;
  Status st = LoadConfigFile(Write("glacier_restore_tier = \"Bulk\"\n[prices]\n"
                                   "glacier_standard_per_gb = 0.011\ntransfer_out_per_gb = 0\n"),
                             s);
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_DOUBLE_EQ(s.prices.glacier_standard_per_gb, 0.011);
  EXPECT_DOUBLE_EQ(s.prices.transfer_out_per_gb, 0.0);
  EXPECT_DOUBLE_EQ(s.prices.deep_archive_bulk_per_gb, store::PriceTable{}.deep_archive_bulk_per_gb);
}

TEST_F(PricesConfigTest, UnknownOrNegativePricesAreErrorsNamingTheKey) {
  Settings s;
  Status unknown = LoadConfigFile(Write("[prices]\nglacier_fast_per_gb = 1\n"), s);
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.kind(), ErrorKind::kInvalidArgument);
  EXPECT_THAT(unknown.message(), HasSubstr("unknown price \"glacier_fast_per_gb\""));
  EXPECT_THAT(unknown.message(), HasSubstr("line 2"));
  Status negative = LoadConfigFile(Write("[prices]\nget_per_1000 = -1\n"), s);
  ASSERT_FALSE(negative.ok());
  EXPECT_THAT(negative.message(), HasSubstr("prices.get_per_1000 must be a number"));
  Status text = LoadConfigFile(Write("[prices]\nget_per_1000 = \"cheap\"\n"), s);
  EXPECT_FALSE(text.ok());
  Status not_table = LoadConfigFile(Write("prices = 3\n"), s);
  ASSERT_FALSE(not_table.ok());
  EXPECT_THAT(not_table.message(), HasSubstr("must be a table"));
}

}  // namespace
}  // namespace s3m::cli
