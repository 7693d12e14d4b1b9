// The S3 XML parsers (src/s3/xml.h) on arbitrary bytes: the first byte picks
// the parser, the rest is the document. Each must return a value or an error,
// never crash, hang or read out of bounds (ASan, UBSan); a listing that
// parses names no object twice per page position (a key is never empty
// unless the server sent an empty <Key>, which is refused).
#include <cstdint>

#include "fuzz_input.h"
#include "s3/xml.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string_view xml = s3m::fuzz::AsText(data + 1, size - 1);
  namespace s3 = s3m::s3;
  switch (data[0] % 10) {
    case 0: (void)s3::ParseListBucketsResult(xml); break;
    case 1: {
      auto page = s3::ParseListObjectsV2Result(xml);
      if (page.ok()) {
        for (const auto& object : page->objects) {
          s3m::fuzz::Check(!object.key.empty(), "a parsed listing entry has a key", xml);
        }
      }
      break;
    }
    case 2: (void)s3::ParseListObjectVersionsResult(xml); break;
    case 3: (void)s3::ParseDeleteObjectsResult(xml); break;
    case 4: (void)s3::ParseLocationConstraint(xml); break;
    case 5: (void)s3::ParseVersioningConfiguration(xml); break;
    case 6: (void)s3::ParseInitiateMultipartUploadResult(xml); break;
    case 7: (void)s3::ParseCompleteMultipartUploadResult(xml); break;
    case 8: (void)s3::ParseErrorDocument(xml); break;
    case 9: (void)s3::ParseRestoreHeader(xml); break;
  }
  return 0;
}
