#include "s3emu/auth.h"

#include <openssl/crypto.h>

#include <cctype>
#include <chrono>
#include <optional>
#include <vector>

#include "core/hash.h"
#include "core/text.h"
#include "core/time_format.h"
#include "s3/uri.h"
#include "s3emu/xml_out.h"

namespace s3emu {

using s3m::s3::HeaderList;
namespace sigv4 = s3m::s3;

namespace {

constexpr int64_t kMaxSkewMs = 15 * 60 * 1000;

// "20150830T123600Z" -> Unix milliseconds.
std::optional<int64_t> AmzDateMs(std::string_view text) {
  const auto time = s3m::ParseAmzDate(text);
  if (!time) return std::nullopt;
  return std::chrono::duration_cast<std::chrono::milliseconds>(time->time_since_epoch()).count();
}

// The parts of "AWS4-HMAC-SHA256 Credential=AKID/20130524/us-east-1/s3/aws4_request,
// SignedHeaders=host;range;x-amz-date, Signature=fe5f80f7...".
struct SignatureParts {
  std::string access_key;
  std::string date;     // YYYYMMDD of the scope
  std::string region;
  std::string service;
  std::string terminal;
  std::string signed_headers;
  std::string signature;
};

bool ParseCredential(std::string_view credential, SignatureParts* out) {
  std::vector<std::string> fields;
  size_t pos = 0;
  while (true) {
    const size_t slash = credential.find('/', pos);
    fields.emplace_back(credential.substr(pos, slash - pos));
    if (slash == std::string_view::npos) break;
    pos = slash + 1;
  }
  if (fields.size() != 5) return false;
  out->access_key = fields[0];
  out->date = fields[1];
  out->region = fields[2];
  out->service = fields[3];
  out->terminal = fields[4];
  return !out->access_key.empty();
}

S3Error Malformed(std::string message) {
  return MakeError(400, "AuthorizationHeaderMalformed", std::move(message));
}

ErrorOr<SignatureParts> ParseAuthorizationHeader(std::string_view header) {
  constexpr std::string_view kAlgorithm = "AWS4-HMAC-SHA256";
  header = s3m::TrimAsciiSpace(header);
  if (header.substr(0, kAlgorithm.size()) != kAlgorithm) {
    return InvalidArgument(
               "Unsupported Authorization Type: only AWS Signature Version 4 (AWS4-HMAC-SHA256) is "
               "accepted")
        .With("ArgumentName", "Authorization")
        .With("ArgumentValue", std::string(header.substr(0, header.find(' '))));
  }
  SignatureParts parts;
  bool have_credential = false;
  std::string_view rest = header.substr(kAlgorithm.size());
  while (!rest.empty()) {
    const size_t comma = rest.find(',');
    const std::string_view item = s3m::TrimAsciiSpace(rest.substr(0, comma));
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
    const size_t eq = item.find('=');
    if (eq == std::string_view::npos) continue;
    const std::string_view name = item.substr(0, eq);
    const std::string_view value = item.substr(eq + 1);
    if (name == "Credential") {
      if (!ParseCredential(value, &parts)) {
        return Malformed("The authorization header is malformed; the Credential is mal-formed; "
                         "expecting \"<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request\".");
      }
      have_credential = true;
    } else if (name == "SignedHeaders") {
      parts.signed_headers = value;
    } else if (name == "Signature") {
      parts.signature = value;
    }
  }
  if (!have_credential || parts.signed_headers.empty() || parts.signature.empty()) {
    return Malformed("The authorization header is malformed; it must hold Credential, SignedHeaders "
                     "and Signature.");
  }
  return parts;
}

// The canonical URI of the path as received: decoded once, then encoded
// with S3's rules, so a client that left a sub-delimiter unencoded and one
// that encoded it both verify.
std::string CanonicalUri(const std::string& raw_path) {
  std::string decoded;
  if (!sigv4::UriDecode(raw_path, &decoded, /*plus_as_space=*/false)) return raw_path;
  return sigv4::UriEncode(decoded, /*encode_slash=*/false);
}

std::string SpacedHex(std::string_view bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    if (!out.empty()) out.push_back(' ');
    out.push_back(kHex[c >> 4]);
    out.push_back(kHex[c & 0xf]);
  }
  return out;
}

}  // namespace

