#include "engine/object_metadata.h"

#include <nlohmann/json.hpp>

#include "core/text.h"

namespace s3m::engine {
namespace {

template <typename Pairs>
std::string JsonOf(const Pairs& values) {
  if (values.empty()) return "";
  nlohmann::ordered_json j = nlohmann::ordered_json::object();
  for (const auto& [name, value] : values) j[name] = value;
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace

KeptMetadata KeptFrom(const s3::ObjectMetadata& meta) {
  KeptMetadata kept;
  kept.etag = meta.etag;
  kept.version_id = meta.version_id;
  kept.storage_class = meta.storage_class;
  kept.content_type = meta.content_type;
  const std::pair<const char*, const std::string*> headers[] = {
      {"Content-Encoding", &meta.content_encoding}, {"Content-Language", &meta.content_language},
      {"Content-Disposition", &meta.content_disposition}, {"Cache-Control", &meta.cache_control},
      {"Expires", &meta.expires}};
  for (const auto& [name, value] : headers) {
    if (!value->empty()) kept.headers.emplace_back(name, *value);
  }
  kept.user = meta.user_metadata;
  kept.checksums = meta.checksums;
  kept.checksum_type = meta.checksum_type;
  kept.sse_type = meta.sse_customer_algorithm.empty() ? meta.server_side_encryption : "SSE-C";
  kept.tag_count = meta.tag_count;
  return kept;
}

std::string JsonObjectOf(const NamedValues& values) { return JsonOf(values); }
std::string JsonObjectOf(const std::map<std::string, std::string>& values) { return JsonOf(values); }

NamedValues ExtendedAttributes(const KeptMetadata& kept) {
  NamedValues out;
  auto add = [&out](std::string name, const std::string& value) {
    if (!value.empty()) out.emplace_back("user.s3." + std::move(name), value);
  };
  add("etag", kept.etag);
  add("version-id", kept.version_id == "null" ? std::string() : kept.version_id);
  add("storage-class", kept.storage_class);
  add("content-type", kept.content_type);
  for (const auto& [name, value] : kept.headers) add(AsciiLower(name), value);
  add("sse", kept.sse_type);
  for (const auto& [algorithm, value] : kept.checksums) add("checksum." + AsciiLower(algorithm), value);
  add("checksum-type", kept.checksum_type);
  // An empty user metadata value or tag value is still information.
  for (const auto& [name, value] : kept.user) out.emplace_back("user.s3.meta." + name, value);
  for (const auto& [key, value] : kept.tags) out.emplace_back("user.s3.tag." + key, value);
  return out;
}

}  // namespace s3m::engine
