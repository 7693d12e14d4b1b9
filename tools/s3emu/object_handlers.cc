// Object operations: PutObject, GetObject/HeadObject, DeleteObject and
// RestoreObject, with the header handling they share with multipart uploads.
#include <chrono>
#include <cstdlib>

#include "core/hash.h"
#include "core/text.h"
#include "core/time_format.h"
#include "s3/uri.h"
#include "s3emu/server.h"
#include "s3emu/xml_out.h"

namespace s3emu {

using s3m::ChecksumAlgorithm;

namespace {

// Representation headers S3 stores with an object and returns on GET/HEAD.
constexpr const char* kStoredHeaders[] = {"Cache-Control", "Content-Disposition", "Content-Encoding",
                                          "Content-Language", "Expires"};

// The emulator's own request header that puts an INTELLIGENT_TIERING object
// straight into an archive access tier (AWS moves objects there after 90+
// days without access; the admin API can do it later too).
constexpr const char* kArchiveStatusHeader = "x-s3emu-archive-status";

std::string Lower(std::string s) {
  for (char& c : s) c = s3m::AsciiToLower(c);
  return s;
}

bool StartsWithIgnoreCase(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && s3m::EqualsIgnoreCase(s.substr(0, prefix.size()), prefix);
}

// A Range header S3 honours: one range, "bytes=a-b", "bytes=a-" or
// "bytes=-n". Anything else is ignored and the whole object served, as S3 does.
struct RangeSpec {
  bool present = false;
  bool suffix = false;
  uint64_t first = 0;
  std::optional<uint64_t> last;
};

RangeSpec ParseRange(const std::string& header) {
  RangeSpec r;
  if (header.rfind("bytes=", 0) != 0 || header.find(',') != std::string::npos) return r;
  const std::string spec = header.substr(6);
  const size_t dash = spec.find('-');
  if (dash == std::string::npos) return r;
  const std::string a = spec.substr(0, dash), b = spec.substr(dash + 1);
  auto digits = [](const std::string& s) {
    return !s.empty() && s.find_first_not_of("0123456789") == std::string::npos;
  };
  if (a.empty()) {
    if (!digits(b)) return r;
    r.suffix = true;
    r.first = std::strtoull(b.c_str(), nullptr, 10);
  } else {
    if (!digits(a) || (!b.empty() && !digits(b))) return r;
    r.first = std::strtoull(a.c_str(), nullptr, 10);
    if (!b.empty()) r.last = std::strtoull(b.c_str(), nullptr, 10);
    if (r.last && *r.last < r.first) return r;
  }
  r.present = true;
  return r;
}

// GetObject / HeadObject conditional headers, in the order RFC 7232 §6 and
// the GetObject page ("If-Match ... If-Unmodified-Since") evaluate them.
// Returns 412, 304, or nothing.
std::optional<S3Error> EvaluateConditions(const Call& call, const ObjectVersion& v) {
  const std::string if_match = call.Header("If-Match");
  const std::string if_none_match = call.Header("If-None-Match");
  // HTTP dates have whole seconds.
  const auto modified = std::chrono::system_clock::time_point(std::chrono::seconds(v.last_modified_ms / 1000));
  if (!if_match.empty()) {
    if (!EtagListMatches(if_match, v.etag)) return PreconditionFailed("If-Match");
  } else if (const std::string since = call.Header("If-Unmodified-Since"); !since.empty()) {
    if (auto t = s3m::ParseHttpDate(since); t && *t < modified) {
      return PreconditionFailed("If-Unmodified-Since");
    }
  }
  if (!if_none_match.empty()) {
    if (EtagListMatches(if_none_match, v.etag)) return MakeError(304, "NotModified", "Not Modified");
  } else if (const std::string since = call.Header("If-Modified-Since"); !since.empty()) {
    if (auto t = s3m::ParseHttpDate(since); t && *t >= modified) {
      return MakeError(304, "NotModified", "Not Modified");
    }
  }
  return std::nullopt;
}

// SSE-C objects are read only with the key they were written with (S3 User
// Guide, "Using server-side encryption with customer-provided keys").
std::optional<S3Error> CheckCustomerKey(const Call& call, const ObjectVersion& v) {
  if (v.sse_c_algorithm.empty()) return std::nullopt;
  const std::string key_md5 = call.Header("x-amz-server-side-encryption-customer-key-MD5");
  if (call.Header("x-amz-server-side-encryption-customer-algorithm").empty() ||
      call.Header("x-amz-server-side-encryption-customer-key").empty() || key_md5.empty()) {
    return InvalidRequest(
        "The object was stored using a form of Server Side Encryption. The correct parameters must be "
        "provided to retrieve the object.");
  }
  if (key_md5 != v.sse_c_key_md5) return MakeError(403, "AccessDenied", "Access Denied");
  return std::nullopt;
}

// What GET, HEAD and ?tagging answer for a delete marker: 404 NoSuchKey
// when it is the latest version, 405 when asked for by version id.
S3Error DeleteMarkerError(const ObjectVersion& v, const std::string& version_id, bool versioned) {
  S3Error e = version_id.empty()
                  ? NoSuchKey(v.key)
                  : MakeError(405, "MethodNotAllowed", "The specified method is not allowed against this resource.");
  e.WithHeader("x-amz-delete-marker", "true");
  if (versioned) e.WithHeader("x-amz-version-id", v.version_id);
  return e;
}

// The x-amz-tagging header of a PUT: "k1=v1&k2=v2", URL-encoded ('+' is a
// space), at most 10 tags, keys of 1-128 and values of 0-256 characters,
// each key once (S3 User Guide, "Categorizing your storage using tags").
ErrorOr<NameValues> ParseTaggingHeader(const std::string& header) {
  NameValues tags;
  if (header.empty()) return tags;
  auto invalid = [](std::string message) { return MakeError(400, "InvalidTag", std::move(message)); };
  size_t pos = 0;
  while (pos <= header.size()) {
    size_t amp = header.find('&', pos);
    if (amp == std::string::npos) amp = header.size();
    const std::string_view pair = std::string_view(header).substr(pos, amp - pos);
    const size_t eq = pair.find('=');
    std::string key, value;
    if (!s3m::s3::UriDecode(pair.substr(0, eq), &key, /*plus_as_space=*/true) ||
        (eq != std::string_view::npos &&
         !s3m::s3::UriDecode(pair.substr(eq + 1), &value, /*plus_as_space=*/true))) {
      return invalid("The TagKey or TagValue you have provided is not valid URL encoding.");
    }
    if (key.empty() || key.size() > 128) return invalid("The TagKey you have provided is invalid");
    if (value.size() > 256) return invalid("The TagValue you have provided is too long, max length is 256.");
    for (const auto& [seen, unused] : tags) {
      if (seen == key) return invalid("Cannot provide multiple Tags with the same key");
    }
    tags.emplace_back(std::move(key), std::move(value));
    pos = amp + 1;
  }
  if (tags.size() > 10) return MakeError(400, "BadRequest", "Object tags cannot be greater than 10");
  return tags;
}

}  // namespace

ErrorOr<ChecksumClaim> ParseChecksumClaim(const Call& call) {
  ChecksumClaim claim;
  for (const auto& [name, value] : call.view.headers) {
    if (!StartsWithIgnoreCase(name, "x-amz-checksum-")) continue;
    const std::string suffix = Lower(name.substr(15));
    if (suffix == "mode" || suffix == "type" || suffix == "algorithm") continue;
    auto algorithm = s3m::ParseChecksumAlgorithm(suffix);
    if (!algorithm) return InvalidRequest("Unsupported checksum header " + name);
    if (claim.algorithm) {
      return InvalidRequest("Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.");
    }
    std::string raw;
    s3m::Checksummer probe(*algorithm);
    if (!s3m::Base64Decode(value, &raw) || raw.size() != probe.Finish().size()) {
      return InvalidRequest("Value for " + Lower(name) + " header is invalid.");
    }
    claim.algorithm = algorithm;
    claim.value = value;
  }
  return claim;
}

std::optional<S3Error> CheckChecksumClaim(const ChecksumClaim& claim, const std::string& computed) {
  if (!claim.algorithm || claim.value == computed) return std::nullopt;
  return MakeError(400, "BadDigest",
                   "The " + std::string(s3m::ChecksumAlgorithmName(*claim.algorithm)) +
                       " you specified did not match the calculated checksum.");
}

ErrorOr<Done> ApplySseHeaders(const Call& call, ObjectVersion& v, const std::string& region) {
  const std::string sse = call.Header("x-amz-server-side-encryption");
  const std::string customer_algorithm = call.Header("x-amz-server-side-encryption-customer-algorithm");
  if (!sse.empty() && !customer_algorithm.empty()) {
    return InvalidArgument("Server Side Encryption with Customer provided key is incompatible with the "
                           "encryption method specified");
  }
  if (!sse.empty()) {
    if (sse != "AES256" && sse != "aws:kms" && sse != "aws:kms:dsse") {
      return InvalidArgument("The encryption method specified is not supported")
          .With("ArgumentName", "x-amz-server-side-encryption")
          .With("ArgumentValue", sse);
    }
    v.sse = sse;
    if (sse != "AES256") {
      v.sse_kms_key_id = call.Header("x-amz-server-side-encryption-aws-kms-key-id");
      if (v.sse_kms_key_id.empty()) v.sse_kms_key_id = "arn:aws:kms:" + region + ":000000000000:key/s3emu-default";
    }
  }
  if (!customer_algorithm.empty()) {
    std::string key;
    const std::string key_md5 = call.Header("x-amz-server-side-encryption-customer-key-MD5");
    if (customer_algorithm != "AES256") {
      return InvalidArgument("The encryption algorithm specified is not supported")
          .With("ArgumentName", "x-amz-server-side-encryption-customer-algorithm");
    }
    if (!s3m::Base64Decode(call.Header("x-amz-server-side-encryption-customer-key"), &key) || key.size() != 32) {
      return InvalidArgument("The secret key was invalid for the specified algorithm.")
          .With("ArgumentName", "x-amz-server-side-encryption-customer-key");
    }
    if (s3m::Base64Encode(s3m::Md5(key)) != key_md5) {
      return InvalidArgument("The calculated MD5 hash of the key did not match the hash that was provided.")
          .With("ArgumentName", "x-amz-server-side-encryption-customer-key-MD5");
    }
    v.sse_c_algorithm = customer_algorithm;
    v.sse_c_key_md5 = key_md5;
  }
  return Done{};
}

std::string EtagFor(const ObjectVersion& v, const std::string& md5_raw) {
  if (v.sse_c_algorithm.empty() && v.sse != "aws:kms" && v.sse != "aws:kms:dsse") return s3m::HexEncode(md5_raw);
  // Encrypted with a key S3 does not own: the ETag is an opaque per-upload
  // value, never the MD5 of the data.
  return s3m::HexEncode(s3m::Md5(md5_raw + RandomId(16)));
}

ErrorOr<ObjectVersion> ObjectTemplateFromHeaders(const Call& call, const std::string& region) {
  ObjectVersion v;
  v.bucket = call.bucket;
  v.key = call.key;
  const std::string storage_class = call.Header("x-amz-storage-class");
  if (!storage_class.empty()) {
    if (!IsValidStorageClass(storage_class)) {
      return MakeError(400, "InvalidStorageClass", "The storage class you specified is not valid")
          .With("StorageClassRequested", storage_class);
    }
    v.storage_class = storage_class;
  }
  v.archive_status = call.Header(kArchiveStatusHeader);
  if (!v.archive_status.empty() &&
      (v.storage_class != "INTELLIGENT_TIERING" ||
       (v.archive_status != "ARCHIVE_ACCESS" && v.archive_status != "DEEP_ARCHIVE_ACCESS"))) {
    return InvalidArgument(std::string(kArchiveStatusHeader) +
                           " must be ARCHIVE_ACCESS or DEEP_ARCHIVE_ACCESS, with INTELLIGENT_TIERING");
  }
  v.content_type = call.Header("Content-Type");
  if (v.content_type.empty()) v.content_type = "binary/octet-stream";
  size_t metadata_bytes = 0;
  for (const auto& [name, value] : call.view.headers) {
    if (StartsWithIgnoreCase(name, "x-amz-meta-")) {
      v.metadata.emplace_back(Lower(name.substr(11)), value);
      metadata_bytes += name.size() - 11 + value.size();
    }
  }
  if (metadata_bytes > 2048) {
    return MakeError(400, "MetadataTooLarge", "Your metadata headers exceed the maximum allowed metadata size")
        .With("Size", std::to_string(metadata_bytes))
        .With("MaxSizeAllowed", "2048");
  }
  for (const char* name : kStoredHeaders) {
    const std::string value = call.Header(name);
    if (!value.empty()) v.headers.emplace_back(name, value);
  }
  auto tags = ParseTaggingHeader(call.Header("x-amz-tagging"));
  if (!tags.ok()) return tags.error();
  v.tags = std::move(tags.value());
  auto sse = ApplySseHeaders(call, v, region);
  if (!sse.ok()) return sse.error();
  return v;
}

void AddObjectHeaders(httplib::Response& res, const ObjectVersion& v, bool versioned_bucket, bool checksum_mode,
                      int64_t now_ms) {
  res.set_header("ETag", Quote(v.etag));
  res.set_header("Last-Modified", HttpDate(v.last_modified_ms));
  res.set_header("Accept-Ranges", "bytes");
  if (versioned_bucket) res.set_header("x-amz-version-id", v.version_id);
  if (v.storage_class != "STANDARD") res.set_header("x-amz-storage-class", v.storage_class);
  for (const auto& [name, value] : v.metadata) res.set_header("x-amz-meta-" + name, value);
  for (const auto& [name, value] : v.headers) res.set_header(name, value);
  if (!v.tags.empty()) res.set_header("x-amz-tagging-count", std::to_string(v.tags.size()));
  if (!v.sse.empty()) {
    res.set_header("x-amz-server-side-encryption", v.sse);
    if (!v.sse_kms_key_id.empty()) res.set_header("x-amz-server-side-encryption-aws-kms-key-id", v.sse_kms_key_id);
  }
  if (!v.sse_c_algorithm.empty()) {
    res.set_header("x-amz-server-side-encryption-customer-algorithm", v.sse_c_algorithm);
    res.set_header("x-amz-server-side-encryption-customer-key-MD5", v.sse_c_key_md5);
  }
  const ArchiveFacts facts = v.Archive();
  if (const std::string tier = ArchiveStatusAt(facts, now_ms); !tier.empty()) {
    res.set_header("x-amz-archive-status", tier);
  }
  if (const std::string restore = RestoreHeaderAt(facts, now_ms); !restore.empty()) {
    res.set_header("x-amz-restore", restore);
  }
  if (checksum_mode && !v.checksum_algorithm.empty()) {
    if (auto alg = s3m::ParseChecksumAlgorithm(v.checksum_algorithm)) {
      res.set_header(s3m::ChecksumHeaderName(*alg), v.checksum_value);
      res.set_header("x-amz-checksum-type", v.checksum_type);
    }
  }
}

ErrorOr<Emulator::ReceivedBody> Emulator::ReceiveToFile(Call& call,
                                                        std::optional<ChecksumAlgorithm> algorithm) const {
  auto writer = AtomicFileWriter::Create(store_.tmp_dir(), store_.fsync());
  if (!writer.ok()) return InternalError(writer.status().message());
  ReceivedBody out;
  out.file = std::move(writer).value();
  s3m::Digest md5(s3m::DigestAlgorithm::kMd5);
  std::optional<s3m::Checksummer> checksum;
  if (algorithm) checksum.emplace(*algorithm);
  auto received = ReceiveBody(call, [&](const char* data, size_t size) -> ErrorOr<Done> {
    md5.Update(data, size);
    if (checksum) checksum->Update(data, size);
    if (s3m::Status st = out.file->Append(data, size); !st.ok()) return InternalError(st.message());
    return Done{};
  });
  if (!received.ok()) return received.error();
  out.size = received.value();
  out.md5 = md5.Finish();
  if (checksum) out.checksum = checksum->FinishBase64();
  return out;
}

// PutObject: https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutObject.html
// Additional checksums: S3 User Guide, "Checking object integrity"
// (https://docs.aws.amazon.com/AmazonS3/latest/userguide/checking-object-integrity.html):
// the x-amz-checksum-<alg> value is verified against the body (400 BadDigest)
// and stored as a FULL_OBJECT checksum. Conditional writes (If-None-Match: *,
// If-Match) follow https://docs.aws.amazon.com/AmazonS3/latest/userguide/conditional-writes.html.
void Emulator::PutObject(Call& call) {
  auto bucket = store_.FindBucket(call.bucket);
  if (!bucket) return SendError(call, NoSuchBucket(call.bucket));
  auto object = ObjectTemplateFromHeaders(call, bucket->region);
  if (!object.ok()) return SendError(call, object.error());
  auto claim = ParseChecksumClaim(call);
  if (!claim.ok()) return SendError(call, claim.error());
  std::optional<ChecksumAlgorithm> algorithm = claim->algorithm;
  if (!algorithm && !options_.default_checksum.empty()) {
    algorithm = s3m::ParseChecksumAlgorithm(options_.default_checksum);
  }
  const std::string if_match = call.Header("If-Match");
  const std::string if_none_match = call.Header("If-None-Match");
  if (!if_match.empty() || !if_none_match.empty()) {
    auto current = store_.Get(call.bucket, call.key, "");
    const bool exists = current.ok() && !current->is_delete_marker;
    if (!if_none_match.empty() && exists && if_none_match == "*") return SendError(call, PreconditionFailed("If-None-Match"));
    if (!if_match.empty() && !exists) return SendError(call, NoSuchKey(call.key));
    if (!if_match.empty() && !EtagListMatches(if_match, current->etag)) {
      return SendError(call, PreconditionFailed("If-Match"));
    }
  }
  auto body = ReceiveToFile(call, algorithm);
  if (!body.ok()) return SendError(call, body.error());
  if (auto bad = CheckChecksumClaim(claim.value(), body->checksum)) return SendError(call, *bad);
  ObjectVersion v = std::move(object).value();
  v.size = body->size;
  v.etag = EtagFor(v, body->md5);
  v.last_modified_ms = NowMs();
  if (algorithm) {
    v.checksum_algorithm = std::string(s3m::ChecksumAlgorithmName(*algorithm));
    v.checksum_type = "FULL_OBJECT";
    v.checksum_value = body->checksum;
  }
  auto stored = store_.Put(std::move(v), body->size > 0 ? std::move(body->file) : nullptr);
  if (!stored.ok()) return SendError(call, stored.error());
  call.res.set_header("ETag", Quote(stored->etag));
  if (!bucket->versioning.empty()) call.res.set_header("x-amz-version-id", stored->version_id);
  if (!stored->sse.empty()) call.res.set_header("x-amz-server-side-encryption", stored->sse);
  if (!stored->sse_kms_key_id.empty()) {
    call.res.set_header("x-amz-server-side-encryption-aws-kms-key-id", stored->sse_kms_key_id);
  }
  if (!stored->sse_c_algorithm.empty()) {
    call.res.set_header("x-amz-server-side-encryption-customer-algorithm", stored->sse_c_algorithm);
    call.res.set_header("x-amz-server-side-encryption-customer-key-MD5", stored->sse_c_key_md5);
  }
  if (algorithm) {
    call.res.set_header(s3m::ChecksumHeaderName(*algorithm), stored->checksum_value);
    call.res.set_header("x-amz-checksum-type", stored->checksum_type);
  }
  SendEmpty(call, 200);
}

// GetObject: https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html
// HeadObject: https://docs.aws.amazon.com/AmazonS3/latest/API/API_HeadObject.html
// - archived objects: GET 403 InvalidObjectState (HEAD works and shows
//   x-amz-restore / x-amz-archive-status);
// - partNumber=N: that part's bytes (206, Content-Range) and
//   x-amz-mp-parts-count for multipart objects; a single-part object has
//   part 1 only (416 InvalidPartNumber beyond);
// - Range: one byte range (206), 416 InvalidRange past the end;
// - x-amz-checksum-mode: ENABLED returns x-amz-checksum-<alg> and
//   x-amz-checksum-type (for a part of a COMPOSITE upload, that part's
//   checksum; none for ranges).
ErrorOr<ObjectVersion> Emulator::ReadableVersion(const Call& call, bool* versioned_bucket) {
  auto bucket = store_.FindBucket(call.bucket);
  if (!bucket) return NoSuchBucket(call.bucket);
  *versioned_bucket = !bucket->versioning.empty();
  const std::string version_id = call.QueryValue("versionId");
  auto found = store_.Get(call.bucket, call.key, version_id);
  if (!found.ok()) return found.error();
  if (found.value().is_delete_marker) return DeleteMarkerError(found.value(), version_id, *versioned_bucket);
  return found;
}

void Emulator::GetOrHeadObject(Call& call, bool head) {
  bool versioned = false;
  auto found = ReadableVersion(call, &versioned);
  if (!found.ok()) return SendError(call, found.error());
  const ObjectVersion& v = found.value();
  if (auto refused = CheckCustomerKey(call, v)) return SendError(call, *refused);
  if (auto refused = EvaluateConditions(call, v)) {
    if (refused->status == 304) {
      call.res.set_header("ETag", Quote(v.etag));
      call.res.set_header("Last-Modified", HttpDate(v.last_modified_ms));
      return SendEmpty(call, 304);
    }
    return SendError(call, *refused);
  }
  const int64_t now = NowMs();
  if (!head && IsArchivedNow(v.Archive(), now)) return SendError(call, InvalidObjectStateForGet(v.Archive(), now));

  const RangeSpec range = ParseRange(call.Header("Range"));
  const bool has_part = call.HasQuery("partNumber");
  if (has_part && range.present) {
    return SendError(call, InvalidRequest("Cannot specify both Range header and partNumber query parameter"));
  }
  uint64_t first = 0, length = v.size;
  int status = 200;
  const PartInfo* part = nullptr;
  bool checksum_mode = call.Header("x-amz-checksum-mode") == "ENABLED";
  if (has_part) {
    const std::string text = call.QueryValue("partNumber");
    char* end = nullptr;
    const long number = std::strtol(text.c_str(), &end, 10);
    if (text.empty() || *end != '\0' || number < 1 || number > 10000) {
      return SendError(call, InvalidArgument("Part number must be an integer between 1 and 10000, inclusive")
                                 .With("ArgumentName", "partNumber")
                                 .With("ArgumentValue", text));
    }
    const size_t count = v.parts.empty() ? 1 : v.parts.size();
    if (static_cast<size_t>(number) > count) {
      return SendError(call, MakeError(416, "InvalidPartNumber", "The requested partnumber is not satisfiable")
                                 .With("PartNumberRequested", text)
                                 .With("ActualPartCount", std::to_string(count)));
    }
    if (!v.parts.empty()) {
      for (long i = 0; i + 1 < number; ++i) first += v.parts[static_cast<size_t>(i)].size;
      part = &v.parts[static_cast<size_t>(number - 1)];
      length = part->size;
      call.res.set_header("x-amz-mp-parts-count", std::to_string(v.parts.size()));
    }
    status = 206;
  } else if (range.present) {
    if (range.suffix) {
      length = std::min(range.first, v.size);
      first = v.size - length;
    } else if (range.first >= v.size) {
      call.res.set_header("Content-Range", "bytes */" + std::to_string(v.size));
      return SendError(call, MakeError(416, "InvalidRange", "The requested range is not satisfiable")
                                 .With("RangeRequested", call.Header("Range"))
                                 .With("ActualObjectSize", std::to_string(v.size)));
    } else {
      first = range.first;
      const uint64_t last = std::min(range.last.value_or(v.size - 1), v.size - 1);
      length = last - first + 1;
    }
    status = 206;
    checksum_mode = false;  // a range has no checksum of its own
  }
  AddObjectHeaders(call.res, v, versioned, checksum_mode && part == nullptr, now);
  if (checksum_mode && part != nullptr && v.checksum_type == "COMPOSITE" && !part->checksum.empty()) {
    if (auto alg = s3m::ParseChecksumAlgorithm(v.checksum_algorithm)) {
      call.res.set_header(s3m::ChecksumHeaderName(*alg), part->checksum);
      call.res.set_header("x-amz-checksum-type", "COMPOSITE");
    }
  }
  if (status == 206 && v.size > 0) {
    call.res.set_header("Content-Range", "bytes " + std::to_string(first) + "-" + std::to_string(first + length - 1) +
                                             "/" + std::to_string(v.size));
  }
  std::string content_type = v.content_type;
  if (!head) {
    // Response header overrides (GetObject, "response-content-type", ...).
    if (call.HasQuery("response-content-type")) content_type = call.QueryValue("response-content-type");
    static const std::pair<const char*, const char*> kOverrides[] = {
        {"response-content-disposition", "Content-Disposition"}, {"response-content-encoding", "Content-Encoding"},
        {"response-content-language", "Content-Language"},       {"response-cache-control", "Cache-Control"},
        {"response-expires", "Expires"}};
    for (const auto& [query, header] : kOverrides) {
      if (call.HasQuery(query)) call.res.set_header(header, call.QueryValue(query));
    }
  }
  if (head) {
    // cpp-httplib takes Content-Length from the provider and never calls it for HEAD.
    static const auto kNoBody = std::make_shared<StringBody>(std::string());
    return SendBody(call, status, kNoBody, 0, length, content_type);
  }
  auto body = store_.OpenBody(v);
  if (!body.ok()) return SendError(call, body.error());
  SendBody(call, status, std::move(body).value(), first, length, content_type);
}

// DeleteObject: https://docs.aws.amazon.com/AmazonS3/latest/API/API_DeleteObject.html
// If-Match: "How to perform conditional deletes"
// (https://docs.aws.amazon.com/AmazonS3/latest/userguide/conditional-deletes.html): 412
// PreconditionFailed when the ETag differs, 404 NoSuchKey when there is no
// object to compare with. With a versionId the ETag is compared with that version.
void Emulator::DeleteObject(Call& call) {
  const std::string if_match = call.Header("If-Match");
  DeletePrecondition precondition;
  if (!if_match.empty()) {
    precondition = [&](const ObjectVersion* target) -> std::optional<S3Error> {
      if (target == nullptr) return NoSuchKey(call.key);
      if (!EtagListMatches(if_match, target->etag)) return PreconditionFailed("If-Match");
      return std::nullopt;
    };
  }
  auto outcome = store_.Delete(call.bucket, call.key, call.QueryValue("versionId"), precondition);
  if (!outcome.ok()) return SendError(call, outcome.error());
  if (outcome->delete_marker) call.res.set_header("x-amz-delete-marker", "true");
  if (!outcome->version_id.empty()) call.res.set_header("x-amz-version-id", outcome->version_id);
  SendEmpty(call, 204);
}

// RestoreObject: https://docs.aws.amazon.com/AmazonS3/latest/API/API_RestoreObject.html
// The decision (202/200/409/403/400/503) is archive.h's DecideRestore.
void Emulator::RestoreObject(Call& call) {
  auto body = ReceiveSmallBody(call);
  if (!body.ok()) return SendError(call, body.error());
  auto request = ParseRestoreRequestBody(body.value());
  if (!request.ok()) return SendError(call, request.error());
  const int64_t now = NowMs();
  int status = 202;
  auto updated = store_.UpdateArchive(call.bucket, call.key, call.QueryValue("versionId"),
                                      [&](ObjectVersion& v) -> ErrorOr<Done> {
                                        auto decision = DecideRestore(v.Archive(), request.value(), options_.timing, now);
                                        if (!decision.ok()) return decision.error();
                                        status = decision->http_status;
                                        v.restore = decision->record;
                                        return Done{};
                                      });
  if (!updated.ok()) return SendError(call, updated.error());
  SendEmpty(call, status);
}

// GetObjectTagging: https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObjectTagging.html
//   <Tagging><TagSet><Tag><Key>project</Key><Value>alpha</Value></Tag></TagSet></Tagging>
void Emulator::GetObjectTagging(Call& call) {
  bool versioned = false;
  auto found = ReadableVersion(call, &versioned);
  if (!found.ok()) return SendError(call, found.error());
  const ObjectVersion& v = found.value();
  if (versioned) call.res.set_header("x-amz-version-id", v.version_id);
  XmlWriter w("Tagging");
  w.Open("TagSet");
  for (const auto& [key, value] : v.tags) w.Open("Tag").Element("Key", key).Element("Value", value).Close("Tag");
  w.Close("TagSet");
  SendXml(call, 200, w.Finish());
}

}  // namespace s3emu
