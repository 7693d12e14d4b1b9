#include "s3/xml.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdint>
#include <memory>
#include <system_error>
#include <utility>

#include <fmt/format.h>
#include <pugixml.hpp>

#include "core/text.h"
#include "s3/errors.h"
#include "s3/uri.h"

namespace s3m::s3 {
namespace {

constexpr std::string_view kS3Namespace = "http://s3.amazonaws.com/doc/2006-03-01/";
constexpr std::string_view kXmlDeclaration = R"(<?xml version="1.0" encoding="UTF-8"?>)";

// pugixml's defaults minus two: parse_eol would turn a CR inside a key into LF
// (a different key), and parse_escapes would silently keep an unknown entity
// as literal text and cut a value at &#0;. Entities are decoded by
// DecodeEntities below instead. parse_ws_pcdata_single keeps a key made only
// of spaces, which the default drops as formatting whitespace.
constexpr unsigned kParseFlags =
    pugi::parse_cdata | pugi::parse_wconv_attribute | pugi::parse_ws_pcdata_single;

// ---------------------------------------------------------------------------
// Small text helpers
// ---------------------------------------------------------------------------

constexpr auto IsDigit = IsAsciiDigit;
constexpr auto IsAlpha = IsAsciiAlpha;
constexpr auto ToLower = AsciiToLower;
constexpr auto ToUpper = AsciiToUpper;
constexpr auto Trim = TrimAsciiSpace;

// A value for an error message: quoted, at most 64 bytes, control and
// non-ASCII bytes shown as \xNN so a hostile key cannot garble a log line.
std::string Quote(std::string_view value) {
  constexpr size_t kMax = 64;
  std::string out = "\"";
  for (size_t i = 0; i < value.size() && i < kMax; ++i) {
    unsigned char c = static_cast<unsigned char>(value[i]);
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(static_cast<char>(c));
    } else if (c < 0x20 || c >= 0x7f) {
      out += fmt::format("\\x{:02X}", c);
    } else {
      out.push_back(static_cast<char>(c));
    }
  }
  out += value.size() > kMax ? "\"..." : "\"";
  return out;
}

std::string StripQuotes(std::string_view etag) {
  etag = Trim(etag);
  if (etag.size() >= 2 && etag.front() == '"' && etag.back() == '"') {
    etag = etag.substr(1, etag.size() - 2);
  }
  return std::string(etag);
}

void AppendUtf8(uint32_t cp, std::string* out) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

// Decodes the five predefined XML entities and numeric character references
// in character data. Control characters other than NUL are accepted as
// references although XML 1.0 forbids them: S3 writes keys holding them that
// way. A DTD cannot define more entities here (no expansion attacks).
bool DecodeEntities(std::string_view in, std::string* out, std::string* error) {
  out->reserve(out->size() + in.size());
  size_t i = 0;
  while (i < in.size()) {
    char c = in[i];
    if (c != '&') {
      out->push_back(c);
      ++i;
      continue;
    }
    size_t end = i + 1;
    while (end < in.size() && end - i <= 12 && in[end] != ';') ++end;
    if (end >= in.size() || in[end] != ';') {
      *error = fmt::format("a '&' that starts no entity near {}", Quote(in.substr(i, 12)));
      return false;
    }
    std::string_view ref = in.substr(i + 1, end - i - 1);
    if (ref == "amp") {
      out->push_back('&');
    } else if (ref == "lt") {
      out->push_back('<');
    } else if (ref == "gt") {
      out->push_back('>');
    } else if (ref == "quot") {
      out->push_back('"');
    } else if (ref == "apos") {
      out->push_back('\'');
    } else if (ref.size() >= 2 && ref[0] == '#') {
      const bool hex = ref[1] == 'x';
      std::string_view digits = ref.substr(hex ? 2 : 1);
      uint32_t cp = 0;
      const char* last = digits.data() + digits.size();
      auto [ptr, ec] = std::from_chars(digits.data(), last, cp, hex ? 16 : 10);
      const bool parsed = !digits.empty() && ec == std::errc() && ptr == last;
      if (!parsed || cp == 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
        *error = fmt::format("an invalid character reference &{};", ref);
        return false;
      }
      AppendUtf8(cp, out);
    } else {
      *error = fmt::format("an unknown entity &{};", ref);
      return false;
    }
    i = end + 1;
  }
  return true;
}

// ---------------------------------------------------------------------------
// Reading a parsed document
// ---------------------------------------------------------------------------

std::string_view LocalName(pugi::xml_node node) {
  std::string_view name = node.name();
  size_t colon = name.rfind(':');
  return colon == std::string_view::npos ? name : name.substr(colon + 1);
}

pugi::xml_node FirstChild(pugi::xml_node parent, std::string_view name) {
  for (pugi::xml_node child : parent.children()) {
    if (child.type() == pugi::node_element && LocalName(child) == name) return child;
  }
  return pugi::xml_node();
}

// `context_op` goes into the context; it is empty where the parser cannot
// know the operation, so the caller's WithContext() can fill it.
Status BadReply(std::string_view op, std::string_view context_op, std::string_view what) {
  ErrorContext ctx;
  ctx.operation = std::string(context_op);
  return Status::Error(ErrorKind::kTransient, fmt::format("malformed {} reply: {}", op, what),
                       std::move(ctx));
}

// Field accessors that turn every problem into a BadReply naming the
// operation, the element and where it sits ("<Size> of <Contents> #3").
class Reader {
 public:
  explicit Reader(std::string_view op, bool op_in_context = true)
      : op_(op), context_op_(op_in_context ? op : std::string_view()) {}

