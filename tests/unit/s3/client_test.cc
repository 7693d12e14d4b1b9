// S3Client's own logic: URL building, region redirects, error mapping and
// retries, against a real local HTTP server (cpp-httplib) that plays the part
// of endpoints no test server can (another region, a flaky server).
#include "s3/client.h"

#include <httplib.h>

#include <atomic>
#include <thread>

#include <gtest/gtest.h>

namespace s3m::s3 {
namespace {

std::shared_ptr<CredentialsProvider> TestCredentials() {
  Credentials c;
  c.access_key_id = "AKIDEXAMPLE";
  c.secret_access_key = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
  c.source = "test";
  return MakeStaticCredentialsProvider(c);
}

std::unique_ptr<S3Client> MakeClient(const std::string& endpoint, bool path_style = false,
                                     Clock* clock = nullptr) {
  S3ClientOptions o;
  o.endpoint_url = endpoint;
  o.force_path_style = path_style;
  o.transport = MakeCurlTransport({});
  o.credentials = TestCredentials();
  o.clock = clock;
  o.random = [] { return 0.5; };
  auto c = S3Client::Create(std::move(o));
  EXPECT_TRUE(c.ok()) << c.status().ToString();
  return std::move(c).value();
}

TEST(S3ClientTargetTest, PathStyleForIpEndpointsEncodesKeyOnceAndKeepsSlashes) {
  auto client = MakeClient("http://127.0.0.1:9000");
  S3Client::Request r;
  r.bucket = "photos";
  r.key = "2020/my cat+dog%/ü.jpg";
  r.query = {{"versionId", "a/b+c="}};
  auto t = client->BuildTarget(r, "us-east-1");
  EXPECT_EQ(t.host, "127.0.0.1:9000");
  EXPECT_EQ(t.canonical_uri, "/photos/2020/my%20cat%2Bdog%25/%C3%BC.jpg");
  EXPECT_EQ(t.url, "http://127.0.0.1:9000/photos/2020/my%20cat%2Bdog%25/%C3%BC.jpg?versionId=a%2Fb%2Bc%3D");
}

TEST(S3ClientTargetTest, DotSegmentsAndDoubleSlashesAreSentAsIs) {
  auto client = MakeClient("http://localhost:9000");
  S3Client::Request r;
  r.bucket = "b";
  r.key = "../x//./y/";
  EXPECT_EQ(client->BuildTarget(r, "us-east-1").canonical_uri, "/b/../x//./y/");
  r.key = "/abs";
  EXPECT_EQ(client->BuildTarget(r, "us-east-1").canonical_uri, "/b//abs");
}

TEST(S3ClientTargetTest, VirtualHostedForDnsNamesUnlessPathStyleForced) {
  auto client = MakeClient("https://s3.example.com");
  S3Client::Request r;
  r.bucket = "photos";
  r.key = "a b";
  auto t = client->BuildTarget(r, "eu-west-1");
  EXPECT_EQ(t.host, "photos.s3.example.com");
  EXPECT_EQ(t.url, "https://photos.s3.example.com/a%20b");
  r.bucket = "Not.DNS_Safe";
  t = client->BuildTarget(r, "eu-west-1");
  EXPECT_EQ(t.url, "https://s3.example.com/Not.DNS_Safe/a%20b");
  auto forced = MakeClient("https://s3.example.com/base/", /*path_style=*/true);
  r.bucket = "photos";
  EXPECT_EQ(forced->BuildTarget(r, "eu-west-1").url, "https://s3.example.com/base/photos/a%20b");
}

TEST(S3ClientTargetTest, AwsEndpointFollowsTheBucketRegion) {
  auto client = MakeClient("");
  S3Client::Request r;
  r.bucket = "photos";
  r.key = "k";
  EXPECT_EQ(client->BuildTarget(r, "eu-central-1").url, "https://photos.s3.eu-central-1.amazonaws.com/k");
  S3Client::Request list;
  EXPECT_EQ(client->BuildTarget(list, "us-east-1").url, "https://s3.us-east-1.amazonaws.com/");
}

TEST(S3ClientCreateTest, RejectsEndpointsWithoutSchemeOrHost) {
  for (const char* bad : {"127.0.0.1:9000", "ftp://host", "http://"}) {
    S3ClientOptions o;
    o.endpoint_url = bad;
    o.transport = MakeCurlTransport({});
    o.credentials = TestCredentials();
    auto c = S3Client::Create(std::move(o));
    ASSERT_FALSE(c.ok()) << bad;
    EXPECT_EQ(c.status().kind(), ErrorKind::kInvalidArgument);
  }
}

// A fake "S3" that answers in the ways real S3 does for the cases below.
class FakeS3 {
 public:
  FakeS3() {
    server_.Get("/moved/k", [this](const httplib::Request& req, httplib::Response& res) {
      const std::string auth = req.get_header_value("Authorization");
      if (auth.find("/eu-west-2/s3/aws4_request") == std::string::npos) {
        ++wrong_region_requests;
        res.status = 400;
        res.set_header("x-amz-bucket-region", "eu-west-2");
        res.set_content(
            "<Error><Code>AuthorizationHeaderMalformed</Code><Message>the region 'us-east-1' is "
            "wrong; expecting 'eu-west-2'</Message><Region>eu-west-2</Region></Error>",
            "application/xml");
        return;
      }
      res.set_content("moved body", "application/octet-stream");
    });
    server_.Get("/flaky/k", [this](const httplib::Request&, httplib::Response& res) {
      if (flaky_failures_left.fetch_sub(1) > 0) {
        res.status = 503;
        res.set_content("<Error><Code>SlowDown</Code><Message>Reduce your request rate.</Message>"
                        "<RequestId>R1</RequestId></Error>",
                        "application/xml");
        return;
      }
      res.set_content("finally", "application/octet-stream");
    });
    server_.Get("/plain/k", [](const httplib::Request&, httplib::Response& res) {
      res.set_content("plain", "application/octet-stream");
    });
    server_.Get("/denied/k", [](const httplib::Request&, httplib::Response& res) {
      res.status = 403;
      res.set_header("x-amz-request-id", "REQ-403");
      res.set_content("<Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>",
                      "application/xml");
    });
    server_.Get("/archived/k", [](const httplib::Request&, httplib::Response& res) {
      res.status = 403;
      res.set_content("<Error><Code>InvalidObjectState</Code><Message>The operation is not valid "
                      "for the object's storage class</Message></Error>",
                      "application/xml");
    });
    // HEAD ?partNumber=1 as AWS answers it for a two-part upload (5 MiB part 1
    // of 5 MiB + 1000 bytes) and for a 100-byte single-part object, and as
    // s3rver answers it, ignoring partNumber.
    server_.Get("/parts/multipart", [](const httplib::Request&, httplib::Response& res) {
      res.status = 206;
      res.set_header("Content-Range", "bytes 0-5242879/5243880");
      res.set_header("x-amz-mp-parts-count", "2");
      res.set_content(std::string(5 << 20, 'p'), "application/octet-stream");
    });
    server_.Get("/parts/single", [](const httplib::Request&, httplib::Response& res) {
      res.status = 206;
      res.set_header("Content-Range", "bytes 0-99/100");
      res.set_content(std::string(100, 's'), "application/octet-stream");
    });
    server_.Get("/parts/ignored", [](const httplib::Request&, httplib::Response& res) {
      res.set_content(std::string(100, 's'), "application/octet-stream");
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    while (!server_.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ~FakeS3() {
    server_.stop();
    thread_.join();
  }
  std::string endpoint() const { return "http://127.0.0.1:" + std::to_string(port_); }

  std::atomic<int> wrong_region_requests{0};
  std::atomic<int> flaky_failures_left{0};

 private:
  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
};

Result<std::string> GetBody(S3Client& client, const std::string& bucket) {
  std::string body;
  GetObjectRequest req;
  req.bucket = bucket;
  req.key = "k";
  auto r = client.GetObject(req, [&](const char* d, size_t n) {
    body.append(d, n);
    return Status::Ok();
  });
  if (!r.ok()) return r.status();
  return body;
}

TEST(S3ClientTest, FollowsRegionHintOnceAndRemembersIt) {
  FakeS3 s3;
  FakeClock clock;
  auto client = MakeClient(s3.endpoint(), false, &clock);
  auto body = GetBody(*client, "moved");
  ASSERT_TRUE(body.ok()) << body.status().ToString();
  EXPECT_EQ(*body, "moved body");
  EXPECT_EQ(s3.wrong_region_requests.load(), 1);
  body = GetBody(*client, "moved");  // the region is cached now
  ASSERT_TRUE(body.ok());
  EXPECT_EQ(s3.wrong_region_requests.load(), 1);
  EXPECT_EQ(clock.TotalSlept(), Clock::Duration::zero());  // a redirect is no retry
}

TEST(S3ClientTest, RetriesThrottlingWithBackoffThenSucceeds) {
  FakeS3 s3;
  s3.flaky_failures_left = 2;
  FakeClock clock;
  auto client = MakeClient(s3.endpoint(), false, &clock);
  auto body = GetBody(*client, "flaky");
  ASSERT_TRUE(body.ok()) << body.status().ToString();
  EXPECT_EQ(*body, "finally");
  // Throttled base 1 s, random fixed at 0.5: 0.5 s + 1 s.
  EXPECT_EQ(clock.TotalSlept(), std::chrono::milliseconds(1500));
}

// Issue 15: a SlowDown paces every request of the client (rclone's pacer),
// not only the throttled one's retries: requests sent at once after it are
// spaced out, and the pace decays back to none with successes.
TEST(S3ClientTest, ThrottlingSlowsEveryRequestOfTheClient) {
  FakeS3 s3;
  s3.flaky_failures_left = 2;
  FakeClock clock;
  auto client = MakeClient(s3.endpoint(), false, &clock);
  ASSERT_TRUE(GetBody(*client, "flaky").ok());
  const auto after_retries = clock.TotalSlept();
  EXPECT_EQ(after_retries, std::chrono::milliseconds(1500));
  // Three requests back to back on the fake clock: the second and third wait
  // for their slots.
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(GetBody(*client, "plain").ok());
  EXPECT_GT(clock.TotalSlept(), after_retries);
  // Without throttling, nothing waits: many successes decay the pace to 0.
  for (int i = 0; i < 60; ++i) ASSERT_TRUE(GetBody(*client, "plain").ok());
  const auto settled = clock.TotalSlept();
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(GetBody(*client, "plain").ok());
  EXPECT_EQ(clock.TotalSlept(), settled);
}

TEST(S3ClientTest, GivesUpOnPersistentThrottlingWithContext) {
  FakeS3 s3;
  s3.flaky_failures_left = 1000;
  FakeClock clock;
  auto client = MakeClient(s3.endpoint(), false, &clock);
  auto body = GetBody(*client, "flaky");
  ASSERT_FALSE(body.ok());
  EXPECT_EQ(body.status().kind(), ErrorKind::kThrottled);
  EXPECT_EQ(body.status().context().s3_code, "SlowDown");
  EXPECT_EQ(body.status().context().request_id, "R1");
  EXPECT_EQ(body.status().context().bucket, "flaky");
  EXPECT_EQ(s3.flaky_failures_left.load(), 1000 - RetryPolicy{}.max_attempts);
}

// AccessDenied is about this object (issue 15): its own kind, never
// retried, and the message says what may be wrong without the secret.
TEST(S3ClientTest, AccessDeniedIsItsOwnKindAndNotRetried) {
  FakeS3 s3;
  FakeClock clock;
  auto client = MakeClient(s3.endpoint(), false, &clock);
  auto body = GetBody(*client, "denied");
  ASSERT_FALSE(body.ok());
  EXPECT_EQ(body.status().kind(), ErrorKind::kAccessDenied);
  EXPECT_EQ(body.status().context().request_id, "REQ-403");
  EXPECT_NE(body.status().message().find("credentials from test"), std::string::npos);
  EXPECT_EQ(body.status().message().find("EXAMPLEKEY"), std::string::npos);  // never the secret
  EXPECT_EQ(clock.TotalSlept(), Clock::Duration::zero());
}

TEST(S3ClientTest, ArchivedObjectNeedsRestore) {
  FakeS3 s3;
  auto client = MakeClient(s3.endpoint());
  auto body = GetBody(*client, "archived");
  ASSERT_FALSE(body.ok());
  EXPECT_EQ(body.status().kind(), ErrorKind::kNeedsRestore);
  EXPECT_EQ(body.status().context().s3_code, "InvalidObjectState");
}

Result<ObjectMetadata> HeadPartOne(S3Client& client, const std::string& key) {
  HeadObjectRequest req;
  req.bucket = "parts";
  req.key = key;
  req.part_number = 1;
  return client.HeadObject(req);
}

TEST(S3ClientTest, HeadObjectPartNumberDescribesThePartOfAMultipartUpload) {
  FakeS3 s3;
  auto client = MakeClient(s3.endpoint());
  auto meta = HeadPartOne(*client, "multipart");
  ASSERT_TRUE(meta.ok()) << meta.status().ToString();
  EXPECT_EQ(meta->content_length, 5u << 20);
  EXPECT_EQ(meta->parts_count, 2);
}

TEST(S3ClientTest, HeadObjectPartOneOfASinglePartObjectIsTheWholeObject) {
  FakeS3 s3;
  auto client = MakeClient(s3.endpoint());
  auto meta = HeadPartOne(*client, "single");
  ASSERT_TRUE(meta.ok()) << meta.status().ToString();
  EXPECT_EQ(meta->content_length, 100u);
  EXPECT_EQ(meta->parts_count, 0);
}

TEST(S3ClientTest, HeadObjectPartNumberIgnoredByTheServerIsUnsupported) {
  FakeS3 s3;
  auto client = MakeClient(s3.endpoint());
  auto meta = HeadPartOne(*client, "ignored");
  ASSERT_FALSE(meta.ok());
  EXPECT_EQ(meta.status().kind(), ErrorKind::kUnsupported);
  EXPECT_EQ(meta.status().context().key, "ignored");
}

TEST(ParseObjectMetadataTest, ReadsEveryHeaderS3migrateUses) {
  HttpResponse r;
  r.status = 200;
  r.headers = {{"content-length", "1234"},
               {"etag", "\"abc-2\""},
               {"last-modified", "Wed, 12 Oct 2009 17:50:00 GMT"},
               {"x-amz-storage-class", "GLACIER"},
               {"x-amz-version-id", "v1"},
               {"x-amz-meta-owner", "team"},
               {"x-amz-server-side-encryption", "aws:kms"},
               {"x-amz-restore", "ongoing-request=\"false\", expiry-date=\"Fri, 21 Dec 2012 00:00:00 GMT\""},
               {"x-amz-mp-parts-count", "2"},
               {"x-amz-checksum-crc64nvme", "AAAAAAAAAAA="},
               {"x-amz-checksum-type", "FULL_OBJECT"},
               {"content-encoding", "gzip"},
               {"content-language", "de-CH"},
               {"content-disposition", "attachment; filename=\"a b.txt\""},
               {"cache-control", "max-age=3600"},
               {"expires", "Thu, 01 Dec 2044 16:00:00 GMT"},
               {"x-amz-tagging-count", "3"}};
  ObjectMetadata m = ParseObjectMetadata(r);
  EXPECT_EQ(m.content_encoding, "gzip");
  EXPECT_EQ(m.content_language, "de-CH");
  EXPECT_EQ(m.content_disposition, "attachment; filename=\"a b.txt\"");
  EXPECT_EQ(m.cache_control, "max-age=3600");
  EXPECT_EQ(m.expires, "Thu, 01 Dec 2044 16:00:00 GMT");
  EXPECT_EQ(m.tag_count, 3);
  EXPECT_EQ(m.content_length, 1234u);
  EXPECT_EQ(m.etag, "abc-2");
  EXPECT_EQ(m.storage_class, "GLACIER");
  EXPECT_EQ(m.version_id, "v1");
  EXPECT_EQ(m.user_metadata["owner"], "team");
  EXPECT_EQ(m.server_side_encryption, "aws:kms");
  ASSERT_TRUE(m.restore.has_value());
  EXPECT_FALSE(m.restore->in_progress);
  EXPECT_EQ(m.parts_count, 2);
  EXPECT_EQ(m.checksums["CRC64NVME"], "AAAAAAAAAAA=");
  EXPECT_EQ(m.checksum_type, "FULL_OBJECT");
  HttpResponse plain;
  EXPECT_EQ(ParseObjectMetadata(plain).storage_class, "STANDARD");
}

}  // namespace
}  // namespace s3m::s3
