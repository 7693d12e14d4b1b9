// The S3 client against real third-party servers (s3rver, OpenStack Swift's
// s3api). Each test runs once per server; expectations that differ follow the
// server's documented quirks (PRODUCT.md §9), never a weaker check.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>

#include "core/hash.h"
#include "test_servers.h"

namespace s3m::testing {
namespace {

// Keys that must survive signing, URL building and listing unchanged.
const std::vector<std::string> kAwkwardKeys = {
    "plain.txt",
    "with space/and more spaces.txt",
    "plus+sign+key",
    "percent%20literal%",
    "amp&ersand=equals?question",
    "it's-a-quote",
    "unicode/\xc3\xa9t\xc3\xa9/\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e/\xf0\x9f\x98\x80.bin",
    "tilde~and_underscore-dash.dot",
    "semi;colon,comma:colon@at$dollar",
    "brackets[1](2){3}",
    "a/b/c/d/e/deep.txt",
    "star*hash#bang!",
};

class ClientIntegrationTest : public ::testing::TestWithParam<TestServer> {
 protected:
  void SetUp() override {
    server_ = GetParam();
    client_ = MakeClient(server_);
  }
  void TearDown() override {
    for (const auto& [bucket, versioned] : buckets_) DestroyBucket(*client_, bucket, versioned);
  }

  std::string NewBucket(const std::string& suffix, bool versioned = false) {
    std::string bucket = UniqueBucketName(suffix);
    Status s = client_->CreateBucket(bucket);
    EXPECT_TRUE(s.ok()) << s.ToString();
    buckets_[bucket] = versioned;
    if (versioned) {
      Status v = client_->PutBucketVersioning(bucket, true);
      EXPECT_TRUE(v.ok()) << v.ToString();
    }
    return bucket;
  }

  s3::PutObjectResult Put(const std::string& bucket, const std::string& key, const std::string& body) {
    s3::PutObjectRequest req;
    req.bucket = bucket;
    req.key = key;
    req.body = body;
    auto r = client_->PutObject(req);
    EXPECT_TRUE(r.ok()) << key << ": " << r.status().ToString();
    return r.ok() ? *r : s3::PutObjectResult{};
  }

  Result<std::string> Get(const s3::GetObjectRequest& req, s3::ObjectMetadata* meta = nullptr) {
    std::string body;
    s3::BodySink sink = [&](const char* data, size_t n) {
      body.append(data, n);
      return Status::Ok();
    };
    auto r = client_->GetObject(req, sink);
    if (!r.ok()) return r.status();
    if (meta != nullptr) *meta = *r;
    return body;
  }

