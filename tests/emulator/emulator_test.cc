// s3emu, the real binary, driven over HTTP by s3migrate's own S3Client (and
// by signed raw requests where a test needs the exact status or header).
// Each test starts a fresh emulator on a free port with short restore delays
// (1 s) and a 2-second restore "day", so the whole restore lifecycle runs in
// seconds.
#include <gtest/gtest.h>
#include <pugixml.hpp>

#include <chrono>
#include <functional>
#include <map>
#include <set>
#include <thread>

#include "core/checksum.h"
#include "core/hash.h"
#include "core/time_format.h"
#include "s3/xml.h"
#include "s3emu/archive.h"
#include "s3emu/faults.h"
#include "s3emu/synthetic.h"
#include "s3emu_process.h"

namespace s3m::testing {
namespace {

using namespace std::chrono_literals;
using s3::ObjectMetadata;

std::string Md5Hex(std::string_view data) { return HexEncode(Md5(data)); }

// Deterministic bytes that differ from one call to the next seed.
std::string Bytes(size_t size, uint32_t seed) {
  std::string out(size, '\0');
  uint32_t x = seed * 2654435761u + 1;
  for (auto& c : out) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    c = static_cast<char>(x);
  }
  return out;
}

std::string ChecksumOf(ChecksumAlgorithm algorithm, std::string_view data) {
  Checksummer sum(algorithm);
  sum.Update(data);
  return sum.FinishBase64();
}

// Polls `done` every 100 ms for up to `timeout`.
bool WaitFor(const std::function<bool()>& done, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (done()) return true;
    std::this_thread::sleep_for(100ms);
  }
  return done();
}

class EmulatorTest : public ::testing::Test {
 protected:
  static std::vector<std::string> DefaultArgs() {
    return {"--restore-delay", "Expedited=1,Standard=1,Bulk=1", "--seconds-per-day", "2",
            "--min-part-size", "65536", "--no-fsync"};
  }
  void SetUp() override { Start(DefaultArgs()); }

  void Start(const std::vector<std::string>& args) {
    emu_.reset();
    emu_ = S3emuProcess::Start(dir_.path() + "/data", args);
    ASSERT_NE(emu_, nullptr);
    s3_ = emu_->Client();
    ASSERT_NE(s3_, nullptr);
  }

  std::string NewBucket(const std::string& name, bool versioned = false) {
    Status s = s3_->CreateBucket(name);
    EXPECT_TRUE(s.ok()) << s.ToString();
    if (versioned) {
      Status v = s3_->PutBucketVersioning(name, true);
      EXPECT_TRUE(v.ok()) << v.ToString();
    }
    return name;
  }

  s3::PutObjectResult Put(const std::string& bucket, const std::string& key, const std::string& body,
                          const std::string& storage_class = "", s3::HeaderList extra = {}) {
    s3::PutObjectRequest req;
    req.bucket = bucket;
    req.key = key;
    req.body = body;
    req.storage_class = storage_class;
    req.extra_headers = std::move(extra);
    auto r = s3_->PutObject(req);
    EXPECT_TRUE(r.ok()) << key << ": " << r.status().ToString();
    return r.ok() ? r.value() : s3::PutObjectResult{};
  }

  Result<std::string> Get(const std::string& bucket, const std::string& key, s3::GetObjectRequest req = {},
                          ObjectMetadata* meta = nullptr) {
    req.bucket = bucket;
    req.key = key;
    std::string body;
    auto r = s3_->GetObject(req, [&](const char* d, size_t n) {
      body.append(d, n);
      return Status::Ok();
    });
    if (!r.ok()) return r.status();
    if (meta != nullptr) *meta = r.value();
    return body;
  }

  Result<ObjectMetadata> Head(const std::string& bucket, const std::string& key, int part_number = 0,
                              const std::string& version_id = "") {
    s3::HeadObjectRequest req;
    req.bucket = bucket;
    req.key = key;
    req.part_number = part_number;
    req.version_id = version_id;
    return s3_->HeadObject(req);
  }

  Result<s3::RestoreOutcome> Restore(const std::string& bucket, const std::string& key, std::optional<int> days,
                                     s3::RestoreTier tier = s3::RestoreTier::kStandard) {
    s3::RestoreObjectRequest req;
    req.bucket = bucket;
    req.key = key;
    req.days = days;
    req.tier = tier;
    return s3_->RestoreObject(req);
  }

  // The full list of a bucket through ListObjectsV2 pages of `page_size`.
  std::vector<s3::ObjectSummary> ListAll(const std::string& bucket, int page_size, const std::string& prefix = "",
                                         std::vector<std::string>* prefixes = nullptr,
                                         const std::string& delimiter = "") {
    std::vector<s3::ObjectSummary> out;
    s3::ListObjectsV2Request req;
    req.bucket = bucket;
    req.prefix = prefix;
    req.delimiter = delimiter;
    req.max_keys = page_size;
    for (int pages = 0; pages < 100000; ++pages) {
      auto page = s3_->ListObjectsV2(req);
      EXPECT_TRUE(page.ok()) << page.status().ToString();
      if (!page.ok()) break;
      EXPECT_LE(static_cast<int>(page->objects.size() + page->common_prefixes.size()), page_size);
      for (auto& o : page->objects) out.push_back(o);
      if (prefixes != nullptr) {
        for (auto& p : page->common_prefixes) prefixes->push_back(p);
      }
      if (!page->is_truncated) break;
      req.continuation_token = page->next_continuation_token;
    }
    return out;
  }

  TempDir dir_;
  std::unique_ptr<S3emuProcess> emu_;
  std::unique_ptr<s3::S3Client> s3_;
};

// Expects a failed result with this HTTP status and S3 code.
template <typename R>
void ExpectS3Error(const R& result, int http_status, const std::string& code) {
  ASSERT_FALSE(result.ok()) << "expected " << code;
  EXPECT_EQ(result.status().context().http_status, http_status) << result.status().ToString();
  if (!code.empty()) {
    EXPECT_EQ(result.status().context().s3_code, code) << result.status().ToString();
  }
}

// ---------------------------------------------------------------------------
// Buckets

TEST_F(EmulatorTest, BucketsCreateListLocationVersioningDelete) {
  NewBucket("alpha");
  NewBucket("beta");
  ExpectS3Error(Result<int>(s3_->CreateBucket("alpha")), 409, "BucketAlreadyOwnedByYou");
  ExpectS3Error(Result<int>(s3_->CreateBucket("Bad_Name")), 400, "InvalidBucketName");
  auto buckets = s3_->ListBuckets();
  ASSERT_TRUE(buckets.ok()) << buckets.status().ToString();
  ASSERT_EQ(buckets->size(), 2u);
  EXPECT_EQ((*buckets)[0].name, "alpha");
  EXPECT_EQ((*buckets)[1].name, "beta");
  EXPECT_EQ((*buckets)[0].region, "us-east-1");

  auto location = emu_->Raw("GET", "/alpha", {{"location", ""}});
  EXPECT_EQ(location.status, 200);
  auto region = s3::ParseLocationConstraint(location.body);
  ASSERT_TRUE(region.ok());
  EXPECT_EQ(*region, "us-east-1");

  auto versioning = s3_->GetBucketVersioning("alpha");
  ASSERT_TRUE(versioning.ok());
  EXPECT_EQ(*versioning, "");
  ASSERT_TRUE(s3_->PutBucketVersioning("alpha", true).ok());
  EXPECT_EQ(*s3_->GetBucketVersioning("alpha"), "Enabled");
  ASSERT_TRUE(s3_->PutBucketVersioning("alpha", false).ok());
  EXPECT_EQ(*s3_->GetBucketVersioning("alpha"), "Suspended");

  Put("beta", "k", "v");
  ExpectS3Error(Result<int>(s3_->DeleteBucket("beta")), 409, "BucketNotEmpty");
  ASSERT_TRUE(s3_->DeleteObject({"beta", "k", "", ""}).ok());
  EXPECT_TRUE(s3_->DeleteBucket("beta").ok());
  ExpectS3Error(Result<int>(s3_->DeleteBucket("beta")), 404, "NoSuchBucket");
}

