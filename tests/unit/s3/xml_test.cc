#include "s3/xml.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <vector>

#include <pugixml.hpp>

namespace s3m::s3 {
namespace {

using std::chrono::system_clock;

std::string ReadSample(const std::string& name) {
  const std::string path = std::string(S3M_TESTDATA) + "/xml/" + name;
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in.good()) << "cannot open " << path;
  std::ostringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

int64_t EpochSeconds(system_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

// Every parser, type-erased to its status, for the tests that feed each of
// them the same hostile input.
struct NamedParser {
  const char* name;
  std::function<Status(std::string_view)> parse;
};

const std::vector<NamedParser>& AllParsers() {
  static const std::vector<NamedParser> kParsers = {
      {"ListBuckets", [](std::string_view x) { return ParseListBucketsResult(x).status(); }},
      {"ListObjectsV2", [](std::string_view x) { return ParseListObjectsV2Result(x).status(); }},
      {"ListObjectVersions",
       [](std::string_view x) { return ParseListObjectVersionsResult(x).status(); }},
      {"DeleteObjects", [](std::string_view x) { return ParseDeleteObjectsResult(x).status(); }},
      {"GetBucketLocation", [](std::string_view x) { return ParseLocationConstraint(x).status(); }},
      {"GetBucketVersioning",
       [](std::string_view x) { return ParseVersioningConfiguration(x).status(); }},
      {"CreateMultipartUpload",
       [](std::string_view x) { return ParseInitiateMultipartUploadResult(x).status(); }},
      {"CompleteMultipartUpload",
       [](std::string_view x) { return ParseCompleteMultipartUploadResult(x).status(); }},
      {"ErrorDocument", [](std::string_view x) { return ParseErrorDocument(x).status(); }},
  };
  return kParsers;
}

const NamedParser& ParserNamed(std::string_view name) {
  for (const NamedParser& p : AllParsers()) {
    if (name == p.name) return p;
  }
  ADD_FAILURE() << "no parser " << name;
  return AllParsers().front();
}

// A recorded sample and the parser that must accept it.
struct Sample {
  const char* file;
  const char* parser;
};

const std::vector<Sample>& ValidSamples() {
  static const std::vector<Sample> kSamples = {
      {"list_buckets_aws.xml", "ListBuckets"},
      {"list_buckets_region.xml", "ListBuckets"},
      {"list_objects_v2_aws.xml", "ListObjectsV2"},
      {"list_objects_v2_aws_truncated.xml", "ListObjectsV2"},
      {"list_objects_v2_url_encoded.xml", "ListObjectsV2"},
      {"list_objects_v2_s3rver.xml", "ListObjectsV2"},
      {"list_objects_v2_swift.xml", "ListObjectsV2"},
      {"list_objects_v2_restore_status.xml", "ListObjectsV2"},
      {"list_objects_v2_checksums.xml", "ListObjectsV2"},
      {"list_object_versions_aws.xml", "ListObjectVersions"},
      {"list_object_versions_url_encoded.xml", "ListObjectVersions"},
      {"delete_objects_mixed.xml", "DeleteObjects"},
      {"location_eu_legacy.xml", "GetBucketLocation"},
      {"location_us_east_1.xml", "GetBucketLocation"},
      {"location_region.xml", "GetBucketLocation"},
      {"versioning_enabled.xml", "GetBucketVersioning"},
      {"versioning_suspended.xml", "GetBucketVersioning"},
      {"versioning_never_enabled.xml", "GetBucketVersioning"},
      {"initiate_multipart_upload.xml", "CreateMultipartUpload"},
      {"complete_multipart_upload.xml", "CompleteMultipartUpload"},
      {"error_no_such_key.xml", "ErrorDocument"},
      {"error_slow_down.xml", "ErrorDocument"},
      {"error_authorization_header_malformed.xml", "ErrorDocument"},
      {"error_permanent_redirect.xml", "ErrorDocument"},
      {"error_swift_no_such_key.xml", "ErrorDocument"},
      {"complete_multipart_upload_error_200.xml", "ErrorDocument"},
  };
  return kSamples;
}

// ---------------------------------------------------------------------------
// ListBuckets
// ---------------------------------------------------------------------------

TEST(ListBucketsTest, AwsReferenceExample) {
  auto r = ParseListBucketsResult(ReadSample("list_buckets_aws.xml"));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->size(), 2u);
  EXPECT_EQ((*r)[0].name, "amzn-s3-demo-bucket");
  EXPECT_EQ((*r)[0].creation_date, "2019-12-11T23:32:47+00:00");
  EXPECT_EQ((*r)[0].region, "");
  EXPECT_EQ((*r)[1].name, "amzn-s3-demo-bucket1");
}

TEST(ListBucketsTest, BucketRegionIsKept) {
  auto r = ParseListBucketsResult(ReadSample("list_buckets_region.xml"));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->size(), 2u);
  EXPECT_EQ((*r)[0].name, "migrate-me-eu");
  EXPECT_EQ((*r)[0].region, "eu-central-1");
  EXPECT_EQ((*r)[1].region, "us-east-1");
}

TEST(ListBucketsTest, NoBucketsIsAnEmptyList) {
  auto r = ParseListBucketsResult("<ListAllMyBucketsResult><Buckets/></ListAllMyBucketsResult>");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(r->empty());
}

TEST(ListBucketsTest, BucketWithoutNameIsAnError) {
  auto r = ParseListBucketsResult(
      "<ListAllMyBucketsResult><Buckets><Bucket><CreationDate>x</CreationDate></Bucket>"
      "</Buckets></ListAllMyBucketsResult>");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().kind(), ErrorKind::kTransient);
  EXPECT_NE(r.status().message().find("<Name>"), std::string::npos) << r.status().message();
}

// ---------------------------------------------------------------------------
// ListObjectsV2
// ---------------------------------------------------------------------------

TEST(ListObjectsV2Test, AwsReferenceExample) {
  auto r = ParseListObjectsV2Result(ReadSample("list_objects_v2_aws.xml"));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_FALSE(r->is_truncated);
  EXPECT_EQ(r->encoding_type, "");
  ASSERT_EQ(r->objects.size(), 2u);
  const ObjectSummary& a = r->objects[0];
  EXPECT_EQ(a.key, "my-image.jpg");
  EXPECT_EQ(a.last_modified, "2009-10-12T17:50:30.000Z");
  EXPECT_EQ(a.etag, "fba9dede5f27731c9771645a39863328");
  EXPECT_EQ(a.size, 434234u);
  EXPECT_EQ(a.storage_class, "STANDARD");
  EXPECT_TRUE(a.checksum_algorithms.empty());
  EXPECT_FALSE(a.restore_status.has_value());
  // &quot;-quoted ETag, the form AWS uses in its own examples.
  EXPECT_EQ(r->objects[1].etag, "1b2cf535f27731c974343645a3985328");
  EXPECT_EQ(r->objects[1].storage_class, "STANDARD_IA");
}