  TestServer server_;
  std::unique_ptr<s3::S3Client> client_;
  std::map<std::string, bool> buckets_;
};

TEST_P(ClientIntegrationTest, ListBucketsShowsCreatedBucketAndRegionIsDiscovered) {
  const std::string bucket = NewBucket("list");
  auto buckets = client_->ListBuckets();
  ASSERT_TRUE(buckets.ok()) << buckets.status().ToString();
  EXPECT_TRUE(std::any_of(buckets->begin(), buckets->end(),
                          [&](const s3::BucketSummary& b) { return b.name == bucket; }));
  auto region = client_->GetBucketRegion(bucket);
  ASSERT_TRUE(region.ok()) << region.status().ToString();
  EXPECT_EQ(*region, server_.region);
}

TEST_P(ClientIntegrationTest, AwkwardKeysRoundTripThroughPutHeadGet) {
  const std::string bucket = NewBucket("keys");
  for (const std::string& key : kAwkwardKeys) {
    const std::string body = "body of " + key;
    auto put = Put(bucket, key, body);
    s3::HeadObjectRequest head;
    head.bucket = bucket;
    head.key = key;
    auto meta = client_->HeadObject(head);
    ASSERT_TRUE(meta.ok()) << key << ": " << meta.status().ToString();
    EXPECT_EQ(meta->content_length, body.size()) << key;
    EXPECT_EQ(meta->etag, HexEncode(Md5(body))) << key;
    EXPECT_EQ(meta->etag, put.etag) << key;

    s3::GetObjectRequest get;
    get.bucket = bucket;
    get.key = key;
    auto got = Get(get);
    ASSERT_TRUE(got.ok()) << key << ": " << got.status().ToString();
    EXPECT_EQ(*got, body) << key;
  }
}

TEST_P(ClientIntegrationTest, ThreePageListingReturnsEveryKeyExactlyOnce) {
  const std::string bucket = NewBucket("pages");
  std::set<std::string> expected(kAwkwardKeys.begin(), kAwkwardKeys.end());
  for (const std::string& key : expected) Put(bucket, key, "x");
  s3::ListObjectsV2Request req;
  req.bucket = bucket;
  req.max_keys = static_cast<int>((expected.size() + 2) / 3);  // 3 pages
  std::multiset<std::string> seen;
  int pages = 0;
  std::set<std::string> tokens;
  for (;;) {
    auto page = client_->ListObjectsV2(req);
    ASSERT_TRUE(page.ok()) << page.status().ToString();
    ++pages;
    for (const auto& o : page->objects) {
      seen.insert(o.key);
      EXPECT_EQ(o.size, 1u);
      EXPECT_EQ(o.etag, HexEncode(Md5("x")));
      EXPECT_EQ(o.storage_class, "STANDARD");
    }
    if (!page->is_truncated) break;
    ASSERT_FALSE(page->next_continuation_token.empty());
    ASSERT_TRUE(tokens.insert(page->next_continuation_token).second) << "token repeated";
    req.continuation_token = page->next_continuation_token;
    ASSERT_LT(pages, 10);
  }
  EXPECT_EQ(pages, 3);
  EXPECT_EQ(std::set<std::string>(seen.begin(), seen.end()), expected);
  EXPECT_EQ(seen.size(), expected.size()) << "a key was listed twice";
}

TEST_P(ClientIntegrationTest, ListingWithDelimiterGroupsCommonPrefixes) {
  const std::string bucket = NewBucket("delim");
  for (const char* key : {"top.txt", "dir one/a", "dir one/b", "dir+two/c"}) Put(bucket, key, "x");
  s3::ListObjectsV2Request req;
  req.bucket = bucket;
  req.delimiter = "/";
  auto page = client_->ListObjectsV2(req);
  ASSERT_TRUE(page.ok()) << page.status().ToString();
  ASSERT_EQ(page->objects.size(), 1u);
  EXPECT_EQ(page->objects[0].key, "top.txt");
  EXPECT_EQ(std::set<std::string>(page->common_prefixes.begin(), page->common_prefixes.end()),
            (std::set<std::string>{"dir one/", "dir+two/"}));
  req.prefix = "dir one/";
  page = client_->ListObjectsV2(req);
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->objects.size(), 2u);
  EXPECT_EQ(page->objects[1].key, "dir one/b");
}

TEST_P(ClientIntegrationTest, RangedGetReturnsExactlyTheRange) {
  const std::string bucket = NewBucket("range");
  std::string body;
  for (int i = 0; i < 100000; ++i) body.push_back(static_cast<char>('a' + i % 26));
  Put(bucket, "ranged object", body);
  for (auto [first, last] : std::vector<std::pair<uint64_t, uint64_t>>{
           {0, 0}, {0, 9}, {12345, 23456}, {99990, 99999}}) {
    if (first == 0 && last == 0 && !server_.single_byte_ranges) {
      // s3rver answers "bytes=0-0" with the whole object: the client must
      // refuse that reply before a single byte reaches the sink.
      s3::GetObjectRequest get;
      get.bucket = bucket;
      get.key = "ranged object";
      get.range = s3::ByteRange{0, 0};
      size_t sunk = 0;
      auto r = client_->GetObject(get, [&](const char*, size_t n) {
        sunk += n;
        return Status::Ok();
      });
      ASSERT_FALSE(r.ok());
      EXPECT_EQ(r.status().kind(), ErrorKind::kUnsupported) << r.status().ToString();
      EXPECT_EQ(sunk, 0u);
      continue;
    }
    s3::GetObjectRequest get;
    get.bucket = bucket;
    get.key = "ranged object";
    get.range = s3::ByteRange{first, last};
    s3::ObjectMetadata meta;
    auto got = Get(get, &meta);
    ASSERT_TRUE(got.ok()) << got.status().ToString();
    EXPECT_TRUE(*got == body.substr(first, last - first + 1)) << "wrong bytes for " << first << "-" << last;
    EXPECT_EQ(meta.content_range,
              "bytes " + std::to_string(first) + "-" + std::to_string(last) + "/100000");
  }
}

TEST_P(ClientIntegrationTest, GetPinnedWithIfMatchFailsOnceTheObjectChanged) {
  const std::string bucket = NewBucket("ifmatch");
  auto v1 = Put(bucket, "k", "version one");
  s3::GetObjectRequest get;
  get.bucket = bucket;
  get.key = "k";
  get.if_match = v1.etag;
  auto got = Get(get);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(*got, "version one");
  Put(bucket, "k", "version two, longer");
  // Servers that honour If-Match answer 412; s3rver ignores it and the client
  // itself refuses the reply by its ETag. Either way no byte of the new
  // version reaches the caller.
  got = Get(get);
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.status().kind(), ErrorKind::kPreconditionFailed) << got.status().ToString();
  s3::HeadObjectRequest head;
  head.bucket = bucket;
  head.key = "k";
  head.if_match = v1.etag;
  auto meta = client_->HeadObject(head);
  if (server_.honours_if_match) {
    ASSERT_FALSE(meta.ok());
    EXPECT_EQ(meta.status().kind(), ErrorKind::kPreconditionFailed) << meta.status().ToString();
  }
}

