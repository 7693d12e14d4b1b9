// RFC 3986 percent-encoding as AWS SigV4 defines it: unreserved characters
// (A-Z a-z 0-9 - _ . ~) stay, every other byte becomes %XX in upper-case hex.
// The same functions build the request URL and the canonical request, so the
// two can never drift.
#pragma once

#include <string>
#include <string_view>

namespace s3m::s3 {

// Encodes every byte except unreserved ones; '/' is kept when encode_slash is false
// (object keys in a path), encoded otherwise (query values).
std::string UriEncode(std::string_view input, bool encode_slash = true);

// Decodes %XX escapes; '+' is decoded as a space only when plus_as_space is true.
// Returns false on a malformed escape.
bool UriDecode(std::string_view input, std::string* output, bool plus_as_space = false);

}  // namespace s3m::s3
