#include "cli/config.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <set>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <toml++/toml.h>

#include "core/text.h"

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
  while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i]))) ++i;
  uint64_t number = 0;
  size_t digits = 0;
  for (; i < text.size() && std::isdigit(static_cast<unsigned char>(text[i])); ++i, ++digits) {
    if (number > (UINT64_MAX - 9) / 10) return std::nullopt;
    number = number * 10 + static_cast<uint64_t>(text[i] - '0');
  }
  if (digits == 0) return std::nullopt;
  while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i]))) ++i;
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

Status LoadConfigFile(const std::string& path, Settings& settings) {
  toml::table table;
  try {
    table = toml::parse_file(path);
  } catch (const toml::parse_error& e) {
    return ConfigError(path, fmt::format("line {}, column {}: {}", e.source().begin.line,
                                         e.source().begin.column, e.description()));
  }

  static const std::set<std::string> kKnownKeys = {
      "local_base_path", "glacier_restore_days", "glacier_restore_tier", "restore_poll_interval",
      "progress_update_interval", "verification_method", "max_glacier_restores",
      "download_chunk_size", "concurrency", "delete_after_verify", "state_db", "endpoint_url",
      "region", "profile", "path_style", "log_level", "include", "exclude", "prices",
      "min_free_space", "max_attempts", "conditional_deletes", "delete_size_only_verified",
      "restore_requests_per_second"};
  for (const auto& [key, node] : table) {
    if (!kKnownKeys.count(std::string(key.str()))) {
      return ConfigError(path, fmt::format("{}unknown setting \"{}\" (known: {}; and the [prices] "
                                           "table)",
                                           Where(node), key.str(), fmt::join(kKnownKeys, ", ")));
    }
  }

  auto get_string = [&](const char* key, std::string& out) -> Status {
    const toml::node* node = table.get(key);
    if (node == nullptr) return Status::Ok();
    if (!node->is_string()) {
      return ConfigError(path, fmt::format("{}\"{}\" must be a string", Where(*node), key));
    }
    out = node->value<std::string>().value();
    return Status::Ok();
  };
  auto get_int = [&](const char* key, int& out, int64_t min, int64_t max) -> Status {
    const toml::node* node = table.get(key);
    if (node == nullptr) return Status::Ok();
    if (!node->is_integer()) {
      return ConfigError(path, fmt::format("{}\"{}\" must be an integer", Where(*node), key));
    }
    const int64_t v = node->value<int64_t>().value();
    if (v < min || v > max) {
      return ConfigError(path, fmt::format("{}\"{}\" = {} is out of range [{}, {}]", Where(*node),
                                           key, v, min, max));
    }
    out = static_cast<int>(v);
    return Status::Ok();
  };
  auto get_bool = [&](const char* key, bool& out) -> Status {
    const toml::node* node = table.get(key);
    if (node == nullptr) return Status::Ok();
    if (!node->is_boolean()) {
      return ConfigError(path, fmt::format("{}\"{}\" must be true or false", Where(*node), key));
    }
    out = node->value<bool>().value();
    return Status::Ok();
  };
  auto get_string_list = [&](const char* key, std::vector<std::string>& out) -> Status {
    const toml::node* node = table.get(key);
    if (node == nullptr) return Status::Ok();
    const toml::array* array = node->as_array();
    if (array == nullptr) {
      return ConfigError(path, fmt::format("{}\"{}\" must be a list of strings", Where(*node), key));
    }
    out.clear();
    for (const toml::node& item : *array) {
      if (!item.is_string()) {
        return ConfigError(path, fmt::format("{}\"{}\" must be a list of strings", Where(item), key));
      }
      out.push_back(item.value<std::string>().value());
    }
    return Status::Ok();
  };

  S3M_RETURN_IF_ERROR(get_string("local_base_path", settings.local_base_path));
  S3M_RETURN_IF_ERROR(get_int("glacier_restore_days", settings.glacier_restore_days, 1, 365000));
  S3M_RETURN_IF_ERROR(get_string("glacier_restore_tier", settings.glacier_restore_tier));
  S3M_RETURN_IF_ERROR(get_int("restore_poll_interval", settings.restore_poll_interval, 1, 86400));
  if (const toml::node* node = table.get("progress_update_interval")) {
    if (!node->is_number()) {
      return ConfigError(path, fmt::format("{}\"progress_update_interval\" must be a number of seconds",
                                           Where(*node)));
    }
    settings.progress_update_interval = node->value<double>().value();
  }
  S3M_RETURN_IF_ERROR(get_string("verification_method", settings.verification_method));
  S3M_RETURN_IF_ERROR(get_int("max_glacier_restores", settings.max_glacier_restores, 1, 1000000));
  auto get_bytes = [&](const char* key, uint64_t& out) -> Status {
    const toml::node* node = table.get(key);
    if (node == nullptr) return Status::Ok();
    std::optional<uint64_t> bytes;
    if (node->is_integer() && node->value<int64_t>().value() >= 0) {
      bytes = static_cast<uint64_t>(node->value<int64_t>().value());
    } else if (node->is_string()) {
      bytes = ParseByteSize(node->value<std::string>().value());
    }
    if (!bytes) {
      return ConfigError(path, fmt::format("{}\"{}\" must be a byte count such as 8388608 or "
                                           "\"8MiB\"",
                                           Where(*node), key));
    }
    out = *bytes;
    return Status::Ok();
  };
  S3M_RETURN_IF_ERROR(get_bytes("download_chunk_size", settings.download_chunk_size));
  if (table.get("min_free_space") != nullptr) {
    uint64_t reserve = 0;
    S3M_RETURN_IF_ERROR(get_bytes("min_free_space", reserve));
    settings.min_free_space = reserve;
  }
  S3M_RETURN_IF_ERROR(get_int("max_attempts", settings.max_attempts, 1, 1000));
  S3M_RETURN_IF_ERROR(get_string("conditional_deletes", settings.conditional_deletes));
  S3M_RETURN_IF_ERROR(get_bool("delete_size_only_verified", settings.delete_size_only_verified));
  S3M_RETURN_IF_ERROR(get_int("restore_requests_per_second", settings.restore_requests_per_second,
                              1, 10000));
  S3M_RETURN_IF_ERROR(get_int("concurrency", settings.concurrency, 1, 1024));
  S3M_RETURN_IF_ERROR(get_bool("delete_after_verify", settings.delete_after_verify));
  S3M_RETURN_IF_ERROR(get_string("state_db", settings.state_db));
  S3M_RETURN_IF_ERROR(get_string("endpoint_url", settings.endpoint_url));
  S3M_RETURN_IF_ERROR(get_string("region", settings.region));
  S3M_RETURN_IF_ERROR(get_string("profile", settings.profile));
  S3M_RETURN_IF_ERROR(get_bool("path_style", settings.path_style));
  S3M_RETURN_IF_ERROR(get_string("log_level", settings.log_level));
  S3M_RETURN_IF_ERROR(get_string_list("include", settings.include));
  S3M_RETURN_IF_ERROR(get_string_list("exclude", settings.exclude));
  S3M_RETURN_IF_ERROR(LoadPrices(path, table, settings.prices));
  settings.config_file = path;
  return Status::Ok();
}