TEST_P(ClientIntegrationTest, MissingObjectIsNotFoundWithContext) {
  const std::string bucket = NewBucket("missing");
  s3::HeadObjectRequest head;
  head.bucket = bucket;
  head.key = "no such key";
  auto meta = client_->HeadObject(head);
  ASSERT_FALSE(meta.ok());
  EXPECT_EQ(meta.status().kind(), ErrorKind::kNotFound);
  EXPECT_EQ(meta.status().context().http_status, 404);
  EXPECT_EQ(meta.status().context().key, "no such key");
  EXPECT_EQ(meta.status().context().operation, "HeadObject");

  s3::GetObjectRequest get;
  get.bucket = bucket;
  get.key = "no such key";
  auto got = Get(get);
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.status().kind(), ErrorKind::kNotFound);
  EXPECT_EQ(got.status().context().s3_code, "NoSuchKey");
}

TEST_P(ClientIntegrationTest, MultipartUploadAssemblesPartsWithTheRightEtag) {
  const std::string bucket = NewBucket("multipart");
  const std::string key = "big file+name.bin";
  auto upload = client_->CreateMultipartUpload({.bucket = bucket, .key = key, .storage_class = "",
                                                .content_type = "", .checksum_algorithm = "",
                                                .checksum_type = "", .extra_headers = {}});
  ASSERT_TRUE(upload.ok()) << upload.status().ToString();
  const size_t part_size = 5 << 20;  // S3's minimum for all but the last part
  std::string whole;
  std::vector<s3::CompletedPart> parts;
  std::string part_md5s;
  for (int n = 1; n <= 3; ++n) {
    std::string part(n == 3 ? 12345 : part_size, static_cast<char>('0' + n));
    auto p = client_->UploadPart(bucket, key, *upload, n, part, "");
    ASSERT_TRUE(p.ok()) << p.status().ToString();
    EXPECT_EQ(p->etag, HexEncode(Md5(part)));
    parts.push_back(*p);
    part_md5s += Md5(part);
    whole += part;
  }
  auto done = client_->CompleteMultipartUpload(bucket, key, *upload, parts, "");
  ASSERT_TRUE(done.ok()) << done.status().ToString();
  const std::string aws_etag = HexEncode(Md5(part_md5s)) + "-3";
  if (server_.aws_multipart_etags) {
    EXPECT_EQ(done->etag, aws_etag);
  } else {
    EXPECT_EQ(done->etag, HexEncode(Md5(whole)));  // s3rver 3.7.1: plain MD5
  }
  s3::HeadObjectRequest head;
  head.bucket = bucket;
  head.key = key;
  auto meta = client_->HeadObject(head);
  ASSERT_TRUE(meta.ok());
  EXPECT_EQ(meta->etag, done->etag);
  EXPECT_EQ(meta->content_length, whole.size());
  s3::GetObjectRequest get;
  get.bucket = bucket;
  get.key = key;
  auto got = Get(get);
  ASSERT_TRUE(got.ok());
  EXPECT_TRUE(*got == whole);
}