  std::string_view op() const { return op_; }
  Status Bad(std::string_view what) const { return BadReply(op_, context_op_, what); }

  // The character data of `node`, entities decoded; "" for a null node.
  Status NodeText(pugi::xml_node node, std::string_view where, std::string* out) const {
    out->clear();
    if (!node) return Status::Ok();
    for (pugi::xml_node child : node.children()) {
      switch (child.type()) {
        case pugi::node_pcdata: {
          std::string error;
          if (!DecodeEntities(child.value(), out, &error)) {
            return Bad(fmt::format("<{}>{} contains {}", LocalName(node), where, error));
          }
          break;
        }
        case pugi::node_cdata:
          out->append(child.value());
          break;
        case pugi::node_element:
          return Bad(fmt::format("<{}>{} holds an element <{}> where text was expected",
                                 LocalName(node), where, LocalName(child)));
        default:  // comments, processing instructions
          break;
      }
    }
    return Status::Ok();
  }

  // Text of the first child element `name`; "" when there is none.
  Status Text(pugi::xml_node parent, std::string_view name, std::string_view where,
              std::string* out, bool* present = nullptr) const {
    pugi::xml_node node = FirstChild(parent, name);
    if (present != nullptr) *present = static_cast<bool>(node);
    return NodeText(node, where, out);
  }

  // Like Text, but a missing or empty element is an error.
  Status RequiredText(pugi::xml_node parent, std::string_view name, std::string_view where,
                      std::string* out) const {
    bool present = false;
    S3M_RETURN_IF_ERROR(Text(parent, name, where, out, &present));
    if (!present) return Bad(fmt::format("<{}>{} is missing", name, where));
    if (out->empty()) return Bad(fmt::format("<{}>{} is empty", name, where));
    return Status::Ok();
  }

  Status Bool(pugi::xml_node parent, std::string_view name, std::string_view where, bool required,
              bool* out) const {
    std::string text;
    bool present = false;
    S3M_RETURN_IF_ERROR(Text(parent, name, where, &text, &present));
    if (!present) {
      if (required) return Bad(fmt::format("<{}>{} is missing", name, where));
      return Status::Ok();
    }
    std::string_view value = Trim(text);
    if (EqualsIgnoreCase(value, "true") || value == "1") {
      *out = true;
    } else if (EqualsIgnoreCase(value, "false") || value == "0") {
      *out = false;
    } else {
      return Bad(fmt::format("<{}>{} is not a boolean: {}", name, where, Quote(text)));
    }
    return Status::Ok();
  }

  Status Uint64(pugi::xml_node parent, std::string_view name, std::string_view where, bool required,
                uint64_t* out) const {
    std::string text;
    bool present = false;
    S3M_RETURN_IF_ERROR(Text(parent, name, where, &text, &present));
    if (!present) {
      if (required) return Bad(fmt::format("<{}>{} is missing", name, where));
      return Status::Ok();
    }
    std::string_view value = Trim(text);
    uint64_t number = 0;
    auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), number);
    if (value.empty() || ec != std::errc() || ptr != value.data() + value.size()) {
      return Bad(fmt::format("<{}>{} is not a non-negative integer: {}", name, where, Quote(text)));
    }
    *out = number;
    return Status::Ok();
  }

  // Percent-decodes `value` in place when the reply said EncodingType=url.
  // AWS encodes a space as '+' and a literal '+' as %2B, so '+' decodes to a
  // space; Swift's %20 decodes the same way.
  Status UrlDecode(bool encoded, std::string_view name, std::string_view where,
                   std::string* value) const {
    if (!encoded) return Status::Ok();
    std::string decoded;
    if (!UriDecode(*value, &decoded, /*plus_as_space=*/true)) {
      return Bad(fmt::format("<{}>{} has a bad %-escape although EncodingType is url: {}", name,
                             where, Quote(*value)));
    }
    *value = std::move(decoded);
    return Status::Ok();
  }

 private:
  std::string_view op_;
  std::string_view context_op_;
};

