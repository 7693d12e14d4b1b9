#include "cli/config.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

namespace s3m::cli {
namespace {

// "# key = value" or "# [table]": an example line of the shipped config.
bool IsCommentedExample(const std::string& line) {
  if (line.rfind("# [", 0) == 0) return true;
  if (line.rfind("# ", 0) != 0) return false;
  size_t i = 2;
  while (i < line.size() && ((line[i] >= 'a' && line[i] <= 'z') || line[i] == '_' ||
                             (line[i] >= '0' && line[i] <= '9'))) {
    ++i;
  }
  return i > 2 && line.compare(i, 3, " = ") == 0;
}

class ConfigFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char dir[] = "/tmp/s3m-config-XXXXXX";
    ASSERT_NE(mkdtemp(dir), nullptr);
    dir_ = dir;
  }
  void TearDown() override {
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }
  std::string Write(const std::string& text) {
    const std::string path = dir_ + "/s3migrate.toml";
    std::ofstream(path) << text;
    return path;
  }
  std::string dir_;
};

TEST_F(ConfigFileTest, DefaultsMatchTheProductSpec) {
  Settings s;
  EXPECT_EQ(s.local_base_path, "~/s3_backup");
  EXPECT_EQ(s.glacier_restore_days, 1);
  EXPECT_EQ(s.glacier_restore_tier, "Standard");
  EXPECT_EQ(s.restore_poll_interval, 60);
  EXPECT_EQ(s.progress_update_interval, 2);
  EXPECT_EQ(s.verification_method, "etag");
  EXPECT_EQ(s.max_glacier_restores, 100);
  EXPECT_EQ(s.download_chunk_size, 8u << 20);
  EXPECT_TRUE(s.delete_after_verify);
  EXPECT_EQ(s.state_db, "s3_migration_state.db");
}

// The example installed with the package (data/s3migrate.toml) must load, say
// the defaults, and stay valid with every commented-out example enabled.
TEST_F(ConfigFileTest, TheShippedExampleIsValidAndStatesTheDefaults) {
  const std::string example = std::string(S3M_TESTDATA) + "/../../data/s3migrate.toml";
  Settings loaded;
  Status status = LoadConfigFile(example, loaded);
  ASSERT_TRUE(status.ok()) << status.ToString();
  const Settings defaults;
  EXPECT_EQ(loaded.local_base_path, defaults.local_base_path);
  EXPECT_EQ(loaded.state_db, defaults.state_db);
  EXPECT_EQ(loaded.glacier_restore_days, defaults.glacier_restore_days);
  EXPECT_EQ(loaded.glacier_restore_tier, defaults.glacier_restore_tier);
  EXPECT_EQ(loaded.max_glacier_restores, defaults.max_glacier_restores);
  EXPECT_EQ(loaded.restore_poll_interval, defaults.restore_poll_interval);
  EXPECT_EQ(loaded.restore_requests_per_second, defaults.restore_requests_per_second);
  EXPECT_EQ(loaded.download_chunk_size, defaults.download_chunk_size);
  EXPECT_EQ(loaded.max_attempts, defaults.max_attempts);
  EXPECT_EQ(loaded.verification_method, defaults.verification_method);
  EXPECT_EQ(loaded.delete_after_verify, defaults.delete_after_verify);
  EXPECT_EQ(loaded.delete_size_only_verified, defaults.delete_size_only_verified);
  EXPECT_EQ(loaded.conditional_deletes, defaults.conditional_deletes);
  EXPECT_EQ(loaded.progress_update_interval, defaults.progress_update_interval);
  EXPECT_EQ(loaded.min_free_space, defaults.min_free_space);

  std::ifstream in(example);
  std::string line, enabled;
  while (std::getline(in, line)) {
    // "# key = value" and "# [table]" lines are examples; other comments are prose.
    const bool setting = IsCommentedExample(line);
    enabled += (setting ? line.substr(2) : line) + "\n";
  }
  Settings all;
  status = LoadConfigFile(Write(enabled), all);
  ASSERT_TRUE(status.ok()) << status.ToString() << "\n" << enabled;
  EXPECT_EQ(all.concurrency, 32);
  EXPECT_EQ(all.endpoint_url, "http://127.0.0.1:9000");
}