TEST_P(ClientIntegrationTest, AbortedMultipartUploadLeavesNoObject) {
  const std::string bucket = NewBucket("abort");
  s3::CreateMultipartUploadRequest create;
  create.bucket = bucket;
  create.key = "never";
  auto upload = client_->CreateMultipartUpload(create);
  ASSERT_TRUE(upload.ok()) << upload.status().ToString();
  auto part = client_->UploadPart(bucket, "never", *upload, 1, "tiny", "");
  ASSERT_TRUE(part.ok());
  Status aborted = client_->AbortMultipartUpload(bucket, "never", *upload);
  if (!server_.supports_abort_multipart) {
    EXPECT_EQ(aborted.kind(), ErrorKind::kUnsupported) << aborted.ToString();  // s3rver: 405
    return;
  }
  ASSERT_TRUE(aborted.ok()) << aborted.ToString();
  s3::HeadObjectRequest head;
  head.bucket = bucket;
  head.key = "never";
  EXPECT_EQ(client_->HeadObject(head).status().kind(), ErrorKind::kNotFound);
}

TEST_P(ClientIntegrationTest, DeleteObjectsReportsPerKeyResults) {
  const std::string bucket = NewBucket("batchdel");
  std::vector<s3::DeleteObjectsEntry> entries;
  for (const std::string& key : kAwkwardKeys) {
    Put(bucket, key, "x");
    entries.push_back({key, "", ""});
  }
  auto result = client_->DeleteObjects(bucket, entries);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  std::set<std::string> deleted;
  for (const auto& d : result->deleted) deleted.insert(d.key);
  EXPECT_EQ(deleted, std::set<std::string>(kAwkwardKeys.begin(), kAwkwardKeys.end()));
  EXPECT_TRUE(result->errors.empty());
  s3::ListObjectsV2Request list;
  list.bucket = bucket;
  auto page = client_->ListObjectsV2(list);
  ASSERT_TRUE(page.ok());
  EXPECT_TRUE(page->objects.empty());
}

TEST_P(ClientIntegrationTest, DeleteObjectRemovesTheObject) {
  const std::string bucket = NewBucket("del");
  Put(bucket, "gone soon", "x");
  s3::DeleteObjectRequest del;
  del.bucket = bucket;
  del.key = "gone soon";
  auto r = client_->DeleteObject(del);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  s3::HeadObjectRequest head;
  head.bucket = bucket;
  head.key = "gone soon";
  EXPECT_EQ(client_->HeadObject(head).status().kind(), ErrorKind::kNotFound);
}

// Conditional deletes (PRODUCT.md §5.2). Servers that ignore If-Match on
// DELETE are recorded as such: the engine must HEAD before deleting there.
TEST_P(ClientIntegrationTest, ConditionalDeleteObeysIfMatchWhereSupported) {
  const std::string bucket = NewBucket("conddel");
  auto put = Put(bucket, "precious", "keep me");
  s3::DeleteObjectRequest del;
  del.bucket = bucket;
  del.key = "precious";
  del.if_match = "0123456789abcdef0123456789abcdef";  // not its ETag
  auto r = client_->DeleteObject(del);
  s3::HeadObjectRequest head;
  head.bucket = bucket;
  head.key = "precious";
  if (server_.honours_conditional_delete) {
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().kind(), ErrorKind::kPreconditionFailed) << r.status().ToString();
    ASSERT_TRUE(client_->HeadObject(head).ok()) << "the object must still be there";
    del.if_match = put.etag;
    auto ok = client_->DeleteObject(del);
    ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  } else {
    EXPECT_TRUE(r.ok()) << r.status().ToString();  // the header was ignored
  }
  EXPECT_EQ(client_->HeadObject(head).status().kind(), ErrorKind::kNotFound);
}

