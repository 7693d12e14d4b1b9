// --include / --exclude patterns (and the `include`/`exclude` settings).
//
// A pattern without "/" matches bucket names; a pattern with "/" matches
// "bucket/key" paths, its part before the first "/" selecting buckets.
// Globs are fnmatch(3) without FNM_PATHNAME: "*" also matches "/", so
// "photos/2020/*" takes every key under 2020/, however deep.
//
//   include none ..................... every bucket, every key
//   --include 'logs-*' ............... buckets logs-*, all their keys
//   --include 'photos/2020/*' ........ bucket photos, keys under 2020/ only
//   --exclude 'tmp' .................. skip bucket tmp entirely
//   --exclude '*/cache/*' ............ in every bucket, skip keys under cache/
//
// A key is taken when its bucket is selected, an include admits it (or there
// are none) and no exclude matches it.
#pragma once

#include <string>
#include <vector>

#include "core/status.h"

namespace s3m::scan {

class ScanFilter {
 public:
  ScanFilter() = default;  // takes everything
  // kInvalidArgument for an empty pattern or one with an empty bucket part.
  static Result<ScanFilter> Create(std::vector<std::string> include, std::vector<std::string> exclude);

  bool BucketSelected(const std::string& bucket) const;
  bool KeySelected(const std::string& bucket, const std::string& key) const;
  // True when not every key of the bucket is taken: such a listing cannot
  // tell "removed from S3" from "filtered out", so rescan does not mark
  // unlisted objects gone.
  bool FiltersKeys(const std::string& bucket) const;
  // The patterns that shape this bucket's listing, recorded with it so a
  // resumed listing uses the same ones ("" when every key is taken).
  std::string Describe(const std::string& bucket) const;

 private:
  struct Pattern {
    std::string text;
    std::string bucket_glob;  // part before the first "/", or the whole bucket pattern
    bool has_key = false;     // a "bucket/key" pattern
  };
  static bool BucketPartMatches(const Pattern& p, const std::string& bucket);
  static bool PathMatches(const Pattern& p, const std::string& bucket, const std::string& key);

  std::vector<Pattern> include_;
  std::vector<Pattern> exclude_;
};

}  // namespace s3m::scan