TEST(ListObjectsV2Test, TruncatedPageCarriesToken) {
  auto r = ParseListObjectsV2Result(ReadSample("list_objects_v2_aws_truncated.xml"));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(r->is_truncated);
  EXPECT_EQ(r->next_continuation_token, "1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=");
  ASSERT_EQ(r->objects.size(), 3u);
  EXPECT_EQ(r->objects[0].storage_class, "REDUCED_REDUNDANCY");
  EXPECT_EQ(r->objects[2].key, "photos/2006/February/sample.jpg");
  EXPECT_EQ(r->objects[2].storage_class, "GLACIER");
}

TEST(ListObjectsV2Test, UrlEncodedKeysAreDecoded) {
  auto r = ParseListObjectsV2Result(ReadSample("list_objects_v2_url_encoded.xml"));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->encoding_type, "url");
  EXPECT_EQ(r->prefix, "dir one/");
  EXPECT_EQ(r->delimiter, "/");
  EXPECT_EQ(r->start_after, "dir one/0");
  std::vector<std::string> keys;
  for (const ObjectSummary& o : r->objects) keys.push_back(o.key);
  EXPECT_EQ(keys, (std::vector<std::string>{
                      "dir one/my file+plus.txt",
                      "dir one/100%",
                      "dir one/caf\xC3\xA9-\xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E.txt",
                      "dir one/line1\nline2",
                      "dir one/a&b<c>\"q'",
                      "dir one/cr\r\nlf",
                      std::string("dir one/ctl\x01\x1F\x7F"),
                  }));
  EXPECT_EQ(r->common_prefixes, (std::vector<std::string>{"dir one/sub dir/"}));
}

TEST(ListObjectsV2Test, S3rverRawKeysAreNotDecoded) {
  // s3rver 3.7.1 ignores encoding-type=url: no <EncodingType>, raw keys, so a
  // '%' or '+' is literal and must not be decoded.
  auto r = ParseListObjectsV2Result(ReadSample("list_objects_v2_s3rver.xml"));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->encoding_type, "");
  EXPECT_TRUE(r->is_truncated);
  EXPECT_EQ(r->next_continuation_token, "ZGlyL211bHRpcGFydC5iaW4=");
  EXPECT_EQ(r->prefix, "dir/");
  ASSERT_EQ(r->objects.size(), 3u);
  EXPECT_EQ(r->objects[0].key, "dir/100% off+more & <tag>.txt");
  EXPECT_EQ(r->objects[0].etag, "5d41402abc4b2a76b9719d911017c592");
  EXPECT_EQ(r->objects[1].key, "dir/literal%41escape");
  EXPECT_EQ(r->objects[2].size, 15728640u);
}

TEST(ListObjectsV2Test, SwiftS3apiReply) {
  auto r = ParseListObjectsV2Result(ReadSample("list_objects_v2_swift.xml"));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->objects.size(), 2u);
  EXPECT_EQ(r->objects[0].key, "dir/a b.txt");
  EXPECT_EQ(r->objects[0].etag, "6f5902ac237024bdd0c176cb93063dc4-3");
  EXPECT_EQ(r->objects[1].key, "dir/b+c.txt");
  EXPECT_EQ(r->prefix, "");
}

TEST(ListObjectsV2Test, RestoreStatus) {
  auto r = ParseListObjectsV2Result(ReadSample("list_objects_v2_restore_status.xml"));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->objects.size(), 4u);

  const ObjectSummary& restoring = r->objects[0];
  ASSERT_TRUE(restoring.restore_status.has_value());
  EXPECT_TRUE(restoring.restore_status->in_progress);
  EXPECT_FALSE(restoring.restore_status->expiry.has_value());

  const ObjectSummary& restored = r->objects[1];
  EXPECT_EQ(restored.storage_class, "DEEP_ARCHIVE");
  ASSERT_TRUE(restored.restore_status.has_value());
  EXPECT_FALSE(restored.restore_status->in_progress);
  EXPECT_EQ(restored.restore_status->expiry_date, "2012-12-21T00:00:00.000Z");
  ASSERT_TRUE(restored.restore_status->expiry.has_value());
  EXPECT_EQ(EpochSeconds(*restored.restore_status->expiry), 1356048000);

  EXPECT_FALSE(r->objects[2].restore_status.has_value());
  EXPECT_EQ(r->objects[3].storage_class, "GLACIER_IR");
}

TEST(ListObjectsV2Test, RestoreStatusWithoutProgressIsLeftUnset) {
  auto r = ParseListObjectsV2Result(
      "<ListBucketResult><IsTruncated>false</IsTruncated><Contents><Key>k</Key><Size>1</Size>"
      "<RestoreStatus/></Contents></ListBucketResult>");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_FALSE(r->objects[0].restore_status.has_value());
}

TEST(ListObjectsV2Test, BadRestoreExpiryDateIsAnError) {
  auto r = ParseListObjectsV2Result(
      "<ListBucketResult><IsTruncated>false</IsTruncated><Contents><Key>k</Key><Size>1</Size>"
      "<RestoreStatus><IsRestoreInProgress>false</IsRestoreInProgress>"
      "<RestoreExpiryDate>soon</RestoreExpiryDate></RestoreStatus></Contents></ListBucketResult>");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().kind(), ErrorKind::kTransient);
}

TEST(ListObjectsV2Test, ChecksumsAndUnknownElements) {
  auto r = ParseListObjectsV2Result(ReadSample("list_objects_v2_checksums.xml"));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->objects.size(), 3u);
  EXPECT_EQ(r->objects[0].checksum_algorithms, (std::vector<std::string>{"CRC64NVME"}));
  EXPECT_EQ(r->objects[0].checksum_type, "FULL_OBJECT");
  EXPECT_EQ(r->objects[0].storage_class, "INTELLIGENT_TIERING");
  EXPECT_EQ(r->objects[1].checksum_algorithms, (std::vector<std::string>{"CRC32C", "SHA256"}));
  EXPECT_EQ(r->objects[1].checksum_type, "COMPOSITE");
  EXPECT_EQ(r->objects[2].storage_class, "STANDARD");  // omitted by the server
  EXPECT_TRUE(r->objects[2].checksum_algorithms.empty());
  EXPECT_EQ(r->objects[2].checksum_type, "");
}