TEST_P(ClientIntegrationTest, DeleteObjectsWithEtagsDeletesOnlyMatchingEntries) {
  const std::string bucket = NewBucket("condbatch");
  auto a = Put(bucket, "a", "alpha");
  Put(bucket, "b", "beta");
  auto result = client_->DeleteObjects(
      bucket, {{"a", "", a.etag}, {"b", "", "0123456789abcdef0123456789abcdef"}});
  s3::HeadObjectRequest head;
  head.bucket = bucket;
  head.key = "b";
  using BatchEtags = TestServer::BatchEtags;
  if (server_.batch_delete_etags == BatchEtags::kRejected) {
    ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.status().kind(), ErrorKind::kUnsupported) << result.status().ToString();
    EXPECT_TRUE(client_->HeadObject(head).ok());
    return;
  }
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  std::set<std::string> deleted;
  for (const auto& d : result->deleted) deleted.insert(d.key);
  if (server_.batch_delete_etags == BatchEtags::kHonoured) {
    EXPECT_EQ(deleted, std::set<std::string>{"a"});
    ASSERT_EQ(result->errors.size(), 1u);
    EXPECT_EQ(result->errors[0].key, "b");
    EXPECT_EQ(result->errors[0].code, "PreconditionFailed");
    EXPECT_TRUE(client_->HeadObject(head).ok()) << "b must survive a mismatched ETag";
  } else {
    EXPECT_EQ(deleted, (std::set<std::string>{"a", "b"}));  // the ETags were ignored
    EXPECT_EQ(client_->HeadObject(head).status().kind(), ErrorKind::kNotFound);
  }
}

// HeadObject ?partNumber=1 gives part 1's length and the parts count where the
// server supports partNumber, kUnsupported where it does not.
void ExpectPartOne(s3::S3Client& client, const TestServer& server, const std::string& bucket,
                   const std::string& key, uint64_t length, int parts_count) {
  s3::HeadObjectRequest head;
  head.bucket = bucket;
  head.key = key;
  head.part_number = 1;
  auto meta = client.HeadObject(head);
  if (server.supports_part_number) {
    ASSERT_TRUE(meta.ok()) << meta.status().ToString();
    EXPECT_EQ(meta->content_length, length);
    EXPECT_EQ(meta->parts_count, parts_count);
  } else {
    ASSERT_FALSE(meta.ok());
    EXPECT_EQ(meta.status().kind(), ErrorKind::kUnsupported) << meta.status().ToString();
  }
}

TEST_P(ClientIntegrationTest, HeadObjectPartNumberGivesPartLengthOrUnsupported) {
  const std::string bucket = NewBucket("parts");
  s3::CreateMultipartUploadRequest create;
  create.bucket = bucket;
  create.key = "two parts";
  auto upload = client_->CreateMultipartUpload(create);
  ASSERT_TRUE(upload.ok()) << upload.status().ToString();
  std::vector<s3::CompletedPart> parts;
  for (int n = 1; n <= 2; ++n) {
    auto p = client_->UploadPart(bucket, "two parts", *upload, n,
                                 std::string(n == 1 ? 5 << 20 : 1000, 'p'), "");
    ASSERT_TRUE(p.ok()) << p.status().ToString();
    parts.push_back(*p);
  }
  ASSERT_TRUE(client_->CompleteMultipartUpload(bucket, "two parts", *upload, parts, "").ok());
  ExpectPartOne(*client_, server_, bucket, "two parts", 5u << 20, 2);
}

TEST_P(ClientIntegrationTest, HeadObjectPartOneOfASinglePartObjectIsTheWholeObject) {
  const std::string bucket = NewBucket("part1");
  s3::PutObjectRequest put;
  put.bucket = bucket;
  put.key = "one part";
  put.body = std::string(1000, 'o');
  ASSERT_TRUE(client_->PutObject(put).ok());
  ExpectPartOne(*client_, server_, bucket, "one part", 1000, 0);  // no parts count: not multipart
}

TEST_P(ClientIntegrationTest, UserMetadataAndContentTypeComeBackOnHead) {
  const std::string bucket = NewBucket("meta");
  s3::PutObjectRequest put;
  put.bucket = bucket;
  put.key = "doc.json";
  put.body = "{}";
  put.content_type = "application/json";
  put.user_metadata = {{"owner", "team-a"}, {"purpose", "test"}};
  ASSERT_TRUE(client_->PutObject(put).ok());
  s3::HeadObjectRequest head;
  head.bucket = bucket;
  head.key = "doc.json";
  auto meta = client_->HeadObject(head);
  ASSERT_TRUE(meta.ok());
  EXPECT_EQ(meta->content_type, "application/json");
  EXPECT_EQ(meta->user_metadata["owner"], "team-a");
  EXPECT_EQ(meta->user_metadata["purpose"], "test");
  EXPECT_FALSE(meta->last_modified.empty());
}

