// "name=value,name=value" lists, the form of the emulator's compound flags
// (--restore-delay, --fault, --synthetic).
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "s3emu/s3_error.h"

namespace s3emu {

// Splits "a=1,b=2" into {("a","1"), ("b","2")}; empty items are skipped, an
// item without '=' is a 400 InvalidArgument naming it.
inline ErrorOr<std::vector<std::pair<std::string, std::string>>> ParseNameValueList(std::string_view text) {
  std::vector<std::pair<std::string, std::string>> out;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t comma = text.find(',', pos);
    if (comma == std::string_view::npos) comma = text.size();
    const std::string_view item = text.substr(pos, comma - pos);
    pos = comma + 1;
    if (item.empty()) continue;
    const size_t eq = item.find('=');
    if (eq == std::string_view::npos) {
      // Appended, not "..." + std::string(...): GCC 12 -O3 misreads that (-Wrestrict).
      std::string message = "\"";
      message.append(item).append("\" is not NAME=VALUE");
      return InvalidArgument(message);
    }
    out.emplace_back(std::string(item.substr(0, eq)), std::string(item.substr(eq + 1)));
  }
  return out;
}

}  // namespace s3emu
