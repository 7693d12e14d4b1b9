// AWS Signature Version 4 (header-based, single chunk) as a straight pipeline of
// small pure steps, each unit-tested on its own:
//
//   request --CanonicalRequest--> canonical request
//           --StringToSign------> string to sign
//           --SignatureHex------> signature (key from DeriveSigningKey)
//           --SignRequest-------> Authorization header
//
// S3 rules, not the generic SigV4 ones, are the default: the path is encoded
// once by the caller and never normalised, and x-amz-content-sha256 is sent.
// The generic AWS test suite needs normalize_path=true and no content hash
// header; SigningParams has switches for both.
//
// Everything here is pure and thread-safe. Secrets (the secret access key and
// any key derived from it) never appear in a return value other than
// DeriveSigningKey's, and never in a log line.
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "s3/http.h"
#include "s3/types.h"

namespace s3m::s3 {

using QueryParams = std::vector<std::pair<std::string, std::string>>;

// What is needed to sign one request, exactly as it will go on the wire.
struct SignableRequest {
  std::string method;
  // The request path exactly as sent, already percent-encoded (for S3 the
  // caller encodes the key once with UriEncode(key, /*encode_slash=*/false)).
  // The signer never encodes it again. Empty means "/".
  std::string canonical_uri;
  // Decoded names and values; the signer encodes them. Send the result of
  // CanonicalQueryString(query) as the URL's query string.
  QueryParams query;
  // Every header listed here is signed, so list only headers that are sent
  // unchanged; Host is required. The signer appends its own (see SignRequest).
  HeaderList headers;
  // Lowercase hex SHA-256 of the body, or "UNSIGNED-PAYLOAD". Used verbatim.
  std::string payload_hash;
};

struct SigningParams {
  std::string region;
  std::string service = "s3";
  // Injected so tests can freeze it; callers pass Clock::Now().
  std::chrono::system_clock::time_point time;
  // S3 requires x-amz-content-sha256; the generic test suite sends none.
  bool add_content_sha256_header = true;
  // Generic SigV4 normalises the path ("/a/./b//" -> "/a/b/"); S3 never does,
  // because "a//b" and "a/b" are different keys.
  bool normalize_path = false;
};

// Encodes each name and value with UriEncode(..., encode_slash=true), sorts the
// pairs by encoded name, then encoded value (so repeated keys are ordered by
// value), and joins them as "n1=v1&n2=v2". A parameter without a value becomes
// "name=". The result is also the URL query string, so the URL and the
// signature cannot disagree.
std::string CanonicalQueryString(const QueryParams& query);

struct CanonicalHeaders {
  // "name:value\n" for each header, sorted by name; every line ends in '\n'.
  std::string canonical;
  // "name1;name2;...", the same names in the same order.
  std::string signed_headers;
};

// Lowercases names, trims values and collapses inner runs of whitespace to one
// space, joins the values of repeated names with ',' in the order given, and
// sorts by name. Both outputs come from one sorted map, so they cannot drift.
CanonicalHeaders BuildCanonicalHeaders(const HeaderList& headers);

// Generic SigV4 path normalisation (RFC 3986 dot-segment removal plus merging of
// repeated slashes). Only for SigningParams::normalize_path; never for S3.
std::string NormalizePath(std::string_view path);

// METHOD \n URI \n QUERY \n CANONICAL-HEADERS \n SIGNED-HEADERS \n PAYLOAD-HASH
std::string CanonicalRequest(const SignableRequest& request, const CanonicalHeaders& headers,
                             bool normalize_path);

// "20150830/us-east-1/service/aws4_request"; `date` is YYYYMMDD.
std::string CredentialScope(std::string_view date, std::string_view region,
                            std::string_view service);

std::string StringToSign(std::string_view amz_date, std::string_view scope,
                         std::string_view canonical_request);

// Raw 32-byte key: HMAC chain "AWS4"+secret -> date -> region -> service ->
// "aws4_request". The result is as sensitive as the secret itself.
std::string DeriveSigningKey(std::string_view secret, std::string_view date,
                             std::string_view region, std::string_view service);

// Lowercase hex HMAC-SHA256 of the string to sign.
std::string SignatureHex(std::string_view signing_key, std::string_view string_to_sign);

// The intermediate values, for debugging a SignatureDoesNotMatch. Never holds
// the secret key or a derived key. With temporary credentials the canonical
// request does contain the x-amz-security-token line (it is signed and sent),
// so redact that line before logging it, as for the request headers.
struct SigningResult {
  std::string canonical_request;
  std::string string_to_sign;
  std::string authorization;
};

// Runs the pipeline and appends to request.headers, in this order:
//   x-amz-date, x-amz-content-sha256 (when params ask for it; value
//   request.payload_hash), x-amz-security-token (when credentials carry a
//   session token), then Authorization (which is not itself signed).
// Headers the signer owns that are already present (matched case-insensitively)
// are removed first, so a request can be re-signed, e.g. on a retry with a fresh
// time or refreshed credentials, without duplicates or a stale token. Owned:
// x-amz-date, x-amz-security-token, Authorization, and x-amz-content-sha256
// only when add_content_sha256_header is set (otherwise a given one is signed
// as is).
//
// Preconditions (programming errors, not checked): request.headers holds Host;
// credentials have a key id and secret; params.region is set.
SigningResult SignRequest(SignableRequest& request, const Credentials& credentials,
                          const SigningParams& params);

}  // namespace s3m::s3