TEST_F(EmulatorTest, BucketInAnotherRegionIsFoundThroughAuthorizationHeaderMalformed) {
  auto eu = emu_->Client(1, S3emuProcess::kSecretKey, S3emuProcess::kAccessKey, "eu-west-1");
  ASSERT_TRUE(eu->CreateBucket("euro").ok());
  auto location = emu_->Raw("GET", "/euro", {{"location", ""}});
  // Signed for us-east-1, the bucket is in eu-west-1: AWS answers 400 with <Region>.
  EXPECT_EQ(location.status, 400);
  auto doc = s3::ParseErrorDocument(location.body);
  ASSERT_TRUE(doc.ok());
  EXPECT_EQ(doc->code, "AuthorizationHeaderMalformed");
  EXPECT_EQ(doc->region, "eu-west-1");
  // The client follows that hint and succeeds.
  auto region = s3_->GetBucketRegion("euro");
  ASSERT_TRUE(region.ok()) << region.status().ToString();
  EXPECT_EQ(*region, "eu-west-1");
  Put("euro", "k", "v");
}

// ---------------------------------------------------------------------------
// Objects

TEST_F(EmulatorTest, PutGetHeadWithMetadataAndStorageClass) {
  NewBucket("objs");
  const std::string body = Bytes(100000, 1);
  s3::PutObjectRequest req;
  req.bucket = "objs";
  req.key = "dir/file name+plus.bin";
  req.body = body;
  req.storage_class = "STANDARD_IA";
  req.content_type = "application/x-test";
  req.user_metadata = {{"owner", "Alice"}, {"purpose", "tests"}};
  auto put = s3_->PutObject(req);
  ASSERT_TRUE(put.ok()) << put.status().ToString();
  EXPECT_EQ(put->etag, Md5Hex(body));
  EXPECT_EQ(put->version_id, "");  // unversioned buckets send no version id

  auto head = Head("objs", req.key);
  ASSERT_TRUE(head.ok()) << head.status().ToString();
  EXPECT_EQ(head->content_length, body.size());
  EXPECT_EQ(head->etag, Md5Hex(body));
  EXPECT_EQ(head->storage_class, "STANDARD_IA");
  EXPECT_EQ(head->content_type, "application/x-test");
  EXPECT_EQ(head->user_metadata.at("owner"), "Alice");
  EXPECT_EQ(head->user_metadata.at("purpose"), "tests");

  ObjectMetadata meta;
  auto got = Get("objs", req.key, {}, &meta);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(*got, body);

  Put("objs", "empty", "");
  auto empty = Get("objs", "empty");
  ASSERT_TRUE(empty.ok()) << empty.status().ToString();
  EXPECT_EQ(*empty, "");
  ExpectS3Error(Get("objs", "missing"), 404, "NoSuchKey");
  ExpectS3Error(Head("objs", "missing"), 404, "");
  ExpectS3Error(Get("nobucket", "k"), 404, "NoSuchBucket");
  ExpectS3Error(s3_->PutObject({"objs", "k", "x", "FROZEN", "", {}, "", {}}), 400, "InvalidStorageClass");
}

TEST_F(EmulatorTest, RangesAndConditionalGets) {
  NewBucket("ranges");
  const std::string body = Bytes(10000, 2);
  Put("ranges", "r", body);
  s3::GetObjectRequest req;
  req.range = s3::ByteRange{100, 199};
  ObjectMetadata meta;
  auto part = Get("ranges", "r", req, &meta);
  ASSERT_TRUE(part.ok()) << part.status().ToString();
  EXPECT_EQ(*part, body.substr(100, 100));
  EXPECT_EQ(meta.content_range, "bytes 100-199/10000");
  req.range = s3::ByteRange{0, 0};
  EXPECT_EQ(*Get("ranges", "r", req), body.substr(0, 1));
  req.range = s3::ByteRange{9990, 20000};  // clamped to the end
  auto tail = emu_->Raw("GET", "/ranges/r", {}, {{"Range", "bytes=9990-20000"}});
  EXPECT_EQ(tail.status, 206);
  EXPECT_EQ(tail.body, body.substr(9990));
  EXPECT_EQ(tail.Header("content-range"), "bytes 9990-9999/10000");
  auto suffix = emu_->Raw("GET", "/ranges/r", {}, {{"Range", "bytes=-10"}});
  EXPECT_EQ(suffix.body, body.substr(9990));
  auto beyond = emu_->Raw("GET", "/ranges/r", {}, {{"Range", "bytes=10000-"}});
  EXPECT_EQ(beyond.status, 416);
  EXPECT_NE(beyond.body.find("InvalidRange"), std::string::npos);

  s3::GetObjectRequest pinned;
  pinned.if_match = Md5Hex(body);
  EXPECT_TRUE(Get("ranges", "r", pinned).ok());
  pinned.if_match = "0123456789abcdef0123456789abcdef";
  ExpectS3Error(Get("ranges", "r", pinned), 412, "PreconditionFailed");
  auto not_modified = emu_->Raw("GET", "/ranges/r", {}, {{"If-None-Match", "\"" + Md5Hex(body) + "\""}});
  EXPECT_EQ(not_modified.status, 304);
  auto modified = emu_->Raw("GET", "/ranges/r", {}, {{"If-None-Match", "\"other\""}});
  EXPECT_EQ(modified.status, 200);
}

TEST_F(EmulatorTest, SseKmsAndSseCEtagsAreNotTheMd5) {
  NewBucket("sse");
  const std::string body = Bytes(5000, 3);
  auto s3_managed = Put("sse", "aes", body, "", {{"x-amz-server-side-encryption", "AES256"}});
  EXPECT_EQ(s3_managed.etag, Md5Hex(body));  // SSE-S3 keeps the MD5 ETag
  auto kms = Put("sse", "kms", body, "", {{"x-amz-server-side-encryption", "aws:kms"}});
  EXPECT_EQ(kms.etag.size(), 32u);
  EXPECT_NE(kms.etag, Md5Hex(body));
  auto head = Head("sse", "kms");
  ASSERT_TRUE(head.ok());
  EXPECT_EQ(head->server_side_encryption, "aws:kms");
  EXPECT_FALSE(head->sse_kms_key_id.empty());
  EXPECT_EQ(*Get("sse", "kms"), body);

  const std::string key(32, 'k');
  const s3::HeaderList sse_c = {{"x-amz-server-side-encryption-customer-algorithm", "AES256"},
                                {"x-amz-server-side-encryption-customer-key", Base64Encode(key)},
                                {"x-amz-server-side-encryption-customer-key-MD5", Base64Encode(Md5(key))}};
  auto customer = Put("sse", "ssec", body, "", sse_c);
  EXPECT_NE(customer.etag, Md5Hex(body));
  // Without the key the object cannot be read; with it, it can.
  auto refused = emu_->Raw("GET", "/sse/ssec");
  EXPECT_EQ(refused.status, 400);
  EXPECT_NE(refused.body.find("InvalidRequest"), std::string::npos);
  auto read = emu_->Raw("GET", "/sse/ssec", {}, sse_c);
  EXPECT_EQ(read.status, 200);
  EXPECT_EQ(read.body, body);
  EXPECT_EQ(read.Header("x-amz-server-side-encryption-customer-algorithm"), "AES256");
}

TEST_F(EmulatorTest, SinglePartChecksumsAreVerifiedStoredAndReturned) {
  NewBucket("sums");
  const std::string body = Bytes(70000, 4);
  for (const char* name : {"CRC32", "CRC32C", "CRC64NVME", "SHA1", "SHA256"}) {
    SCOPED_TRACE(name);
    s3::PutObjectRequest req;
    req.bucket = "sums";
    req.key = std::string("obj-") + name;
    req.body = body;
    req.checksum_algorithm = name;
    ASSERT_TRUE(s3_->PutObject(req).ok());
    auto head = Head("sums", req.key);  // checksum_mode is on by default
    ASSERT_TRUE(head.ok());
    EXPECT_EQ(head->checksums.at(name), ChecksumOf(*ParseChecksumAlgorithm(name), body));
    EXPECT_EQ(head->checksum_type, "FULL_OBJECT");
    s3::GetObjectRequest get;
    get.checksum_mode = true;
    ObjectMetadata meta;
    ASSERT_TRUE(Get("sums", req.key, get, &meta).ok());
    EXPECT_EQ(meta.checksums.at(name), head->checksums.at(name));
  }
  // Without x-amz-checksum-mode no checksum is returned.
  auto plain = emu_->Raw("HEAD", "/sums/obj-CRC32");
  EXPECT_FALSE(plain.HasHeader("x-amz-checksum-crc32"));
  // A wrong value is refused and nothing is stored.
  s3::PutObjectRequest bad;
  bad.bucket = "sums";
  bad.key = "bad";
  bad.body = body;
  bad.extra_headers = {{"x-amz-checksum-crc32", ChecksumOf(ChecksumAlgorithm::kCrc32, "other")}};
  ExpectS3Error(s3_->PutObject(bad), 400, "BadDigest");
  ExpectS3Error(Head("sums", "bad"), 404, "");
  // Listings name the algorithm and type.
  auto listed = ListAll("sums", 1000);
  ASSERT_EQ(listed.size(), 5u);
  for (const auto& o : listed) {
    EXPECT_EQ(o.checksum_algorithms.size(), 1u);
    EXPECT_EQ(o.checksum_type, "FULL_OBJECT");
  }
}