std::string_view RequestView::Header(std::string_view name) const {
  for (const auto& [n, v] : headers) {
    if (s3m::EqualsIgnoreCase(n, name)) return v;
  }
  return {};
}

bool RequestView::HasHeader(std::string_view name) const {
  for (const auto& [n, v] : headers) {
    if (s3m::EqualsIgnoreCase(n, name)) return true;
  }
  return false;
}

const std::string* RequestView::Query(std::string_view name) const {
  for (const auto& [n, v] : query) {
    if (n == name) return &v;
  }
  return nullptr;
}

ErrorOr<AuthResult> VerifySigV4(const RequestView& request, const CredentialMap& credentials,
                                const std::string& expected_region, int64_t now_ms) {
  const bool presigned = request.Query("X-Amz-Signature") != nullptr;
  SignatureParts parts;
  std::string amz_date;
  int64_t expires_seconds = -1;
  if (presigned) {
    const std::string* algorithm = request.Query("X-Amz-Algorithm");
    const std::string* credential = request.Query("X-Amz-Credential");
    const std::string* date = request.Query("X-Amz-Date");
    const std::string* signed_headers = request.Query("X-Amz-SignedHeaders");
    const std::string* expires = request.Query("X-Amz-Expires");
    if (!algorithm || *algorithm != "AWS4-HMAC-SHA256" || !credential || !date || !signed_headers ||
        !expires) {
      return MakeError(400, "AuthorizationQueryParametersError",
                       "Query-string authentication version 4 requires the X-Amz-Algorithm, "
                       "X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and "
                       "X-Amz-Expires parameters.");
    }
    if (!ParseCredential(*credential, &parts)) {
      return MakeError(400, "AuthorizationQueryParametersError",
                       "Error parsing the X-Amz-Credential parameter");
    }
    parts.signed_headers = *signed_headers;
    parts.signature = *request.Query("X-Amz-Signature");
    amz_date = *date;
    expires_seconds = std::strtoll(expires->c_str(), nullptr, 10);
  } else {
    const std::string_view authorization = request.Header("Authorization");
    if (authorization.empty()) return MakeError(403, "AccessDenied", "Access Denied");
    auto parsed = ParseAuthorizationHeader(authorization);
    if (!parsed.ok()) return parsed.error();
    parts = std::move(parsed).value();
    amz_date = std::string(request.Header("x-amz-date"));
  }

  auto secret = credentials.find(parts.access_key);
  if (secret == credentials.end()) {
    return MakeError(403, "InvalidAccessKeyId",
                     "The AWS Access Key Id you provided does not exist in our records.")
        .With("AWSAccessKeyId", parts.access_key);
  }
  const auto request_ms = AmzDateMs(amz_date);
  if (!request_ms) {
    return MakeError(403, "AccessDenied", "AWS authentication requires a valid Date or x-amz-date header");
  }
  if (parts.date != amz_date.substr(0, 8)) {
    return Malformed("The authorization header is malformed; Invalid credential date. Date is not the "
                     "same as X-Amz-Date.");
  }
  if (parts.service != "s3" || parts.terminal != "aws4_request") {
    return Malformed("The authorization header is malformed; incorrect service \"" + parts.service +
                     "\". This endpoint belongs to \"s3\".");
  }
  if (!expected_region.empty() && parts.region != expected_region) {
    return Malformed("The authorization header is malformed; the region '" + parts.region +
                     "' is wrong; expecting '" + expected_region + "'")
        .With("Region", expected_region)
        .WithHeader("x-amz-bucket-region", expected_region);
  }
  if (presigned) {
    if (expires_seconds < 1 || expires_seconds > 604800) {
      return MakeError(400, "AuthorizationQueryParametersError",
                       "X-Amz-Expires must be between 1 and 604800 seconds");
    }
    if (now_ms > *request_ms + expires_seconds * 1000) {
      return MakeError(403, "AccessDenied", "Request has expired")
          .With("X-Amz-Expires", std::to_string(expires_seconds))
          .With("Expires", Iso8601(*request_ms + expires_seconds * 1000))
          .With("ServerTime", Iso8601(now_ms));
    }
  } else if (*request_ms > now_ms + kMaxSkewMs || *request_ms < now_ms - kMaxSkewMs) {
    return MakeError(403, "RequestTimeTooSkewed",
                     "The difference between the request time and the current time is too large.")
        .With("RequestTime", Iso8601(*request_ms))
        .With("ServerTime", Iso8601(now_ms))
        .With("MaxAllowedSkewMilliseconds", std::to_string(kMaxSkewMs));
  }

  AuthResult result;
  result.access_key = parts.access_key;
  result.region = parts.region;
  const std::string_view content_sha = request.Header("x-amz-content-sha256");
  if (presigned) {
    result.payload_hash = content_sha.empty() ? "UNSIGNED-PAYLOAD" : std::string(content_sha);
  } else {
    if (content_sha.empty()) {
      return InvalidRequest("Missing required header for this request: x-amz-content-sha256");
    }
    result.payload_hash = std::string(content_sha);
  }

  // Every header named in SignedHeaders, with all its values in order.
  sigv4::SignableRequest signable;
  signable.method = request.method;
  bool host_signed = false;
  size_t pos = 0;
  while (pos <= parts.signed_headers.size()) {
    size_t semi = parts.signed_headers.find(';', pos);
    if (semi == std::string::npos) semi = parts.signed_headers.size();
    const std::string name = parts.signed_headers.substr(pos, semi - pos);
    pos = semi + 1;
    if (name.empty()) continue;
    if (name == "host") host_signed = true;
    bool found = false;
    for (const auto& [n, v] : request.headers) {
      if (s3m::EqualsIgnoreCase(n, name)) {
        signable.headers.emplace_back(name, v);
        found = true;
      }
    }
    if (!found) signable.headers.emplace_back(name, "");
  }
  if (!host_signed) {
    return Malformed("The authorization header is malformed; the host header must be signed.");
  }
  for (const auto& [name, value] : request.query) {
    if (!presigned || name != "X-Amz-Signature") signable.query.emplace_back(name, value);
  }
  signable.payload_hash = presigned && content_sha.empty() ? "UNSIGNED-PAYLOAD" : std::string(content_sha);

  const sigv4::CanonicalHeaders canonical_headers = sigv4::BuildCanonicalHeaders(signable.headers);
  const std::string scope = sigv4::CredentialScope(parts.date, parts.region, parts.service);
  const std::string key = sigv4::DeriveSigningKey(secret->second, parts.date, parts.region, parts.service);
  std::string canonical_request, string_to_sign;
  // The path re-encoded with S3's rules first, then exactly as sent.
  for (const std::string& uri : {CanonicalUri(request.raw_path), request.raw_path}) {
    signable.canonical_uri = uri;
    canonical_request = sigv4::CanonicalRequest(signable, canonical_headers, /*normalize_path=*/false);
    string_to_sign = sigv4::StringToSign(amz_date, scope, canonical_request);
    const std::string expected = sigv4::SignatureHex(key, string_to_sign);
    if (expected.size() == parts.signature.size() &&
        CRYPTO_memcmp(expected.data(), parts.signature.data(), expected.size()) == 0) {
      return result;
    }
  }
  return MakeError(403, "SignatureDoesNotMatch",
                   "The request signature we calculated does not match the signature you provided. "
                   "Check your key and signing method.")
      .With("AWSAccessKeyId", parts.access_key)
      .With("StringToSign", string_to_sign)
      .With("SignatureProvided", parts.signature)
      .With("StringToSignBytes", SpacedHex(string_to_sign))
      .With("CanonicalRequest", canonical_request)
      .With("CanonicalRequestBytes", SpacedHex(canonical_request));
}

}  // namespace s3emu