TEST(ListObjectsV2Test, NamespaceIsOptionalAndPrefixesTolerated) {
  auto plain = ParseListObjectsV2Result(
      "<ListBucketResult><IsTruncated>false</IsTruncated><Contents><Key>k</Key><Size>7</Size>"
      "</Contents></ListBucketResult>");
  ASSERT_TRUE(plain.ok()) << plain.status().ToString();
  EXPECT_EQ(plain->objects[0].size, 7u);
  auto prefixed = ParseListObjectsV2Result(
      "<s3:ListBucketResult xmlns:s3=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
      "<s3:IsTruncated>false</s3:IsTruncated><s3:Contents><s3:Key>k</s3:Key><s3:Size>7</s3:Size>"
      "</s3:Contents></s3:ListBucketResult>");
  ASSERT_TRUE(prefixed.ok()) << prefixed.status().ToString();
  ASSERT_EQ(prefixed->objects.size(), 1u);
  EXPECT_EQ(prefixed->objects[0].key, "k");
}

TEST(ListObjectsV2Test, KeysAreTakenByteForByte) {
  // A space-only key, a raw CR LF (s3rver sends keys raw), a raw control
  // character, a CDATA section and character references all survive.
  auto r = ParseListObjectsV2Result(std::string(
      "<ListBucketResult><IsTruncated>false</IsTruncated>"
      "<Contents><Key> </Key><Size>1</Size></Contents>"
      "<Contents><Key>a\r\nb</Key><Size>1</Size></Contents>"
      "<Contents><Key>c\x01" "d</Key><Size>1</Size></Contents>"
      "<Contents><Key><![CDATA[x<y&z]]></Key><Size>1</Size></Contents>"
      "<Contents><Key>&#xD;&#10;&#x1F600;&apos;</Key><Size>1</Size></Contents>"
      "</ListBucketResult>"));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->objects.size(), 5u);
  EXPECT_EQ(r->objects[0].key, " ");
  EXPECT_EQ(r->objects[1].key, "a\r\nb");
  EXPECT_EQ(r->objects[2].key, "c\x01" "d");
  EXPECT_EQ(r->objects[3].key, "x<y&z");
  EXPECT_EQ(r->objects[4].key, "\r\n\xF0\x9F\x98\x80'");
}

TEST(ListObjectsV2Test, MalformedFieldsAreTransientErrorsNamingTheOperation) {
  struct Case {
    const char* name;
    std::string xml;
    const char* mentions;
  };
  const std::string head = "<ListBucketResult><IsTruncated>false</IsTruncated>";
  const std::string tail = "</ListBucketResult>";
  const std::vector<Case> cases = {
      {"non-numeric size", head + "<Contents><Key>k</Key><Size>abc</Size></Contents>" + tail,
       "<Size>"},
      {"negative size", head + "<Contents><Key>k</Key><Size>-1</Size></Contents>" + tail, "<Size>"},
      {"size with junk", head + "<Contents><Key>k</Key><Size>12abc</Size></Contents>" + tail,
       "<Size>"},
      {"empty size", head + "<Contents><Key>k</Key><Size></Size></Contents>" + tail, "<Size>"},
      {"size overflow",
       head + "<Contents><Key>k</Key><Size>18446744073709551616</Size></Contents>" + tail,
       "<Size>"},
      {"missing size", head + "<Contents><Key>k</Key></Contents>" + tail, "<Size>"},
      {"missing key", head + "<Contents><Size>1</Size></Contents>" + tail, "<Key>"},
      {"empty key", head + "<Contents><Key></Key><Size>1</Size></Contents>" + tail, "<Key>"},
      {"element inside key",
       head + "<Contents><Key>a<b/>c</Key><Size>1</Size></Contents>" + tail, "<Key>"},
      {"unknown entity", head + "<Contents><Key>a&nbsp;b</Key><Size>1</Size></Contents>" + tail,
       "&nbsp;"},
      {"nul reference", head + "<Contents><Key>a&#0;b</Key><Size>1</Size></Contents>" + tail,
       "&#0;"},
      {"surrogate reference",
       head + "<Contents><Key>&#xD800;</Key><Size>1</Size></Contents>" + tail, "&#xD800;"},
      {"bare ampersand", head + "<Contents><Key>a & b</Key><Size>1</Size></Contents>" + tail,
       "'&'"},
      {"missing IsTruncated", "<ListBucketResult></ListBucketResult>", "<IsTruncated>"},
      {"bad IsTruncated", "<ListBucketResult><IsTruncated>maybe</IsTruncated></ListBucketResult>",
       "<IsTruncated>"},
      {"truncated without token",
       "<ListBucketResult><IsTruncated>true</IsTruncated></ListBucketResult>",
       "<NextContinuationToken>"},
      {"bad escape in key",
       "<ListBucketResult><EncodingType>url</EncodingType><IsTruncated>false</IsTruncated>"
       "<Contents><Key>bad%zzkey</Key><Size>1</Size></Contents></ListBucketResult>",
       "%-escape"},
      {"cut escape in key",
       "<ListBucketResult><EncodingType>url</EncodingType><IsTruncated>false</IsTruncated>"
       "<Contents><Key>trailing%2</Key><Size>1</Size></Contents></ListBucketResult>",
       "%-escape"},
      {"bad escape in common prefix",
       "<ListBucketResult><EncodingType>url</EncodingType><IsTruncated>false</IsTruncated>"
       "<CommonPrefixes><Prefix>100%/</Prefix></CommonPrefixes></ListBucketResult>",
       "%-escape"},
      {"common prefix without prefix",
       head + "<CommonPrefixes></CommonPrefixes>" + tail, "<Prefix>"},
      {"unknown encoding",
       "<ListBucketResult><EncodingType>base64</EncodingType><IsTruncated>false</IsTruncated>"
       "</ListBucketResult>",
       "EncodingType"},
      {"wrong root", ReadSample("list_object_versions_aws.xml"), "<ListBucketResult>"},
      {"two roots", head + tail + head + tail, "root"},
      {"empty body", "", "XML"},
      {"html from a proxy", "<html><body>502 Bad Gateway</body></html>", "<ListBucketResult>"},
      {"not xml", "Service Unavailable", "XML"},
      {"nul byte", std::string("<ListBucketResult>") + '\0' + "</ListBucketResult>", "NUL"},
      {"dtd entity", "<!DOCTYPE x [<!ENTITY e \"boom\">]>" + head +
                         "<Contents><Key>&e;</Key><Size>1</Size></Contents>" + tail,
       "&e;"},
  };
  for (const Case& c : cases) {
    auto r = ParseListObjectsV2Result(c.xml);
    ASSERT_FALSE(r.ok()) << c.name;
    EXPECT_EQ(r.status().kind(), ErrorKind::kTransient) << c.name;
    EXPECT_EQ(r.status().context().operation, "ListObjectsV2") << c.name;
    EXPECT_NE(r.status().message().find("ListObjectsV2"), std::string::npos)
        << c.name << ": " << r.status().message();
    EXPECT_NE(r.status().message().find(c.mentions), std::string::npos)
        << c.name << ": " << r.status().message();
  }
}