// ---------------------------------------------------------------------------
// Multipart

TEST_F(EmulatorTest, MultipartEtagPartNumberAndChecksums) {
  NewBucket("mpu");
  const std::vector<std::string> parts = {Bytes(70000, 10), Bytes(70000, 11), Bytes(1234, 12)};
  const std::string whole = parts[0] + parts[1] + parts[2];

  struct Case {
    std::string algorithm, type;
  };
  for (const Case& c : {Case{"", ""}, Case{"CRC32C", "COMPOSITE"}, Case{"CRC64NVME", "FULL_OBJECT"},
                        Case{"SHA256", "COMPOSITE"}, Case{"CRC32", "FULL_OBJECT"}}) {
    SCOPED_TRACE(c.algorithm + "/" + c.type);
    const std::string key = "big-" + c.algorithm + c.type;
    s3::CreateMultipartUploadRequest create;
    create.bucket = "mpu";
    create.key = key;
    create.checksum_algorithm = c.algorithm;
    create.checksum_type = c.type;
    auto upload_id = s3_->CreateMultipartUpload(create);
    ASSERT_TRUE(upload_id.ok()) << upload_id.status().ToString();
    std::vector<s3::CompletedPart> done;
    std::string md5s, part_sums;
    for (size_t i = 0; i < parts.size(); ++i) {
      auto part = s3_->UploadPart("mpu", key, *upload_id, static_cast<int>(i + 1), parts[i], c.algorithm);
      ASSERT_TRUE(part.ok()) << part.status().ToString();
      EXPECT_EQ(part->etag, Md5Hex(parts[i]));
      done.push_back(*part);
      md5s += Md5(parts[i]);
      if (!c.algorithm.empty()) {
        Checksummer sum(*ParseChecksumAlgorithm(c.algorithm));
        sum.Update(parts[i]);
        part_sums += sum.Finish();
      }
    }
    auto completed = s3_->CompleteMultipartUpload("mpu", key, *upload_id, done, c.algorithm);
    ASSERT_TRUE(completed.ok()) << completed.status().ToString();
    EXPECT_EQ(completed->etag, Md5Hex(md5s) + "-3");

    auto head = Head("mpu", key);
    ASSERT_TRUE(head.ok());
    EXPECT_EQ(head->etag, Md5Hex(md5s) + "-3");
    EXPECT_EQ(head->content_length, whole.size());
    EXPECT_EQ(head->parts_count, 0);  // only with partNumber
    if (c.algorithm.empty()) {
      EXPECT_TRUE(head->checksums.empty());
    } else if (c.type == "COMPOSITE") {
      Checksummer composite(*ParseChecksumAlgorithm(c.algorithm));
      composite.Update(part_sums);
      EXPECT_EQ(head->checksums.at(c.algorithm), composite.FinishBase64() + "-3");
      EXPECT_EQ(head->checksum_type, "COMPOSITE");
    } else {
      EXPECT_EQ(head->checksums.at(c.algorithm), ChecksumOf(*ParseChecksumAlgorithm(c.algorithm), whole));
      EXPECT_EQ(head->checksum_type, "FULL_OBJECT");
    }
    EXPECT_EQ(*Get("mpu", key), whole);
  }

  // partNumber: HEAD gives the part's length and the part count; GET its bytes.
  for (int n = 1; n <= 3; ++n) {
    auto head = Head("mpu", "big-", n);
    ASSERT_TRUE(head.ok()) << head.status().ToString();
    EXPECT_EQ(head->content_length, parts[static_cast<size_t>(n - 1)].size());
    EXPECT_EQ(head->parts_count, 3);
    s3::GetObjectRequest get;
    get.part_number = n;
    EXPECT_EQ(*Get("mpu", "big-", get), parts[static_cast<size_t>(n - 1)]);
  }
  ExpectS3Error(Get("mpu", "big-", [] {
                  s3::GetObjectRequest r;
                  r.part_number = 4;
                  return r;
                }()),
                416, "InvalidPartNumber");
  // A single-part object has exactly one part, without a part count (AWS
  // sends x-amz-mp-parts-count only for multipart uploads); the client takes
  // the 206 as part 1 being the whole object.
  Put("mpu", "single", "abc");
  auto single = emu_->Raw("HEAD", "/mpu/single", {{"partNumber", "1"}});
  EXPECT_EQ(single.status, 206);
  EXPECT_EQ(single.Header("content-length"), "3");
  EXPECT_FALSE(single.HasHeader("x-amz-mp-parts-count"));
  auto part_one = Head("mpu", "single", 1);
  ASSERT_TRUE(part_one.ok()) << part_one.status().ToString();
  EXPECT_EQ(part_one->content_length, 3u);
  EXPECT_EQ(part_one->parts_count, 0);
  EXPECT_EQ(emu_->Raw("HEAD", "/mpu/single", {{"partNumber", "2"}}).status, 416);
}

TEST_F(EmulatorTest, MultipartErrorsAndAbort) {
  NewBucket("mpe");
  auto id = s3_->CreateMultipartUpload({"mpe", "k", "", "", "", "", {}});
  ASSERT_TRUE(id.ok());
  auto p1 = s3_->UploadPart("mpe", "k", *id, 1, Bytes(1000, 1), "");  // below --min-part-size
  auto p2 = s3_->UploadPart("mpe", "k", *id, 2, Bytes(1000, 2), "");
  ASSERT_TRUE(p1.ok() && p2.ok());
  ExpectS3Error(s3_->CompleteMultipartUpload("mpe", "k", *id, {*p1, *p2}, ""), 400, "EntityTooSmall");
  s3::CompletedPart wrong = *p2;
  wrong.etag = Md5Hex("nope");
  ExpectS3Error(s3_->CompleteMultipartUpload("mpe", "k", *id, {wrong}, ""), 400, "InvalidPart");
  ASSERT_TRUE(s3_->AbortMultipartUpload("mpe", "k", *id).ok());
  ExpectS3Error(Result<int>(s3_->AbortMultipartUpload("mpe", "k", *id)), 404, "NoSuchUpload");
  ExpectS3Error(s3_->UploadPart("mpe", "k", *id, 3, "x", ""), 404, "NoSuchUpload");
  ExpectS3Error(Head("mpe", "k"), 404, "");
}

// ---------------------------------------------------------------------------
// Versioning and deletes

TEST_F(EmulatorTest, VersionsAndDeleteMarkers) {
  NewBucket("ver", /*versioned=*/true);
  auto v1 = Put("ver", "doc", "one");
  auto v2 = Put("ver", "doc", "two");
  ASSERT_FALSE(v1.version_id.empty());
  ASSERT_NE(v1.version_id, v2.version_id);
  s3::GetObjectRequest old;
  old.version_id = v1.version_id;
  EXPECT_EQ(*Get("ver", "doc", old), "one");
  EXPECT_EQ(*Get("ver", "doc"), "two");

  auto marker = s3_->DeleteObject({"ver", "doc", "", ""});
  ASSERT_TRUE(marker.ok());
  EXPECT_TRUE(marker->delete_marker);
  ExpectS3Error(Get("ver", "doc"), 404, "NoSuchKey");
  EXPECT_EQ(*Get("ver", "doc", old), "one");  // versions survive the marker
  EXPECT_TRUE(ListAll("ver", 1000).empty());

  s3::ListObjectVersionsRequest list;
  list.bucket = "ver";
  auto versions = s3_->ListObjectVersions(list);
  ASSERT_TRUE(versions.ok()) << versions.status().ToString();
  ASSERT_EQ(versions->versions.size(), 3u);
  EXPECT_TRUE(versions->versions[0].is_delete_marker);
  EXPECT_TRUE(versions->versions[0].is_latest);
  EXPECT_EQ(versions->versions[0].version_id, marker->version_id);
  EXPECT_EQ(versions->versions[1].version_id, v2.version_id);
  EXPECT_FALSE(versions->versions[1].is_latest);
  EXPECT_EQ(versions->versions[2].version_id, v1.version_id);
  EXPECT_EQ(versions->versions[2].etag, Md5Hex("one"));

  // Paging through versions one at a time gives the same sequence.
  list.max_keys = 1;
  std::vector<std::string> paged;
  for (int i = 0; i < 10; ++i) {
    auto page = s3_->ListObjectVersions(list);
    ASSERT_TRUE(page.ok()) << page.status().ToString();
    for (auto& v : page->versions) paged.push_back(v.version_id);
    if (!page->is_truncated) break;
    list.key_marker = page->next_key_marker;
    list.version_id_marker = page->next_version_id_marker;
  }
  EXPECT_EQ(paged, (std::vector<std::string>{marker->version_id, v2.version_id, v1.version_id}));

  // Deleting the marker itself brings the object back.
  auto removed = s3_->DeleteObject({"ver", "doc", marker->version_id, ""});
  ASSERT_TRUE(removed.ok());
  EXPECT_TRUE(removed->delete_marker);
  EXPECT_EQ(*Get("ver", "doc"), "two");
  // Deleting a version by id removes exactly that version.
  ASSERT_TRUE(s3_->DeleteObject({"ver", "doc", v2.version_id, ""}).ok());
  EXPECT_EQ(*Get("ver", "doc"), "one");
}

