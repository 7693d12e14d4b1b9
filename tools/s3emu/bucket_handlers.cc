// Bucket-level operations and listings. Each handler cites the S3 API
// reference page whose behaviour it follows.
#include <pugixml.hpp>

#include <cctype>

#include "core/hash.h"
#include "core/text.h"
#include "s3emu/server.h"
#include "s3emu/xml_out.h"

namespace s3emu {

namespace {

constexpr const char* kOwnerId = "5a3e3e3d0c1f7a6b2e9d8c7b6a5f4e3d2c1b0a99887766554433221100ffeedd";

void WriteOwner(XmlWriter& w) {
  w.Open("Owner").Element("ID", kOwnerId).Element("DisplayName", "s3emu").Close("Owner");
}

// Bucket naming rules (S3 User Guide, "General purpose bucket naming rules"):
// 3-63 characters of a-z 0-9 . -, starting and ending with a letter or digit,
// not an IP address. '_' is never allowed, which is why /_s3emu can't collide.
bool ValidBucketName(const std::string& name) {
  if (name.size() < 3 || name.size() > 63) return false;
  int dots = 0;
  bool all_digits_and_dots = true;
  for (char c : name) {
    const bool ok = std::islower(static_cast<unsigned char>(c)) || std::isdigit(static_cast<unsigned char>(c)) ||
                    c == '.' || c == '-';
    if (!ok) return false;
    if (c == '.') ++dots;
    if (c != '.' && !std::isdigit(static_cast<unsigned char>(c))) all_digits_and_dots = false;
  }
  if (!std::isalnum(static_cast<unsigned char>(name.front())) || !std::isalnum(static_cast<unsigned char>(name.back()))) {
    return false;
  }
  if (name.find("..") != std::string::npos) return false;
  return !(dots == 3 && all_digits_and_dots);
}

// The parameters every listing takes.
struct ListingParams {
  std::string prefix;
  std::string delimiter;
  int max_keys = 1000;  // 0..1000; larger asks are capped at 1000, as S3 does
  bool url = false;     // encoding-type=url
};

ErrorOr<ListingParams> ParseListingParams(const Call& call) {
  ListingParams p;
  p.prefix = call.QueryValue("prefix");
  p.delimiter = call.QueryValue("delimiter");
  if (call.HasQuery("max-keys")) {
    const std::string text = call.QueryValue("max-keys");
    char* end = nullptr;
    const long value = std::strtol(text.c_str(), &end, 10);
    if (text.empty() || *end != '\0' || value < 0) {
      return InvalidArgument("Provided max-keys not an integer or within integer range")
          .With("ArgumentName", "max-keys")
          .With("ArgumentValue", text);
    }
    p.max_keys = static_cast<int>(std::min<long>(value, 1000));
  }
  if (call.HasQuery("encoding-type")) {
    if (call.QueryValue("encoding-type") != "url") {
      return InvalidArgument("Invalid Encoding Method specified in Request")
          .With("ArgumentName", "encoding-type")
          .With("ArgumentValue", call.QueryValue("encoding-type"));
    }
    p.url = true;
  }
  return p;
}

// The text of a key-like listing field, URL-encoded when asked.
std::string KeyText(const std::string& text, bool url) { return url ? ListingUrlEncode(text, true) : text; }

// RestoreStatus of ListObjectsV2 with x-amz-optional-object-attributes:
// RestoreStatus (ListObjectsV2, "RestoreStatus"; Object data type:
// https://docs.aws.amazon.com/AmazonS3/latest/API/API_RestoreStatus.html).
// Only archived objects with a restore under way or done have one.
void WriteRestoreStatus(XmlWriter& w, const ObjectVersion& v, int64_t now) {
  const ArchiveFacts facts = v.Archive();
  if (!IsGlacierClass(v.storage_class) && v.archive_status.empty()) return;
  const RestorePhase phase = PhaseAt(facts.restore, now);
  if (phase == RestorePhase::kNone) return;
  w.Open("RestoreStatus").Bool("IsRestoreInProgress", phase == RestorePhase::kOngoing);
  if (phase == RestorePhase::kRestored && facts.restore.expiry_ms != 0) {
    w.Element("RestoreExpiryDate", Iso8601(facts.restore.expiry_ms));
  }
  w.Close("RestoreStatus");
}

// The fields of a <Contents> or <Version>, in AWS's order.
void WriteObjectFields(XmlWriter& w, const ObjectVersion& v, bool with_owner, bool restore_status, int64_t now) {
  w.Element("LastModified", Iso8601(v.last_modified_ms)).Element("ETag", Quote(v.etag));
  if (!v.checksum_algorithm.empty()) {
    w.Element("ChecksumAlgorithm", v.checksum_algorithm).Element("ChecksumType", v.checksum_type);
  }
  w.Element("Size", v.size).Element("StorageClass", v.storage_class);
  if (with_owner) WriteOwner(w);
  if (restore_status) WriteRestoreStatus(w, v, now);
}

// <Delimiter>, <MaxKeys> and <EncodingType>, as every listing reply has them.
void WriteListingParams(XmlWriter& w, const ListingParams& p) {
  if (!p.delimiter.empty()) w.Element("Delimiter", p.url ? ListingUrlEncode(p.delimiter, false) : p.delimiter);
  w.Element("MaxKeys", static_cast<uint64_t>(p.max_keys));
  if (p.url) w.Element("EncodingType", "url");
}

// The <Contents> and <CommonPrefixes> of a ListObjects(V2) page.
void WriteListPage(XmlWriter& w, const ListPage& page, bool url, bool with_owner, bool restore_status) {
  const int64_t now = NowMs();
  for (const auto& v : page.objects) {
    w.Open("Contents").Element("Key", KeyText(v.key, url));
    WriteObjectFields(w, v, with_owner, restore_status, now);
    w.Close("Contents");
  }
  for (const auto& p : page.common_prefixes) {
    w.Open("CommonPrefixes").Element("Prefix", KeyText(p, url)).Close("CommonPrefixes");
  }
}

std::string EncodeToken(const std::string& lower) { return s3m::Base64Encode(lower); }

bool DecodeToken(const std::string& token, std::string* lower) {
  return s3m::Base64Decode(token, lower) && !lower->empty();
}

}  // namespace

// ListBuckets: https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListBuckets.html
void Emulator::ListBuckets(Call& call) {
  XmlWriter w("ListAllMyBucketsResult");
  WriteOwner(w);
  w.Open("Buckets");
  for (const auto& b : store_.ListBuckets()) {
    w.Open("Bucket")
        .Element("Name", b.name)
        .Element("CreationDate", Iso8601(b.created_ms))
        .Element("BucketRegion", b.region.empty() ? options_.region : b.region)
        .Close("Bucket");
  }
  w.Close("Buckets");
  SendXml(call, 200, w.Finish());
}

// CreateBucket: https://docs.aws.amazon.com/AmazonS3/latest/API/API_CreateBucket.html
//   <CreateBucketConfiguration><LocationConstraint>eu-west-1</LocationConstraint>
//   </CreateBucketConfiguration>   (optional; none = the server's region)
void Emulator::CreateBucket(Call& call) {
  auto body = ReceiveSmallBody(call);
  if (!body.ok()) return SendError(call, body.error());
  if (!ValidBucketName(call.bucket)) {
    return SendError(call, MakeError(400, "InvalidBucketName", "The specified bucket is not valid.")
                               .With("BucketName", call.bucket));
  }
  std::string region = options_.region;
  if (!body->empty()) {
    pugi::xml_document doc;
    if (!doc.load_buffer(body->data(), body->size())) return SendError(call, MalformedXml());
    const std::string constraint = doc.child("CreateBucketConfiguration").child("LocationConstraint").text().get();
    if (!constraint.empty()) region = constraint == "EU" ? "eu-west-1" : constraint;
  }
  auto created = store_.CreateBucket(call.bucket, region);
  if (!created.ok()) return SendError(call, created.error());
  call.res.set_header("Location", "/" + call.bucket);
  SendEmpty(call, 200);
}

// DeleteBucket: https://docs.aws.amazon.com/AmazonS3/latest/API/API_DeleteBucket.html
void Emulator::DeleteBucket(Call& call) {
  auto deleted = store_.DeleteBucket(call.bucket);
  if (!deleted.ok()) return SendError(call, deleted.error());
  SendEmpty(call, 204);
}

// HeadBucket: https://docs.aws.amazon.com/AmazonS3/latest/API/API_HeadBucket.html
void Emulator::HeadBucket(Call& call) {
  auto bucket = store_.FindBucket(call.bucket);
  if (!bucket) return SendError(call, NoSuchBucket(call.bucket));
  call.res.set_header("x-amz-bucket-region", bucket->region.empty() ? options_.region : bucket->region);
  SendEmpty(call, 200);
}

// GetBucketLocation: https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetBucketLocation.html
// (us-east-1 is answered as an empty LocationConstraint).
void Emulator::GetBucketLocation(Call& call) {
  auto bucket = store_.FindBucket(call.bucket);
  if (!bucket) return SendError(call, NoSuchBucket(call.bucket));
  const std::string region = bucket->region == "us-east-1" ? std::string() : bucket->region;
  std::string xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<LocationConstraint "
                    "xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">" +
                    XmlEscape(region) + "</LocationConstraint>";
  SendXml(call, 200, std::move(xml));
}

// GetBucketVersioning: https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetBucketVersioning.html
// (no <Status> for a bucket that never had versioning).
void Emulator::GetBucketVersioning(Call& call) {
  auto bucket = store_.FindBucket(call.bucket);
  if (!bucket) return SendError(call, NoSuchBucket(call.bucket));
  XmlWriter w("VersioningConfiguration");
  if (!bucket->versioning.empty()) w.Element("Status", bucket->versioning);
  SendXml(call, 200, w.Finish());
}

// PutBucketVersioning: https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutBucketVersioning.html
//   <VersioningConfiguration><Status>Enabled</Status></VersioningConfiguration>
void Emulator::PutBucketVersioning(Call& call) {
  auto body = ReceiveSmallBody(call);
  if (!body.ok()) return SendError(call, body.error());
  pugi::xml_document doc;
  if (!doc.load_buffer(body->data(), body->size())) return SendError(call, MalformedXml());
  const std::string status = doc.child("VersioningConfiguration").child("Status").text().get();
  if (status != "Enabled" && status != "Suspended") return SendError(call, MalformedXml());
  auto set = store_.SetVersioning(call.bucket, status);
  if (!set.ok()) return SendError(call, set.error());
  SendEmpty(call, 200);
}

// ListObjectsV2: https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjectsV2.html
// The continuation token is opaque to clients: base64 of the key to resume from.
void Emulator::ListObjectsV2(Call& call) {
  auto params = ParseListingParams(call);
  if (!params.ok()) return SendError(call, params.error());
  const ListingParams& p = params.value();
  ListQuery q{call.bucket, p.prefix, p.delimiter, "", p.max_keys};
  const std::string token = call.QueryValue("continuation-token");
  const std::string start_after = call.QueryValue("start-after");
  if (call.HasQuery("continuation-token")) {
    if (!DecodeToken(token, &q.lower)) {
      return SendError(call, InvalidArgument("The continuation token provided is incorrect")
                                 .With("ArgumentName", "continuation-token"));
    }
  } else if (!start_after.empty()) {
    q.lower = start_after + '\0';
  }
  const bool restore_status = call.view.Header("x-amz-optional-object-attributes").find("RestoreStatus") !=
                              std::string_view::npos;
  auto page = store_.ListObjects(q);
  if (!page.ok()) return SendError(call, page.error());
  XmlWriter w("ListBucketResult");
  w.Element("Name", call.bucket).Element("Prefix", KeyText(p.prefix, p.url));
  WriteListingParams(w, p);
  w.Element("KeyCount", page->objects.size() + page->common_prefixes.size());
  w.Bool("IsTruncated", page->truncated);
  if (call.HasQuery("continuation-token")) w.Element("ContinuationToken", token);
  if (page->truncated) w.Element("NextContinuationToken", EncodeToken(page->next_lower));
  if (!start_after.empty()) w.Element("StartAfter", KeyText(start_after, p.url));
  WriteListPage(w, page.value(), p.url, call.QueryValue("fetch-owner") == "true", restore_status);
  SendXml(call, 200, w.Finish());
}

// ListObjects (version 1): https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjects.html
// Still used by rclone's default for S3-compatible servers. NextMarker is sent
// whenever the page is truncated (AWS sends it only with a delimiter; clients
// use the last key otherwise, which is the same value).
void Emulator::ListObjectsV1(Call& call) {
  auto params = ParseListingParams(call);
  if (!params.ok()) return SendError(call, params.error());
  const ListingParams& p = params.value();
  const std::string marker = call.QueryValue("marker");
  ListQuery q{call.bucket, p.prefix, p.delimiter, marker.empty() ? "" : ResumeBoundAfter(marker, p.prefix, p.delimiter),
              p.max_keys};
  auto page = store_.ListObjects(q);
  if (!page.ok()) return SendError(call, page.error());
  XmlWriter w("ListBucketResult");
  w.Element("Name", call.bucket).Element("Prefix", KeyText(p.prefix, p.url)).Element("Marker", KeyText(marker, p.url));
  if (page->truncated) w.Element("NextMarker", KeyText(page->last_item, p.url));
  WriteListingParams(w, p);
  w.Bool("IsTruncated", page->truncated);
  WriteListPage(w, page.value(), p.url, /*with_owner=*/true, /*restore_status=*/false);
  SendXml(call, 200, w.Finish());
}

// ListObjectVersions: https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjectVersions.html
// Versions and delete markers interleaved by key, newest first.
void Emulator::ListObjectVersions(Call& call) {
  auto params = ParseListingParams(call);
  if (!params.ok()) return SendError(call, params.error());
  const ListingParams& p = params.value();
  VersionsQuery q{call.bucket, p.prefix, p.delimiter, call.QueryValue("key-marker"),
                  call.QueryValue("version-id-marker"), p.max_keys};
  if (!q.version_id_marker.empty() && q.key_marker.empty()) {
    return SendError(call, InvalidArgument("A version-id marker cannot be specified without a key marker.")
                               .With("ArgumentName", "version-id-marker"));
  }
  auto page = store_.ListVersions(q);
  if (!page.ok()) return SendError(call, page.error());
  const bool u = p.url;
  const int64_t now = NowMs();
  XmlWriter w("ListVersionsResult");
  w.Element("Name", call.bucket).Element("Prefix", KeyText(q.prefix, u));
  w.Element("KeyMarker", KeyText(q.key_marker, u)).Element("VersionIdMarker", q.version_id_marker);
  if (page->truncated) {
    w.Element("NextKeyMarker", KeyText(page->next_key_marker, u));
    w.Element("NextVersionIdMarker", page->next_version_id_marker);
  }
  WriteListingParams(w, p);
  w.Bool("IsTruncated", page->truncated);
  for (const auto& v : page->versions) {
    if (v.is_delete_marker) {
      w.Open("DeleteMarker")
          .Element("Key", KeyText(v.key, u))
          .Element("VersionId", v.version_id)
          .Bool("IsLatest", v.is_latest)
          .Element("LastModified", Iso8601(v.last_modified_ms));
      WriteOwner(w);
      w.Close("DeleteMarker");
      continue;
    }
    w.Open("Version")
        .Element("Key", KeyText(v.key, u))
        .Element("VersionId", v.version_id)
        .Bool("IsLatest", v.is_latest);
    WriteObjectFields(w, v, /*with_owner=*/true, /*restore_status=*/false, now);
    w.Close("Version");
  }
  for (const auto& p : page->common_prefixes) {
    w.Open("CommonPrefixes").Element("Prefix", KeyText(p, u)).Close("CommonPrefixes");
  }
  SendXml(call, 200, w.Finish());
}

// DeleteObjects: https://docs.aws.amazon.com/AmazonS3/latest/API/API_DeleteObjects.html
// Conditional entries (<ETag>) follow "How to perform conditional deletes":
// https://docs.aws.amazon.com/AmazonS3/latest/userguide/conditional-deletes.html
// A mismatch is a per-entry <Error> PreconditionFailed; an entry with an ETag
// whose object is gone is a per-entry NoSuchKey.
//
//   <Delete><Quiet>false</Quiet>
//     <Object><Key>a.txt</Key><VersionId>v1</VersionId><ETag>"9b2c..."</ETag></Object>
//   </Delete>
void Emulator::DeleteObjects(Call& call) {
  if (!call.view.HasHeader("Content-MD5") && !call.view.HasHeader("x-amz-sdk-checksum-algorithm")) {
    bool has_checksum = false;
    for (const auto& [name, value] : call.view.headers) {
      has_checksum = has_checksum || (name.size() > 15 && s3m::EqualsIgnoreCase(name.substr(0, 15), "x-amz-checksum-"));
    }
    if (!has_checksum) {
      return SendError(call, InvalidRequest("Missing required header for this request: Content-MD5"));
    }
  }
  auto body = ReceiveSmallBody(call, 2 << 20);
  if (!body.ok()) return SendError(call, body.error());
  pugi::xml_document doc;
  if (!doc.load_buffer(body->data(), body->size())) return SendError(call, MalformedXml());
  pugi::xml_node root = doc.child("Delete");
  if (!root) return SendError(call, MalformedXml());
  if (!store_.FindBucket(call.bucket)) return SendError(call, NoSuchBucket(call.bucket));
  const bool quiet = std::string(root.child("Quiet").text().get()) == "true";
  struct Entry {
    std::string key, version_id, etag;
  };
  std::vector<Entry> entries;
  for (pugi::xml_node object : root.children("Object")) {
    entries.push_back({object.child("Key").text().get(), object.child("VersionId").text().get(),
                       object.child("ETag").text().get()});
  }
  if (entries.empty() || entries.size() > 1000) return SendError(call, MalformedXml());
  XmlWriter w("DeleteResult");
  for (const auto& e : entries) {
    DeletePrecondition precondition;
    if (!e.etag.empty()) {
      precondition = [&e](const ObjectVersion* target) -> std::optional<S3Error> {
        if (target == nullptr) return NoSuchKey(e.key);
        if (!EtagListMatches(e.etag, target->etag)) return PreconditionFailed("ETag");
        return std::nullopt;
      };
    }
    auto outcome = store_.Delete(call.bucket, e.key, e.version_id, precondition);
    if (!outcome.ok()) {
      w.Open("Error").Element("Key", e.key);
      if (!e.version_id.empty()) w.Element("VersionId", e.version_id);
      w.Element("Code", outcome.error().code).Element("Message", outcome.error().message).Close("Error");
      continue;
    }
    if (quiet) continue;
    w.Open("Deleted").Element("Key", e.key);
    if (!e.version_id.empty()) w.Element("VersionId", e.version_id);
    if (outcome->delete_marker) {
      w.Bool("DeleteMarker", true);
      w.Element("DeleteMarkerVersionId", outcome->version_id);
    }
    w.Close("Deleted");
  }
  SendXml(call, 200, w.Finish());
}

}  // namespace s3emu