// Reads an <Error> element into `out`. <Code> is required.
Status ReadErrorDocument(const Reader& r, pugi::xml_node root, S3ErrorDocument* out) {
  S3M_RETURN_IF_ERROR(r.RequiredText(root, "Code", " in <Error>", &out->code));
  out->code = std::string(Trim(out->code));
  S3M_RETURN_IF_ERROR(r.Text(root, "Message", "", &out->message));
  S3M_RETURN_IF_ERROR(r.Text(root, "RequestId", "", &out->request_id));
  S3M_RETURN_IF_ERROR(r.Text(root, "HostId", "", &out->host_id));
  S3M_RETURN_IF_ERROR(r.Text(root, "Region", "", &out->region));
  S3M_RETURN_IF_ERROR(r.Text(root, "Endpoint", "", &out->endpoint));
  S3M_RETURN_IF_ERROR(r.Text(root, "BucketName", "", &out->bucket));
  if (out->bucket.empty()) S3M_RETURN_IF_ERROR(r.Text(root, "Bucket", "", &out->bucket));
  S3M_RETURN_IF_ERROR(r.Text(root, "Key", "", &out->key));
  out->region = std::string(Trim(out->region));
  out->endpoint = std::string(Trim(out->endpoint));
  return Status::Ok();
}

// The error an <Error> body stands for when a result was expected. Its kind
// comes from the one S3 classifier, as if S3 had sent the code with an error
// status; a code the classifier does not know on a 2xx is fatal there.
Status EmbeddedError(std::string_view op, const S3ErrorDocument& error) {
  ErrorContext ctx;
  ctx.operation = std::string(op);
  ctx.http_status = 200;
  ctx.s3_code = error.code;
  ctx.request_id = error.request_id;
  ErrorKind kind = ClassifyHttpError(200, error.code);
  if (kind == ErrorKind::kOk) kind = ErrorKind::kTransient;
  return Status::Error(kind,
                       fmt::format("the server answered {} with 200 OK and an error document: {}",
                                   op, error.message.empty() ? "(no message)" : error.message),
                       std::move(ctx));
}

// A parsed body whose root element was checked.
struct Document {
  std::unique_ptr<pugi::xml_document> doc;
  pugi::xml_node root;
};

Result<Document> LoadDocument(const Reader& r, std::string_view xml,
                              std::string_view expected_root) {
  if (xml.find('\0') != std::string_view::npos) {
    return r.Bad("the body contains a NUL byte");
  }
  Document d;
  d.doc = std::make_unique<pugi::xml_document>();
  pugi::xml_parse_result parsed =
      d.doc->load_buffer(xml.data(), xml.size(), kParseFlags, pugi::encoding_utf8);
  if (!parsed) {
    return r.Bad(fmt::format(
        "not well-formed XML ({} at byte {} of {}); a body cut short usually means the "
        "connection dropped",
        parsed.description(), parsed.offset, xml.size()));
  }
  int elements = 0;
  for (pugi::xml_node child : d.doc->children()) {
    if (child.type() == pugi::node_element) ++elements;
  }
  if (elements != 1) return r.Bad(fmt::format("{} root elements instead of one", elements));
  d.root = d.doc->document_element();
  std::string_view root_name = LocalName(d.root);
  if (root_name == expected_root) return d;
  if (root_name == "Error") {
    S3ErrorDocument error;
    S3M_RETURN_IF_ERROR(ReadErrorDocument(r, d.root, &error));
    return EmbeddedError(r.op(), error);
  }
  return r.Bad(fmt::format("expected <{}> as the root element, got <{}>", expected_root,
                           d.root.name()));
}

// <EncodingType>: "" (raw text) or "url". Anything else would leave keys in
// an encoding we cannot undo.
Status ReadEncodingType(const Reader& r, pugi::xml_node root, std::string* encoding_type,
                        bool* url_encoded) {
  std::string text;
  S3M_RETURN_IF_ERROR(r.Text(root, "EncodingType", "", &text));
  *encoding_type = std::string(Trim(text));
  *url_encoded = EqualsIgnoreCase(*encoding_type, "url");
  if (!encoding_type->empty() && !*url_encoded) {
    return r.Bad(fmt::format("unknown <EncodingType> {}", Quote(*encoding_type)));
  }
  return Status::Ok();
}

Status ReadRestoreStatus(const Reader& r, pugi::xml_node parent, std::string_view where,
                         std::optional<RestoreStatus>* out) {
  pugi::xml_node node = FirstChild(parent, "RestoreStatus");
  if (!node) return Status::Ok();
  RestoreStatus status;
  bool has_progress = static_cast<bool>(FirstChild(node, "IsRestoreInProgress"));
  S3M_RETURN_IF_ERROR(r.Bool(node, "IsRestoreInProgress", where, false, &status.in_progress));
  std::string expiry;
  S3M_RETURN_IF_ERROR(r.Text(node, "RestoreExpiryDate", where, &expiry));
  status.expiry_date = std::string(Trim(expiry));
  if (!status.expiry_date.empty()) {
    status.expiry = ParseIso8601(status.expiry_date);
    if (!status.expiry) {
      return r.Bad(fmt::format("<RestoreExpiryDate>{} is not an ISO 8601 date: {}", where,
                               Quote(status.expiry_date)));
    }
  }
  if (!has_progress && status.expiry_date.empty()) return Status::Ok();
  *out = std::move(status);
  return Status::Ok();
}