TEST_F(EmulatorTest, ConditionalDeleteObjectAnswers412AndKeepsTheObject) {
  NewBucket("cond");
  Put("cond", "keep", "original");
  auto refused = s3_->DeleteObject({"cond", "keep", "", Md5Hex("something else")});
  ExpectS3Error(refused, 412, "PreconditionFailed");
  EXPECT_EQ(*Get("cond", "keep"), "original");
  ExpectS3Error(s3_->DeleteObject({"cond", "absent", "", Md5Hex("x")}), 404, "NoSuchKey");
  EXPECT_TRUE(s3_->DeleteObject({"cond", "keep", "", Md5Hex("original")}).ok());
  ExpectS3Error(Get("cond", "keep"), 404, "NoSuchKey");
}

TEST_F(EmulatorTest, DeleteObjectsPerEntryEtagFailsOnlyThatEntry) {
  NewBucket("batch", /*versioned=*/true);
  auto a = Put("batch", "a", "alpha");
  auto b = Put("batch", "b", "bravo");
  Put("batch", "c", "charlie");
  std::vector<s3::DeleteObjectsEntry> entries = {
      {"a", a.version_id, Md5Hex("alpha")},   // matches: deleted
      {"b", b.version_id, Md5Hex("changed")}, // does not: 412 for this entry
      {"c", "", ""},                          // unconditional: a delete marker
  };
  auto result = s3_->DeleteObjects("batch", entries);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  ASSERT_EQ(result->errors.size(), 1u);
  EXPECT_EQ(result->errors[0].key, "b");
  EXPECT_EQ(result->errors[0].code, "PreconditionFailed");
  ASSERT_EQ(result->deleted.size(), 2u);
  EXPECT_EQ(result->deleted[0].key, "a");
  EXPECT_EQ(result->deleted[0].version_id, a.version_id);
  EXPECT_EQ(result->deleted[1].key, "c");
  EXPECT_TRUE(result->deleted[1].delete_marker);
  EXPECT_FALSE(result->deleted[1].delete_marker_version_id.empty());
  EXPECT_EQ(*Get("batch", "b"), "bravo");
  ExpectS3Error(Get("batch", "a"), 404, "NoSuchKey");
}

// ---------------------------------------------------------------------------
// Listings

TEST_F(EmulatorTest, ListingPagesDelimitersStartAfterAndUrlEncoding) {
  NewBucket("list");
  const std::vector<std::string> keys = {
      "a/1", "a/2", "a/b/3", "b/4", "c", "dir one/space key", "plus+key", "pct%25", "line\nbreak",
      "cr\rlf", "amp&<tag>\"q'", "unicode-\xc3\xa9\xe6\x97\xa5", "z/last"};
  for (const auto& k : keys) Put("list", k, "x");
  std::set<std::string> expected(keys.begin(), keys.end());

  for (int page_size : {1, 2, 5, 1000}) {
    SCOPED_TRACE(page_size);
    auto all = ListAll("list", page_size);
    std::vector<std::string> got;
    for (const auto& o : all) got.push_back(o.key);
    EXPECT_EQ(got, std::vector<std::string>(expected.begin(), expected.end()));
  }
  std::vector<std::string> prefixes;
  auto top = ListAll("list", 2, "", &prefixes, "/");
  std::vector<std::string> top_keys;
  for (const auto& o : top) top_keys.push_back(o.key);
  EXPECT_EQ(prefixes, (std::vector<std::string>{"a/", "b/", "dir one/", "z/"}));
  EXPECT_EQ(top_keys.size(), expected.size() - 6);  // six keys hold a "/"
  prefixes.clear();
  auto under_a = ListAll("list", 1, "a/", &prefixes, "/");
  ASSERT_EQ(under_a.size(), 2u);
  EXPECT_EQ(under_a[0].key, "a/1");
  EXPECT_EQ(prefixes, std::vector<std::string>{"a/b/"});

  s3::ListObjectsV2Request after;
  after.bucket = "list";
  after.start_after = "c";
  auto rest = s3_->ListObjectsV2(after);
  ASSERT_TRUE(rest.ok());
  ASSERT_FALSE(rest->objects.empty());
  EXPECT_EQ(rest->objects[0].key, "cr\rlf");

  // The raw reply really is URL-encoded (space as '+', '+' as %2B, LF as %0A).
  auto raw = emu_->Raw("GET", "/list", {{"list-type", "2"}, {"encoding-type", "url"}, {"prefix", "dir one/"}});
  EXPECT_EQ(raw.status, 200);
  EXPECT_NE(raw.body.find("<EncodingType>url</EncodingType>"), std::string::npos);
  EXPECT_NE(raw.body.find("<Key>dir+one/space+key</Key>"), std::string::npos) << raw.body;
  auto plus = emu_->Raw("GET", "/list", {{"list-type", "2"}, {"encoding-type", "url"}, {"prefix", "plus"}});
  EXPECT_NE(plus.body.find("<Key>plus%2Bkey</Key>"), std::string::npos) << plus.body;
  // Without encoding, XML-hostile characters are escaped, CR as a reference.
  auto escaped = emu_->Raw("GET", "/list", {{"list-type", "2"}, {"prefix", "cr"}});
  EXPECT_NE(escaped.body.find("<Key>cr&#xD;lf</Key>"), std::string::npos) << escaped.body;
  auto bad_token = emu_->Raw("GET", "/list", {{"list-type", "2"}, {"continuation-token", "!!"}});
  EXPECT_EQ(bad_token.status, 400);
}

// ---------------------------------------------------------------------------
// Archive storage classes and restores

// The AWS form of x-amz-restore, exactly.
void ExpectRestoreHeader(const s3::HttpResponse& head, bool ongoing) {
  const std::string value(head.Header("x-amz-restore"));
  if (ongoing) {
    EXPECT_EQ(value, "ongoing-request=\"true\"");
    return;
  }
  const std::string prefix = "ongoing-request=\"false\", expiry-date=\"";
  ASSERT_EQ(value.substr(0, prefix.size()), prefix) << value;
  ASSERT_EQ(value.back(), '"');
  const std::string date = value.substr(prefix.size(), value.size() - prefix.size() - 1);
  EXPECT_TRUE(ParseHttpDate(date).has_value()) << date;
  EXPECT_EQ(date.size(), std::string("Fri, 21 Dec 2012 00:00:00 GMT").size()) << date;
  EXPECT_EQ(date.substr(date.size() - 4), " GMT");
}

