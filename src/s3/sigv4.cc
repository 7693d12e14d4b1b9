#include "s3/sigv4.h"

#include <algorithm>
#include <map>

#include "core/text.h"
#include "core/hash.h"
#include "core/time_format.h"
#include "s3/uri.h"

namespace s3m::s3 {
namespace {

constexpr std::string_view kAlgorithm = "AWS4-HMAC-SHA256";

bool IsSpaceOrTab(char c) { return c == ' ' || c == '\t'; }

std::string AsciiLower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

bool EqualsIgnoreCase(std::string_view a, std::string_view lower_b) {
  return a.size() == lower_b.size() && AsciiLower(a) == lower_b;
}

// Trims and collapses every inner run of spaces/tabs to a single space.
std::string CanonicalHeaderValue(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  bool in_space = false;
  for (char c : TrimAsciiSpace(value)) {
    if (IsSpaceOrTab(c)) {
      in_space = true;
      continue;
    }
    if (in_space) out.push_back(' ');
    in_space = false;
    out.push_back(c);
  }
  return out;
}

// Drops headers SignRequest is about to set, so re-signing never duplicates them.
void RemoveOwnedHeaders(HeaderList& headers, bool owns_content_sha256) {
  std::erase_if(headers, [&](const std::pair<std::string, std::string>& h) {
    return EqualsIgnoreCase(h.first, "x-amz-date") ||
           EqualsIgnoreCase(h.first, "x-amz-security-token") ||
           EqualsIgnoreCase(h.first, "authorization") ||
           (owns_content_sha256 && EqualsIgnoreCase(h.first, "x-amz-content-sha256"));
  });
}

}  // namespace

std::string CanonicalQueryString(const QueryParams& query) {
  // Sorting the encoded pairs (not the joined "name=value" strings) matters:
  // "Param" must sort before "Param-3" although '=' > '-'.
  std::vector<std::pair<std::string, std::string>> encoded;
  encoded.reserve(query.size());
  for (const auto& [name, value] : query) {
    encoded.emplace_back(UriEncode(name, /*encode_slash=*/true),
                         UriEncode(value, /*encode_slash=*/true));
  }
  std::sort(encoded.begin(), encoded.end());
  std::string out;
  for (const auto& [name, value] : encoded) {
    if (!out.empty()) out.push_back('&');
    out += name;
    out.push_back('=');
    out += value;
  }
  return out;
}

CanonicalHeaders BuildCanonicalHeaders(const HeaderList& headers) {
  std::map<std::string, std::string> by_name;  // the one source of both outputs
  for (const auto& [name, value] : headers) {
    std::string canonical_value = CanonicalHeaderValue(value);
    auto [it, inserted] = by_name.try_emplace(AsciiLower(TrimAsciiSpace(name)), canonical_value);
    if (!inserted) {
      it->second.push_back(',');
      it->second += canonical_value;
    }
  }
  CanonicalHeaders out;
  for (const auto& [name, value] : by_name) {
    out.canonical += name;
    out.canonical.push_back(':');
    out.canonical += value;
    out.canonical.push_back('\n');
    if (!out.signed_headers.empty()) out.signed_headers.push_back(';');
    out.signed_headers += name;
  }
  return out;
}

std::string NormalizePath(std::string_view path) {
  std::vector<std::string_view> segments;
  std::string_view last;
  size_t pos = 0;
  while (true) {
    const size_t slash = path.find('/', pos);
    const size_t end = slash == std::string_view::npos ? path.size() : slash;
    last = path.substr(pos, end - pos);
    if (last == "..") {
      if (!segments.empty()) segments.pop_back();
    } else if (!last.empty() && last != ".") {
      segments.push_back(last);
    }
    if (slash == std::string_view::npos) break;
    pos = slash + 1;
  }
  // "/a/", "/a/b/." and "/a/b/.." all name a directory and keep the final slash.
  const bool trailing_slash = last.empty() || last == "." || last == "..";
  std::string out;
  for (std::string_view segment : segments) {
    out.push_back('/');
    out += segment;
  }
  if (out.empty() || trailing_slash) out.push_back('/');
  return out;
}

std::string CanonicalRequest(const SignableRequest& request, const CanonicalHeaders& headers,
                             bool normalize_path) {
  std::string uri = request.canonical_uri.empty() ? "/" : request.canonical_uri;
  if (normalize_path) uri = NormalizePath(uri);
  std::string out;
  out += request.method;
  out.push_back('\n');
  out += uri;
  out.push_back('\n');
  out += CanonicalQueryString(request.query);
  out.push_back('\n');
  out += headers.canonical;  // each line already ends in '\n'
  out.push_back('\n');
  out += headers.signed_headers;
  out.push_back('\n');
  out += request.payload_hash;
  return out;
}

std::string CredentialScope(std::string_view date, std::string_view region,
                            std::string_view service) {
  std::string out;
  out.append(date).append("/").append(region).append("/").append(service).append("/aws4_request");
  return out;
}

std::string StringToSign(std::string_view amz_date, std::string_view scope,
                         std::string_view canonical_request) {
  std::string out;
  out.append(kAlgorithm).append("\n");
  out.append(amz_date).append("\n");
  out.append(scope).append("\n");
  out += Sha256Hex(canonical_request);
  return out;
}

std::string DeriveSigningKey(std::string_view secret, std::string_view date,
                             std::string_view region, std::string_view service) {
  std::string key = "AWS4";
  key.append(secret);
  key = HmacSha256(key, date);
  key = HmacSha256(key, region);
  key = HmacSha256(key, service);
  return HmacSha256(key, "aws4_request");
}

std::string SignatureHex(std::string_view signing_key, std::string_view string_to_sign) {
  return HexEncode(HmacSha256(signing_key, string_to_sign));
}

namespace {

// The signing key changes once a day per region, and costs four HMACs: each
// thread keeps the last one, with everything it was derived from.
const std::string& CachedSigningKey(std::string_view secret, std::string_view date,
                                    std::string_view region, std::string_view service) {
  thread_local struct {
    std::string secret, date, region, service, key;
  } last;
  if (last.key.empty() || last.secret != secret || last.date != date || last.region != region ||
      last.service != service) {
    last.key = DeriveSigningKey(secret, date, region, service);
    last.secret = secret;
    last.date = date;
    last.region = region;
    last.service = service;
  }
  return last.key;
}

}  // namespace

SigningResult SignRequest(SignableRequest& request, const Credentials& credentials,
                          const SigningParams& params) {
  const std::string amz_date = FormatAmzDate(params.time);
  const std::string_view date = std::string_view(amz_date).substr(0, 8);  // YYYYMMDD

  RemoveOwnedHeaders(request.headers, params.add_content_sha256_header);
  request.headers.emplace_back("x-amz-date", amz_date);
  if (params.add_content_sha256_header) {
    request.headers.emplace_back("x-amz-content-sha256", request.payload_hash);
  }
  if (!credentials.session_token.empty()) {
    request.headers.emplace_back("x-amz-security-token", credentials.session_token);
  }

  const CanonicalHeaders headers = BuildCanonicalHeaders(request.headers);
  SigningResult result;
  result.canonical_request = CanonicalRequest(request, headers, params.normalize_path);
  const std::string scope = CredentialScope(date, params.region, params.service);
  result.string_to_sign = StringToSign(amz_date, scope, result.canonical_request);
  const std::string signature = SignatureHex(
      CachedSigningKey(credentials.secret_access_key, date, params.region, params.service),
      result.string_to_sign);

  result.authorization.append(kAlgorithm)
      .append(" Credential=")
      .append(credentials.access_key_id)
      .append("/")
      .append(scope)
      .append(", SignedHeaders=")
      .append(headers.signed_headers)
      .append(", Signature=")
      .append(signature);
  request.headers.emplace_back("Authorization", result.authorization);
  return result;
}

}  // namespace s3m::s3
