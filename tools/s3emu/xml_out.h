// Writing the bodies of S3 replies, and the text formats they carry.
//
// XmlWriter builds a document as a string in one pass (listings of 1000 keys
// are on the hot path of a scan, so no DOM). Text is escaped the way S3 does
// it: & < > " ' as entities and every C0 control character (CR, LF and TAB
// included) as a numeric reference &#xN;, so a key holding a CR survives an
// XML parser's line-end normalisation (S3 User Guide, "Object key naming
// guidelines", XML related object key constraints:
// https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-keys.html).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace s3emu {

std::string XmlEscape(std::string_view text);

class XmlWriter {
 public:
  // Starts the document: the XML declaration and the root element, with the
  // S3 namespace when `s3_namespace` is set.
  explicit XmlWriter(std::string_view root, bool s3_namespace = true);

  XmlWriter& Open(std::string_view name);
  XmlWriter& Close(std::string_view name);
  // <name>escaped text</name>
  XmlWriter& Element(std::string_view name, std::string_view text);
  XmlWriter& Element(std::string_view name, uint64_t value);
  XmlWriter& Bool(std::string_view name, bool value);
  // Closes the root and returns the document.
  std::string Finish();

 private:
  std::string root_;
  std::string out_;
};

// encoding-type=url for listing replies, as AWS writes it: the
// application/x-www-form-urlencoded form (space as '+', every byte outside
// A-Z a-z 0-9 - _ . * as %XX), with '/' kept when `keep_slash` (keys and
// prefixes; the delimiter itself is fully encoded). See ListObjectsV2,
// EncodingType: https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjectsV2.html
std::string ListingUrlEncode(std::string_view text, bool keep_slash);

// "Fri, 21 Dec 2012 00:00:00 GMT" (RFC 7231 IMF-fixdate), from Unix milliseconds.
std::string HttpDate(int64_t unix_ms);
// "2012-12-21T00:00:00.000Z", from Unix milliseconds.
std::string Iso8601(int64_t unix_ms);
int64_t NowMs();

}  // namespace s3emu
