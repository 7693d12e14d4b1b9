#include "scan/filter.h"

#include <fnmatch.h>

#include <fmt/format.h>

namespace s3m::scan {

namespace {

bool Glob(const std::string& pattern, const std::string& text) {
  return ::fnmatch(pattern.c_str(), text.c_str(), 0) == 0;
}

}  // namespace

Result<ScanFilter> ScanFilter::Create(std::vector<std::string> include,
                                      std::vector<std::string> exclude) {
  ScanFilter filter;
  auto parse = [](const std::string& text, std::vector<Pattern>& out, const char* flag) -> Status {
    Pattern p;
    p.text = text;
    const size_t slash = text.find('/');
    p.has_key = slash != std::string::npos;
    p.bucket_glob = text.substr(0, slash);
    if (text.empty() || p.bucket_glob.empty()) {
      return Status::Error(ErrorKind::kInvalidArgument,
                           fmt::format("{} pattern \"{}\" has no bucket part; write BUCKET or "
                                       "BUCKET/KEY globs, e.g. 'logs-*' or '*/tmp/*'",
                                       flag, text));
    }
    out.push_back(std::move(p));
    return Status::Ok();
  };
  for (const auto& text : include) S3M_RETURN_IF_ERROR(parse(text, filter.include_, "--include"));
  for (const auto& text : exclude) S3M_RETURN_IF_ERROR(parse(text, filter.exclude_, "--exclude"));
  return filter;
}

bool ScanFilter::BucketPartMatches(const Pattern& p, const std::string& bucket) {
  return Glob(p.bucket_glob, bucket);
}

bool ScanFilter::PathMatches(const Pattern& p, const std::string& bucket, const std::string& key) {
  return Glob(p.text, bucket + "/" + key);
}

bool ScanFilter::BucketSelected(const std::string& bucket) const {
  for (const Pattern& p : exclude_) {
    if (!p.has_key && BucketPartMatches(p, bucket)) return false;
  }
  if (include_.empty()) return true;
  for (const Pattern& p : include_) {
    if (BucketPartMatches(p, bucket)) return true;
  }
  return false;
}

bool ScanFilter::KeySelected(const std::string& bucket, const std::string& key) const {
  for (const Pattern& p : exclude_) {
    if (p.has_key && PathMatches(p, bucket, key)) return false;
  }
  if (include_.empty()) return true;
  for (const Pattern& p : include_) {
    if (p.has_key ? PathMatches(p, bucket, key) : BucketPartMatches(p, bucket)) return true;
  }
  return false;
}

bool ScanFilter::FiltersKeys(const std::string& bucket) const {
  return !Describe(bucket).empty();
}

std::string ScanFilter::Describe(const std::string& bucket) const {
  bool whole_bucket_included = include_.empty();
  std::vector<std::string> parts;
  for (const Pattern& p : include_) {
    if (!BucketPartMatches(p, bucket)) continue;
    if (!p.has_key) whole_bucket_included = true;
  }
  if (!whole_bucket_included) {
    for (const Pattern& p : include_) {
      if (p.has_key && BucketPartMatches(p, bucket)) parts.push_back("include " + p.text);
    }
  }
  for (const Pattern& p : exclude_) {
    if (p.has_key && BucketPartMatches(p, bucket)) parts.push_back("exclude " + p.text);
  }
  std::string out;
  for (const auto& part : parts) {
    if (!out.empty()) out += ", ";
    out += part;
  }
  return out;
}

}  // namespace s3m::scan
