// The TOML settings loader (src/cli/config.h) on arbitrary text: it returns
// settings or an error naming the cause, never crashes; settings it accepts
// pass the settings table's own checks (ranges and choices), so nothing out
// of range can reach the engine.
#include <cstdint>

#include "cli/config.h"
#include "cli/settings_table.h"
#include "fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text = s3m::fuzz::AsText(data, size);
  s3m::cli::Settings settings;
  const s3m::Status loaded = s3m::cli::LoadConfigText(text, "fuzz.toml", settings);
  if (!loaded.ok()) {
    s3m::fuzz::Check(loaded.kind() == s3m::ErrorKind::kInvalidArgument,
                     "a bad config is an invalid-argument error", text);
    return 0;
  }
  for (const s3m::cli::SettingSpec& spec : s3m::cli::SettingSpecs()) {
    s3m::fuzz::Check(s3m::cli::CheckSetting(spec, settings).ok(),
                     "every loaded setting is within its range", text);
  }
  (void)s3m::cli::ValidateSettings(settings);
  return 0;
}
