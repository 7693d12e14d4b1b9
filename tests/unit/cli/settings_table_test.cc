// The settings table is the one source of the parser, the flags, the
// reference and the example config: these tests hold the generated files to
// it, and every setting to a round trip through each source.
#include "cli/settings_table.h"

#include <fstream>
#include <iterator>
#include <string>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "cli/config.h"

namespace s3m::cli {
namespace {

std::string ReadRepoFile(const std::string& relative) {
  std::ifstream in(std::string(S3M_TESTDATA) + "/../../" + relative);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

TEST(SettingsTableTest, TheReferenceAndTheExampleAreGeneratedFromTheTable) {
  EXPECT_EQ(ReadRepoFile("docs/settings.md"), SettingsReferenceMarkdown())
      << "regenerate: s3migrate settings --reference > docs/settings.md";
  EXPECT_EQ(ReadRepoFile("data/s3migrate.toml"), ExampleConfigToml())
      << "regenerate: s3migrate settings --example > data/s3migrate.toml";
}

TEST(SettingsTableTest, EverySettingHasAnEntryThatDescribesIt) {
  for (const SettingSpec& spec : SettingSpecs()) {
    SCOPED_TRACE(std::string(spec.key));
    EXPECT_FALSE(spec.help.empty());
    EXPECT_FALSE(spec.section.empty());
    EXPECT_EQ(FindSetting(spec.key), &spec);
    // The built-in default passes the table's own checks.
    EXPECT_TRUE(CheckSetting(spec, Settings{}).ok()) << CheckSetting(spec, Settings{}).ToString();
    // A setting without a default says what unset means, and shows an example.
    if (!SettingValueToml(spec, Settings{})) {
      EXPECT_FALSE(spec.unset_means.empty());
      EXPECT_FALSE(spec.example.empty());
    }
    if (spec.type == SettingType::kChoice) {
      EXPECT_GE(spec.choices.size(), 2u);
    }
  }
  EXPECT_EQ(FindSetting("no_such_setting"), nullptr);
}

// Each value goes through the TOML parser and comes back as the same TOML.
TEST(SettingsTableTest, EveryValueRoundTripsThroughTheConfigFile) {
  Settings written;
  for (const SettingSpec& spec : SettingSpecs()) {
    std::string text;
    switch (spec.type) {
      case SettingType::kText: text = "x/y"; break;
      case SettingType::kChoice: text = std::string(spec.choices.back()); break;
      case SettingType::kInteger: text = std::to_string(static_cast<int64_t>(spec.max)); break;
      case SettingType::kSeconds: text = fmt::format("{}", spec.min + 0.5); break;
      case SettingType::kBoolean: text = "true"; break;
      case SettingType::kBytes: text = "16MiB"; break;
      case SettingType::kTextList: text = "a*"; break;
    }
    ASSERT_TRUE(SetSettingFromText(spec, text, written).ok()) << spec.key;
    ASSERT_TRUE(CheckSetting(spec, written).ok()) << spec.key;
  }
  std::string toml;
  for (const SettingSpec& spec : SettingSpecs()) {
    toml += std::string(spec.key) + " = " + *SettingValueToml(spec, written) + "\n";
  }
  const std::string path = ::testing::TempDir() + "s3m_roundtrip.toml";
  std::ofstream(path) << toml;
  Settings read;
  Status loaded = LoadConfigFile(path, read);
  ASSERT_TRUE(loaded.ok()) << loaded.ToString() << "\n" << toml;
  for (const SettingSpec& spec : SettingSpecs()) {
    EXPECT_EQ(SettingValueToml(spec, read), SettingValueToml(spec, written)) << spec.key;
  }
  EXPECT_EQ(read.file_keys.size(), SettingSpecs().size());
}

TEST(SettingsTableTest, FlagValuesAreCheckedLikeFileValues) {
  struct Case {
    const char* key;
    const char* text;
    const char* error;  // nullptr: accepted
  };
  const Case cases[] = {
      {"concurrency", "8", nullptr},
      {"concurrency", "eight", "must be an integer"},
      {"concurrency", "4000", "out of range [0, 1024]"},
      {"concurrency", "2.5", "must be an integer"},
      {"log_level", "loud", "is not one of debug, info, warn, error, off"},
      {"download_chunk_size", "1KiB", "between 1MiB and 5GiB"},
      {"download_chunk_size", "lots", "byte count"},
      {"path_style", "yes", "true or false"},
      {"progress_update_interval", "0.01", "out of range [0.1, 3600]"},
      // Found by the settings fuzzer: the message printed a huge whole
      // number through an int64_t cast (undefined behaviour).
      {"progress_update_interval", "6666666666666666666666666666666666666666", "6.666666666666666e+39 is out of range"},
      {"stall_timeout", "-1e300", "-1e+300 is out of range [1, 3600]"},
      {"min_free_space", "5GiB", nullptr},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(std::string(c.key) + "=" + c.text);
    const SettingSpec* spec = FindSetting(c.key);
    ASSERT_NE(spec, nullptr);
    Settings s;
    Status st = SetSettingFromText(*spec, c.text, s);
    if (st.ok()) st = CheckSetting(*spec, s);
    if (c.error == nullptr) {
      EXPECT_TRUE(st.ok()) << st.ToString();
    } else {
      ASSERT_FALSE(st.ok());
      EXPECT_EQ(st.kind(), ErrorKind::kInvalidArgument);
      EXPECT_NE(st.message().find(c.error), std::string::npos) << st.message();
      EXPECT_NE(st.message().find(c.key), std::string::npos) << st.message();
    }
  }
}

}  // namespace
}  // namespace s3m::cli