Status ReadChecksums(const Reader& r, pugi::xml_node parent, std::string_view where,
                     std::vector<std::string>* algorithms, std::string* type) {
  for (pugi::xml_node child : parent.children()) {
    if (child.type() != pugi::node_element || LocalName(child) != "ChecksumAlgorithm") continue;
    std::string algorithm;
    S3M_RETURN_IF_ERROR(r.NodeText(child, where, &algorithm));
    std::string_view trimmed = Trim(algorithm);
    if (!trimmed.empty()) algorithms->emplace_back(trimmed);
  }
  std::string checksum_type;
  S3M_RETURN_IF_ERROR(r.Text(parent, "ChecksumType", where, &checksum_type));
  *type = std::string(Trim(checksum_type));
  return Status::Ok();
}

std::string StorageClassOrStandard(std::string_view text) {
  std::string_view trimmed = Trim(text);
  return trimmed.empty() ? std::string("STANDARD") : std::string(trimmed);
}

Status ReadCommonPrefixes(const Reader& r, pugi::xml_node node, bool url, int index,
                          std::vector<std::string>* out) {
  std::string where = fmt::format(" of <CommonPrefixes> #{}", index);
  bool any = false;
  for (pugi::xml_node child : node.children()) {
    if (child.type() != pugi::node_element || LocalName(child) != "Prefix") continue;
    std::string prefix;
    S3M_RETURN_IF_ERROR(r.NodeText(child, where, &prefix));
    S3M_RETURN_IF_ERROR(r.UrlDecode(url, "Prefix", where, &prefix));
    out->push_back(std::move(prefix));
    any = true;
  }
  // A dropped prefix would hide every key under it from the scan.
  if (!any) return r.Bad(fmt::format("<Prefix>{} is missing", where));
  return Status::Ok();
}

}  // namespace

// ---------------------------------------------------------------------------
// Parsers
// ---------------------------------------------------------------------------

Result<std::vector<BucketSummary>> ParseListBucketsResult(std::string_view xml) {
  const Reader r("ListBuckets");
  S3M_ASSIGN_OR_RETURN(Document d, LoadDocument(r, xml, "ListAllMyBucketsResult"));
  std::vector<BucketSummary> buckets;
  pugi::xml_node list = FirstChild(d.root, "Buckets");
  int index = 0;
  for (pugi::xml_node node : list.children()) {
    if (node.type() != pugi::node_element || LocalName(node) != "Bucket") continue;
    ++index;
    std::string where = fmt::format(" of <Bucket> #{}", index);
    BucketSummary bucket;
    S3M_RETURN_IF_ERROR(r.RequiredText(node, "Name", where, &bucket.name));
    S3M_RETURN_IF_ERROR(r.Text(node, "CreationDate", where, &bucket.creation_date));
    S3M_RETURN_IF_ERROR(r.Text(node, "BucketRegion", where, &bucket.region));
    bucket.creation_date = std::string(Trim(bucket.creation_date));
    bucket.region = std::string(Trim(bucket.region));
    buckets.push_back(std::move(bucket));
  }
  return buckets;
}

Result<ListObjectsV2Page> ParseListObjectsV2Result(std::string_view xml) {
  const Reader r("ListObjectsV2");
  S3M_ASSIGN_OR_RETURN(Document d, LoadDocument(r, xml, "ListBucketResult"));
  ListObjectsV2Page page;
  bool url = false;
  S3M_RETURN_IF_ERROR(ReadEncodingType(r, d.root, &page.encoding_type, &url));
  S3M_RETURN_IF_ERROR(r.Bool(d.root, "IsTruncated", "", /*required=*/true, &page.is_truncated));
  S3M_RETURN_IF_ERROR(r.Text(d.root, "NextContinuationToken", "", &page.next_continuation_token));
  if (page.is_truncated && page.next_continuation_token.empty()) {
    return r.Bad("<IsTruncated> is true but <NextContinuationToken> is missing");
  }
  S3M_RETURN_IF_ERROR(r.Text(d.root, "Prefix", "", &page.prefix));
  S3M_RETURN_IF_ERROR(r.UrlDecode(url, "Prefix", "", &page.prefix));
  S3M_RETURN_IF_ERROR(r.Text(d.root, "Delimiter", "", &page.delimiter));
  S3M_RETURN_IF_ERROR(r.UrlDecode(url, "Delimiter", "", &page.delimiter));
  S3M_RETURN_IF_ERROR(r.Text(d.root, "StartAfter", "", &page.start_after));
  S3M_RETURN_IF_ERROR(r.UrlDecode(url, "StartAfter", "", &page.start_after));

  int contents = 0;
  int prefixes = 0;
  for (pugi::xml_node node : d.root.children()) {
    if (node.type() != pugi::node_element) continue;
    std::string_view name = LocalName(node);
    if (name == "CommonPrefixes") {
      S3M_RETURN_IF_ERROR(ReadCommonPrefixes(r, node, url, ++prefixes, &page.common_prefixes));
      continue;
    }
    if (name != "Contents") continue;
    ObjectSummary object;
    std::string where = fmt::format(" of <Contents> #{}", ++contents);
    S3M_RETURN_IF_ERROR(r.RequiredText(node, "Key", where, &object.key));
    S3M_RETURN_IF_ERROR(r.UrlDecode(url, "Key", where, &object.key));
    where = fmt::format(" of <Contents> #{} (key {})", contents, Quote(object.key));
    S3M_RETURN_IF_ERROR(r.Uint64(node, "Size", where, /*required=*/true, &object.size));
    std::string text;
    S3M_RETURN_IF_ERROR(r.Text(node, "LastModified", where, &text));
    object.last_modified = std::string(Trim(text));
    S3M_RETURN_IF_ERROR(r.Text(node, "ETag", where, &text));
    object.etag = StripQuotes(text);
    S3M_RETURN_IF_ERROR(r.Text(node, "StorageClass", where, &text));
    object.storage_class = StorageClassOrStandard(text);
    S3M_RETURN_IF_ERROR(
        ReadChecksums(r, node, where, &object.checksum_algorithms, &object.checksum_type));
    S3M_RETURN_IF_ERROR(ReadRestoreStatus(r, node, where, &object.restore_status));
    page.objects.push_back(std::move(object));
  }
  return page;
}

