// The SigV4 canonicaliser and signer (src/s3/sigv4.h) on arbitrary requests.
// Input: line 1 the method, line 2 a key (encoded as the client encodes it),
// line 3 "name=value&..." query parameters (raw bytes, the signer encodes
// them), then "name: value" header lines. Properties: the canonical query
// holds only unreserved characters, %XX escapes, '=' and '&'; canonical
// headers are sorted and name the same headers as the signed list; signing
// is deterministic and adds exactly one Authorization header.
#include <cstdint>

#include "fuzz_input.h"
#include "s3/sigv4.h"
#include "s3/uri.h"

namespace {

bool CanonicalQueryIsEncoded(std::string_view q) {
  for (size_t i = 0; i < q.size(); ++i) {
    const char c = q[i];
    const bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                            (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' || c == '~';
    if (unreserved || c == '=' || c == '&') continue;
    if (c != '%') return false;
    for (size_t j = i + 1; j <= i + 2; ++j) {
      if (j >= q.size()) return false;
      const char h = q[j];
      if (!((h >= '0' && h <= '9') || (h >= 'A' && h <= 'F'))) return false;
    }
    i += 2;
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace s3 = s3m::s3;
  const std::string_view text = s3m::fuzz::AsText(data, size);
  const std::vector<std::string_view> lines = s3m::fuzz::Split(text, '\n');
  s3::SignableRequest request;
  request.method = std::string(lines[0]);
  if (lines.size() > 1) request.canonical_uri = "/bucket/" + s3::UriEncode(lines[1], false);
  if (lines.size() > 2) {
    for (std::string_view pair : s3m::fuzz::Split(lines[2], '&')) {
      const size_t eq = pair.find('=');
      request.query.emplace_back(std::string(pair.substr(0, eq)),
                                 eq == std::string_view::npos ? "" : std::string(pair.substr(eq + 1)));
    }
  }
  request.headers.emplace_back("Host", "bucket.s3.example.com");
  for (size_t i = 3; i < lines.size(); ++i) {
    const size_t colon = lines[i].find(':');
    if (colon == std::string_view::npos || colon == 0) continue;
    request.headers.emplace_back(std::string(lines[i].substr(0, colon)),
                                 std::string(lines[i].substr(colon + 1)));
  }
  request.payload_hash = "UNSIGNED-PAYLOAD";

  const std::string query = s3::CanonicalQueryString(request.query);
  s3m::fuzz::Check(CanonicalQueryIsEncoded(query), "the canonical query is percent-encoded", text);
  const s3::CanonicalHeaders headers = s3::BuildCanonicalHeaders(request.headers);
  std::string names, previous;
  bool sorted = true;
  for (std::string_view line : s3m::fuzz::Split(headers.canonical, '\n')) {
    if (line.empty()) continue;
    const std::string name(line.substr(0, line.find(':')));
    sorted = sorted && (previous.empty() || previous < name);
    previous = name;
    names += (names.empty() ? "" : ";") + name;
  }
  s3m::fuzz::Check(sorted, "canonical headers are sorted by name, each once", text);
  s3m::fuzz::Check(names == headers.signed_headers, "the signed list names the canonical headers", text);
  (void)s3::NormalizePath(request.canonical_uri);

  s3::Credentials credentials{"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "", {}, "fuzz"};
  s3::SigningParams params;
  params.region = "us-east-1";
  params.time = std::chrono::system_clock::time_point(std::chrono::seconds(1440938160));
  s3::SignableRequest again = request;
  const s3::SigningResult first = s3::SignRequest(request, credentials, params);
  const s3::SigningResult second = s3::SignRequest(again, credentials, params);
  s3m::fuzz::Check(first.authorization == second.authorization, "signing is deterministic", text);
  size_t authorizations = 0;
  for (const auto& [name, value] : request.headers) authorizations += name == "Authorization";
  s3m::fuzz::Check(authorizations == 1, "exactly one Authorization header", text);
  return 0;
}