TEST_F(ConfigFileTest, ReadsEveryKey) {
  Settings s;
  ASSERT_TRUE(LoadConfigFile(Write(R"(
local_base_path = "/data/backup"
glacier_restore_days = 3
glacier_restore_tier = "Bulk"
restore_poll_interval = 120
progress_update_interval = 0.5
verification_method = "md5"
max_glacier_restores = 10
download_chunk_size = "16MiB"
concurrency = 32
delete_after_verify = false
state_db = "/data/state.db"
endpoint_url = "http://127.0.0.1:9000"
region = "eu-west-1"
profile = "prod"
path_style = true
log_level = "info"
include = ["photos*", "logs/2020/*"]
exclude = ["tmp-*"]
)"),
                             s)
                  .ok());
  EXPECT_EQ(s.local_base_path, "/data/backup");
  EXPECT_EQ(s.glacier_restore_days, 3);
  EXPECT_EQ(s.glacier_restore_tier, "Bulk");
  EXPECT_EQ(s.restore_poll_interval, 120);
  EXPECT_DOUBLE_EQ(s.progress_update_interval, 0.5);
  EXPECT_EQ(s.verification_method, "md5");
  EXPECT_EQ(s.max_glacier_restores, 10);
  EXPECT_EQ(s.download_chunk_size, 16u << 20);
  EXPECT_EQ(s.concurrency, 32);
  EXPECT_FALSE(s.delete_after_verify);
  EXPECT_EQ(s.state_db, "/data/state.db");
  EXPECT_EQ(s.endpoint_url, "http://127.0.0.1:9000");
  EXPECT_EQ(s.region, "eu-west-1");
  EXPECT_EQ(s.profile, "prod");
  EXPECT_TRUE(s.path_style);
  EXPECT_EQ(s.include, (std::vector<std::string>{"photos*", "logs/2020/*"}));
  EXPECT_EQ(s.exclude, (std::vector<std::string>{"tmp-*"}));
  EXPECT_TRUE(ValidateSettings(s).ok());
}

struct BadConfig {
  const char* toml;
  const char* expected_fragment;
};

class BadConfigTest : public ConfigFileTest, public ::testing::WithParamInterface<BadConfig> {};

TEST_P(BadConfigTest, IsRejectedWithFileAndCause) {
  Settings s;
  const std::string path = Write(GetParam().toml);
  Status st = LoadConfigFile(path, s);
  if (st.ok()) st = ValidateSettings(s);
  ASSERT_FALSE(st.ok()) << GetParam().toml;
  EXPECT_EQ(st.kind(), ErrorKind::kInvalidArgument);
  EXPECT_NE(st.ToString().find(GetParam().expected_fragment), std::string::npos) << st.ToString();
  EXPECT_NE(st.ToString().find(path), std::string::npos) << st.ToString();
}

INSTANTIATE_TEST_SUITE_P(
    Cases, BadConfigTest,
    ::testing::Values(BadConfig{"local_base_path = ", "line 1"},
                      BadConfig{"glacier_restore_dayz = 3", "unknown setting \"glacier_restore_dayz\""},
                      BadConfig{"glacier_restore_days = \"three\"", "must be an integer"},
                      BadConfig{"glacier_restore_days = 0", "out of range"},
                      BadConfig{"concurrency = 100000", "out of range"},
                      BadConfig{"delete_after_verify = \"yes\"", "must be true or false"},
                      BadConfig{"download_chunk_size = \"8 parsecs\"", "byte count"},
                      BadConfig{"download_chunk_size = 1024", "between 1MiB and 5GiB"},
                      BadConfig{"glacier_restore_tier = \"Fast\"", "not one of Expedited"},
                      BadConfig{"verification_method = \"sha\"", "not one of etag, md5"},
                      BadConfig{"include = \"photos\"", "list of strings"},
                      BadConfig{"include = [1, 2]", "list of strings"}));

TEST(ParseByteSizeTest, UnitsAndLimits) {
  EXPECT_EQ(ParseByteSize("1048576"), 1048576u);
  EXPECT_EQ(ParseByteSize("8MiB"), 8u << 20);
  EXPECT_EQ(ParseByteSize("8 MiB"), 8u << 20);
  EXPECT_EQ(ParseByteSize("8mb"), 8000000u);
  EXPECT_EQ(ParseByteSize("1G"), 1u << 30);
  EXPECT_EQ(ParseByteSize(""), std::nullopt);
  EXPECT_EQ(ParseByteSize("MiB"), std::nullopt);
  EXPECT_EQ(ParseByteSize("-5"), std::nullopt);
  EXPECT_EQ(ParseByteSize("99999999999999999999"), std::nullopt);
  EXPECT_EQ(ParseByteSize("99999999999999GiB"), std::nullopt);
}

TEST(ExpandUserTest, ExpandsOnlyALeadingTilde) {
  setenv("HOME", "/home/u", 1);
  EXPECT_EQ(ExpandUser("~/s3_backup"), "/home/u/s3_backup");
  EXPECT_EQ(ExpandUser("~"), "/home/u");
  EXPECT_EQ(ExpandUser("/x/~/y"), "/x/~/y");
  EXPECT_EQ(ExpandUser("~other/x"), "~other/x");
}

}  // namespace
}  // namespace s3m::cli