Result<ListObjectVersionsPage> ParseListObjectVersionsResult(std::string_view xml) {
  const Reader r("ListObjectVersions");
  S3M_ASSIGN_OR_RETURN(Document d, LoadDocument(r, xml, "ListVersionsResult"));
  ListObjectVersionsPage page;
  bool url = false;
  S3M_RETURN_IF_ERROR(ReadEncodingType(r, d.root, &page.encoding_type, &url));
  S3M_RETURN_IF_ERROR(r.Bool(d.root, "IsTruncated", "", /*required=*/true, &page.is_truncated));
  S3M_RETURN_IF_ERROR(r.Text(d.root, "NextKeyMarker", "", &page.next_key_marker));
  S3M_RETURN_IF_ERROR(r.UrlDecode(url, "NextKeyMarker", "", &page.next_key_marker));
  S3M_RETURN_IF_ERROR(r.Text(d.root, "NextVersionIdMarker", "", &page.next_version_id_marker));
  if (page.is_truncated && page.next_key_marker.empty()) {
    return r.Bad("<IsTruncated> is true but <NextKeyMarker> is missing");
  }
  S3M_RETURN_IF_ERROR(r.Text(d.root, "KeyMarker", "", &page.key_marker));
  S3M_RETURN_IF_ERROR(r.UrlDecode(url, "KeyMarker", "", &page.key_marker));
  S3M_RETURN_IF_ERROR(r.Text(d.root, "VersionIdMarker", "", &page.version_id_marker));
  S3M_RETURN_IF_ERROR(r.Text(d.root, "Prefix", "", &page.prefix));
  S3M_RETURN_IF_ERROR(r.UrlDecode(url, "Prefix", "", &page.prefix));
  S3M_RETURN_IF_ERROR(r.Text(d.root, "Delimiter", "", &page.delimiter));
  S3M_RETURN_IF_ERROR(r.UrlDecode(url, "Delimiter", "", &page.delimiter));

  int entries = 0;
  int prefixes = 0;
  for (pugi::xml_node node : d.root.children()) {
    if (node.type() != pugi::node_element) continue;
    std::string_view name = LocalName(node);
    if (name == "CommonPrefixes") {
      S3M_RETURN_IF_ERROR(ReadCommonPrefixes(r, node, url, ++prefixes, &page.common_prefixes));
      continue;
    }
    const bool is_marker = name == "DeleteMarker";
    if (!is_marker && name != "Version") continue;
    ObjectVersion version;
    version.is_delete_marker = is_marker;
    std::string where = fmt::format(" of <{}> (entry #{})", name, ++entries);
    S3M_RETURN_IF_ERROR(r.RequiredText(node, "Key", where, &version.key));
    S3M_RETURN_IF_ERROR(r.UrlDecode(url, "Key", where, &version.key));
    where = fmt::format(" of <{}> (entry #{}, key {})", name, entries, Quote(version.key));
    S3M_RETURN_IF_ERROR(r.RequiredText(node, "VersionId", where, &version.version_id));
    S3M_RETURN_IF_ERROR(r.Bool(node, "IsLatest", where, /*required=*/false, &version.is_latest));
    std::string text;
    S3M_RETURN_IF_ERROR(r.Text(node, "LastModified", where, &text));
    version.last_modified = std::string(Trim(text));
    if (!is_marker) {
      S3M_RETURN_IF_ERROR(r.Uint64(node, "Size", where, /*required=*/true, &version.size));
      S3M_RETURN_IF_ERROR(r.Text(node, "ETag", where, &text));
      version.etag = StripQuotes(text);
      S3M_RETURN_IF_ERROR(r.Text(node, "StorageClass", where, &text));
      version.storage_class = StorageClassOrStandard(text);
      S3M_RETURN_IF_ERROR(
          ReadChecksums(r, node, where, &version.checksum_algorithms, &version.checksum_type));
      S3M_RETURN_IF_ERROR(ReadRestoreStatus(r, node, where, &version.restore_status));
    }
    page.versions.push_back(std::move(version));
  }
  return page;
}

