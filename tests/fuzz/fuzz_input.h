// Helpers shared by the libFuzzer targets: the input as text, split into
// fields, and a check that aborts with a message (libFuzzer then saves the
// input as a finding).
#pragma once

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

namespace s3m::fuzz {

inline std::string_view AsText(const uint8_t* data, size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

// The input cut at every `separator` (fields may be empty).
inline std::vector<std::string_view> Split(std::string_view text, char separator) {
  std::vector<std::string_view> out;
  size_t start = 0;
  for (size_t i = 0; i <= text.size(); ++i) {
    if (i == text.size() || text[i] == separator) {
      out.push_back(text.substr(start, i - start));
      start = i + 1;
    }
  }
  return out;
}

// A property the target checks: when it fails, the input is a finding.
inline void Check(bool ok, const char* property, std::string_view input) {
  if (ok) return;
  std::fprintf(stderr, "property broken: %s\ninput (%zu bytes): %.*s\n", property, input.size(),
               static_cast<int>(input.size() > 400 ? 400 : input.size()), input.data());
  std::abort();
}

}  // namespace s3m::fuzz
