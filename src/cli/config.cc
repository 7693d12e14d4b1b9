#include "cli/config.h"

#include <algorithm>
#include <cstdlib>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <toml++/toml.h>

#include "core/bandwidth_schedule.h"
#include "cli/settings_table.h"
#include "core/text.h"
#include "watch/status_server.h"

namespace s3m::cli {

namespace {

Status ConfigError(const std::string& path, std::string message) {
  ErrorContext ctx;
  ctx.operation = "read config";
  ctx.path = path;
  return Status::Error(ErrorKind::kInvalidArgument, std::move(message), ctx);
}

std::string Where(const toml::node& node) {
  const auto& src = node.source();
  return src.begin.line > 0 ? fmt::format("line {}: ", src.begin.line) : "";
}

// [prices]
// glacier_standard_per_gb = 0.0099    # USD; any key of store::PriceFields()
Status LoadPrices(const std::string& path, const toml::table& root, store::PriceTable& prices) {
  const toml::node* node = root.get("prices");
  if (node == nullptr) return Status::Ok();
  const toml::table* table = node->as_table();
  if (table == nullptr) {
    return ConfigError(path, fmt::format("{}\"prices\" must be a table: [prices]", Where(*node)));
  }
  for (const auto& [key, value] : *table) {
    const auto& fields = store::PriceFields();
    const std::string_view name = key.str();  // clang 14 cannot capture a structured binding
    auto field = std::find_if(fields.begin(), fields.end(),
                              [&](const store::PriceField& f) { return name == f.name; });
    if (field == fields.end()) {
      std::string known;
      for (const auto& f : fields) known += (known.empty() ? "" : ", ") + std::string(f.name);
      return ConfigError(path, fmt::format("{}unknown price \"{}\" in [prices] (known: {})",
                                           Where(value), key.str(), known));
    }
    const std::optional<double> number = value.value<double>();
    if (!value.is_number() || !number || *number < 0) {
      return ConfigError(path, fmt::format("{}prices.{} must be a number of US dollars, 0 or more",
                                           Where(value), key.str()));
    }
    prices.*(field->member) = *number;
  }
  return Status::Ok();
}

}  // namespace

std::optional<uint64_t> ParseByteSize(std::string_view text) {
  size_t i = 0;
  while (i < text.size() && IsAsciiSpace(text[i])) ++i;
  uint64_t number = 0;
  size_t digits = 0;
  for (; i < text.size() && IsAsciiDigit(text[i]); ++i, ++digits) {
    if (number > (UINT64_MAX - 9) / 10) return std::nullopt;
    number = number * 10 + static_cast<uint64_t>(text[i] - '0');
  }
  if (digits == 0) return std::nullopt;
  while (i < text.size() && IsAsciiSpace(text[i])) ++i;
  std::string unit(text.substr(i));
  std::transform(unit.begin(), unit.end(), unit.begin(),
                 [](char c) { return AsciiToLower(c); });
  uint64_t multiplier = 0;
  if (unit.empty() || unit == "b") multiplier = 1;
  else if (unit == "k" || unit == "kib") multiplier = 1ull << 10;
  else if (unit == "kb") multiplier = 1000;
  else if (unit == "m" || unit == "mib") multiplier = 1ull << 20;
  else if (unit == "mb") multiplier = 1000 * 1000;
  else if (unit == "g" || unit == "gib") multiplier = 1ull << 30;
  else if (unit == "gb") multiplier = 1000ull * 1000 * 1000;
  else return std::nullopt;
  if (number > UINT64_MAX / multiplier) return std::nullopt;
  return number * multiplier;
}

std::string ExpandUser(const std::string& path) {
  if (path == "~" || path.rfind("~/", 0) == 0) {
    const char* home = std::getenv("HOME");
    if (home != nullptr && *home != '\0') return std::string(home) + path.substr(1);
  }
  return path;
}

namespace {

// One setting's TOML value, by the table's type; ranges and choices are
// checked as soon as it is set, with the line.
//   glacier_restore_days = 3        download_chunk_size = "8MiB"
//   include = ["photos*"]           delete_after_verify = false
Status ReadSetting(const std::string& path, const SettingSpec& spec, const toml::node& node,
                   Settings& settings) {
  auto must_be = [&](std::string_view what) {
    return ConfigError(path, fmt::format("{}\"{}\" must be {}", Where(node), spec.key, what));
  };
  Status set = Status::Ok();
  switch (spec.type) {
    case SettingType::kText:
    case SettingType::kChoice:
      if (!node.is_string()) return must_be("a string");
      set = SetSettingFromText(spec, *node.value<std::string>(), settings);
      break;
    case SettingType::kBoolean:
      if (!node.is_boolean()) return must_be("true or false");
      set = SetSettingFromText(spec, *node.value<bool>() ? "true" : "false", settings);
      break;
    case SettingType::kInteger:
      if (!node.is_integer()) return must_be("an integer");
      set = SetSettingFromText(spec, std::to_string(*node.value<int64_t>()), settings);
      break;
    case SettingType::kSeconds:
      if (!node.is_number()) return must_be("a number of seconds");
      set = SetSettingFromText(spec, fmt::format("{}", *node.value<double>()), settings);
      break;
    case SettingType::kBytes:
      if (node.is_integer() && *node.value<int64_t>() >= 0) {
        set = SetSettingFromText(spec, std::to_string(*node.value<int64_t>()), settings);
      } else if (node.is_string()) {
        set = SetSettingFromText(spec, *node.value<std::string>(), settings);
      } else {
        return must_be("a byte count such as 8388608 or \"8MiB\"");
      }
      break;
    case SettingType::kTextList: {
      const toml::array* array = node.as_array();
      if (array == nullptr) return must_be("a list of strings");
      (settings.*std::get<std::vector<std::string> Settings::*>(spec.field)).clear();
      for (const toml::node& item : *array) {
        if (!item.is_string()) return must_be("a list of strings");
        S3M_RETURN_IF_ERROR(SetSettingFromText(spec, *item.value<std::string>(), settings));
      }
      break;
    }
  }
  if (set.ok()) set = CheckSetting(spec, settings);
  if (!set.ok()) return ConfigError(path, fmt::format("{}{}", Where(node), set.message()));
  return Status::Ok();
}

Status ApplyConfigTable(const std::string& path, const toml::table& table, Settings& settings) {
  for (const auto& [key, node] : table) {
    const std::string_view name = key.str();
    if (name == "prices") continue;
    const SettingSpec* spec = FindSetting(name);
    if (spec == nullptr) {
      std::vector<std::string_view> known;
      for (const SettingSpec& s : SettingSpecs()) known.push_back(s.key);
      return ConfigError(path, fmt::format("{}unknown setting \"{}\" (known: {}; and the [prices] "
                                           "table)",
                                           Where(node), name, fmt::join(known, ", ")));
    }
    S3M_RETURN_IF_ERROR(ReadSetting(path, *spec, node, settings));
    settings.file_keys.emplace_back(name);
  }
  S3M_RETURN_IF_ERROR(LoadPrices(path, table, settings.prices));
  settings.config_file = path;
  return Status::Ok();
}

Status ParseError(const std::string& path, const toml::parse_error& e) {
  return ConfigError(path, fmt::format("line {}, column {}: {}", e.source().begin.line,
                                       e.source().begin.column, e.description()));
}

}  // namespace

Status LoadConfigFile(const std::string& path, Settings& settings) {
  toml::table table;
  try {
    table = toml::parse_file(path);
  } catch (const toml::parse_error& e) {
    return ParseError(path, e);
  }
  return ApplyConfigTable(path, table, settings);
}

Status LoadConfigText(std::string_view text, const std::string& path, Settings& settings) {
  toml::table table;
  try {
    table = toml::parse(text, path);
  } catch (const toml::parse_error& e) {
    return ParseError(path, e);
  }
  return ApplyConfigTable(path, table, settings);
}

Status ValidateSettings(Settings& settings) {
  auto invalid = [&](std::string message) {
    ErrorContext ctx;
    ctx.operation = "check settings";
    ctx.path = settings.config_file;
    return Status::Error(ErrorKind::kInvalidArgument, std::move(message), ctx);
  };
  // Values may come from flags as well as the file: each is checked again.
  for (const SettingSpec& spec : SettingSpecs()) {
    if (Status checked = CheckSetting(spec, settings); !checked.ok()) return invalid(checked.message());
  }
  if (settings.local_base_path.empty()) return invalid("local_base_path must not be empty");
  if (settings.state_db.empty()) return invalid("state_db must not be empty");
  if (!settings.http_listen.empty()) {
    if (auto address = watch::ParseListenAddress(settings.http_listen); !address.ok()) {
      return invalid("http_listen: " + address.status().message());
    }
  }
  if (auto bwlimit = BandwidthSchedule::Parse(settings.bwlimit); !bwlimit.ok()) {
    return invalid(bwlimit.status().message());
  }
  settings.http_token_file = ExpandUser(settings.http_token_file);
  settings.local_base_path = ExpandUser(settings.local_base_path);
  settings.state_db = ExpandUser(settings.state_db);
  return Status::Ok();
}

}  // namespace s3m::cli
