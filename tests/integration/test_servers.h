// The S3 servers that scripts/with-test-servers.sh started for this run (s3rver,
// OpenStack Swift's s3api and this repository's emulator, tools/s3emu), read
// from S3M_TEST_<NAME>_{ENDPOINT,ACCESS_KEY,SECRET_KEY,REGION}.
#pragma once

#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "s3/client.h"

namespace s3m::testing {

struct TestServer {
  std::string name;  // "s3rver", "swift", "s3emu"
  std::string endpoint;
  std::string access_key;
  std::string secret_key;
  std::string region;
  // Quirks, so each test asserts what that server really does (PRODUCT.md §9).
  // The defaults are AWS's behaviour, which s3emu follows in every one.
  bool verifies_signatures = true;      // s3rver checks only the access key id
  bool aws_multipart_etags = true;      // s3rver answers a plain MD5 for multipart uploads
  bool supports_versioning = true;      // s3rver has no versioning
  bool url_encodes_listings = true;     // s3rver ignores encoding-type=url
  bool single_byte_ranges = true;       // s3rver answers bytes=0-0 with the whole object
  bool supports_abort_multipart = true; // s3rver answers 405
  bool honours_if_match = true;         // s3rver ignores If-Match
  bool honours_conditional_delete = true;  // If-Match on DeleteObject
  // <ETag> entries in DeleteObjects: AWS honours them, s3rver ignores them,
  // Swift 2.30 rejects the request as MalformedXML.
  enum class BatchEtags { kHonoured, kIgnored, kRejected };
  BatchEtags batch_delete_etags = BatchEtags::kHonoured;
  bool supports_part_number = true;     // HeadObject?partNumber (Swift 2.30: 405)
  // x-amz-storage-class on PutObject is stored and listed back (GLACIER, ...);
  // s3rver and Swift list every object as STANDARD.
  bool keeps_storage_classes = true;
};

// gtest prints test parameters; show the server's name, not its bytes.
inline void PrintTo(const TestServer& server, std::ostream* os) { *os << server.name; }

// Every server the harness was asked for ("s3rver", "swift", "s3emu") that is configured.
std::vector<TestServer> ConfiguredServers();
// The server names this binary expects; a missing one fails the run.
std::vector<std::string> ExpectedServerNames();

std::unique_ptr<s3::S3Client> MakeClient(const TestServer& server,
                                         const std::string& secret_override = "");

// A bucket name unique to this process and call: "s3m-it-<pid>-<n>-<suffix>".
std::string UniqueBucketName(const std::string& suffix);

// Deletes every object version and the bucket; failures are ignored (cleanup).
void DestroyBucket(s3::ObjectStore& store, const std::string& bucket, bool versioned);

}  // namespace s3m::testing
