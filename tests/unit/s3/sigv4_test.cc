#include "s3/sigv4.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "core/hash.h"
#include "core/time_format.h"
#include "s3/uri.h"

namespace s3m::s3 {
namespace {

using std::chrono::system_clock;
namespace fs = std::filesystem;

// Vendored with its licence: tests/testdata/sigv4/README.md says from where.
const fs::path kSigV4Data = fs::path(S3M_TESTDATA) / "sigv4";

// Raw bytes, nothing stripped: most suite files have no trailing newline and
// the expected values depend on every byte.
bool ReadRawFile(const fs::path& path, std::string* out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::ostringstream buffer;
  buffer << in.rdbuf();
  *out = buffer.str();
  return true;
}

// "20150830T123600Z" -> time point. Only well-formed input (test data) is passed.
system_clock::time_point AmzDate(std::string_view s) { return ParseAmzDate(s).value(); }

std::string ToTestName(std::string_view s) {
  std::string out(s);
  std::replace(out.begin(), out.end(), '-', '_');
  std::replace(out.begin(), out.end(), '/', '_');
  return out;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::vector<std::string> HeaderValues(const HeaderList& headers, std::string_view lower_name) {
  std::vector<std::string> values;
  for (const auto& [name, value] : headers) {
    if (Lower(name) == lower_name) values.push_back(value);
  }
  return values;
}

// ---------------------------------------------------------------------------
// The AWS SigV4 test suite (generic service, not S3).
// ---------------------------------------------------------------------------

// Every case directory under testdata/sigv4, named as the suite names them.
constexpr std::string_view kAwsSuiteCases[] = {
    "get-header-key-duplicate",
    "get-header-value-multiline",
    "get-header-value-order",
    "get-header-value-trim",
    "get-unreserved",
    "get-utf8",
    "get-vanilla",
    "get-vanilla-empty-query-key",
    "get-vanilla-query",
    "get-vanilla-query-order-encoded",
    "get-vanilla-query-order-key",
    "get-vanilla-query-order-key-case",
    "get-vanilla-query-order-value",
    "get-vanilla-query-unreserved",
    "get-vanilla-utf8-query",
    "get-vanilla-with-session-token",
    "normalize-path/get-relative",
    "normalize-path/get-relative-relative",
    "normalize-path/get-slash",
    "normalize-path/get-slash-dot-slash",
    "normalize-path/get-slash-pointless-dot",
    "normalize-path/get-slashes",
    "normalize-path/get-space",
    "normalize-path/get-special-character",
    "post-header-key-case",
    "post-header-key-sort",
    "post-header-value-case",
    "post-sts-token/post-sts-header-after",
    "post-sts-token/post-sts-header-before",
    "post-vanilla",
    "post-vanilla-empty-query-value",
    "post-vanilla-query",
    "post-x-www-form-urlencoded",
    "post-x-www-form-urlencoded-parameters",
};

constexpr std::string_view kSuiteAccessKeyId = "AKIDEXAMPLE";
constexpr std::string_view kSuiteSecret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
constexpr std::string_view kSuiteAmzDate = "20150830T123600Z";

// get-vanilla-with-session-token expects a token that its .req does not carry
// (it appears only in the .creq and .sreq); the value is the one the data
// README documents. Every other token comes from an X-Amz-Security-Token header.
const std::map<std::string_view, std::string_view> kSuiteSessionTokens = {
    {"get-vanilla-with-session-token",
     "6e86291e8372ff2a2260956d9b8aae1d763fbf315fa00fa31553b73ebf194267"},
};

// The request of a .req file, split into its parts, with nothing decoded.
struct RawRequest {
  std::string method;
  std::string path;       // as written: not yet percent-encoded
  std::string raw_query;  // after '?', percent-encoded as written
  HeaderList headers;     // in file order, values untrimmed
  std::string body;
};

// A .req looks like this (LF line endings, usually no final newline):
//
//   POST /?Param1=value1 HTTP/1.1
//   Host:example.amazonaws.com
//   My-Header1:value1
//     value2                      <- obsolete line folding: continues the value
//   X-Amz-Date:20150830T123600Z
//                                 <- optional blank line, then the body
//   Param1=value1
//
// The path may contain a space (normalize-path/get-space), so the method ends
// at the first space and the target at the last " HTTP/".
bool ParseRawRequest(std::string_view raw, RawRequest* out) {
  const size_t blank = raw.find("\n\n");
  std::string_view head = raw.substr(0, blank);
  if (blank != std::string_view::npos) out->body = std::string(raw.substr(blank + 2));

  std::vector<std::string_view> lines;
  while (!head.empty()) {
    const size_t nl = head.find('\n');
    lines.push_back(head.substr(0, nl));
    head = nl == std::string_view::npos ? std::string_view() : head.substr(nl + 1);
  }
  if (lines.empty()) return false;

  const std::string_view request_line = lines[0];
  const size_t method_end = request_line.find(' ');
  const size_t version_start = request_line.rfind(" HTTP/");
  if (method_end == std::string_view::npos || version_start == std::string_view::npos ||
      version_start <= method_end) {
    return false;
  }
  out->method = std::string(request_line.substr(0, method_end));
  const std::string_view target =
      request_line.substr(method_end + 1, version_start - method_end - 1);
  const size_t question = target.find('?');
  out->path = std::string(target.substr(0, question));
  if (question != std::string_view::npos) out->raw_query = std::string(target.substr(question + 1));

  for (size_t i = 1; i < lines.size(); ++i) {
    const std::string_view line = lines[i];
    if (line.empty()) continue;
    if (line.front() == ' ' || line.front() == '\t') {
      if (out->headers.empty()) return false;
      // RFC 7230 3.2.4: a folded line break counts as a space.
      out->headers.back().second.push_back(' ');
      out->headers.back().second.append(line);
      continue;
    }
    const size_t colon = line.find(':');
    if (colon == std::string_view::npos) return false;
    out->headers.emplace_back(std::string(line.substr(0, colon)),
                              std::string(line.substr(colon + 1)));
  }
  return true;
}

// "a=1&b&c=%E1%88%B4" -> {{"a","1"},{"b",""},{"c","\xE1\x88\xB4"}}, order kept.
bool DecodeQuery(std::string_view raw, QueryParams* out) {
  while (!raw.empty()) {
    const size_t amp = raw.find('&');
    const std::string_view pair = raw.substr(0, amp);
    raw = amp == std::string_view::npos ? std::string_view() : raw.substr(amp + 1);
    if (pair.empty()) continue;
    const size_t eq = pair.find('=');
    std::string name;
    std::string value;
    if (!UriDecode(pair.substr(0, eq), &name)) return false;
    if (eq != std::string_view::npos && !UriDecode(pair.substr(eq + 1), &value)) return false;
    out->emplace_back(std::move(name), std::move(value));
  }
  return true;
}

// "normalize-path/get-space" -> <data>/normalize-path/get-space/get-space.<ext>
fs::path SuiteFile(std::string_view test_case, std::string_view ext) {
  const fs::path dir = kSigV4Data / fs::path(test_case);
  return dir / (dir.filename().string() + std::string(ext));
}

class AwsSuiteTest : public testing::TestWithParam<std::string_view> {};

TEST_P(AwsSuiteTest, MatchesCanonicalRequestStringToSignAndAuthorization) {
  const std::string_view test_case = GetParam();
  std::string req, creq, sts, authz;
  ASSERT_TRUE(ReadRawFile(SuiteFile(test_case, ".req"), &req)) << SuiteFile(test_case, ".req");
  ASSERT_TRUE(ReadRawFile(SuiteFile(test_case, ".creq"), &creq));
  ASSERT_TRUE(ReadRawFile(SuiteFile(test_case, ".sts"), &sts));
  // .authz, not .sreq: get-vanilla-with-session-token.sreq carries get-vanilla's signature.
  ASSERT_TRUE(ReadRawFile(SuiteFile(test_case, ".authz"), &authz));

  RawRequest raw;
  ASSERT_TRUE(ParseRawRequest(req, &raw));

  Credentials credentials;
  credentials.access_key_id = kSuiteAccessKeyId;
  credentials.secret_access_key = kSuiteSecret;
  if (auto it = kSuiteSessionTokens.find(test_case); it != kSuiteSessionTokens.end()) {
    credentials.session_token = it->second;
  }

  SignableRequest request;
  request.method = raw.method;
  request.canonical_uri = UriEncode(raw.path, /*encode_slash=*/false);
  ASSERT_TRUE(DecodeQuery(raw.raw_query, &request.query)) << raw.raw_query;
  for (auto& [name, value] : raw.headers) {
    // The signer adds the token header from the credentials. This also covers
    // post-sts-header-after: its .req has no token, the token is appended only
    // after signing, so signing without one reproduces its .creq.
    if (Lower(name) == "x-amz-security-token") {
      credentials.session_token = value;
      continue;
    }
    // The signer sets x-amz-date from the frozen clock, replacing this one;
    // check that the two agree so the replacement changes nothing.
    if (Lower(name) == "x-amz-date") {
      EXPECT_EQ(value, kSuiteAmzDate);
    }
    request.headers.emplace_back(name, value);
  }
  request.payload_hash = Sha256Hex(raw.body);

  SigningParams params;
  params.region = "us-east-1";
  params.service = "service";
  params.time = AmzDate(kSuiteAmzDate);
  params.add_content_sha256_header = false;  // the generic suite signs none
  params.normalize_path = true;              // the generic suite normalises; S3 never does

  const SigningResult result = SignRequest(request, credentials, params);
  EXPECT_EQ(result.canonical_request, creq);
  EXPECT_EQ(result.string_to_sign, sts);
  EXPECT_EQ(result.authorization, authz);
  EXPECT_EQ(HeaderValues(request.headers, "authorization"),
            std::vector<std::string>{result.authorization});
  EXPECT_EQ(HeaderValues(request.headers, "x-amz-date"),
            std::vector<std::string>{std::string(kSuiteAmzDate)});
}

INSTANTIATE_TEST_SUITE_P(Sigv4Suite, AwsSuiteTest, testing::ValuesIn(kAwsSuiteCases),
                         [](const testing::TestParamInfo<std::string_view>& info) {
                           return ToTestName(info.param);
                         });

// Guards the table above: a case added to or removed from the data must show up here.
TEST(AwsSuiteDataTest, TableListsEveryCaseInTheData) {
  std::vector<std::string> on_disk;
  for (const auto& entry : fs::recursive_directory_iterator(kSigV4Data)) {
    if (entry.path().extension() != ".req") continue;
    on_disk.push_back(fs::relative(entry.path().parent_path(), kSigV4Data).generic_string());
  }
  std::sort(on_disk.begin(), on_disk.end());
  std::vector<std::string> listed(std::begin(kAwsSuiteCases), std::end(kAwsSuiteCases));
  std::sort(listed.begin(), listed.end());
  EXPECT_EQ(on_disk, listed);
  EXPECT_EQ(listed.size(), 34u);
}

// ---------------------------------------------------------------------------
// The four S3 examples of the S3 API Reference (s3-examples.json).
// ---------------------------------------------------------------------------

const nlohmann::json& S3Examples() {
  static const nlohmann::json examples = [] {
    std::string text;
    if (!ReadRawFile(kSigV4Data / "s3-examples.json", &text)) return nlohmann::json();
    return nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  }();
  return examples;
}

const nlohmann::json* FindS3Example(std::string_view name) {
  const nlohmann::json& examples = S3Examples();
  if (!examples.is_object() || !examples.contains("cases")) return nullptr;
  for (const nlohmann::json& c : examples["cases"]) {
    if (c.value("name", "") == name) return &c;
  }
  return nullptr;
}

// The AWS page writes "Credential=...,SignedHeaders=...,Signature=..."; this
// signer writes ", " between the parts, as the SigV4 suite's .authz files,
// botocore and curl do. AWS accepts both; the commas are the only difference.
std::string WithSpaceAfterCommas(std::string_view authorization) {
  std::string out;
  for (char c : authorization) {
    out.push_back(c);
    if (c == ',') out.push_back(' ');
  }
  return out;
}

constexpr std::string_view kS3ExampleNames[] = {
    "get-object-range",
    "put-object",
    "get-bucket-lifecycle",
    "list-objects",
};

// Parameter: (example name, add_content_sha256_header). The examples list
// x-amz-content-sha256 among their headers, so both modes must sign the same:
// false signs the given header as is, true replaces it with payload_hash.
class S3ExampleTest : public testing::TestWithParam<std::tuple<std::string_view, bool>> {};

TEST_P(S3ExampleTest, MatchesDocumentedSignature) {
  const auto [name, signer_adds_sha256] = GetParam();
  const nlohmann::json& examples = S3Examples();
  const nlohmann::json* example = FindS3Example(name);
  ASSERT_NE(example, nullptr) << "no case " << name << " in s3-examples.json";
  const nlohmann::json& in = (*example)["request"];
  const nlohmann::json& expected = (*example)["expected"];

  Credentials credentials;
  credentials.access_key_id = examples["credentials"]["access_key_id"].get<std::string>();
  credentials.secret_access_key = examples["credentials"]["secret_access_key"].get<std::string>();

  SignableRequest request;
  request.method = in["method"].get<std::string>();
  request.canonical_uri = UriEncode(in["path"].get<std::string>(), /*encode_slash=*/false);
  for (const nlohmann::json& pair : in["query"]) {
    request.query.emplace_back(pair[0].get<std::string>(), pair[1].get<std::string>());
  }
  for (const nlohmann::json& header : in["headers"]) {
    request.headers.emplace_back(header[0].get<std::string>(), header[1].get<std::string>());
  }
  request.payload_hash = Sha256Hex(in["payload"].get<std::string>());

  SigningParams params;
  params.region = examples["region"].get<std::string>();
  params.service = examples["service"].get<std::string>();
  params.time = AmzDate(examples["amz_date"].get<std::string>());
  params.add_content_sha256_header = signer_adds_sha256;

  EXPECT_EQ(request.canonical_uri, expected["canonical_uri"].get<std::string>());
  EXPECT_EQ(CanonicalQueryString(request.query),
            expected["canonical_query_string"].get<std::string>());
  EXPECT_EQ(request.payload_hash, expected["payload_sha256"].get<std::string>());

  const SigningResult result = SignRequest(request, credentials, params);
  EXPECT_NE(result.authorization.find(
                "SignedHeaders=" + expected["signed_headers"].get<std::string>() + ","),
            std::string::npos);
  EXPECT_EQ(result.canonical_request, expected["canonical_request"].get<std::string>());
  EXPECT_EQ(Sha256Hex(result.canonical_request),
            expected["canonical_request_sha256"].get<std::string>());
  EXPECT_EQ(result.string_to_sign, expected["string_to_sign"].get<std::string>());
  const std::string date = examples["date"].get<std::string>();
  EXPECT_EQ(HexEncode(DeriveSigningKey(credentials.secret_access_key, date, params.region,
                                       params.service)),
            examples["signing_key_hex_derived"].get<std::string>());
  EXPECT_TRUE(result.authorization.ends_with(", Signature=" +
                                             expected["signature"].get<std::string>()));
  EXPECT_EQ(result.authorization,
            WithSpaceAfterCommas(expected["authorization"].get<std::string>()));
  EXPECT_EQ(HeaderValues(request.headers, "x-amz-content-sha256"),
            std::vector<std::string>{expected["payload_sha256"].get<std::string>()});
  EXPECT_EQ(HeaderValues(request.headers, "x-amz-date").size(), 1u);
}

INSTANTIATE_TEST_SUITE_P(
    S3Examples, S3ExampleTest,
    testing::Combine(testing::ValuesIn(kS3ExampleNames), testing::Bool()),
    [](const testing::TestParamInfo<std::tuple<std::string_view, bool>>& info) {
      return ToTestName(std::get<0>(info.param)) +
             (std::get<1>(info.param) ? "_signer_adds_sha256" : "_sha256_given");
    });

// ---------------------------------------------------------------------------
// The steps of the pipeline.
// ---------------------------------------------------------------------------

TEST(CanonicalQueryStringTest, EncodesAndSorts) {
  struct Case {
    std::string_view name;
    QueryParams query;
    std::string_view expected;
  } cases[] = {
      {"empty", {}, ""},
      {"value-less sub-resource", {{"acl", ""}}, "acl="},
      {"continuation token", {{"continuation-token", "1/abc+def=="}},
       "continuation-token=1%2Fabc%2Bdef%3D%3D"},
      {"space and slash", {{"prefix", "a b/c"}}, "prefix=a%20b%2Fc"},
      {"percent is encoded, not passed through", {{"k", "100%"}}, "k=100%25"},
      {"already-encoded text is encoded again", {{"k", "%20"}}, "k=%2520"},
      {"ampersand and equals", {{"a&b", "c=d"}}, "a%26b=c%3Dd"},
      {"plus and space in a name", {{"a+b", " "}}, "a%2Bb=%20"},
      {"unicode", {{"prefix", "caf\xC3\xA9/"}}, "prefix=caf%C3%A9%2F"},
      {"unreserved kept", {{"-._~", "-._~"}}, "-._~=-._~"},
      {"sorted by name", {{"prefix", "J"}, {"max-keys", "2"}}, "max-keys=2&prefix=J"},
      {"repeated key sorted by value", {{"Param1", "value2"}, {"Param1", "Value1"}},
       "Param1=Value1&Param1=value2"},
      {"name before value, not joined string", {{"Param-3", "Value3"}, {"Param", "Value2"}},
       "Param=Value2&Param-3=Value3"},
      {"sorted by encoded bytes", {{"~a", "1"}, {"\xC3\xA9", "2"}}, "%C3%A9=2&~a=1"},
      {"case-sensitive", {{"b", "1"}, {"B", "2"}}, "B=2&b=1"},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(CanonicalQueryString(c.query), c.expected) << c.name;
  }
}

TEST(BuildCanonicalHeadersTest, NormalisesFromOneSortedMap) {
  struct Case {
    std::string_view name;
    HeaderList headers;
    std::string_view canonical;
    std::string_view signed_headers;
  } cases[] = {
      {"empty", {}, "", ""},
      {"lowercased and sorted",
       {{"X-Amz-Date", "20150830T123600Z"}, {"Host", "example.amazonaws.com"}},
       "host:example.amazonaws.com\nx-amz-date:20150830T123600Z\n", "host;x-amz-date"},
      {"trimmed and collapsed", {{"My-Header2", " \t\"a   b \t c\"  "}},
       "my-header2:\"a b c\"\n", "my-header2"},
      {"repeated names joined in given order",
       {{"My-Header1", "value4"}, {"Host", "h"}, {"my-header1", "value1"},
        {"MY-HEADER1", " value3 "}},
       "host:h\nmy-header1:value4,value1,value3\n", "host;my-header1"},
      {"empty value kept", {{"x-amz-meta-empty", ""}, {"Host", "h"}},
       "host:h\nx-amz-meta-empty:\n", "host;x-amz-meta-empty"},
      {"value case kept", {{"My-Header1", "VALUE1"}}, "my-header1:VALUE1\n", "my-header1"},
  };
  for (const Case& c : cases) {
    const CanonicalHeaders out = BuildCanonicalHeaders(c.headers);
    EXPECT_EQ(out.canonical, c.canonical) << c.name;
    EXPECT_EQ(out.signed_headers, c.signed_headers) << c.name;
  }
}

TEST(NormalizePathTest, RemovesDotSegmentsAndRepeatedSlashes) {
  struct Case {
    std::string_view path;
    std::string_view expected;
  } cases[] = {
      {"", "/"},
      {"/", "/"},
      {"//", "/"},
      {"/./", "/"},
      {"/./example", "/example"},
      {"//example//", "/example/"},
      {"/example/..", "/"},
      {"/example1/example2/../..", "/"},
      {"/..", "/"},
      {"/a/./b//", "/a/b/"},
      {"/a/b/..", "/a/"},
      {"/a/b/.", "/a/b/"},
      {"/a/b/../c", "/a/c"},
      {"/example%20space/", "/example%20space/"},
      {"/...", "/..."},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(NormalizePath(c.path), c.expected) << "path '" << c.path << "'";
  }
}

TEST(CanonicalRequestTest, JoinsTheSixParts) {
  SignableRequest request;
  request.method = "GET";
  request.canonical_uri = "/test.txt";
  request.query = {{"prefix", "J"}, {"max-keys", "2"}};
  request.payload_hash = "UNSIGNED-PAYLOAD";
  const CanonicalHeaders headers = BuildCanonicalHeaders({{"Host", "h"}, {"X-Amz-Date", "d"}});
  EXPECT_EQ(CanonicalRequest(request, headers, /*normalize_path=*/false),
            "GET\n/test.txt\nmax-keys=2&prefix=J\nhost:h\nx-amz-date:d\n\nhost;x-amz-date\n"
            "UNSIGNED-PAYLOAD");
}

TEST(CanonicalRequestTest, EmptyPathIsSlash) {
  SignableRequest request;
  request.method = "GET";
  const CanonicalHeaders headers = BuildCanonicalHeaders({{"Host", "h"}});
  EXPECT_EQ(CanonicalRequest(request, headers, false), "GET\n/\n\nhost:h\n\nhost\n");
}

TEST(CanonicalRequestTest, S3PathIsNeverNormalised) {
  // The example of normalize-path/normalize-path.txt: these are distinct S3 keys.
  SignableRequest request;
  request.method = "GET";
  request.canonical_uri = "/my-object//example//photo.user";
  const CanonicalHeaders headers = BuildCanonicalHeaders({{"Host", "h"}});
  EXPECT_TRUE(CanonicalRequest(request, headers, /*normalize_path=*/false)
                  .starts_with("GET\n/my-object//example//photo.user\n"));
  EXPECT_TRUE(CanonicalRequest(request, headers, /*normalize_path=*/true)
                  .starts_with("GET\n/my-object/example/photo.user\n"));
}

TEST(CredentialScopeTest, JoinsWithTerminator) {
  EXPECT_EQ(CredentialScope("20150830", "us-east-1", "service"),
            "20150830/us-east-1/service/aws4_request");
}

TEST(StringToSignTest, HashesTheCanonicalRequest) {
  EXPECT_EQ(StringToSign("20150830T123600Z", "20150830/us-east-1/service/aws4_request", ""),
            "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n"
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(DeriveSigningKeyTest, MatchesAwsDocumentationExample) {
  // "Examples of how to derive a signing key for Signature Version 4" (AWS General Reference).
  EXPECT_EQ(HexEncode(DeriveSigningKey("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "20120215",
                                       "us-east-1", "iam")),
            "f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d");
}

TEST(SignatureHexTest, IsLowercaseHexHmac) {
  std::string key;
  ASSERT_TRUE(HexDecode("dbb893acc010964918f1fd433add87c70e8b0db6be30c1fbeafefa5ec6ba8378", &key));
  EXPECT_EQ(SignatureHex(key,
                         "AWS4-HMAC-SHA256\n20130524T000000Z\n20130524/us-east-1/s3/aws4_request\n"
                         "7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972"),
            "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
}

// ---------------------------------------------------------------------------
// SignRequest: the whole pipeline on S3-shaped requests.
// ---------------------------------------------------------------------------

constexpr std::string_view kS3Secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";

class SignRequestTest : public testing::Test {
 protected:
  SignRequestTest() {
    credentials_.access_key_id = "AKIAIOSFODNN7EXAMPLE";
    credentials_.secret_access_key = kS3Secret;
    request_.method = "GET";
    request_.canonical_uri = "/test.txt";
    request_.headers = {{"Host", "examplebucket.s3.amazonaws.com"}};
    request_.payload_hash = Sha256Hex("");
    params_.region = "us-east-1";
    params_.time = AmzDate("20130524T000000Z");
  }

  Credentials credentials_;
  SignableRequest request_;
  SigningParams params_;
};

// Each thread keeps its last signing key (four HMACs saved per request):
// whatever changes — secret, day, region, service — the signature is the one
// a freshly derived key gives, also when an earlier combination comes back.
TEST_F(SignRequestTest, ACachedSigningKeyIsNeverUsedForOtherCredentialsDaysOrRegions) {
  struct Case {
    std::string secret, amz_date, region, service;
  };
  const std::vector<Case> cases = {
      {std::string(kS3Secret), "20130524T000000Z", "us-east-1", "s3"},
      {"another-secret", "20130524T000000Z", "us-east-1", "s3"},
      {std::string(kS3Secret), "20130525T000000Z", "us-east-1", "s3"},
      {std::string(kS3Secret), "20130525T120000Z", "eu-west-1", "s3"},
      {std::string(kS3Secret), "20130525T120000Z", "eu-west-1", "iam"},
      {std::string(kS3Secret), "20130524T000000Z", "us-east-1", "s3"},
  };
  for (const Case& c : cases) {
    SignableRequest request = request_;
    Credentials credentials = credentials_;
    credentials.secret_access_key = c.secret;
    SigningParams params = params_;
    params.time = AmzDate(c.amz_date);
    params.region = c.region;
    params.service = c.service;
    const SigningResult result = SignRequest(request, credentials, params);
    const std::string expected = SignatureHex(
        DeriveSigningKey(c.secret, c.amz_date.substr(0, 8), c.region, c.service), result.string_to_sign);
    EXPECT_TRUE(result.authorization.ends_with("Signature=" + expected))
        << c.secret << " " << c.amz_date << " " << c.region << " " << c.service;
  }
}

TEST_F(SignRequestTest, AppendsDateContentHashThenAuthorization) {
  const SigningResult result = SignRequest(request_, credentials_, params_);
  const HeaderList expected_headers = {
      {"Host", "examplebucket.s3.amazonaws.com"},
      {"x-amz-date", "20130524T000000Z"},
      {"x-amz-content-sha256", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
      {"Authorization", result.authorization},
  };
  EXPECT_EQ(request_.headers, expected_headers);
  const std::string prefix =
      "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "
      "SignedHeaders=host;x-amz-content-sha256;x-amz-date, Signature=";
  ASSERT_TRUE(result.authorization.starts_with(prefix)) << result.authorization;
  const std::string signature = result.authorization.substr(prefix.size());
  EXPECT_EQ(signature.size(), 64u);
  EXPECT_EQ(signature.find_first_not_of("0123456789abcdef"), std::string::npos);
}

TEST_F(SignRequestTest, SessionTokenHeaderIsAddedAndSigned) {
  credentials_.session_token = "FwoGZXIvYXdzEXAMPLE+token/==";
  const SigningResult result = SignRequest(request_, credentials_, params_);
  EXPECT_EQ(HeaderValues(request_.headers, "x-amz-security-token"),
            std::vector<std::string>{"FwoGZXIvYXdzEXAMPLE+token/=="});
  EXPECT_NE(result.canonical_request.find("\nx-amz-security-token:FwoGZXIvYXdzEXAMPLE+token/==\n"),
            std::string::npos);
  EXPECT_NE(result.authorization.find("SignedHeaders=host;x-amz-content-sha256;x-amz-date;"
                                      "x-amz-security-token,"),
            std::string::npos);
}

TEST_F(SignRequestTest, NoSessionTokenNoTokenHeader) {
  SignRequest(request_, credentials_, params_);
  EXPECT_TRUE(HeaderValues(request_.headers, "x-amz-security-token").empty());
}

TEST_F(SignRequestTest, UnsignedPayloadPassesThrough) {
  request_.method = "PUT";
  request_.payload_hash = "UNSIGNED-PAYLOAD";
  const SigningResult result = SignRequest(request_, credentials_, params_);
  EXPECT_EQ(HeaderValues(request_.headers, "x-amz-content-sha256"),
            std::vector<std::string>{"UNSIGNED-PAYLOAD"});
  EXPECT_TRUE(result.canonical_request.ends_with("\nUNSIGNED-PAYLOAD"));
}

TEST_F(SignRequestTest, ContentHashHeaderOnlyWhenAsked) {
  params_.add_content_sha256_header = false;
  const SigningResult result = SignRequest(request_, credentials_, params_);
  EXPECT_TRUE(HeaderValues(request_.headers, "x-amz-content-sha256").empty());
  EXPECT_NE(result.authorization.find("SignedHeaders=host;x-amz-date,"), std::string::npos);
}

TEST_F(SignRequestTest, EncodedKeyIsUsedVerbatim) {
  // The caller encodes the key once; the signer must neither decode, re-encode
  // nor normalise it: "%20" in the key is a literal percent sign, sent as %25.
  const std::string key = "photos//my file+1%20caf\xC3\xA9.jpg";
  request_.canonical_uri = "/" + UriEncode(key, /*encode_slash=*/false);
  ASSERT_EQ(request_.canonical_uri, "/photos//my%20file%2B1%2520caf%C3%A9.jpg");
  const SigningResult result = SignRequest(request_, credentials_, params_);
  EXPECT_TRUE(result.canonical_request.starts_with(
      "GET\n/photos//my%20file%2B1%2520caf%C3%A9.jpg\n\n"))
      << result.canonical_request;
}

TEST_F(SignRequestTest, QueryIsEncodedOnceAndMatchesUrl) {
  request_.canonical_uri = "/";
  request_.query = {{"list-type", "2"}, {"continuation-token", "1/abc+def=="}, {"acl", ""}};
  const SigningResult result = SignRequest(request_, credentials_, params_);
  EXPECT_TRUE(result.canonical_request.starts_with(
      "GET\n/\nacl=&continuation-token=1%2Fabc%2Bdef%3D%3D&list-type=2\n"));
}

TEST_F(SignRequestTest, SecretNeverInOutput) {
  credentials_.session_token = "token";
  const SigningResult result = SignRequest(request_, credentials_, params_);
  for (const std::string* text :
       {&result.authorization, &result.canonical_request, &result.string_to_sign}) {
    EXPECT_EQ(text->find(kS3Secret), std::string::npos) << *text;
    EXPECT_EQ(text->find(UriEncode(kS3Secret)), std::string::npos) << *text;
  }
  for (const auto& [name, value] : request_.headers) {
    EXPECT_EQ(value.find(kS3Secret), std::string::npos) << name;
  }
}

TEST_F(SignRequestTest, ResigningReplacesOwnedHeaders) {
  // A retry re-signs the same request later, here after the credentials were
  // refreshed to long-term ones: no duplicate and no stale header may remain.
  credentials_.session_token = "old-token";
  SignRequest(request_, credentials_, params_);
  credentials_.session_token.clear();
  params_.time += std::chrono::minutes(5);
  const SigningResult again = SignRequest(request_, credentials_, params_);

  EXPECT_EQ(HeaderValues(request_.headers, "x-amz-date"),
            std::vector<std::string>{"20130524T000500Z"});
  EXPECT_EQ(HeaderValues(request_.headers, "x-amz-content-sha256").size(), 1u);
  EXPECT_TRUE(HeaderValues(request_.headers, "x-amz-security-token").empty());
  EXPECT_EQ(HeaderValues(request_.headers, "authorization"),
            std::vector<std::string>{again.authorization});

  SignableRequest fresh = request_;
  fresh.headers = {{"Host", "examplebucket.s3.amazonaws.com"}};
  EXPECT_EQ(SignRequest(fresh, credentials_, params_).authorization, again.authorization);
  EXPECT_EQ(fresh.headers, request_.headers);
}

TEST_F(SignRequestTest, GivenContentHashKeptWhenSignerDoesNotOwnIt) {
  params_.add_content_sha256_header = false;
  request_.headers.emplace_back("X-Amz-Content-SHA256", "STREAMING-UNSIGNED-PAYLOAD-TRAILER");
  request_.payload_hash = "STREAMING-UNSIGNED-PAYLOAD-TRAILER";
  const SigningResult result = SignRequest(request_, credentials_, params_);
  EXPECT_EQ(HeaderValues(request_.headers, "x-amz-content-sha256"),
            std::vector<std::string>{"STREAMING-UNSIGNED-PAYLOAD-TRAILER"});
  EXPECT_NE(
      result.canonical_request.find("\nx-amz-content-sha256:STREAMING-UNSIGNED-PAYLOAD-TRAILER\n"),
      std::string::npos);
}

}  // namespace
}  // namespace s3m::s3
