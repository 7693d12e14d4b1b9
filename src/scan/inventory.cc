#include "scan/inventory.h"

#include <charconv>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/text.h"
#include "s3/uri.h"

namespace s3m::scan {

namespace {

Status Invalid(std::string message) {
  return Status::Error(ErrorKind::kInvalidArgument, std::move(message));
}

std::string Trimmed(std::string_view s) { return std::string(TrimAsciiSpace(s)); }

}  // namespace

Result<InventoryManifest> ParseInventoryManifest(std::string_view text) {
  const nlohmann::json j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return Invalid("the inventory manifest is not a JSON object");
  auto field = [&](const char* name) -> std::string {
    const auto it = j.find(name);
    return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  InventoryManifest m;
  m.source_bucket = field("sourceBucket");
  const std::string destination = field("destinationBucket");
  m.destination_bucket = destination.substr(destination.rfind(':') == std::string::npos ? 0 : destination.rfind(':') + 1);
  m.file_format = field("fileFormat");
  m.creation_timestamp = field("creationTimestamp");
  const std::string schema = field("fileSchema");
  if (m.source_bucket.empty()) return Invalid("the inventory manifest names no sourceBucket");
  if (m.file_format != "CSV") {
    return Invalid(fmt::format("the inventory is in {} format; s3migrate reads CSV inventories (choose "
                               "CSV in the inventory configuration)",
                               m.file_format.empty() ? "an unknown" : m.file_format));
  }
  for (size_t start = 0; start <= schema.size();) {
    const size_t comma = schema.find(',', start);
    const size_t end = comma == std::string::npos ? schema.size() : comma;
    m.columns.push_back(Trimmed(std::string_view(schema).substr(start, end - start)));
    start = end + 1;
  }
  const auto files = j.find("files");
  if (files == j.end() || !files->is_array()) return Invalid("the inventory manifest lists no files");
  for (const auto& f : *files) {
    InventoryFile file;
    if (!f.is_object() || !f.contains("key") || !f["key"].is_string() || !f.contains("MD5checksum") ||
        !f["MD5checksum"].is_string()) {
      return Invalid("an entry of the inventory manifest's files has no key or MD5checksum");
    }
    file.key = f["key"].get<std::string>();
    file.md5_hex = AsciiLower(f["MD5checksum"].get<std::string>());
    file.size = f.contains("size") && f["size"].is_number_integer() ? f["size"].get<int64_t>() : -1;
    m.files.push_back(std::move(file));
  }
  return m;
}

Result<std::pair<std::string, std::string>> ParseS3Url(std::string_view url) {
  constexpr std::string_view kScheme = "s3://";
  if (url.substr(0, kScheme.size()) != kScheme) {
    return Invalid(fmt::format("'{}' is not an s3://bucket/key address", url));
  }
  const std::string_view rest = url.substr(kScheme.size());
  const size_t slash = rest.find('/');
  if (slash == 0 || slash == std::string_view::npos || slash + 1 == rest.size()) {
    return Invalid(fmt::format("'{}' is not an s3://bucket/key address", url));
  }
  return std::make_pair(std::string(rest.substr(0, slash)), std::string(rest.substr(slash + 1)));
}

Result<std::vector<std::string>> SplitCsvLine(std::string_view line) {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  std::vector<std::string> fields;
  size_t i = 0;
  for (;;) {
    std::string field;
    if (i < line.size() && line[i] == '"') {
      for (++i;; ++i) {
        if (i >= line.size()) return Invalid("an unterminated quoted field");
        if (line[i] == '"') {
          if (i + 1 < line.size() && line[i + 1] == '"') {
            field += '"';
            ++i;
          } else {
            ++i;
            break;
          }
        } else {
          field += line[i];
        }
      }
      if (i < line.size() && line[i] != ',') return Invalid("text after a quoted field");
    } else {
      const size_t comma = line.find(',', i);
      const size_t end = comma == std::string_view::npos ? line.size() : comma;
      field = std::string(line.substr(i, end - i));
      i = end;
    }
    fields.push_back(std::move(field));
    if (i >= line.size()) break;
    ++i;  // the comma
  }
  return fields;
}

Result<InventorySchema> InventorySchema::From(const std::vector<std::string>& columns) {
  InventorySchema s;
  s.columns_ = static_cast<int>(columns.size());
  for (int i = 0; i < s.columns_; ++i) {
    const std::string& c = columns[static_cast<size_t>(i)];
    if (c == "Bucket") s.bucket_ = i;
    if (c == "Key") s.key_ = i;
    if (c == "Size") s.size_ = i;
    if (c == "ETag") s.etag_ = i;
    if (c == "LastModifiedDate") s.last_modified_ = i;
    if (c == "StorageClass") s.storage_class_ = i;
    if (c == "VersionId") s.version_id_ = i;
    if (c == "IsLatest") s.is_latest_ = i;
    if (c == "IsDeleteMarker") s.delete_marker_ = i;
    if (c == "ChecksumAlgorithm") s.checksum_ = i;
  }
  for (auto [index, name] : {std::pair{s.bucket_, "Bucket"}, {s.key_, "Key"}, {s.size_, "Size"}}) {
    if (index < 0) {
      return Invalid(fmt::format("the inventory's fileSchema has no {} column; s3migrate needs Bucket, "
                                 "Key and Size (and reads ETag, LastModifiedDate, StorageClass, "
                                 "VersionId, IsLatest, IsDeleteMarker, ChecksumAlgorithm)",
                                 name));
    }
  }
  return s;
}

Result<InventoryRow> InventorySchema::Row(const std::vector<std::string>& f) const {
  if (static_cast<int>(f.size()) != columns_) {
    return Invalid(fmt::format("a row has {} fields; the fileSchema names {}", f.size(), columns_));
  }
  auto at = [&](int index) -> const std::string& {
    static const std::string kEmpty;
    return index < 0 ? kEmpty : f[static_cast<size_t>(index)];
  };
  InventoryRow row;
  row.bucket = at(bucket_);
  row.is_latest = is_latest_ < 0 || at(is_latest_) == "true";
  row.delete_marker = at(delete_marker_) == "true";
  store::ListedObject& o = row.object;
  if (!s3::UriDecode(at(key_), &o.key, /*plus_as_space=*/true)) {
    return Invalid(fmt::format("a key that does not URL-decode: {}", at(key_)));
  }
  o.version_id = at(version_id_);  // "null" kept, as ListObjectVersions reports it
  const std::string& size = at(size_);
  if (!row.delete_marker) {
    auto [end, ec] = std::from_chars(size.data(), size.data() + size.size(), o.size);
    if (ec != std::errc() || end != size.data() + size.size()) {
      return Invalid(fmt::format("the size of {} is not a number: '{}'", o.key, size));
    }
  }
  o.etag = at(etag_);
  o.last_modified = at(last_modified_);
  if (!at(storage_class_).empty()) o.storage_class = at(storage_class_);
  o.checksum_algorithm = at(checksum_);
  return row;
}

}  // namespace s3m::scan