TEST(ListObjectsV2Test, ErrorMessagesDoNotEchoControlCharacters) {
  auto r = ParseListObjectsV2Result(
      "<ListBucketResult><IsTruncated>false</IsTruncated><Contents><Key>evil\x1b[31m</Key>"
      "<Size>x</Size></Contents></ListBucketResult>");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message().find('\x1b'), std::string::npos);
  EXPECT_NE(r.status().message().find("\\x1B"), std::string::npos) << r.status().message();
}

// ---------------------------------------------------------------------------
// ListObjectVersions
// ---------------------------------------------------------------------------

TEST(ListObjectVersionsTest, AwsReferenceExampleKeepsDocumentOrder) {
  auto r = ParseListObjectVersionsResult(ReadSample("list_object_versions_aws.xml"));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_FALSE(r->is_truncated);
  EXPECT_EQ(r->prefix, "my");
  EXPECT_EQ(r->key_marker, "");
  ASSERT_EQ(r->versions.size(), 3u);

  const ObjectVersion& v0 = r->versions[0];
  EXPECT_EQ(v0.key, "my-image.jpg");
  EXPECT_EQ(v0.version_id, "3/L4kqtJl40Nr8X8gdRQBpUMLUo");
  EXPECT_TRUE(v0.is_latest);
  EXPECT_FALSE(v0.is_delete_marker);
  EXPECT_EQ(v0.etag, "fba9dede5f27731c9771645a39863328");
  EXPECT_EQ(v0.size, 434234u);
  EXPECT_EQ(v0.storage_class, "STANDARD");
  EXPECT_EQ(v0.last_modified, "2009-10-12T17:50:30.000Z");

  const ObjectVersion& marker = r->versions[1];
  EXPECT_EQ(marker.key, "my-second-image.jpg");
  EXPECT_TRUE(marker.is_delete_marker);
  EXPECT_TRUE(marker.is_latest);
  EXPECT_EQ(marker.version_id, "03jpff543dhffds434rfdsFDN943fdsFkdmqnh892");
  EXPECT_EQ(marker.etag, "");
  EXPECT_EQ(marker.size, 0u);
  EXPECT_EQ(marker.storage_class, "");

  const ObjectVersion& v2 = r->versions[2];
  EXPECT_EQ(v2.key, "my-second-image.jpg");
  EXPECT_FALSE(v2.is_delete_marker);
  EXPECT_FALSE(v2.is_latest);
  EXPECT_EQ(v2.version_id, "QUpfdndhfd8438MNFDN93jdnJFkdmqnh893");
  EXPECT_EQ(v2.size, 166434u);
}

TEST(ListObjectVersionsTest, UrlEncodedTruncatedPage) {
  auto r = ParseListObjectVersionsResult(ReadSample("list_object_versions_url_encoded.xml"));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(r->is_truncated);
  EXPECT_EQ(r->encoding_type, "url");
  EXPECT_EQ(r->prefix, "dir one/");
  EXPECT_EQ(r->key_marker, "dir one/a");
  EXPECT_EQ(r->version_id_marker, "null");
  EXPECT_EQ(r->next_key_marker, "dir one/z%");
  EXPECT_EQ(r->next_version_id_marker, "3HL4kqCxf3vjVBH40Nrjfkd");
  ASSERT_EQ(r->versions.size(), 4u);
  EXPECT_TRUE(r->versions[0].is_delete_marker);
  EXPECT_EQ(r->versions[0].key, "dir one/b c");
  EXPECT_FALSE(r->versions[1].is_delete_marker);
  EXPECT_EQ(r->versions[1].key, "dir one/b c");
  EXPECT_EQ(r->versions[1].storage_class, "GLACIER");
  ASSERT_TRUE(r->versions[1].restore_status.has_value());
  EXPECT_FALSE(r->versions[1].restore_status->in_progress);
  EXPECT_EQ(r->versions[2].key, "dir one/caf\xC3\xA9");
  EXPECT_EQ(r->versions[2].version_id, "null");
  EXPECT_EQ(r->versions[2].storage_class, "STANDARD");
  EXPECT_EQ(r->versions[3].key, "dir one/z%");
  EXPECT_EQ(r->versions[3].checksum_algorithms, (std::vector<std::string>{"CRC32"}));
  EXPECT_EQ(r->versions[3].checksum_type, "COMPOSITE");
}

TEST(ListObjectVersionsTest, MalformedEntries) {
  const std::string head = "<ListVersionsResult><IsTruncated>false</IsTruncated>";
  const std::string tail = "</ListVersionsResult>";
  const std::vector<std::pair<std::string, const char*>> cases = {
      {head + "<Version><Key>k</Key><Size>1</Size></Version>" + tail, "<VersionId>"},
      {head + "<DeleteMarker><VersionId>v</VersionId></DeleteMarker>" + tail, "<Key>"},
      {head + "<Version><Key>k</Key><VersionId>v</VersionId></Version>" + tail, "<Size>"},
      {head + "<Version><Key>k</Key><VersionId>v</VersionId><Size>1</Size>"
              "<IsLatest>yes</IsLatest></Version>" + tail,
       "<IsLatest>"},
      {"<ListVersionsResult><IsTruncated>true</IsTruncated></ListVersionsResult>",
       "<NextKeyMarker>"},
      {"<ListVersionsResult><EncodingType>url</EncodingType><IsTruncated>false</IsTruncated>"
       "<KeyMarker>%G0</KeyMarker></ListVersionsResult>",
       "<KeyMarker>"},
      {ReadSample("list_objects_v2_aws.xml"), "<ListVersionsResult>"},
  };
  for (const auto& [xml, mentions] : cases) {
    auto r = ParseListObjectVersionsResult(xml);
    ASSERT_FALSE(r.ok()) << xml;
    EXPECT_EQ(r.status().kind(), ErrorKind::kTransient) << xml;
    EXPECT_NE(r.status().message().find("ListObjectVersions"), std::string::npos);
    EXPECT_NE(r.status().message().find(mentions), std::string::npos) << r.status().message();
  }
}

TEST(ListObjectVersionsTest, DeleteMarkerNeedsNoSize) {
  auto r = ParseListObjectVersionsResult(
      "<ListVersionsResult><IsTruncated>false</IsTruncated><DeleteMarker><Key>k</Key>"
      "<VersionId>v</VersionId></DeleteMarker></ListVersionsResult>");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->versions.size(), 1u);
  EXPECT_TRUE(r->versions[0].is_delete_marker);
  EXPECT_FALSE(r->versions[0].is_latest);
}

// ---------------------------------------------------------------------------
// DeleteObjects
// ---------------------------------------------------------------------------

