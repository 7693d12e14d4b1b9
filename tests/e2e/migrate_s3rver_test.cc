// The standard-class migration against s3rver 3.7.1 (scripts/with-test-servers.sh
// --s3rver), whose quirks (PRODUCT.md §9) differ from the emulator's: it
// ignores If-Match and the ETags in DeleteObjects (the delete gate must fall
// back to HEAD-then-DELETE), answers plain MD5 ETags for multipart uploads and
// knows no HeadObject partNumber.
//
// Found through the integration tests' server list (tests/integration/
// test_servers.h): the test fails when s3rver is expected but its endpoint is
// missing, and is skipped only when S3M_TEST_SERVERS explicitly leaves it out.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>

#include "e2e_support.h"
#include "test_servers.h"

namespace s3m::testing {
namespace {

TEST(MigrateS3rverTest, MovesStandardObjectsAndEmptiesTheBucket) {
  const auto expected = ExpectedServerNames();
  if (std::find(expected.begin(), expected.end(), "s3rver") == expected.end()) {
    GTEST_SKIP() << "S3M_TEST_SERVERS leaves s3rver out";
  }
  const auto servers = ConfiguredServers();
  auto it = std::find_if(servers.begin(), servers.end(),
                         [](const TestServer& s) { return s.name == "s3rver"; });
  ASSERT_NE(it, servers.end())
      << "no endpoint for s3rver (S3M_TEST_S3RVER_ENDPOINT): run the tests through "
         "scripts/with-test-servers.sh --s3rver";
  const TestServer& server = *it;
  auto client = MakeClient(server);
  const std::string bucket = UniqueBucketName("e2e");
  ASSERT_TRUE(client->CreateBucket(bucket).ok());

  std::map<std::string, std::string> uploaded;
  auto put = [&](const std::string& key, const std::string& body) {
    s3::PutObjectRequest req;
    req.bucket = bucket;
    req.key = key;
    req.body = body;
    PutTestObject(*client, req);
    uploaded[key] = body;
  };
  for (int i = 0; i < 40; ++i) put("small/" + std::to_string(i), TestBytes(100 + i * 97, i));
  put("empty", "");
  put("large", TestBytes(3 * (1 << 20) + 11, 50));  // ranged GETs, MD5 ETag
  put("a", "a file named a");
  put("a/b", "and a file below a");
  put("dir/", "");
  put("with space", "spaces");
  put("unicod\xc3\xa9", "utf-8");
  // A multipart upload: s3rver answers a plain MD5 ETag for it.
  uploaded["multipart"] = PutTestMultipart(*client, bucket, "multipart", 2, 5 * (1 << 20), 1000);

  S3migrateRun run(server.endpoint, server.access_key, server.secret_key, server.region);
  run.AddConfig("download_chunk_size = \"1MiB\"");
  run.AddConfig("concurrency = 4");
  ProcessResult scan = run.Run({"scan", bucket});
  ASSERT_EQ(scan.exit_code, 0) << scan.out << scan.err;
  ProcessResult migrate = run.Run({"migrate"});
  EXPECT_EQ(migrate.exit_code, 0) << migrate.out << migrate.err;

  EXPECT_EQ(SqlInt(run.db(), "SELECT COUNT(*) FROM files WHERE state != 'deleted'"), 0)
      << ::testing::PrintToString(
             Sql(run.db(), "SELECT key, state, error_message FROM files WHERE state != 'deleted'"));
  EXPECT_EQ(SqlInt(run.db(), "SELECT COUNT(*) FROM files"), static_cast<int64_t>(uploaded.size()));
  for (const auto& [key, body] : uploaded) ExpectLocalFile(run, bucket, key, body);
  s3::ListObjectsV2Request list;
  list.bucket = bucket;
  auto left = client->ListObjectsV2(list);
  ASSERT_TRUE(left.ok()) << left.status().ToString();
  EXPECT_TRUE(left->objects.empty()) << left->objects.size() << " objects left, first "
                                     << left->objects.front().key;
  DestroyBucket(*client, bucket, /*versioned=*/false);
}

}  // namespace
}  // namespace s3m::testing