void RestoreLifecycle(EmulatorTest* t, S3emuProcess& emu, s3::S3Client& s3, const std::string& storage_class) {
  SCOPED_TRACE(storage_class);
  const std::string bucket = "arch";
  const std::string key = "cold-" + storage_class;
  s3::PutObjectRequest put;
  put.bucket = bucket;
  put.key = key;
  put.body = "frozen bytes";
  put.storage_class = storage_class;
  ASSERT_TRUE(s3.PutObject(put).ok());
  auto get = [&] {
    std::string body;
    return s3.GetObject({bucket, key, "", std::nullopt, 0, "", false, {}, {}}, [&](const char* d, size_t n) {
      body.append(d, n);
      return Status::Ok();
    });
  };
  auto restore = [&](std::optional<int> days, s3::RestoreTier tier = s3::RestoreTier::kStandard) {
    s3::RestoreObjectRequest r;
    r.bucket = bucket;
    r.key = key;
    r.days = days;
    r.tier = tier;
    return s3.RestoreObject(r);
  };
  // Archived: HEAD works and shows the class, GET is refused.
  auto head = s3.HeadObject({bucket, key, "", 0, true, ""});
  ASSERT_TRUE(head.ok());
  EXPECT_EQ(head->storage_class, storage_class);
  EXPECT_FALSE(head->restore.has_value());
  ExpectS3Error(get(), 403, "InvalidObjectState");
  EXPECT_EQ(get().status().kind(), ErrorKind::kNeedsRestore);

  // 202, then 409 while it runs; GET still refused; header says ongoing.
  auto started = restore(1);
  ASSERT_TRUE(started.ok()) << started.status().ToString();
  EXPECT_EQ(*started, s3::RestoreOutcome::kStarted);
  ExpectS3Error(restore(1), 409, "RestoreAlreadyInProgress");
  ExpectS3Error(get(), 403, "InvalidObjectState");
  ExpectRestoreHeader(emu.Raw("HEAD", "/" + bucket + "/" + key), /*ongoing=*/true);

  // Done after the tier delay: ongoing false with an expiry date; GET works.
  ASSERT_TRUE(WaitFor(
      [&] {
        auto h = s3.HeadObject({bucket, key, "", 0, true, ""});
        return h.ok() && h->restore && !h->restore->in_progress;
      },
      5s));
  ExpectRestoreHeader(emu.Raw("HEAD", "/" + bucket + "/" + key), /*ongoing=*/false);
  auto restored = s3.HeadObject({bucket, key, "", 0, true, ""});
  ASSERT_TRUE(restored.ok() && restored->restore && restored->restore->expiry);
  const auto first_expiry = *restored->restore->expiry;
  EXPECT_TRUE(get().ok()) << get().status().ToString();
  EXPECT_EQ(restored->storage_class, storage_class);  // the class does not change

  // Asking again: 200 and a later expiry.
  auto again = restore(3);
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(*again, s3::RestoreOutcome::kAlreadyRestored);
  auto extended = s3.HeadObject({bucket, key, "", 0, true, ""});
  ASSERT_TRUE(extended.ok() && extended->restore && extended->restore->expiry);
  EXPECT_GT(*extended->restore->expiry, first_expiry);

  // Expiry (3 days x 2 s): archived again, no restore header, GET refused.
  ASSERT_TRUE(WaitFor([&] { return !get().ok(); }, 10s));
  ExpectS3Error(get(), 403, "InvalidObjectState");
  EXPECT_FALSE(emu.Raw("HEAD", "/" + bucket + "/" + key).HasHeader("x-amz-restore"));
  (void)t;
}

TEST_F(EmulatorTest, GlacierRestoreLifecycle) {
  NewBucket("arch");
  RestoreLifecycle(this, *emu_, *s3_, "GLACIER");
}

TEST_F(EmulatorTest, DeepArchiveRestoreLifecycleAndNoExpedited) {
  NewBucket("arch");
  Put("arch", "deep-expedited", "x", "DEEP_ARCHIVE");
  ExpectS3Error(Restore("arch", "deep-expedited", 1, s3::RestoreTier::kExpedited), 400, "InvalidArgument");
  RestoreLifecycle(this, *emu_, *s3_, "DEEP_ARCHIVE");
}

TEST_F(EmulatorTest, ExpeditedUnavailableAnswers503) {
  Start([] {
    auto args = DefaultArgs();
    args.push_back("--expedited-unavailable");
    return args;
  }());
  NewBucket("arch");
  Put("arch", "g", "x", "GLACIER");
  auto refused = Restore("arch", "g", 1, s3::RestoreTier::kExpedited);
  ExpectS3Error(refused, 503, "GlacierExpeditedRetrievalNotAvailable");
  EXPECT_TRUE(Restore("arch", "g", 1, s3::RestoreTier::kStandard).ok());  // the fallback works
}

TEST_F(EmulatorTest, RestoringANonArchivedObjectIs403AndGlacierIrReadsDirectly) {
  NewBucket("arch");
  Put("arch", "std", "x");
  ExpectS3Error(Restore("arch", "std", 1), 403, "InvalidObjectState");
  Put("arch", "ir", "instant", "GLACIER_IR");
  EXPECT_EQ(*Get("arch", "ir"), "instant");
  auto head = Head("arch", "ir");
  ASSERT_TRUE(head.ok());
  EXPECT_EQ(head->storage_class, "GLACIER_IR");
  ExpectS3Error(Restore("arch", "ir", 1), 403, "InvalidObjectState");
  ExpectS3Error(Restore("arch", "missing", 1), 404, "NoSuchKey");
}

TEST_F(EmulatorTest, IntelligentTieringArchiveTierRestoresWithoutDays) {
  NewBucket("tiering");
  Put("tiering", "tiered", "warm again", "INTELLIGENT_TIERING", {{"x-s3emu-archive-status", "ARCHIVE_ACCESS"}});
  Put("tiering", "frequent", "hot", "INTELLIGENT_TIERING");
  EXPECT_EQ(*Get("tiering", "frequent"), "hot");  // not in an archive tier: readable
  auto head = Head("tiering", "tiered");
  ASSERT_TRUE(head.ok());
  EXPECT_EQ(head->storage_class, "INTELLIGENT_TIERING");
  EXPECT_EQ(head->archive_status, "ARCHIVE_ACCESS");
  ExpectS3Error(Get("tiering", "tiered"), 403, "InvalidObjectState");
  ExpectS3Error(Restore("tiering", "tiered", 1), 400, "InvalidArgument");  // Days is not allowed
  auto started = Restore("tiering", "tiered", std::nullopt);
  ASSERT_TRUE(started.ok()) << started.status().ToString();
  EXPECT_EQ(*started, s3::RestoreOutcome::kStarted);
  ExpectS3Error(Restore("tiering", "tiered", std::nullopt), 409, "RestoreAlreadyInProgress");
  ASSERT_TRUE(WaitFor([&] { return Get("tiering", "tiered").ok(); }, 5s));
  auto after = emu_->Raw("HEAD", "/tiering/tiered");
  EXPECT_FALSE(after.HasHeader("x-amz-archive-status"));  // back in a readable tier
  EXPECT_EQ(after.Header("x-amz-restore"), "ongoing-request=\"false\"");  // and it never expires
  ExpectS3Error(Restore("tiering", "tiered", std::nullopt), 403, "InvalidObjectState");
  // The admin API moves it back to an archive tier.
  auto moved = emu_->AdminPost("/archive", {{"bucket", "tiering"}, {"key", "tiered"}, {"archive_status", "DEEP_ARCHIVE_ACCESS"}});
  EXPECT_EQ(moved["archive_status"], "DEEP_ARCHIVE_ACCESS");
  ExpectS3Error(Get("tiering", "tiered"), 403, "InvalidObjectState");
  ExpectS3Error(Restore("tiering", "tiered", std::nullopt, s3::RestoreTier::kExpedited), 400, "InvalidArgument");
}

TEST_F(EmulatorTest, AdminForcesRestoresToCompleteAndExpire) {
  Start({"--restore-delay", "Standard=3600", "--seconds-per-day", "86400", "--no-fsync"});
  NewBucket("arch");
  Put("arch", "slow", "payload", "GLACIER");
  ASSERT_TRUE(Restore("arch", "slow", 7).ok());
  ExpectS3Error(Get("arch", "slow"), 403, "InvalidObjectState");
  auto completed = emu_->AdminPost("/restore", {{"bucket", "arch"}, {"key", "slow"}, {"action", "complete"}});
  EXPECT_EQ(completed["restore"].get<std::string>().rfind("ongoing-request=\"false\", expiry-date=", 0), 0u)
      << completed.dump();
  EXPECT_EQ(*Get("arch", "slow"), "payload");
  emu_->AdminPost("/restore", {{"bucket", "arch"}, {"key", "slow"}, {"action", "expire"}});
  ExpectS3Error(Get("arch", "slow"), 403, "InvalidObjectState");
  int status = 0;
  emu_->AdminPost("/restore", {{"bucket", "arch"}, {"key", "slow"}, {"action", "complete"}}, &status);
  EXPECT_EQ(status, 400);  // nothing in progress any more
}

