// The live page's files, compiled into the binary (no CDN, no file to
// install): the HTML shell, its script and its style. The script fetches
// /api/status every 2 seconds and builds the page from it with DOM calls
// only (keys are hostile text: never innerHTML, except the SVG charts the
// server rendered and escaped).
#pragma once

#include <string_view>
#include <vector>

namespace s3m::watch {

struct PageAsset {
  std::string_view path;
  std::string_view content_type;
  std::string_view body;
};

const std::vector<PageAsset>& PageAssets();

// The style sheet alone (the report inlines it).
std::string_view PageStyle();

}  // namespace s3m::watch