Status ValidateSettings(Settings& settings) {
  auto invalid = [&](std::string message) {
    ErrorContext ctx;
    ctx.operation = "check settings";
    ctx.path = settings.config_file;
    return Status::Error(ErrorKind::kInvalidArgument, std::move(message), ctx);
  };
  const std::string& tier = settings.glacier_restore_tier;
  if (tier != "Expedited" && tier != "Standard" && tier != "Bulk") {
    return invalid(fmt::format("glacier_restore_tier \"{}\" is not one of Expedited, Standard, Bulk",
                               tier));
  }
  if (settings.verification_method != "etag" && settings.verification_method != "md5") {
    return invalid(fmt::format("verification_method \"{}\" is not one of etag, md5",
                               settings.verification_method));
  }
  if (!(settings.progress_update_interval >= 0.1 && settings.progress_update_interval <= 3600)) {
    return invalid(fmt::format("progress_update_interval {} must be between 0.1 and 3600 seconds",
                               settings.progress_update_interval));
  }
  // S3 multipart parts are at least 5 MiB (except the last); smaller ranged
  // GETs only add requests. 5 GiB is S3's largest part.
  if (settings.download_chunk_size < (1ull << 20) || settings.download_chunk_size > (5ull << 30)) {
    return invalid(fmt::format("download_chunk_size {} must be between 1 MiB and 5 GiB",
                               settings.download_chunk_size));
  }
  if (settings.concurrency < 0 || settings.concurrency > 1024) {
    return invalid(fmt::format("concurrency {} must be between 1 and 1024", settings.concurrency));
  }
  const std::string& conditional = settings.conditional_deletes;
  if (conditional != "auto" && conditional != "honoured" && conditional != "head-first") {
    return invalid(fmt::format("conditional_deletes \"{}\" is not one of auto, honoured, head-first",
                               conditional));
  }
  if (settings.local_base_path.empty()) return invalid("local_base_path must not be empty");
  if (settings.state_db.empty()) return invalid("state_db must not be empty");
  settings.local_base_path = ExpandUser(settings.local_base_path);
  settings.state_db = ExpandUser(settings.state_db);
  return Status::Ok();
}

}  // namespace s3m::cli