TEST_F(EmulatorTest, ListingReportsRestoreStatusWhenAsked) {
  NewBucket("arch");
  Put("arch", "never", "x", "GLACIER");
  Put("arch", "restoring", "x", "GLACIER");
  Put("arch", "restored", "x", "DEEP_ARCHIVE");
  Put("arch", "plain", "x");
  ASSERT_TRUE(Restore("arch", "restoring", 1).ok());
  ASSERT_TRUE(Restore("arch", "restored", 1).ok());
  emu_->AdminPost("/restore", {{"bucket", "arch"}, {"key", "restored"}, {"action", "complete"}});
  s3::ListObjectsV2Request req;
  req.bucket = "arch";
  req.fetch_restore_status = true;
  auto page = s3_->ListObjectsV2(req);
  ASSERT_TRUE(page.ok()) << page.status().ToString();
  std::map<std::string, s3::ObjectSummary> by_key;
  for (const auto& o : page->objects) by_key[o.key] = o;
  EXPECT_FALSE(by_key.at("never").restore_status.has_value());
  EXPECT_FALSE(by_key.at("plain").restore_status.has_value());
  ASSERT_TRUE(by_key.at("restoring").restore_status.has_value());
  EXPECT_TRUE(by_key.at("restoring").restore_status->in_progress);
  ASSERT_TRUE(by_key.at("restored").restore_status.has_value());
  EXPECT_FALSE(by_key.at("restored").restore_status->in_progress);
  EXPECT_TRUE(by_key.at("restored").restore_status->expiry.has_value());
  EXPECT_EQ(by_key.at("restored").storage_class, "DEEP_ARCHIVE");
  // Not asked: no RestoreStatus at all.
  req.fetch_restore_status = false;
  auto plain = s3_->ListObjectsV2(req);
  ASSERT_TRUE(plain.ok());
  for (const auto& o : plain->objects) EXPECT_FALSE(o.restore_status.has_value()) << o.key;
}

// ---------------------------------------------------------------------------
// Synthetic objects

TEST_F(EmulatorTest, SyntheticObjectsAreListedAndMatchTheirEtags) {
  auto created = emu_->AdminPost("/synthetic", {{"bucket", "synth"},
                                                {"count", 20000},
                                                {"key_pattern", "obj/{i:06}"},
                                                {"seed", 42},
                                                {"sizes", {{{"size", 3000}, {"weight", 3}}, {{"size", 200000}, {"weight", 1}}}}});
  ASSERT_EQ(created["created"], 20000) << created.dump();
  auto all = ListAll("synth", 1000);
  ASSERT_EQ(all.size(), 20000u);
  EXPECT_EQ(all.front().key, "obj/000000");
  EXPECT_EQ(all.back().key, "obj/019999");
  std::set<std::string> etags;
  std::set<uint64_t> sizes;
  for (size_t i = 0; i < all.size(); i += 997) {
    auto body = Get("synth", all[i].key);
    ASSERT_TRUE(body.ok()) << body.status().ToString();
    EXPECT_EQ(body->size(), all[i].size);
    EXPECT_EQ(Md5Hex(*body), all[i].etag) << all[i].key;
    etags.insert(all[i].etag);
    sizes.insert(all[i].size);
    // A range of a synthetic object is the same bytes as in the whole.
    s3::GetObjectRequest range;
    range.range = s3::ByteRange{1000, 2999};
    EXPECT_EQ(*Get("synth", all[i].key, range), body->substr(1000, 2000));
  }
  EXPECT_EQ(etags.size(), (all.size() + 996) / 997);  // every object differs
  EXPECT_EQ(sizes, (std::set<uint64_t>{3000, 200000}));
  // Same spec, same bytes: the ETags are a pure function of (seed, key, size).
  s3emu::SyntheticEtags local(42, {3000, 200000});
  EXPECT_EQ(local.Etag(all[0].key, all[0].size), all[0].etag);
  // Synthetic objects can be archived too.
  emu_->AdminPost("/synthetic", {{"bucket", "synth-cold"}, {"count", 3}, {"size", 10}, {"storage_class", "GLACIER"}});
  ExpectS3Error(Get("synth-cold", "obj-00000000"), 403, "InvalidObjectState");
}

// ---------------------------------------------------------------------------
// Faults

TEST_F(EmulatorTest, FaultInternalErrorAndSlowDownAreCounted) {
  NewBucket("faults");
  Put("faults", "k", "v");
  emu_->AdminPost("/faults", {{"kind", "internal_error"}, {"operations", {"GetObject"}}, {"count", 1}});
  ExpectS3Error(Get("faults", "k"), 500, "InternalError");
  EXPECT_EQ(*Get("faults", "k"), "v");  // count=1: only once
  emu_->AdminPost("/faults", {{"kind", "slow_down"}, {"keys", {"k"}}});
  auto throttled = Head("faults", "k");
  ExpectS3Error(throttled, 503, "");
  EXPECT_EQ(throttled.status().kind(), ErrorKind::kThrottled);
  ExpectS3Error(Get("faults", "k"), 503, "SlowDown");
  Put("faults", "other", "fine");  // other keys are untouched
  // A client that retries gets through once the rule is gone.
  auto counters = emu_->AdminGet("/counters");
  EXPECT_EQ(counters["injected"]["internal_error"], 1);
  EXPECT_EQ(counters["injected"]["slow_down"], 2);
  EXPECT_GE(counters["requests"]["GetObject"].get<int>(), 3);
  emu_->AdminDelete("/faults");
  EXPECT_EQ(*Get("faults", "k"), "v");
}

TEST_F(EmulatorTest, FaultBodyResetTruncateCorruptAndStall) {
  NewBucket("faults");
  const std::string body = Bytes(3 << 20, 7);
  Put("faults", "big", body);

  emu_->AdminPost("/faults", {{"kind", "reset"}, {"keys", {"big"}}, {"count", 1}, {"after_bytes", 1 << 20}});
  uint64_t received = 0;
  auto reset = s3_->GetObject({"faults", "big", "", std::nullopt, 0, "", false, {}, {}}, [&](const char*, size_t n) {
    received += n;
    return Status::Ok();
  });
  ASSERT_FALSE(reset.ok());
  EXPECT_EQ(reset.status().kind(), ErrorKind::kTransient) << reset.status().ToString();
  EXPECT_LE(received, 1u << 20);

  emu_->AdminPost("/faults", {{"kind", "truncate"}, {"keys", {"big"}}, {"count", 1}, {"after_bytes", 12345}});
  received = 0;
  auto cut = s3_->GetObject({"faults", "big", "", std::nullopt, 0, "", false, {}, {}}, [&](const char*, size_t n) {
    received += n;
    return Status::Ok();
  });
  ASSERT_FALSE(cut.ok());
  EXPECT_EQ(cut.status().kind(), ErrorKind::kTransient) << cut.status().ToString();
  EXPECT_EQ(received, 12345u);

  emu_->AdminPost("/faults", {{"kind", "corrupt"}, {"keys", {"big"}}, {"count", 1}, {"after_bytes", 1000}, {"flip", 3}});
  ObjectMetadata meta;
  auto corrupted = Get("faults", "big", {}, &meta);
  ASSERT_TRUE(corrupted.ok()) << corrupted.status().ToString();
  EXPECT_EQ(meta.etag, Md5Hex(body));        // the ETag is the real one...
  EXPECT_NE(Md5Hex(*corrupted), meta.etag);  // ...the bytes are not
  ASSERT_EQ(corrupted->size(), body.size());
  EXPECT_EQ(corrupted->substr(0, 1000), body.substr(0, 1000));
  for (size_t i = 1000; i < 1003; ++i) EXPECT_EQ((*corrupted)[i], static_cast<char>(~body[i])) << i;
  EXPECT_EQ(corrupted->substr(1003), body.substr(1003));

  emu_->AdminPost("/faults", {{"kind", "stall"}, {"keys", {"big"}}, {"count", 1}, {"after_bytes", 100}, {"ms", 1500}});
  const auto start = std::chrono::steady_clock::now();
  auto stalled = Get("faults", "big");
  ASSERT_TRUE(stalled.ok()) << stalled.status().ToString();
  EXPECT_EQ(*stalled, body);
  EXPECT_GE(std::chrono::steady_clock::now() - start, 1400ms);

  auto counters = emu_->AdminGet("/counters");
  for (const char* kind : {"reset", "truncate", "corrupt", "stall"}) EXPECT_EQ(counters["injected"][kind], 1) << kind;
  EXPECT_EQ(*Get("faults", "big"), body);  // every rule was one-shot
}