TEST(DeleteObjectsTest, MixedResults) {
  auto r = ParseDeleteObjectsResult(ReadSample("delete_objects_mixed.xml"));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->deleted.size(), 3u);
  ASSERT_EQ(r->errors.size(), 2u);

  EXPECT_EQ(r->deleted[0].key, "sample1.txt");
  EXPECT_EQ(r->deleted[0].version_id, "");
  EXPECT_FALSE(r->deleted[0].delete_marker);
  EXPECT_EQ(r->deleted[1].key, "SampleDocument.txt");
  EXPECT_EQ(r->deleted[1].version_id, "OYcLXagmS.WaD..oyH4KRguB95_YhLs7");
  EXPECT_EQ(r->deleted[2].key, "a & b <c>.txt");
  EXPECT_TRUE(r->deleted[2].delete_marker);
  EXPECT_EQ(r->deleted[2].delete_marker_version_id, "NeQt5xeFTfgPJD8B4CGWnkSLtluMr11s");

  EXPECT_EQ(r->errors[0].key, "sample2.txt");
  EXPECT_EQ(r->errors[0].code, "AccessDenied");
  EXPECT_EQ(r->errors[0].message, "Access Denied");
  EXPECT_EQ(r->errors[1].key, "changed.bin");
  EXPECT_EQ(r->errors[1].version_id, "UIORUnfndfhnw89493jJFJ");
  EXPECT_EQ(r->errors[1].code, "PreconditionFailed");
}

TEST(DeleteObjectsTest, QuietSuccessIsEmpty) {
  auto r = ParseDeleteObjectsResult(
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      "<DeleteResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"/>");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(r->deleted.empty());
  EXPECT_TRUE(r->errors.empty());
}

TEST(DeleteObjectsTest, EntryWithoutKeyIsAnError) {
  auto r = ParseDeleteObjectsResult(
      "<DeleteResult><Deleted><VersionId>v</VersionId></Deleted></DeleteResult>");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().kind(), ErrorKind::kTransient);
  EXPECT_NE(r.status().message().find("DeleteObjects"), std::string::npos);
}

TEST(DeleteObjectsTest, WholeRequestErrorDocument) {
  auto r = ParseDeleteObjectsResult(ReadSample("error_slow_down.xml"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().kind(), ErrorKind::kThrottled);
  EXPECT_EQ(r.status().context().s3_code, "SlowDown");
}

// ---------------------------------------------------------------------------
// Bucket location and versioning
// ---------------------------------------------------------------------------

TEST(LocationConstraintTest, RealRegionNames) {
  auto eu = ParseLocationConstraint(ReadSample("location_eu_legacy.xml"));
  ASSERT_TRUE(eu.ok()) << eu.status().ToString();
  EXPECT_EQ(*eu, "eu-west-1");
  auto us = ParseLocationConstraint(ReadSample("location_us_east_1.xml"));
  ASSERT_TRUE(us.ok()) << us.status().ToString();
  EXPECT_EQ(*us, "us-east-1");
  auto region = ParseLocationConstraint(ReadSample("location_region.xml"));
  ASSERT_TRUE(region.ok()) << region.status().ToString();
  EXPECT_EQ(*region, "eu-central-1");
  auto padded =
      ParseLocationConstraint("<LocationConstraint>\n  ap-south-1\n</LocationConstraint>");
  ASSERT_TRUE(padded.ok());
  EXPECT_EQ(*padded, "ap-south-1");
  auto empty_text = ParseLocationConstraint("<LocationConstraint></LocationConstraint>");
  ASSERT_TRUE(empty_text.ok());
  EXPECT_EQ(*empty_text, "us-east-1");
}

TEST(LocationConstraintTest, WrongDocument) {
  auto r = ParseLocationConstraint("<CreateBucketConfiguration/>");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().kind(), ErrorKind::kTransient);
  EXPECT_NE(r.status().message().find("GetBucketLocation"), std::string::npos);
  auto denied = ParseLocationConstraint(
      "<Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>");
  ASSERT_FALSE(denied.ok());
  EXPECT_EQ(denied.status().kind(), ErrorKind::kAccessDenied);
}

TEST(VersioningConfigurationTest, States) {
  auto enabled = ParseVersioningConfiguration(ReadSample("versioning_enabled.xml"));
  ASSERT_TRUE(enabled.ok()) << enabled.status().ToString();
  EXPECT_EQ(*enabled, "Enabled");
  auto suspended = ParseVersioningConfiguration(ReadSample("versioning_suspended.xml"));
  ASSERT_TRUE(suspended.ok());
  EXPECT_EQ(*suspended, "Suspended");
  auto never = ParseVersioningConfiguration(ReadSample("versioning_never_enabled.xml"));
  ASSERT_TRUE(never.ok());
  EXPECT_EQ(*never, "");
  auto odd = ParseVersioningConfiguration(
      "<VersioningConfiguration><Status>Sometimes</Status></VersioningConfiguration>");
  ASSERT_FALSE(odd.ok());
  EXPECT_NE(odd.status().message().find("GetBucketVersioning"), std::string::npos);
}

// ---------------------------------------------------------------------------
// Multipart uploads
// ---------------------------------------------------------------------------

TEST(MultipartUploadTest, InitiateReturnsUploadId) {
  auto r = ParseInitiateMultipartUploadResult(ReadSample("initiate_multipart_upload.xml"));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(*r, "VXBsb2FkIElEIGZvciA2aWWpbmcncyBteS1tb3ZpZS5tMnRzIHVwbG9hZA");
  auto missing = ParseInitiateMultipartUploadResult(
      "<InitiateMultipartUploadResult><Bucket>b</Bucket></InitiateMultipartUploadResult>");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("<UploadId>"), std::string::npos);
}

TEST(MultipartUploadTest, CompleteResult) {
  auto r = ParseCompleteMultipartUploadResult(ReadSample("complete_multipart_upload.xml"));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->etag, "3858f62230ac3c915f300c664312c11f-9");
  EXPECT_EQ(r->location, "http://Example-Bucket.s3.amazonaws.com/Example-Object");
  EXPECT_EQ(r->version_id, "");
}

