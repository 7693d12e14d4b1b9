// Server-side verification of AWS Signature Version 4, header-based and
// presigned (query-string) requests. The signature is recomputed from the
// request as received with the same pipeline the client signs with
// (s3/sigv4.h: CanonicalRequest -> StringToSign -> DeriveSigningKey ->
// SignatureHex) and compared in constant time.
//
// Errors are the ones AWS answers (S3 API Reference, "Authenticating
// Requests (AWS Signature Version 4)" and "Error responses"):
//   403 AccessDenied               no Authorization header or query signature
//   403 InvalidAccessKeyId         the key id is not one of --access-key
//   403 SignatureDoesNotMatch      with StringToSign and CanonicalRequest, as AWS does
//   403 RequestTimeTooSkewed       x-amz-date more than 15 minutes off
//   400 AuthorizationHeaderMalformed  unparsable header, or the scope names
//                                  another region (<Region> tells the right one)
//   400 InvalidRequest             x-amz-content-sha256 missing
//   400 XAmzContentSHA256Mismatch  is checked later, against the body (server.cc)
#pragma once

#include <map>
#include <string>
#include <string_view>

#include "s3/http.h"
#include "s3/sigv4.h"
#include "s3emu/s3_error.h"

namespace s3emu {

// A request as it arrived, for signature checks.
struct RequestView {
  std::string method;
  std::string raw_path;          // percent-encoded, exactly as sent
  s3m::s3::QueryParams query;    // decoded, in order
  s3m::s3::HeaderList headers;   // names as sent, in order

  // First value of a header, case-insensitive; "" when absent.
  std::string_view Header(std::string_view name) const;
  bool HasHeader(std::string_view name) const;
  // Value of a query parameter; nullptr when absent.
  const std::string* Query(std::string_view name) const;
};

struct AuthResult {
  std::string access_key;
  std::string region;        // from the credential scope
  // x-amz-content-sha256 as sent (lowercase hex, "UNSIGNED-PAYLOAD"); the
  // caller checks a hex value against the body it reads.
  std::string payload_hash;
};

// access key id -> secret access key
using CredentialMap = std::map<std::string, std::string, std::less<>>;

// Verifies the request's signature at `now_ms`. `expected_region` is the
// region the request must be signed for (the bucket's); empty accepts any.
ErrorOr<AuthResult> VerifySigV4(const RequestView& request, const CredentialMap& credentials,
                                const std::string& expected_region, int64_t now_ms);

}  // namespace s3emu
