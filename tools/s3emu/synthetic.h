// Synthetic objects: content generated on the fly from (seed, key, size), so a
// benchmark bucket can hold a million objects without a byte on disk.
//
// Layout of an object of `size` bytes (B = kSyntheticBlock = 1 KiB):
//   [0, shared)      the shared stream of `seed`         shared = 0 when size < 2B,
//   [shared, size)   the object's own stream,                  else (size/B - 1) * B
//                    seeded by (seed, key)
// A stream is pseudo-random bytes addressable at any offset (splitmix64 of the
// 8-byte word index), so ranges and resumed reads cost nothing extra. Small
// objects are wholly their own; a large one shares all but its last 1-2 KiB
// with same-seed objects. That sharing is what makes ETags cheap: the MD5
// state after `shared` bytes of the shared stream is computed once per
// distinct `shared` and only each object's tail is hashed, so creating a
// million 16 KiB objects hashes ~1.5 GB instead of 16 GB.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "s3emu/s3_error.h"

namespace s3emu {

constexpr uint64_t kSyntheticBlock = 1024;

uint64_t SyntheticSharedLength(uint64_t size);
uint64_t SyntheticKeySeed(uint64_t seed, std::string_view key);
// Bytes [offset, offset + n) of the stream seeded by `stream_seed`.
void FillStream(uint64_t stream_seed, uint64_t offset, char* buf, size_t n);

// MD5 ETags (lowercase hex) of synthetic objects of one seed. Construct with
// every size that will be asked for; not thread-safe.
class SyntheticEtags {
 public:
  SyntheticEtags(uint64_t seed, std::vector<uint64_t> sizes);
  ~SyntheticEtags();
  SyntheticEtags(const SyntheticEtags&) = delete;
  SyntheticEtags& operator=(const SyntheticEtags&) = delete;
  std::string Etag(std::string_view key, uint64_t size);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// One set of synthetic objects to create, from the admin API or --synthetic.
//
//   {"bucket": "bench", "count": 1000000, "size": 16384,
//    "key_pattern": "obj/{i:08}", "seed": 7, "storage_class": "STANDARD"}
// or with a size distribution instead of "size" (weights are relative):
//   "sizes": [{"size": 16384, "weight": 9}, {"size": 67108864, "weight": 1}]
struct SyntheticSpec {
  std::string bucket;
  uint64_t count = 0;
  uint64_t start = 0;  // first {i}
  std::vector<std::pair<uint64_t, double>> sizes;  // (size, weight)
  std::string key_pattern = "obj-{i:08}";
  uint64_t seed = 1;
  std::string storage_class = "STANDARD";
  std::string archive_status;  // for INTELLIGENT_TIERING: ARCHIVE_ACCESS | DEEP_ARCHIVE_ACCESS
  bool create_bucket = true;
};

// Parses the JSON form above.
ErrorOr<SyntheticSpec> ParseSyntheticSpec(std::string_view json);
// Parses "bucket=b,count=N,size=S,key_pattern=P,seed=N,storage_class=C" (--synthetic).
ErrorOr<SyntheticSpec> ParseSyntheticFlag(std::string_view text);

// The key of object number i: "{i}" is replaced by i, "{i:0N}" by i padded
// with zeros to N digits.
std::string SyntheticKey(const std::string& pattern, uint64_t i);
// The size of object number i: drawn from the distribution with a generator
// seeded by (seed, i), so the same spec always yields the same objects.
uint64_t SyntheticSize(const SyntheticSpec& spec, uint64_t i);

}  // namespace s3emu