TEST_F(EmulatorTest, FaultLatencyByRateAndListingFaults) {
  NewBucket("faults");
  Put("faults", "k", "v");
  emu_->AdminPost("/faults", {{"kind", "latency"}, {"operations", {"HeadObject"}}, {"ms", 300}});
  auto start = std::chrono::steady_clock::now();
  ASSERT_TRUE(Head("faults", "k").ok());
  EXPECT_GE(std::chrono::steady_clock::now() - start, 290ms);
  start = std::chrono::steady_clock::now();
  ASSERT_TRUE(Get("faults", "k").ok());
  EXPECT_LT(std::chrono::steady_clock::now() - start, 290ms);  // only HeadObject is slowed
  emu_->AdminDelete("/faults");

  // rate 0.5 over 200 requests fires roughly half the time.
  emu_->AdminPost("/faults", {{"kind", "internal_error"}, {"operations", {"HeadObject"}}, {"rate", 0.5}});
  int failures = 0;
  for (int i = 0; i < 200; ++i) failures += Head("faults", "k").ok() ? 0 : 1;
  EXPECT_GT(failures, 60);
  EXPECT_LT(failures, 140);
  EXPECT_EQ(emu_->AdminGet("/counters")["injected"]["internal_error"], failures);
  emu_->AdminDelete("/faults");

  // Body faults hit listings too: a truncated ListObjectsV2 is a transient error.
  emu_->AdminPost("/faults", {{"kind", "truncate"}, {"operations", {"ListObjectsV2"}}, {"count", 1}});
  s3::ListObjectsV2Request req;
  req.bucket = "faults";
  auto page = s3_->ListObjectsV2(req);
  ASSERT_FALSE(page.ok());
  EXPECT_EQ(page.status().kind(), ErrorKind::kTransient);
  // With retries the client gets the listing.
  EXPECT_TRUE(emu_->Client(3)->ListObjectsV2(req).ok());
}

TEST_F(EmulatorTest, FaultFlagsAtStart) {
  Start({"--fault", "kind=slow_down,op=PutObject,count=2", "--no-fsync"});
  NewBucket("faults");
  s3::PutObjectRequest req{"faults", "k", "v", "", "", {}, "", {}};
  ExpectS3Error(s3_->PutObject(req), 503, "SlowDown");
  EXPECT_TRUE(emu_->Client(3)->PutObject(req).ok());  // the second 503, then success
  EXPECT_EQ(emu_->AdminGet("/counters")["injected"]["slow_down"], 2);
  auto rules = emu_->AdminGet("/faults");
  ASSERT_EQ(rules.size(), 1u);
  EXPECT_EQ(rules[0]["remaining"], 0);
}

// ---------------------------------------------------------------------------
// Persistence, authentication, addressing

TEST_F(EmulatorTest, StateSurvivesARestart) {
  NewBucket("keep", /*versioned=*/true);
  auto v1 = Put("keep", "doc", "first");
  Put("keep", "doc", "second");
  Put("keep", "cold", "ice", "GLACIER");
  ASSERT_TRUE(Restore("keep", "cold", 5).ok());
  auto id = s3_->CreateMultipartUpload({"keep", "mp", "", "", "", "", {}});
  ASSERT_TRUE(id.ok());
  auto part = s3_->UploadPart("keep", "mp", *id, 1, "part one", "");
  ASSERT_TRUE(part.ok());
  emu_->AdminPost("/synthetic", {{"bucket", "synth"}, {"count", 5}, {"size", 5000}});
  ASSERT_TRUE(emu_->Stop());

  Start(DefaultArgs());
  EXPECT_EQ(*s3_->GetBucketVersioning("keep"), "Enabled");
  EXPECT_EQ(*Get("keep", "doc"), "second");
  s3::GetObjectRequest old;
  old.version_id = v1.version_id;
  EXPECT_EQ(*Get("keep", "doc", old), "first");
  auto cold = Head("keep", "cold");
  ASSERT_TRUE(cold.ok());
  EXPECT_TRUE(cold->restore.has_value());  // the restore record survived
  ASSERT_TRUE(WaitFor([&] { return Get("keep", "cold").ok(); }, 5s));
  auto done = s3_->CompleteMultipartUpload("keep", "mp", *id, {*part}, "");
  ASSERT_TRUE(done.ok()) << done.status().ToString();
  EXPECT_EQ(*Get("keep", "mp"), "part one");
  EXPECT_EQ(ListAll("synth", 1000).size(), 5u);
}

TEST_F(EmulatorTest, WrongSignaturesAreRejectedAsAwsDoes) {
  NewBucket("auth");
  Put("auth", "k", "v");
  auto wrong_secret = emu_->Client(1, "not-the-secret");
  auto denied = wrong_secret->ListBuckets();
  ExpectS3Error(denied, 403, "SignatureDoesNotMatch");
  EXPECT_EQ(denied.status().kind(), ErrorKind::kAuth);
  auto raw = emu_->Raw("GET", "/auth/k", {}, {}, "", "not-the-secret");
  EXPECT_EQ(raw.status, 403);
  auto doc = s3::ParseErrorDocument(raw.body);
  ASSERT_TRUE(doc.ok());
  EXPECT_EQ(doc->code, "SignatureDoesNotMatch");
  pugi::xml_document error;
  ASSERT_TRUE(error.load_buffer(raw.body.data(), raw.body.size()));
  const std::string canonical = error.child("Error").child("CanonicalRequest").text().get();
  EXPECT_EQ(canonical.rfind("GET\n/auth/k\n\nhost:127.0.0.1:", 0), 0u) << canonical;
  EXPECT_FALSE(std::string(error.child("Error").child("StringToSign").text().get()).empty());

  auto unknown = emu_->Client(1, "whatever", "AKIAUNKNOWN");
  ExpectS3Error(unknown->ListBuckets(), 403, "InvalidAccessKeyId");

  // Unsigned: AccessDenied.
  auto transport = s3::MakeCurlTransport({});
  s3::HttpRequest plain;
  plain.url = emu_->endpoint() + "/auth/k";
  auto anonymous = transport->Send(plain, nullptr);
  ASSERT_TRUE(anonymous.ok());
  EXPECT_EQ(anonymous->status, 403);
  EXPECT_NE(anonymous->body.find("<Code>AccessDenied</Code>"), std::string::npos);

  // A body that does not match its signed x-amz-content-sha256.
  s3::HttpRequest forged = emu_->Signed("PUT", "/auth/forged", {}, {}, "the signed body");
  forged.body = "another body";
  auto mismatch = emu_->Send(forged);
  EXPECT_EQ(mismatch.status, 400);
  EXPECT_NE(mismatch.body.find("XAmzContentSHA256Mismatch"), std::string::npos);
  ExpectS3Error(Head("auth", "forged"), 404, "");
}

// Query-string SigV4 (AWS, "Authenticating Requests: Using Query Parameters"):
// each request is verified like a header-signed one, and X-Amz-Expires counts
// from X-Amz-Date.
TEST_F(EmulatorTest, PresignedUrlsAreVerifiedAndExpire) {
  NewBucket("presign");
  Put("presign", "dir/a key.txt", "presigned body");
  const auto now = std::chrono::system_clock::now();
  auto get = [&](const std::string& url) {
    s3::HttpRequest request;
    request.url = url;
    return emu_->Send(request);
  };
  auto expect_error = [&](const std::string& url, int status, const std::string& code) {
    const auto response = get(url);
    EXPECT_EQ(response.status, status) << url << "\n" << response.body;
    EXPECT_NE(response.body.find("<Code>" + code + "</Code>"), std::string::npos) << response.body;
    return response.body;
  };
  // Replaces the first `from` in `url` by `to`.
  auto edit = [](std::string url, const std::string& from, const std::string& to) {
    const size_t at = url.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    if (at != std::string::npos) url.replace(at, from.size(), to);
    return url;
  };

  const std::string url = emu_->Presigned("GET", "/presign/dir/a key.txt", 60, now);
  auto ok = get(url);
  EXPECT_EQ(ok.status, 200) << ok.body;
  EXPECT_EQ(ok.body, "presigned body");
  EXPECT_EQ(get(url).status, 200) << "a presigned URL is reusable until it expires";
  // Signed 30 s ago for 60 s: still valid; signed 2 min ago for 60 s: expired.
  EXPECT_EQ(get(emu_->Presigned("GET", "/presign/dir/a key.txt", 60, now - 30s)).status, 200);
  const std::string expired =
      expect_error(emu_->Presigned("GET", "/presign/dir/a key.txt", 60, now - 120s), 403, "AccessDenied");
  EXPECT_NE(expired.find("Request has expired"), std::string::npos) << expired;
  EXPECT_NE(expired.find("<X-Amz-Expires>60</X-Amz-Expires>"), std::string::npos) << expired;

  // Anything signed that changes breaks the signature: the key, the expiry.
  expect_error(edit(url, "a%20key", "b%20key"), 403, "SignatureDoesNotMatch");
  expect_error(edit(url, "X-Amz-Expires=60", "X-Amz-Expires=600"), 403, "SignatureDoesNotMatch");
  expect_error(emu_->Presigned("GET", "/presign/dir/a key.txt", 60, now, "not-the-secret"), 403,
               "SignatureDoesNotMatch");
  // Missing or out-of-range parameters: 400 AuthorizationQueryParametersError.
  expect_error(edit(url, "&X-Amz-Expires=60", ""), 400, "AuthorizationQueryParametersError");
  expect_error(edit(url, "&X-Amz-Date=", "&X-Amz-Nope="), 400, "AuthorizationQueryParametersError");
  expect_error(emu_->Presigned("GET", "/presign/dir/a key.txt", 604801, now), 400,
               "AuthorizationQueryParametersError");
  expect_error(emu_->Presigned("GET", "/presign/dir/a key.txt", 0, now), 400, "AuthorizationQueryParametersError");
}

