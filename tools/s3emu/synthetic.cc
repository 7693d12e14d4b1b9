#include "s3emu/synthetic.h"

#include <openssl/evp.h>

#include <algorithm>
#include <cstring>
#include <map>

#include <nlohmann/json.hpp>

#include "core/hash.h"
#include "s3emu/archive.h"
#include "s3emu/name_value.h"

namespace s3emu {
namespace {

uint64_t SplitMix64(uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

uint64_t Fnv1a64(std::string_view text) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (char c : text) {
    h ^= static_cast<unsigned char>(c);
    h *= 0x100000001b3ull;
  }
  return h;
}

struct MdCtxDeleter {
  void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
};
using MdCtx = std::unique_ptr<EVP_MD_CTX, MdCtxDeleter>;

MdCtx NewMd5() {
  MdCtx ctx(EVP_MD_CTX_new());
  EVP_DigestInit_ex(ctx.get(), EVP_md5(), nullptr);
  return ctx;
}

// Feeds bytes [from, to) of a stream to `ctx`.
void HashStream(EVP_MD_CTX* ctx, uint64_t stream_seed, uint64_t from, uint64_t to) {
  char buf[64 * 1024];
  while (from < to) {
    const size_t n = static_cast<size_t>(std::min<uint64_t>(sizeof(buf), to - from));
    FillStream(stream_seed, from, buf, n);
    EVP_DigestUpdate(ctx, buf, n);
    from += n;
  }
}

}  // namespace

uint64_t SyntheticSharedLength(uint64_t size) {
  if (size < 2 * kSyntheticBlock) return 0;
  return (size / kSyntheticBlock - 1) * kSyntheticBlock;
}

uint64_t SyntheticKeySeed(uint64_t seed, std::string_view key) {
  return SplitMix64(seed ^ Fnv1a64(key));
}

void FillStream(uint64_t stream_seed, uint64_t offset, char* buf, size_t n) {
  uint64_t word_index = offset / 8;
  size_t skip = static_cast<size_t>(offset % 8);
  while (n > 0) {
    const uint64_t word = SplitMix64(stream_seed + word_index * 0xD1B54A32D192ED03ull);
    unsigned char bytes[8];
    for (int b = 0; b < 8; ++b) bytes[b] = static_cast<unsigned char>(word >> (8 * b));
    const size_t take = std::min<size_t>(8 - skip, n);
    std::memcpy(buf, bytes + skip, take);
    buf += take;
    n -= take;
    skip = 0;
    ++word_index;
  }
}

struct SyntheticEtags::Impl {
  uint64_t seed;
  std::map<uint64_t, MdCtx> states;  // shared length -> MD5 state after it
};

SyntheticEtags::SyntheticEtags(uint64_t seed, std::vector<uint64_t> sizes) : impl_(new Impl) {
  impl_->seed = seed;
  std::vector<uint64_t> shared;
  for (uint64_t size : sizes) shared.push_back(SyntheticSharedLength(size));
  std::sort(shared.begin(), shared.end());
  shared.erase(std::unique(shared.begin(), shared.end()), shared.end());
  // One pass over the shared stream, snapshotting the MD5 state at each
  // needed length.
  MdCtx running = NewMd5();
  uint64_t at = 0;
  for (uint64_t length : shared) {
    HashStream(running.get(), seed, at, length);
    at = length;
    MdCtx snapshot(EVP_MD_CTX_new());
    EVP_MD_CTX_copy_ex(snapshot.get(), running.get());
    impl_->states.emplace(length, std::move(snapshot));
  }
}

SyntheticEtags::~SyntheticEtags() = default;

std::string SyntheticEtags::Etag(std::string_view key, uint64_t size) {
  const uint64_t shared = SyntheticSharedLength(size);
  MdCtx ctx(EVP_MD_CTX_new());
  auto it = impl_->states.find(shared);
  if (it != impl_->states.end()) {
    EVP_MD_CTX_copy_ex(ctx.get(), it->second.get());
  } else {  // a size not announced: hash the shared part now
    EVP_DigestInit_ex(ctx.get(), EVP_md5(), nullptr);
    HashStream(ctx.get(), impl_->seed, 0, shared);
  }
  HashStream(ctx.get(), SyntheticKeySeed(impl_->seed, key), 0, size - shared);
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_DigestFinal_ex(ctx.get(), digest, &length);
  return s3m::HexEncode(std::string_view(reinterpret_cast<const char*>(digest), length));
}

std::string SyntheticKey(const std::string& pattern, uint64_t i) {
  std::string out;
  size_t pos = 0;
  while (pos < pattern.size()) {
    const size_t open = pattern.find("{i", pos);
    if (open == std::string::npos) break;
    const size_t close = pattern.find('}', open);
    if (close == std::string::npos) break;
    out.append(pattern, pos, open - pos);
    std::string number = std::to_string(i);
    const std::string spec = pattern.substr(open + 2, close - open - 2);  // "" or ":08"
    if (spec.size() > 1 && spec[0] == ':') {
      const size_t width = static_cast<size_t>(std::strtoul(spec.c_str() + 1, nullptr, 10));
      if (number.size() < width) number.insert(0, width - number.size(), '0');
    }
    out += number;
    pos = close + 1;
  }
  out.append(pattern, pos, std::string::npos);
  return out;
}

uint64_t SyntheticSize(const SyntheticSpec& spec, uint64_t i) {
  if (spec.sizes.size() == 1) return spec.sizes[0].first;
  double total = 0;
  for (const auto& [size, weight] : spec.sizes) total += weight;
  const double draw = static_cast<double>(SplitMix64(spec.seed * 31 + i) >> 11) * 0x1.0p-53 * total;
  double acc = 0;
  for (const auto& [size, weight] : spec.sizes) {
    acc += weight;
    if (draw < acc) return size;
  }
  return spec.sizes.back().first;
}

namespace {
ErrorOr<Done> ValidateSpec(SyntheticSpec& spec) {
  if (spec.bucket.empty()) return InvalidArgument("synthetic objects need a bucket");
  if (spec.sizes.empty()) return InvalidArgument("synthetic objects need a size or sizes");
  for (const auto& [size, weight] : spec.sizes) {
    if (weight <= 0) return InvalidArgument("size weights must be positive");
    (void)size;
  }
  if (spec.key_pattern.find("{i") == std::string::npos && spec.count > 1) {
    return InvalidArgument("key_pattern must contain {i} when count > 1");
  }
  if (!IsValidStorageClass(spec.storage_class)) {
    return InvalidArgument("unknown storage class " + spec.storage_class);
  }
  if (!spec.archive_status.empty() &&
      (spec.storage_class != "INTELLIGENT_TIERING" ||
       (spec.archive_status != "ARCHIVE_ACCESS" && spec.archive_status != "DEEP_ARCHIVE_ACCESS"))) {
    return InvalidArgument(
        "archive_status must be ARCHIVE_ACCESS or DEEP_ARCHIVE_ACCESS, with INTELLIGENT_TIERING");
  }
  return Done{};
}
}  // namespace

ErrorOr<SyntheticSpec> ParseSyntheticSpec(std::string_view json) {
  SyntheticSpec spec;
  try {
    const auto j = nlohmann::json::parse(json);
    spec.bucket = j.value("bucket", "");
    spec.count = j.value("count", uint64_t{0});
    spec.start = j.value("start", uint64_t{0});
    spec.key_pattern = j.value("key_pattern", spec.key_pattern);
    spec.seed = j.value("seed", spec.seed);
    spec.storage_class = j.value("storage_class", spec.storage_class);
    spec.archive_status = j.value("archive_status", "");
    spec.create_bucket = j.value("create_bucket", true);
    if (j.contains("size")) spec.sizes.emplace_back(j.at("size").get<uint64_t>(), 1.0);
    if (j.contains("sizes")) {
      for (const auto& entry : j.at("sizes")) {
        spec.sizes.emplace_back(entry.at("size").get<uint64_t>(), entry.value("weight", 1.0));
      }
    }
  } catch (const std::exception& e) {
    return InvalidArgument(std::string("bad synthetic spec: ") + e.what());
  }
  auto valid = ValidateSpec(spec);
  if (!valid.ok()) return valid.error();
  return spec;
}

ErrorOr<SyntheticSpec> ParseSyntheticFlag(std::string_view text) {
  auto items = ParseNameValueList(text);
  if (!items.ok()) return items.error();
  SyntheticSpec spec;
  for (const auto& [name, value] : items.value()) {
    const uint64_t number = std::strtoull(value.c_str(), nullptr, 10);
    if (name == "bucket") spec.bucket = value;
    else if (name == "count") spec.count = number;
    else if (name == "start") spec.start = number;
    else if (name == "size") spec.sizes.emplace_back(number, 1.0);
    else if (name == "key_pattern") spec.key_pattern = value;
    else if (name == "seed") spec.seed = number;
    else if (name == "storage_class") spec.storage_class = value;
    else if (name == "archive_status") spec.archive_status = value;
    else return InvalidArgument("unknown synthetic field \"" + name + "\"");
  }
  auto valid = ValidateSpec(spec);
  if (!valid.ok()) return valid.error();
  return spec;
}

}  // namespace s3emu
