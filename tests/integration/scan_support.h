// Helpers shared by the scan integration tests (scan_test.cc, scan_cli_test.cc):
// a temp dir, parallel uploads, plain-SQL checks and running the binary.
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "s3/object_store.h"
#include "store/sqlite.h"
#include "test_servers.h"

namespace s3m::testing {

class ScanTempDir {
 public:
  ScanTempDir();
  ~ScanTempDir();
  std::string File(const std::string& name) const { return path_ + "/" + name; }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// Creates a bucket named UniqueBucketName(suffix), with versioning enabled
// when asked; reports failures with ADD_FAILURE.
std::string CreateTestBucket(s3::ObjectStore& store, const std::string& suffix, bool versioned = false);

// PUTs every key (body "body of <key>" unless given) with 16 threads; returns
// false (after reporting with ADD_FAILURE) if any upload failed.
bool PutMany(s3::ObjectStore& store, const std::string& bucket, const std::vector<std::string>& keys,
             const std::map<std::string, std::string>& bodies = {});

// Opens `db_path` read-only and runs `sql`, the way a user would in sqlite3.
int64_t SqlInt(const std::string& db_path, const std::string& sql);
std::map<std::string, int64_t> CountByState(const std::string& db_path);  // SELECT state, COUNT(*) ... GROUP BY state;
std::set<std::string> SqlStrings(const std::string& db_path, const std::string& sql);
void SqlExec(const std::string& db_path, const std::string& sql);

// Keys that need URL encoding in a request or a listing. Control characters
// only where the server URL-encodes listings (s3rver returns them raw and
// its XML breaks).
std::vector<std::string> AwkwardScanKeys(const TestServer& server);

// gtest parameter names and the servers with versioning, for INSTANTIATE_TEST_SUITE_P.
std::string ScanServerName(const ::testing::TestParamInfo<TestServer>& info);
std::vector<TestServer> ScanVersioningServers();

struct CliResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};
// Runs the s3migrate binary (S3M_BINARY) with `args`, credentials and
// endpoint of `server`, no AWS config files, in `dir`.
CliResult RunS3migrate(const TestServer& server, const std::string& dir,
                       const std::vector<std::string>& args,
                       const std::string& access_key_override = "");

}  // namespace s3m::testing