TEST_P(ClientIntegrationTest, WrongSecretIsRejectedAsAuthError) {
  if (!server_.verifies_signatures) {
    // s3rver checks only the access key id: prove that an unknown one is refused.
    TestServer bad = server_;
    bad.access_key = "NOT-A-KEY";
    auto client = MakeClient(bad);
    auto r = client->ListBuckets();
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().kind(), ErrorKind::kAuth) << r.status().ToString();
    return;
  }
  const std::string bucket = NewBucket("auth");
  auto client = MakeClient(server_, "definitely-the-wrong-secret");
  auto r = client->ListBuckets();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().kind(), ErrorKind::kAuth) << r.status().ToString();
  EXPECT_EQ(r.status().context().s3_code, "SignatureDoesNotMatch");
  EXPECT_EQ(r.status().message().find("definitely-the-wrong-secret"), std::string::npos);
  s3::ListObjectsV2Request list;
  list.bucket = bucket;
  auto page = client->ListObjectsV2(list);
  ASSERT_FALSE(page.ok());
  EXPECT_EQ(page.status().kind(), ErrorKind::kAuth);
}

// Only servers with versioning (swift); s3rver has none.
class VersioningIntegrationTest : public ClientIntegrationTest {};

TEST_P(VersioningIntegrationTest, VersionedBucketListsVersionsAndDeleteMarkers) {
  const std::string bucket = NewBucket("versions", /*versioned=*/true);
  auto versioning = client_->GetBucketVersioning(bucket);
  ASSERT_TRUE(versioning.ok()) << versioning.status().ToString();
  EXPECT_EQ(*versioning, "Enabled");
  auto v1 = Put(bucket, "doc key", "first");
  auto v2 = Put(bucket, "doc key", "second!");
  ASSERT_FALSE(v1.version_id.empty());
  ASSERT_FALSE(v2.version_id.empty());
  EXPECT_NE(v1.version_id, v2.version_id);
  s3::DeleteObjectRequest del;
  del.bucket = bucket;
  del.key = "doc key";
  auto marker = client_->DeleteObject(del);
  ASSERT_TRUE(marker.ok()) << marker.status().ToString();
  EXPECT_TRUE(marker->delete_marker);

  s3::ListObjectVersionsRequest req;
  req.bucket = bucket;
  auto page = client_->ListObjectVersions(req);
  ASSERT_TRUE(page.ok()) << page.status().ToString();
  int markers = 0;
  std::set<std::string> version_ids;
  for (const auto& v : page->versions) {
    EXPECT_EQ(v.key, "doc key");
    if (v.is_delete_marker) {
      ++markers;
      EXPECT_TRUE(v.is_latest);
    } else {
      version_ids.insert(v.version_id);
    }
  }
  EXPECT_EQ(markers, 1);
  EXPECT_EQ(version_ids, (std::set<std::string>{v1.version_id, v2.version_id}));

  // The old version is still readable by id, and deleting by id removes exactly it.
  s3::GetObjectRequest get;
  get.bucket = bucket;
  get.key = "doc key";
  get.version_id = v1.version_id;
  auto got = Get(get);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(*got, "first");
  del.version_id = v1.version_id;
  ASSERT_TRUE(client_->DeleteObject(del).ok());
  page = client_->ListObjectVersions(req);
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(page->versions.size(), 2u);
}

std::string ServerName(const ::testing::TestParamInfo<TestServer>& info) { return info.param.name; }

std::vector<TestServer> VersioningServers() {
  std::vector<TestServer> out;
  for (const TestServer& s : ConfiguredServers()) {
    if (s.supports_versioning) out.push_back(s);
  }
  return out;
}

INSTANTIATE_TEST_SUITE_P(RealServers, ClientIntegrationTest, ::testing::ValuesIn(ConfiguredServers()),
                         ServerName);
INSTANTIATE_TEST_SUITE_P(RealServers, VersioningIntegrationTest,
                         ::testing::ValuesIn(VersioningServers()), ServerName);
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(VersioningIntegrationTest);

// A run that was meant to test a server but was not given it fails here,
// rather than passing with nothing tested.
TEST(TestEnvironment, EveryExpectedServerIsConfigured) {
  const auto servers = ConfiguredServers();
  for (const std::string& name : ExpectedServerNames()) {
    EXPECT_TRUE(std::any_of(servers.begin(), servers.end(),
                            [&](const TestServer& s) { return s.name == name; }))
        << "no endpoint for " << name << ": run the tests through scripts/with-test-servers.sh";
  }
}

}  // namespace
}  // namespace s3m::testing