Result<DeleteObjectsResult> ParseDeleteObjectsResult(std::string_view xml) {
  const Reader r("DeleteObjects");
  S3M_ASSIGN_OR_RETURN(Document d, LoadDocument(r, xml, "DeleteResult"));
  DeleteObjectsResult result;
  int deleted = 0;
  int errors = 0;
  for (pugi::xml_node node : d.root.children()) {
    if (node.type() != pugi::node_element) continue;
    std::string_view name = LocalName(node);
    if (name == "Deleted") {
      DeletedEntry entry;
      std::string where = fmt::format(" of <Deleted> #{}", ++deleted);
      S3M_RETURN_IF_ERROR(r.RequiredText(node, "Key", where, &entry.key));
      S3M_RETURN_IF_ERROR(r.Text(node, "VersionId", where, &entry.version_id));
      S3M_RETURN_IF_ERROR(
          r.Bool(node, "DeleteMarker", where, /*required=*/false, &entry.delete_marker));
      S3M_RETURN_IF_ERROR(
          r.Text(node, "DeleteMarkerVersionId", where, &entry.delete_marker_version_id));
      result.deleted.push_back(std::move(entry));
    } else if (name == "Error") {
      DeleteErrorEntry entry;
      std::string where = fmt::format(" of <Error> #{}", ++errors);
      S3M_RETURN_IF_ERROR(r.RequiredText(node, "Key", where, &entry.key));
      S3M_RETURN_IF_ERROR(r.Text(node, "VersionId", where, &entry.version_id));
      S3M_RETURN_IF_ERROR(r.Text(node, "Code", where, &entry.code));
      S3M_RETURN_IF_ERROR(r.Text(node, "Message", where, &entry.message));
      entry.code = std::string(Trim(entry.code));
      result.errors.push_back(std::move(entry));
    }
  }
  return result;
}

Result<std::vector<std::pair<std::string, std::string>>> ParseTagging(std::string_view xml) {
  const Reader r("GetObjectTagging");
  S3M_ASSIGN_OR_RETURN(Document d, LoadDocument(r, xml, "Tagging"));
  std::vector<std::pair<std::string, std::string>> tags;
  for (pugi::xml_node set : d.root.children()) {
    if (set.type() != pugi::node_element || LocalName(set) != "TagSet") continue;
    for (pugi::xml_node tag : set.children()) {
      if (tag.type() != pugi::node_element || LocalName(tag) != "Tag") continue;
      const std::string where = fmt::format(" of <Tag> #{}", tags.size() + 1);
      std::pair<std::string, std::string> entry;
      S3M_RETURN_IF_ERROR(r.RequiredText(tag, "Key", where, &entry.first));
      S3M_RETURN_IF_ERROR(r.Text(tag, "Value", where, &entry.second));
      tags.push_back(std::move(entry));
    }
  }
  return tags;
}

Result<std::string> ParseLocationConstraint(std::string_view xml) {
  const Reader r("GetBucketLocation");
  S3M_ASSIGN_OR_RETURN(Document d, LoadDocument(r, xml, "LocationConstraint"));
  std::string text;
  S3M_RETURN_IF_ERROR(r.NodeText(d.root, "", &text));
  std::string_view region = Trim(text);
  // Buckets in us-east-1 answer with an empty constraint; "EU" is the legacy
  // name of eu-west-1 (S3 API Reference, LocationConstraint valid values).
  if (region.empty()) return std::string("us-east-1");
  if (region == "EU") return std::string("eu-west-1");
  return std::string(region);
}

Result<std::string> ParseVersioningConfiguration(std::string_view xml) {
  const Reader r("GetBucketVersioning");
  S3M_ASSIGN_OR_RETURN(Document d, LoadDocument(r, xml, "VersioningConfiguration"));
  std::string text;
  S3M_RETURN_IF_ERROR(r.Text(d.root, "Status", "", &text));
  std::string_view status = Trim(text);
  if (status.empty() || status == "Enabled" || status == "Suspended") return std::string(status);
  return r.Bad(fmt::format("unknown versioning <Status> {}", Quote(status)));
}

Result<std::string> ParseInitiateMultipartUploadResult(std::string_view xml) {
  const Reader r("CreateMultipartUpload");
  S3M_ASSIGN_OR_RETURN(Document d, LoadDocument(r, xml, "InitiateMultipartUploadResult"));
  std::string upload_id;
  S3M_RETURN_IF_ERROR(r.RequiredText(d.root, "UploadId", "", &upload_id));
  return upload_id;
}