TEST_F(EmulatorTest, VirtualHostedStyleRequests) {
  NewBucket("vhost");
  Put("vhost", "dir/key.txt", "hello");
  // Host: vhost.localhost:PORT names the bucket; the path is the key (curl
  // sends our Host header).
  auto response = emu_->Send(emu_->Signed("GET", "/dir/key.txt", {}, {}, "", S3emuProcess::kSecretKey,
                                          "vhost.localhost:" + std::to_string(emu_->port())));
  EXPECT_EQ(response.status, 200) << response.body;
  EXPECT_EQ(response.body, "hello");
}

TEST_F(EmulatorTest, UnsupportedRequestsAnswerNotImplemented) {
  NewBucket("misc");
  auto acl = emu_->Raw("GET", "/misc", {{"acl", ""}});
  EXPECT_EQ(acl.status, 501);
  EXPECT_NE(acl.body.find("NotImplemented"), std::string::npos);
  auto admin = emu_->AdminGet("/health");
  EXPECT_EQ(admin["ok"], true);
}

// ---------------------------------------------------------------------------
// Pure parts, table-driven

TEST(ArchiveStateMachine, DecideRestoreTable) {
  s3emu::RestoreTiming timing;
  timing.delay_seconds = {{"Expedited", 1}, {"Standard", 10}, {"Bulk", 100}, {"DEEP_ARCHIVE:Standard", 20}};
  timing.seconds_per_day = 60;
  const int64_t now = 1'000'000;
  struct Row {
    std::string name;
    s3emu::ArchiveFacts facts;
    std::optional<int> days;
    std::string tier;
    int status;          // expected HTTP status
    std::string code;    // expected error code, "" on success
    int64_t ready_ms;    // expected, on success
    int64_t expiry_ms;
  };
  const s3emu::RestoreRecord ongoing{"Standard", now - 1000, now + 5000, now + 65000};
  const s3emu::RestoreRecord restored{"Standard", now - 20000, now - 10000, now + 50000};
  const s3emu::RestoreRecord expired{"Standard", now - 200000, now - 100000, now - 1};
  const std::vector<Row> rows = {
      {"glacier standard", {"GLACIER", "", {}}, 1, "Standard", 202, "", now + 10000, now + 70000},
      {"deep standard uses its own delay", {"DEEP_ARCHIVE", "", {}}, 2, "Standard", 202, "", now + 20000, now + 140000},
      {"glacier bulk", {"GLACIER", "", {}}, 1, "Bulk", 202, "", now + 100000, now + 160000},
      {"deep expedited", {"DEEP_ARCHIVE", "", {}}, 1, "Expedited", 400, "InvalidArgument", 0, 0},
      {"glacier without days", {"GLACIER", "", {}}, std::nullopt, "Standard", 400, "InvalidArgument", 0, 0},
      {"standard class", {"STANDARD", "", {}}, 1, "Standard", 403, "InvalidObjectState", 0, 0},
      {"glacier ir", {"GLACIER_IR", "", {}}, 1, "Standard", 403, "InvalidObjectState", 0, 0},
      {"in progress", {"GLACIER", "", ongoing}, 1, "Standard", 409, "RestoreAlreadyInProgress", 0, 0},
      {"restored: extend from now", {"GLACIER", "", restored}, 3, "Standard", 200, "", now - 10000, now + 180000},
      {"expired: start over", {"GLACIER", "", expired}, 1, "Standard", 202, "", now + 10000, now + 70000},
      {"tiering with days", {"INTELLIGENT_TIERING", "ARCHIVE_ACCESS", {}}, 1, "Standard", 400, "InvalidArgument", 0, 0},
      {"tiering without days", {"INTELLIGENT_TIERING", "ARCHIVE_ACCESS", {}}, std::nullopt, "Standard", 202, "", now + 10000, 0},
      {"tiering deep expedited", {"INTELLIGENT_TIERING", "DEEP_ARCHIVE_ACCESS", {}}, std::nullopt, "Expedited", 400, "InvalidArgument", 0, 0},
      {"tiering not archived", {"INTELLIGENT_TIERING", "", {}}, std::nullopt, "Standard", 403, "InvalidObjectState", 0, 0},
  };
  for (const auto& row : rows) {
    SCOPED_TRACE(row.name);
    s3emu::RestoreRequestBody request;
    request.days = row.days;
    request.tier = row.tier;
    auto decision = s3emu::DecideRestore(row.facts, request, timing, now);
    if (!row.code.empty()) {
      ASSERT_FALSE(decision.ok());
      EXPECT_EQ(decision.error().status, row.status);
      EXPECT_EQ(decision.error().code, row.code);
      continue;
    }
    ASSERT_TRUE(decision.ok()) << decision.error().code << ": " << decision.error().message;
    EXPECT_EQ(decision->http_status, row.status);
    EXPECT_EQ(decision->record.ready_ms, row.ready_ms);
    EXPECT_EQ(decision->record.expiry_ms, row.expiry_ms);
  }
  timing.expedited_unavailable = true;
  s3emu::RestoreRequestBody expedited;
  expedited.days = 1;
  expedited.tier = "Expedited";
  auto unavailable = s3emu::DecideRestore({"GLACIER", "", {}}, expedited, timing, now);
  ASSERT_FALSE(unavailable.ok());
  EXPECT_EQ(unavailable.error().status, 503);
  EXPECT_EQ(unavailable.error().code, "GlacierExpeditedRetrievalNotAvailable");
}

TEST(ArchiveStateMachine, RestoreHeaderFormats) {
  const int64_t now = 1356048000000;  // Fri, 21 Dec 2012 00:00:00 GMT
  s3emu::ArchiveFacts facts{"GLACIER", "", {"Standard", now - 10, now + 10, 0}};
  EXPECT_EQ(s3emu::RestoreHeaderAt(facts, now), "ongoing-request=\"true\"");
  facts.restore = {"Standard", now - 20, now - 10, now + 86400000};
  EXPECT_EQ(s3emu::RestoreHeaderAt(facts, now),
            "ongoing-request=\"false\", expiry-date=\"Sat, 22 Dec 2012 00:00:00 GMT\"");
  EXPECT_EQ(s3emu::RestoreHeaderAt(facts, now + 86400000), "");
  EXPECT_TRUE(s3emu::IsArchivedNow(facts, now + 86400000));
  EXPECT_FALSE(s3emu::IsArchivedNow(facts, now));
}

TEST(Options, RestoreDelaysAndFaultRulesParse) {
  s3emu::RestoreTiming timing;
  std::string error;
  ASSERT_TRUE(s3emu::ParseRestoreDelays("Expedited=0.5,Standard=3,DEEP_ARCHIVE:Bulk=9", &timing, &error)) << error;
  EXPECT_EQ(timing.delay_seconds.at("Expedited"), 0.5);
  EXPECT_EQ(timing.delay_seconds.at("DEEP_ARCHIVE:Bulk"), 9);
  EXPECT_EQ(timing.delay_seconds.at("Bulk"), 6);  // untouched default
  EXPECT_FALSE(s3emu::ParseRestoreDelays("Slow=3", &timing, &error));
  EXPECT_FALSE(s3emu::ParseRestoreDelays("Standard=abc", &timing, &error));

  auto rule = s3emu::ParseFaultRuleFlag("kind=reset,op=GetObject,op=HeadObject,key=a,rate=0.25,after_bytes=10,count=3");
  ASSERT_TRUE(rule.ok()) << rule.error().message;
  EXPECT_EQ(rule->kind, s3emu::FaultKind::kReset);
  EXPECT_EQ(rule->operations, (std::set<std::string>{"GetObject", "HeadObject"}));
  EXPECT_EQ(rule->keys, std::set<std::string>{"a"});
  EXPECT_EQ(rule->rate, 0.25);
  EXPECT_EQ(rule->after_bytes, 10u);
  EXPECT_EQ(rule->remaining, 3);
  EXPECT_FALSE(s3emu::ParseFaultRuleFlag("kind=meltdown").ok());
  EXPECT_FALSE(s3emu::ParseFaultRuleFlag("kind=latency").ok());  // needs ms
  EXPECT_FALSE(s3emu::ParseFaultRuleFlag("op=GetObject").ok());  // needs a kind
}

}  // namespace
}  // namespace s3m::testing
