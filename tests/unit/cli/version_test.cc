#include "cli/version.h"

#include <sqlite3.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace s3m::cli {
namespace {

using ::testing::HasSubstr;
using ::testing::MatchesRegex;

TEST(VersionTest, NamesVersionCommitBuildAndLibraries) {
  const std::string text = VersionText();
  EXPECT_THAT(text, MatchesRegex("s3migrate [0-9]+\\.[0-9]+\\.[0-9]+ \\(commit ([0-9a-f]{12}|unknown), "
                                 "[A-Za-z]* ?build, (GCC|clang) [0-9.]+\\)\nlibraries: .*"));
  // Read at run time from the library itself.
  EXPECT_THAT(text, HasSubstr(std::string("SQLite ") + sqlite3_libversion()));
  for (const char* lib : {"libcurl ", "OpenSSL", "utf8proc ", "ISA-L ", "pugixml ", "toml++ ",
                          "fmt ", "CLI11 "}) {
    EXPECT_THAT(text, HasSubstr(lib));
  }
}

}  // namespace
}  // namespace s3m::cli