TEST(MultipartUploadTest, CompleteAnsweredTwoHundredWithError) {
  auto r = ParseCompleteMultipartUploadResult(
      ReadSample("complete_multipart_upload_error_200.xml"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().kind(), ErrorKind::kTransient);  // InternalError: "Please try again"
  EXPECT_EQ(r.status().context().s3_code, "InternalError");
  EXPECT_EQ(r.status().context().request_id, "656c76696e6727732072657175657374");
  EXPECT_EQ(r.status().context().operation, "CompleteMultipartUpload");
  EXPECT_EQ(r.status().context().http_status, 200);
  EXPECT_NE(r.status().message().find("We encountered an internal error"), std::string::npos);
}

TEST(MultipartUploadTest, EmbeddedErrorKindComesFromTheClassifier) {
  auto slow = ParseCompleteMultipartUploadResult(ReadSample("error_slow_down.xml"));
  ASSERT_FALSE(slow.ok());
  EXPECT_EQ(slow.status().kind(), ErrorKind::kThrottled);
  auto denied = ParseCompleteMultipartUploadResult(
      "<Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>");
  ASSERT_FALSE(denied.ok());
  EXPECT_EQ(denied.status().kind(), ErrorKind::kAccessDenied);
  auto no_upload = ParseCompleteMultipartUploadResult(
      "<Error><Code>NoSuchUpload</Code></Error>");
  ASSERT_FALSE(no_upload.ok());
  EXPECT_EQ(no_upload.status().kind(), ErrorKind::kNotFound);
}

TEST(MultipartUploadTest, CompleteWithoutEtagIsAnError) {
  auto r = ParseCompleteMultipartUploadResult(
      "<CompleteMultipartUploadResult><Key>k</Key><ETag>\"\"</ETag>"
      "</CompleteMultipartUploadResult>");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().kind(), ErrorKind::kTransient);
}

// ---------------------------------------------------------------------------
// Error documents
// ---------------------------------------------------------------------------

TEST(ErrorDocumentTest, NoSuchKey) {
  auto r = ParseErrorDocument(ReadSample("error_no_such_key.xml"));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->code, "NoSuchKey");
  EXPECT_EQ(r->message, "The resource you requested does not exist");
  EXPECT_EQ(r->request_id, "4442587FB7D0A2F9");
  EXPECT_EQ(r->host_id, "");
}

TEST(ErrorDocumentTest, SlowDown) {
  auto r = ParseErrorDocument(ReadSample("error_slow_down.xml"));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->code, "SlowDown");
  EXPECT_EQ(r->request_id, "JQ2ZQXK3SNP4GE6W");
  EXPECT_FALSE(r->host_id.empty());
}

TEST(ErrorDocumentTest, AuthorizationHeaderMalformedNamesRegion) {
  auto r = ParseErrorDocument(ReadSample("error_authorization_header_malformed.xml"));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->code, "AuthorizationHeaderMalformed");
  EXPECT_EQ(r->region, "eu-west-1");
  EXPECT_EQ(r->host_id, "dGhpcyBpcyBub3QgYSByZWFsIGhvc3QgaWQ=");
}

TEST(ErrorDocumentTest, PermanentRedirectNamesEndpoint) {
  auto r = ParseErrorDocument(ReadSample("error_permanent_redirect.xml"));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->code, "PermanentRedirect");
  EXPECT_EQ(r->endpoint, "migrate-me-eu.s3.eu-central-1.amazonaws.com");
  EXPECT_EQ(r->bucket, "migrate-me-eu");
}

TEST(ErrorDocumentTest, SwiftStyle) {
  auto r = ParseErrorDocument(ReadSample("error_swift_no_such_key.xml"));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->code, "NoSuchKey");
  EXPECT_EQ(r->key, "dir/missing.txt");
  EXPECT_EQ(r->request_id, "tx3f8f1b2c9d0e4a5b6c7d8-0065f0a1b2");
}

TEST(ErrorDocumentTest, BucketNameElement) {
  auto r = ParseErrorDocument(
      "<Error><Code>NoSuchBucket</Code><BucketName>gone</BucketName></Error>");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->bucket, "gone");
}

TEST(ErrorDocumentTest, NotAnErrorDocument) {
  for (std::string_view xml : {std::string_view("<Error><Message>m</Message></Error>"),
                               std::string_view("<ListBucketResult/>"), std::string_view(""),
                               std::string_view("<Error><Code>Bad")}) {
    auto r = ParseErrorDocument(xml);
    ASSERT_FALSE(r.ok()) << xml;
    EXPECT_EQ(r.status().kind(), ErrorKind::kTransient) << xml;
    // Left for the caller, who knows which request this was the reply to.
    EXPECT_EQ(r.status().context().operation, "") << xml;
    EXPECT_NE(r.status().message().find("S3 error"), std::string::npos) << xml;
  }
}

// ---------------------------------------------------------------------------
// Robustness: every truncation of every sample, and random corruption
// ---------------------------------------------------------------------------

TEST(TruncationTest, EveryPrefixOfEverySampleIsAnErrorNeverACrash) {
  for (const Sample& sample : ValidSamples()) {
    const std::string full = ReadSample(sample.file);
    const NamedParser& parser = ParserNamed(sample.parser);
    ASSERT_TRUE(parser.parse(full).ok()) << sample.file << ": " << parser.parse(full).ToString();
    // The document is complete only once its root element is closed; what
    // follows is trailing whitespace.
    const size_t complete_at = full.find_last_of('>') + 1;
    for (size_t len = 0; len < full.size(); ++len) {
      Status s = parser.parse(std::string_view(full).substr(0, len));
      if (len < complete_at) {
        EXPECT_FALSE(s.ok()) << sample.file << " cut at " << len;
        EXPECT_EQ(s.kind(), ErrorKind::kTransient) << sample.file << " cut at " << len;
      } else {
        EXPECT_TRUE(s.ok()) << sample.file << " cut at " << len << ": " << s.ToString();
      }
    }
  }
}

TEST(TruncationTest, CutOffCompleteMultipartUploadIsNeverSuccess) {
  const std::string full = ReadSample("complete_multipart_upload_error_200.xml");
  for (size_t len = 0; len <= full.size(); ++len) {
    EXPECT_FALSE(ParseCompleteMultipartUploadResult(std::string_view(full).substr(0, len)).ok())
        << len;
  }
}

TEST(CorruptionTest, RandomMutationsNeverCrash) {
  // A fixed-seed LCG so failures reproduce; sanitizer builds catch UB.
  uint64_t state = 0x5eed;
  auto next = [&state] {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    return static_cast<uint32_t>(state >> 33);
  };
  const char kInteresting[] = "<>&;/\"'%#x0 \r\n\x01\xff";
  size_t accepted = 0;
  for (const Sample& sample : ValidSamples()) {
    const std::string full = ReadSample(sample.file);
    for (int round = 0; round < 300; ++round) {
      std::string mutated = full;
      const int edits = 1 + static_cast<int>(next() % 4);
      for (int e = 0; e < edits && !mutated.empty(); ++e) {
        const size_t pos = next() % mutated.size();
        const char c = kInteresting[next() % (sizeof(kInteresting) - 1)];
        switch (next() % 3) {
          case 0: mutated[pos] = c; break;
          case 1: mutated.erase(pos, 1); break;
          default: mutated.insert(pos, 1, c); break;
        }
      }
      for (const NamedParser& parser : AllParsers()) {
        Status s = parser.parse(mutated);
        if (s.ok()) ++accepted;
      }
    }
  }
  // Many mutations land in whitespace or text and still parse; the point is
  // that none crashed. Keep the counter used so it is visible in a debugger.
  EXPECT_GT(accepted, 0u);
}