Result<CompleteMultipartUploadResult> ParseCompleteMultipartUploadResult(std::string_view xml) {
  const Reader r("CompleteMultipartUpload");
  S3M_ASSIGN_OR_RETURN(Document d, LoadDocument(r, xml, "CompleteMultipartUploadResult"));
  CompleteMultipartUploadResult result;
  std::string etag;
  S3M_RETURN_IF_ERROR(r.RequiredText(d.root, "ETag", "", &etag));
  result.etag = StripQuotes(etag);
  if (result.etag.empty()) return r.Bad("<ETag> is empty");
  S3M_RETURN_IF_ERROR(r.Text(d.root, "Location", "", &result.location));
  return result;
}

Result<S3ErrorDocument> ParseErrorDocument(std::string_view xml) {
  const Reader r("S3 error", /*op_in_context=*/false);
  S3M_ASSIGN_OR_RETURN(Document d, LoadDocument(r, xml, "Error"));
  S3ErrorDocument error;
  S3M_RETURN_IF_ERROR(ReadErrorDocument(r, d.root, &error));
  return error;
}

// ---------------------------------------------------------------------------
// x-amz-restore and dates
// ---------------------------------------------------------------------------

namespace {

Status BadRestoreHeader(std::string_view value, std::string_view why) {
  return Status::Error(ErrorKind::kTransient,
                       fmt::format("malformed x-amz-restore header {}: {}", Quote(value), why));
}

bool IsTokenChar(char c) { return IsAlpha(c) || IsDigit(c) || c == '-' || c == '_'; }

}  // namespace

Result<RestoreStatus> ParseRestoreHeader(std::string_view value) {
  const size_t n = value.size();
  size_t i = 0;
  auto skip_spaces = [&] {
    while (i < n && (value[i] == ' ' || value[i] == '\t')) ++i;
  };
  std::optional<bool> ongoing;
  std::optional<std::string> expiry;
  skip_spaces();
  if (i == n) return BadRestoreHeader(value, "it is empty");
  while (true) {
    skip_spaces();
    const size_t name_start = i;
    while (i < n && IsTokenChar(value[i])) ++i;
    if (i == name_start) {
      return BadRestoreHeader(value, fmt::format("expected a name at byte {}", i));
    }
    std::string name(value.substr(name_start, i - name_start));
    std::transform(name.begin(), name.end(), name.begin(), ToLower);
    skip_spaces();
    if (i == n || value[i] != '=') {
      return BadRestoreHeader(value, fmt::format("expected '=' after {}", name));
    }
    ++i;
    skip_spaces();
    if (i == n || value[i] != '"') {
      return BadRestoreHeader(value, fmt::format("the value of {} is not quoted", name));
    }
    const size_t value_start = ++i;
    while (i < n && value[i] != '"') ++i;
    if (i == n) {
      return BadRestoreHeader(value, fmt::format("the value of {} is unterminated", name));
    }
    std::string_view field = value.substr(value_start, i - value_start);
    ++i;
    if (name == "ongoing-request") {
      if (ongoing) return BadRestoreHeader(value, "ongoing-request appears twice");
      if (EqualsIgnoreCase(field, "true")) {
        ongoing = true;
      } else if (EqualsIgnoreCase(field, "false")) {
        ongoing = false;
      } else {
        return BadRestoreHeader(value, "ongoing-request is neither true nor false");
      }
    } else if (name == "expiry-date") {
      if (expiry) return BadRestoreHeader(value, "expiry-date appears twice");
      expiry = std::string(field);
    }
    skip_spaces();
    if (i == n) break;
    if (value[i] != ',') {
      return BadRestoreHeader(value, fmt::format("expected ',' at byte {}", i));
    }
    ++i;
  }
  if (!ongoing) return BadRestoreHeader(value, "ongoing-request is missing");
  RestoreStatus status;
  status.in_progress = *ongoing;
  if (expiry) {
    status.expiry = ParseHttpDate(*expiry);
    if (!status.expiry) return BadRestoreHeader(value, "expiry-date is not an HTTP date");
    status.expiry_date = std::move(*expiry);
  }
  return status;
}

// ---------------------------------------------------------------------------
// Builders
// ---------------------------------------------------------------------------

namespace {

void AppendEscaped(std::string_view text, std::string* out) {
  for (char ch : text) {
    const unsigned char c = static_cast<unsigned char>(ch);
    switch (c) {
      case '&': *out += "&amp;"; break;
      case '<': *out += "&lt;"; break;
      case '>': *out += "&gt;"; break;
      case '"': *out += "&quot;"; break;
      case '\'': *out += "&apos;"; break;
      default:
        if (c < 0x20) {
          *out += fmt::format("&#x{:X};", static_cast<unsigned>(c));
        } else {
          out->push_back(ch);
        }
    }
  }
}

void AppendElement(std::string_view name, std::string_view text, std::string* out) {
  *out += '<';
  *out += name;
  *out += '>';
  AppendEscaped(text, out);
  *out += "</";
  *out += name;
  *out += '>';
}

// Appended in place: GCC 12's -Wrestrict misfires at -O2/-O3 on
// `"\"" + std::string + "\""` (GCC bug 105329), which broke Release builds.
std::string QuotedEtag(std::string_view etag) {
  const std::string bare = StripQuotes(etag);
  std::string out;
  out.reserve(bare.size() + 2);
  out.push_back('"');
  out += bare;
  out.push_back('"');
  return out;
}

std::string OpenRoot(std::string_view name) {
  return fmt::format("{}<{} xmlns=\"{}\">", kXmlDeclaration, name, kS3Namespace);
}

}  // namespace

