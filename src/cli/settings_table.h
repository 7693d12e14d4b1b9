// The settings table: every setting's name, type, default, range and help,
// once. The TOML parser (config.cc), the global command-line flags (app.cc),
// `s3migrate settings` (the reference and the example config), the man page
// and docs/settings.md are all made from it, so none of them can drift.
//
// Defaults are the values of a default-constructed Settings (config.h): the
// table only says how to show them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "cli/config.h"
#include "core/status.h"

namespace s3m::cli {

enum class SettingType {
  kText,
  kChoice,    // one of `choices`
  kInteger,   // in [min, max]
  kSeconds,   // a number of seconds (fractions allowed), in [min, max]
  kBoolean,
  kBytes,     // 8388608, "8MiB", "1GB", in [min, max]
  kTextList,  // ["a", "b"]; a flag may be given several times
};

// Where a setting lives in Settings.
using SettingField =
    std::variant<std::string Settings::*, int Settings::*, double Settings::*, bool Settings::*,
                 uint64_t Settings::*, std::optional<uint64_t> Settings::*,
                 std::vector<std::string> Settings::*>;

struct SettingSpec {
  std::string_view key;  // TOML key
  SettingType type;
  SettingField field;
  std::string_view section;  // groups the reference and the example
  std::string_view help;
  std::string_view flag = {};  // global flag that overrides the file ("" for none)
  double min = 0, max = 0;     // kInteger, kSeconds, kBytes
  std::vector<std::string_view> choices = {};
  // Shown instead of the value when unset or 0 ("chosen for the machine").
  std::string_view unset_means = {};
  // For a setting without a default value: a value for the example config.
  std::string_view example = {};
};

const std::vector<SettingSpec>& SettingSpecs();
const SettingSpec* FindSetting(std::string_view key);

// Sets `spec` from text (a flag's value, or a TOML string for kBytes).
// kTextList appends. Errors are kInvalidArgument naming the setting.
Status SetSettingFromText(const SettingSpec& spec, std::string_view text, Settings& settings);
// Range and choices of the value `settings` holds (from any source).
Status CheckSetting(const SettingSpec& spec, const Settings& settings);
// The value as TOML would spell it ("8MiB", "\"Standard\"", "true", ...);
// nullopt when unset.
std::optional<std::string> SettingValueToml(const SettingSpec& spec, const Settings& settings);
// What an unset value means ("chosen for the machine"), or "none".
std::string_view UnsetText(const SettingSpec& spec);
// "integer 1..365000", "one of Expedited, Standard, Bulk", ...
std::string SettingTypeText(const SettingSpec& spec);

// The reference of every setting (man page, docs/settings.md).
std::string SettingsReferenceMarkdown();
// The example config file (data/s3migrate.toml): every setting with its
// default, commented out where it has none.
std::string ExampleConfigToml();

}  // namespace s3m::cli