// ---------------------------------------------------------------------------
// x-amz-restore
// ---------------------------------------------------------------------------

TEST(RestoreHeaderTest, Accepted) {
  struct Case {
    const char* header;
    bool in_progress;
    int64_t expiry;  // -1: none
  };
  const Case cases[] = {
      {R"(ongoing-request="true")", true, -1},
      {R"(ongoing-request="false", expiry-date="Fri, 21 Dec 2012 00:00:00 GMT")", false,
       1356048000},
      {R"(  ongoing-request = "false" ,expiry-date="Fri, 21 Dec 2012 00:00:00 GMT"  )", false,
       1356048000},
      {R"(ongoing-request="false",expiry-date="Fri, 21 Dec 2012 00:00:00 GMT")", false,
       1356048000},
      {R"(Ongoing-Request="TRUE")", true, -1},
      {R"(ongoing-request="false")", false, -1},  // Intelligent-Tiering: no expiry
      {R"(expiry-date="Fri, 21 Dec 2012 00:00:00 GMT", ongoing-request="false")", false,
       1356048000},
      {R"(ongoing-request="false", expiry-date="Fri, 21 Dec 2012 00:00:00 GMT", x-future="1")",
       false, 1356048000},
      {"ongoing-request=\"false\",\texpiry-date=\"Sun, 06 Nov 1994 08:49:37 GMT\"", false,
       784111777},
  };
  for (const Case& c : cases) {
    auto r = ParseRestoreHeader(c.header);
    ASSERT_TRUE(r.ok()) << c.header << ": " << r.status().ToString();
    EXPECT_EQ(r->in_progress, c.in_progress) << c.header;
    if (c.expiry < 0) {
      EXPECT_FALSE(r->expiry.has_value()) << c.header;
      EXPECT_EQ(r->expiry_date, "") << c.header;
    } else {
      ASSERT_TRUE(r->expiry.has_value()) << c.header;
      EXPECT_EQ(EpochSeconds(*r->expiry), c.expiry) << c.header;
      EXPECT_FALSE(r->expiry_date.empty()) << c.header;
    }
  }
}

TEST(RestoreHeaderTest, Rejected) {
  const char* cases[] = {
      "",
      "   ",
      "garbage",
      R"(ongoing-request=true)",
      R"(ongoing-request="maybe")",
      R"(ongoing-request="true)",
      R"(ongoing-request="")",
      R"(expiry-date="Fri, 21 Dec 2012 00:00:00 GMT")",
      R"(ongoing-request="false", expiry-date="tomorrow")",
      R"(ongoing-request="false", expiry-date="")",
      R"(ongoing-request="true", ongoing-request="false")",
      R"(ongoing-request="false",)",
      R"(ongoing-request="false" expiry-date="Fri, 21 Dec 2012 00:00:00 GMT")",
      R"(ongoing-request="false"; expiry-date="Fri, 21 Dec 2012 00:00:00 GMT")",
      R"(ongoing-request "false")",
      R"(="false")",
      // One element (two expiry dates), split over two lines.
      (R"(ongoing-request="false", expiry-date="Fri, 21 Dec 2012 00:00:00 GMT", )"
       R"(expiry-date="Sat, 22 Dec 2012 00:00:00 GMT")"),
  };
  for (const char* header : cases) {
    auto r = ParseRestoreHeader(header);
    ASSERT_FALSE(r.ok()) << "accepted: " << header;
    EXPECT_EQ(r.status().kind(), ErrorKind::kTransient) << header;
    EXPECT_NE(r.status().message().find("x-amz-restore"), std::string::npos) << header;
  }
}


// ---------------------------------------------------------------------------
// Builders
// ---------------------------------------------------------------------------

// Parses a built body back the way a conforming server would.
pugi::xml_node ParseBack(pugi::xml_document& doc, const std::string& xml) {
  pugi::xml_parse_result result = doc.load_buffer(
      xml.data(), xml.size(), pugi::parse_default | pugi::parse_ws_pcdata_single,
      pugi::encoding_utf8);
  EXPECT_TRUE(result) << result.description() << " in " << xml;
  return doc.document_element();
}

TEST(DeleteObjectsXmlTest, HostileKeysRoundTrip) {
  const std::vector<std::string> keys = {
      "plain.txt",
      "a&b",
      "<tag>",
      "quote\"s and apos's",
      "tab\there",
      "nl\nx",
      "cr\rx",
      "crlf\r\n",
      std::string("ctrl\x01\x02\x1f"),
      "]]>",
      "caf\xC3\xA9 \xE6\x97\xA5\xE6\x9C\xAC",
      " ",
      "  leading and trailing  ",
      "&amp; literal entity text",
      "%41+plus",
      "\x7f" "del",
      "&#x41; literal reference",
  };
  std::vector<DeleteObjectsEntry> entries;
  for (size_t i = 0; i < keys.size(); ++i) {
    entries.push_back({keys[i], i % 2 ? "v" + std::to_string(i) : "", i % 3 ? "etag" : ""});
  }
  const std::string xml = BuildDeleteObjectsXml(entries, /*quiet=*/false);
  for (char c : xml) {
    EXPECT_GE(static_cast<unsigned char>(c), 0x20) << "raw control character in body";
  }

  pugi::xml_document doc;
  pugi::xml_node root = ParseBack(doc, xml);
  EXPECT_STREQ(root.name(), "Delete");
  EXPECT_STREQ(root.attribute("xmlns").value(), "http://s3.amazonaws.com/doc/2006-03-01/");
  EXPECT_FALSE(root.child("Quiet"));
  size_t i = 0;
  for (pugi::xml_node object : root.children("Object")) {
    ASSERT_LT(i, keys.size());
    EXPECT_EQ(std::string(object.child("Key").text().get()), keys[i]) << i;
    EXPECT_EQ(static_cast<bool>(object.child("VersionId")), i % 2 == 1) << i;
    if (i % 3) {
      EXPECT_STREQ(object.child("ETag").text().get(), "\"etag\"") << i;
    } else {
      EXPECT_FALSE(object.child("ETag")) << i;
    }
    ++i;
  }
  EXPECT_EQ(i, keys.size());
}

