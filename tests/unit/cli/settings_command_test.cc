#include "cli/settings_command.h"

#include <gtest/gtest.h>

namespace s3m::cli {
namespace {

// `s3migrate settings` shows a PostgreSQL --db without its password, in
// either place a URI can hold one.
TEST(SettingsCommandTest, APostgresPasswordIsNeverShown) {
  Settings settings;
  GlobalFlags flags;
  settings.state_db = "postgresql://u:topsecret@db/m?sslmode=require&password=other";
  const std::string text = EffectiveSettingsText(settings, flags, {});
  EXPECT_EQ(text.find("topsecret"), std::string::npos) << text;
  EXPECT_EQ(text.find("other"), std::string::npos) << text;
  EXPECT_NE(text.find("state_db = \"postgresql://u@db/m?sslmode=require\""), std::string::npos) << text;
}

}  // namespace
}  // namespace s3m::cli