bool XmlCarriesUnchanged(std::string_view text) {
  size_t i = 0;
  while (i < text.size()) {
    const auto b = static_cast<unsigned char>(text[i]);
    if (b < 0x20 || b == 0x7f) return false;
    if (b < 0x80) {
      ++i;
      continue;
    }
    const size_t len = (b & 0xe0) == 0xc0 ? 2 : (b & 0xf0) == 0xe0 ? 3 : (b & 0xf8) == 0xf0 ? 4 : 0;
    if (len == 0 || i + len > text.size()) return false;
    uint32_t cp = b & (0xff >> (len + 1));
    for (size_t k = 1; k < len; ++k) {
      const auto c = static_cast<unsigned char>(text[i + k]);
      if ((c & 0xc0) != 0x80) return false;
      cp = (cp << 6) | (c & 0x3f);
    }
    static constexpr uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < kMin[len] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff) || cp == 0xfffe ||
        cp == 0xffff) {
      return false;
    }
    i += len;
  }
  return true;
}

std::string BuildDeleteObjectsXml(const std::vector<DeleteObjectsEntry>& entries, bool quiet) {
  std::string out = OpenRoot("Delete");
  if (quiet) out += "<Quiet>true</Quiet>";
  for (const DeleteObjectsEntry& entry : entries) {
    out += "<Object>";
    AppendElement("Key", entry.key, &out);
    if (!entry.version_id.empty()) AppendElement("VersionId", entry.version_id, &out);
    if (!entry.etag.empty()) AppendElement("ETag", QuotedEtag(entry.etag), &out);
    out += "</Object>";
  }
  out += "</Delete>";
  return out;
}

std::string BuildCompleteMultipartUploadXml(const std::vector<CompletedPart>& parts,
                                            std::string_view checksum_algorithm) {
  // Only letters and digits can form the element name; "crc32c" -> ChecksumCRC32C.
  std::string checksum_element = "Checksum";
  for (char c : checksum_algorithm) {
    if (IsAlpha(c) || IsDigit(c)) checksum_element.push_back(ToUpper(c));
  }
  const bool with_checksums = checksum_element.size() > std::string_view("Checksum").size();

  std::vector<const CompletedPart*> ordered;
  ordered.reserve(parts.size());
  for (const CompletedPart& part : parts) ordered.push_back(&part);
  std::stable_sort(ordered.begin(), ordered.end(),
                   [](const CompletedPart* a, const CompletedPart* b) {
                     return a->part_number < b->part_number;
                   });

  std::string out = OpenRoot("CompleteMultipartUpload");
  for (const CompletedPart* part : ordered) {
    out += "<Part>";
    AppendElement("PartNumber", std::to_string(part->part_number), &out);
    AppendElement("ETag", QuotedEtag(part->etag), &out);
    if (with_checksums && !part->checksum.empty()) {
      AppendElement(checksum_element, part->checksum, &out);
    }
    out += "</Part>";
  }
  out += "</CompleteMultipartUpload>";
  return out;
}

std::string RestoreTierName(RestoreTier tier) {
  switch (tier) {
    case RestoreTier::kExpedited: return "Expedited";
    case RestoreTier::kStandard: return "Standard";
    case RestoreTier::kBulk: return "Bulk";
  }
  return "Standard";
}

std::string BuildRestoreRequestXml(std::optional<int> days, RestoreTier tier) {
  std::string out = OpenRoot("RestoreRequest");
  if (days) AppendElement("Days", std::to_string(*days), &out);
  out += "<GlacierJobParameters>";
  AppendElement("Tier", RestoreTierName(tier), &out);
  out += "</GlacierJobParameters></RestoreRequest>";
  return out;
}

std::string BuildVersioningConfigurationXml(bool enabled) {
  std::string out = OpenRoot("VersioningConfiguration");
  AppendElement("Status", enabled ? "Enabled" : "Suspended", &out);
  out += "</VersioningConfiguration>";
  return out;
}

std::string BuildCreateBucketConfigurationXml(std::string_view region) {
  if (region.empty() || region == "us-east-1") return std::string();
  std::string out = OpenRoot("CreateBucketConfiguration");
  AppendElement("LocationConstraint", region, &out);
  out += "</CreateBucketConfiguration>";
  return out;
}

}  // namespace s3m::s3