TEST(DeleteObjectsXmlTest, QuietAndQuotedEtags) {
  const std::string xml =
      BuildDeleteObjectsXml({{"k", "3/L4kqtJl40Nr8X8gdRQBpUMLUo", "\"already-quoted\""},
                             {"k2", "", "9b2cf535f27731c974343645a3985328"}},
                            /*quiet=*/true);
  EXPECT_EQ(xml,
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
            "<Delete xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Quiet>true</Quiet>"
            "<Object><Key>k</Key><VersionId>3/L4kqtJl40Nr8X8gdRQBpUMLUo</VersionId>"
            "<ETag>&quot;already-quoted&quot;</ETag></Object>"
            "<Object><Key>k2</Key><ETag>&quot;9b2cf535f27731c974343645a3985328&quot;</ETag>"
            "</Object></Delete>");
  // What the server reads.
  pugi::xml_document doc;
  pugi::xml_node root = ParseBack(doc, xml);
  EXPECT_STREQ(root.child("Quiet").text().get(), "true");
  EXPECT_STREQ(root.child("Object").child("ETag").text().get(), "\"already-quoted\"");
}

TEST(CompleteMultipartUploadXmlTest, SortedPartsWithChecksums) {
  const std::string xml = BuildCompleteMultipartUploadXml(
      {{2, "\"7778aef83f66abc1fa1e8477f296d394\"", "AAAAAg=="},
       {1, "a54357aff0632cce46d942af68356b38", "AAAAAQ=="},
       {3, "aaaa18db4cc2f85cedef654fccc4a4x8", ""}},
      "crc32c");
  EXPECT_EQ(xml,
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
            "<CompleteMultipartUpload xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
            "<Part><PartNumber>1</PartNumber>"
            "<ETag>&quot;a54357aff0632cce46d942af68356b38&quot;</ETag>"
            "<ChecksumCRC32C>AAAAAQ==</ChecksumCRC32C></Part>"
            "<Part><PartNumber>2</PartNumber>"
            "<ETag>&quot;7778aef83f66abc1fa1e8477f296d394&quot;</ETag>"
            "<ChecksumCRC32C>AAAAAg==</ChecksumCRC32C></Part>"
            "<Part><PartNumber>3</PartNumber>"
            "<ETag>&quot;aaaa18db4cc2f85cedef654fccc4a4x8&quot;</ETag></Part>"
            "</CompleteMultipartUpload>");
}

TEST(CompleteMultipartUploadXmlTest, ChecksumElementNames) {
  for (const auto& [algorithm, element] :
       std::vector<std::pair<std::string, std::string>>{{"CRC32", "ChecksumCRC32"},
                                                        {"SHA1", "ChecksumSHA1"},
                                                        {"sha256", "ChecksumSHA256"},
                                                        {"CRC64NVME", "ChecksumCRC64NVME"}}) {
    const std::string xml = BuildCompleteMultipartUploadXml({{1, "e", "c"}}, algorithm);
    pugi::xml_document doc;
    pugi::xml_node part = ParseBack(doc, xml).child("Part");
    EXPECT_STREQ(part.child(element.c_str()).text().get(), "c") << algorithm;
  }
  const std::string without = BuildCompleteMultipartUploadXml({{1, "e", "c"}}, "");
  EXPECT_EQ(without.find("Checksum"), std::string::npos);
}

TEST(TaggingXmlTest, TagsInOrderWithEmptyValues) {
  auto tags = ParseTagging(R"(<?xml version="1.0" encoding="UTF-8"?>
<Tagging xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><TagSet>
  <Tag><Key>project</Key><Value>alpha &amp; beta</Value></Tag>
  <Tag><Key>empty</Key><Value/></Tag>
</TagSet></Tagging>)");
  ASSERT_TRUE(tags.ok()) << tags.status().ToString();
  ASSERT_EQ(tags->size(), 2u);
  EXPECT_EQ((*tags)[0], (std::pair<std::string, std::string>{"project", "alpha & beta"}));
  EXPECT_EQ((*tags)[1], (std::pair<std::string, std::string>{"empty", ""}));
  auto none = ParseTagging("<Tagging><TagSet/></Tagging>");
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
}

TEST(TaggingXmlTest, ATagWithoutKeyOrAnotherRootIsRefused) {
  EXPECT_FALSE(ParseTagging("<Tagging><TagSet><Tag><Value>v</Value></Tag></TagSet></Tagging>").ok());
  EXPECT_FALSE(ParseTagging("<ListBucketResult/>").ok());
  EXPECT_FALSE(ParseTagging("<Tagging><TagSet><Tag><Key>k</Key>").ok());
}

TEST(RestoreRequestXmlTest, WithAndWithoutDays) {
  EXPECT_EQ(BuildRestoreRequestXml(2, RestoreTier::kBulk),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
            "<RestoreRequest xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Days>2</Days>"
            "<GlacierJobParameters><Tier>Bulk</Tier></GlacierJobParameters></RestoreRequest>");
  EXPECT_EQ(BuildRestoreRequestXml(std::nullopt, RestoreTier::kStandard),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
            "<RestoreRequest xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
            "<GlacierJobParameters><Tier>Standard</Tier></GlacierJobParameters>"
            "</RestoreRequest>");
  pugi::xml_document doc;
  pugi::xml_node root = ParseBack(doc, BuildRestoreRequestXml(1, RestoreTier::kExpedited));
  EXPECT_STREQ(root.child("Days").text().get(), "1");
  EXPECT_STREQ(root.child("GlacierJobParameters").child("Tier").text().get(), "Expedited");
}

TEST(RestoreRequestXmlTest, TierNames) {
  EXPECT_EQ(RestoreTierName(RestoreTier::kExpedited), "Expedited");
  EXPECT_EQ(RestoreTierName(RestoreTier::kStandard), "Standard");
  EXPECT_EQ(RestoreTierName(RestoreTier::kBulk), "Bulk");
}

TEST(BucketConfigurationXmlTest, Versioning) {
  EXPECT_EQ(BuildVersioningConfigurationXml(true),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
            "<VersioningConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
            "<Status>Enabled</Status></VersioningConfiguration>");
  pugi::xml_document doc;
  EXPECT_STREQ(ParseBack(doc, BuildVersioningConfigurationXml(false)).child("Status").text().get(),
               "Suspended");
  // What we build, our own parser reads back.
  auto parsed = ParseVersioningConfiguration(BuildVersioningConfigurationXml(true));
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(*parsed, "Enabled");
}

TEST(BucketConfigurationXmlTest, CreateBucket) {
  EXPECT_EQ(BuildCreateBucketConfigurationXml(""), "");
  EXPECT_EQ(BuildCreateBucketConfigurationXml("us-east-1"), "");
  EXPECT_EQ(BuildCreateBucketConfigurationXml("eu-west-1"),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
            "<CreateBucketConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
            "<LocationConstraint>eu-west-1</LocationConstraint></CreateBucketConfiguration>");
}

}  // namespace
}  // namespace s3m::s3
