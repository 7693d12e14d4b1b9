#include "s3/client.h"

#include <algorithm>
#include <arpa/inet.h>
#include <cctype>

#include <fmt/format.h>

#include "core/text.h"
#include "core/checksum.h"
#include "core/hash.h"
#include "core/logging.h"
#include "s3/errors.h"
#include "s3/sigv4.h"
#include "s3/uri.h"
#include "s3/xml.h"

namespace s3m::s3 {

namespace {

constexpr std::string_view kEmptyPayloadSha256 =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

bool IsDnsCompatibleBucket(std::string_view bucket) {
  if (bucket.size() < 3 || bucket.size() > 63) return false;
  for (char c : bucket) {
    if (!(std::islower(static_cast<unsigned char>(c)) || std::isdigit(static_cast<unsigned char>(c)) ||
          c == '-')) {
      return false;  // dots break TLS wildcard certificates; upper case is not DNS-safe
    }
  }
  return bucket.front() != '-' && bucket.back() != '-';
}

std::string Quoted(std::string_view etag) { return fmt::format("\"{}\"", etag); }

std::string Unquoted(std::string_view etag) {
  if (etag.size() >= 2 && etag.front() == '"' && etag.back() == '"') {
    etag = etag.substr(1, etag.size() - 2);
  }
  return std::string(etag);
}

std::string ContentMd5(std::string_view body) { return Base64Encode(Md5(body)); }

}  // namespace

ObjectMetadata ParseObjectMetadata(const HttpResponse& response) {
  ObjectMetadata meta;
  for (const auto& [name, value] : response.headers) {
    if (name == "content-length") {
      meta.content_length = std::strtoull(value.c_str(), nullptr, 10);
    } else if (name == "etag") {
      meta.etag = Unquoted(value);
    } else if (name == "last-modified") {
      meta.last_modified = value;
    } else if (name == "x-amz-storage-class") {
      meta.storage_class = value;
    } else if (name == "x-amz-version-id") {
      meta.version_id = value;
    } else if (name == "content-type") {
      meta.content_type = value;
    } else if (name == "content-encoding") {
      meta.content_encoding = value;
    } else if (name == "content-language") {
      meta.content_language = value;
    } else if (name == "content-disposition") {
      meta.content_disposition = value;
    } else if (name == "cache-control") {
      meta.cache_control = value;
    } else if (name == "expires") {
      meta.expires = value;
    } else if (name == "x-amz-tagging-count") {
      meta.tag_count = std::atoi(value.c_str());
    } else if (name == "content-range") {
      meta.content_range = value;
    } else if (name.rfind("x-amz-meta-", 0) == 0) {
      meta.user_metadata[name.substr(11)] = value;
    } else if (name == "x-amz-server-side-encryption") {
      meta.server_side_encryption = value;
    } else if (name == "x-amz-server-side-encryption-aws-kms-key-id") {
      meta.sse_kms_key_id = value;
    } else if (name == "x-amz-server-side-encryption-customer-algorithm") {
      meta.sse_customer_algorithm = value;
    } else if (name == "x-amz-restore") {
      auto restore = ParseRestoreHeader(value);
      if (restore.ok()) {
        meta.restore = *restore;
      } else {
        S3M_LOG_WARN("ignoring unparsable x-amz-restore header \"{}\": {}", value,
                     restore.status().message());
      }
    } else if (name == "x-amz-archive-status") {
      meta.archive_status = value;
    } else if (name == "x-amz-mp-parts-count") {
      meta.parts_count = std::atoi(value.c_str());
    } else if (name == "x-amz-checksum-type") {
      meta.checksum_type = value;
    } else if (name.rfind("x-amz-checksum-", 0) == 0 && name != "x-amz-checksum-mode") {
      if (auto alg = ParseChecksumAlgorithm(name.substr(15))) {
        meta.checksums[std::string(ChecksumAlgorithmName(*alg))] = value;
      }
    } else if (name == "x-amz-delete-marker") {
      meta.delete_marker = value == "true";
    }
  }
  if (meta.storage_class.empty()) meta.storage_class = "STANDARD";
  return meta;
}

Result<std::unique_ptr<S3Client>> S3Client::Create(S3ClientOptions options) {
  if (!options.transport || !options.credentials) {
    return Status::Error(ErrorKind::kInvalidArgument, "S3Client needs a transport and credentials");
  }
  Endpoint ep;
  if (options.endpoint_url.empty()) {
    ep.is_aws = true;
    ep.scheme = "https";
  } else {
    std::string_view url = options.endpoint_url;
    const size_t scheme_end = url.find("://");
    if (scheme_end == std::string_view::npos) {
      return Status::Error(ErrorKind::kInvalidArgument,
                           fmt::format("endpoint URL \"{}\" has no scheme; write it as "
                                       "http://host:port or https://host",
                                       options.endpoint_url));
    }
    ep.scheme = std::string(url.substr(0, scheme_end));
    std::transform(ep.scheme.begin(), ep.scheme.end(), ep.scheme.begin(),
                   [](char c) { return AsciiToLower(c); });
    if (ep.scheme != "http" && ep.scheme != "https") {
      return Status::Error(ErrorKind::kInvalidArgument,
                           fmt::format("endpoint URL \"{}\": only http and https are supported",
                                       options.endpoint_url));
    }
    url.remove_prefix(scheme_end + 3);
    const size_t slash = url.find('/');
    ep.authority = std::string(url.substr(0, slash));
    if (slash != std::string_view::npos) {
      ep.base_path = std::string(url.substr(slash));
      while (!ep.base_path.empty() && ep.base_path.back() == '/') ep.base_path.pop_back();
    }
    if (ep.authority.empty()) {
      return Status::Error(ErrorKind::kInvalidArgument,
                           fmt::format("endpoint URL \"{}\" has no host", options.endpoint_url));
    }
    // Strip the port: "[::1]:9000" -> "::1", "host:9000" -> "host".
    std::string host = ep.authority;
    if (!host.empty() && host.front() == '[') {
      host = host.substr(1, host.find(']') - 1);
    } else if (host.find(':') != std::string::npos) {
      host = host.substr(0, host.find(':'));
    }
    ep.host = host;
    in6_addr addr6{};
    in_addr addr4{};
    ep.is_ip_or_localhost = host == "localhost" || inet_pton(AF_INET, host.c_str(), &addr4) == 1 ||
                            inet_pton(AF_INET6, host.c_str(), &addr6) == 1;
  }
  if (options.default_region.empty()) options.default_region = "us-east-1";
  return std::unique_ptr<S3Client>(new S3Client(std::move(options), std::move(ep)));
}

S3Client::S3Client(S3ClientOptions options, Endpoint endpoint)
    : options_(std::move(options)),
      endpoint_(std::move(endpoint)),
      clock_(options_.clock ? options_.clock : &Clock::Real()),
      backoff_(options_.retry, options_.random ? options_.random : DefaultUniformRandom()),
      pacer_(*clock_) {
}

bool S3Client::UsePathStyle(const std::string& bucket) const {
  if (bucket.empty()) return true;
  if (endpoint_.is_aws) return !IsDnsCompatibleBucket(bucket);
  return options_.force_path_style || endpoint_.is_ip_or_localhost || !IsDnsCompatibleBucket(bucket);
}

S3Client::Target S3Client::BuildTarget(const Request& request, const std::string& region) const {
  Target t;
  std::string authority = endpoint_.authority;
  if (endpoint_.is_aws) authority = fmt::format("s3.{}.amazonaws.com", region);
  // Keys are encoded once, '/' kept, and never normalised: "a//b" and "a/./b"
  // are keys of their own.
  const std::string encoded_key = UriEncode(request.key, /*encode_slash=*/false);
  std::string path;
  if (UsePathStyle(request.bucket)) {
    t.host = authority;
    path = endpoint_.base_path;
    if (!request.bucket.empty()) {
      path += "/" + UriEncode(request.bucket);
      if (!request.key.empty()) path += "/" + encoded_key;
    }
  } else {
    t.host = request.bucket + "." + authority;
    path = endpoint_.base_path + "/" + encoded_key;
  }
  if (path.empty()) path = "/";
  t.canonical_uri = path;
  t.url = fmt::format("{}://{}{}", endpoint_.scheme, t.host, path);
  if (!request.query.empty()) t.url += "?" + CanonicalQueryString(request.query);
  return t;
}

std::string S3Client::RegionFor(const std::string& bucket) {
  if (!bucket.empty()) {
    std::lock_guard lock(region_mu_);
    auto it = bucket_regions_.find(bucket);
    if (it != bucket_regions_.end()) return it->second;
  }
  return options_.default_region;
}

void S3Client::RememberRegion(const std::string& bucket, const std::string& region) {
  if (bucket.empty() || region.empty()) return;
  std::lock_guard lock(region_mu_);
  bucket_regions_[bucket] = region;
}

Status S3Client::ErrorFromResponse(const Request& request, const HttpResponse& response) const {
  ErrorContext ctx;
  ctx.operation = request.operation;
  ctx.bucket = request.bucket;
  ctx.key = request.key;
  ctx.version_id = request.version_id;
  ctx.http_status = response.status;
  ctx.request_id = std::string(response.Header("x-amz-request-id"));
  std::string message;
  if (!response.body.empty()) {
    auto doc = ParseErrorDocument(response.body);
    if (doc.ok()) {
      ctx.s3_code = doc->code;
      message = doc->message;
      if (ctx.request_id.empty()) ctx.request_id = doc->request_id;
    }
  }
  const ErrorKind kind = ClassifyHttpError(response.status, ctx.s3_code);
  if (message.empty()) {
    switch (response.status) {
      case 403: message = "Forbidden"; break;
      case 404: message = "Not Found"; break;
      case 405: message = "Method Not Allowed"; break;
      case 412: message = "Precondition Failed"; break;
      default: message = fmt::format("HTTP status {}", response.status); break;
    }
  }
  if (kind == ErrorKind::kAuth || kind == ErrorKind::kAccessDenied) {
    auto creds = options_.credentials->GetCredentials();
    const std::string source = creds.ok() ? creds->source : "unknown source";
    if (ConditionOfCode(ctx.s3_code) == S3Condition::kClockSkewed) {
      message += "; the system clock differs from the server's by more than 15 minutes: fix the clock";
    } else if (kind == ErrorKind::kAccessDenied) {
      message += fmt::format(
          "; the credentials from {} may not do this here (a bucket or object policy, an "
          "object owned by another account, a KMS key policy): grant access, or leave it",
          source);
    } else {
      message += fmt::format(
          "; the server rejected the credentials from {}: check the access key, secret and "
          "session token",
          source);
    }
  }
  return Status::Error(kind, std::move(message), std::move(ctx));
}

Result<HttpResponse> S3Client::SendOnce(const Request& request, const BodySink* sink) {
  auto creds = options_.credentials->GetCredentials();
  if (!creds.ok()) return creds.status();

  for (int redirects = 0;; ++redirects) {
    const std::string region = RegionFor(request.bucket);
    const Target target = BuildTarget(request, region);

    SignableRequest signable;
    signable.method = request.method;
    signable.canonical_uri = target.canonical_uri;
    signable.query = request.query;
    signable.headers.emplace_back("Host", target.host);
    for (const auto& h : request.headers) signable.headers.push_back(h);
    signable.payload_hash = request.body.empty() ? std::string(kEmptyPayloadSha256)
                                                 : Sha256Hex(request.body);
    SigningParams params;
    params.region = region;
    params.time = clock_->Now();
    SignRequest(signable, *creds, params);

    HttpRequest http;
    http.method = request.method;
    http.url = target.url;
    http.headers = std::move(signable.headers);
    http.body = request.body;
    http.on_headers = request.on_headers;
    S3M_LOG_DEBUG("{} {} {}", request.operation, request.method, target.url);

    auto response = options_.transport->Send(http, sink);
    if (!response.ok()) {
      ErrorContext ctx;
      ctx.operation = request.operation;
      ctx.bucket = request.bucket;
      ctx.key = request.key;
      ctx.version_id = request.version_id;
      return response.status().WithContext(ctx);
    }
    if (response->status >= 200 && response->status < 300) return response;

    // Region hints: x-amz-bucket-region on 301/400/403 replies, or <Region>
    // in AuthorizationHeaderMalformed. Follow one, only when it names another region.
    if (redirects == 0 && !request.bucket.empty() &&
        (response->status == 301 || response->status == 307 || response->status == 400 ||
         response->status == 403)) {
      std::string hinted(response->Header("x-amz-bucket-region"));
      if (hinted.empty() && !response->body.empty()) {
        auto doc = ParseErrorDocument(response->body);
        if (doc.ok()) hinted = doc->region;
      }
      if (!hinted.empty() && hinted != region) {
        S3M_LOG_INFO("bucket {} is in region {}, not {}; resending", request.bucket, hinted, region);
        RememberRegion(request.bucket, hinted);
        continue;
      }
    }
    return ErrorFromResponse(request, *response);
  }
}

Result<HttpResponse> S3Client::Send(const Request& request, const BodySink* sink) {
  uint64_t delivered = 0;
  BodySink counting;
  if (sink != nullptr) {
    counting = [&](const char* data, size_t size) {
      delivered += size;
      return (*sink)(data, size);
    };
  }
  // Set by an attempt to end the retry loop: bytes that reached the caller's
  // sink cannot be taken back, so the caller must resume by range instead.
  std::atomic<bool> stop{false};
  return RetryCall(
      backoff_, *clock_,
      [&](int attempt) -> Result<HttpResponse> {
        if (attempt > 0) {
          S3M_LOG_DEBUG("{} s3://{}/{}: retry {}", request.operation, request.bucket, request.key,
                        attempt);
        }
        if (options_.rate_limit) options_.rate_limit->Acquire(options_.cancelled);
        pacer_.Acquire(options_.cancelled);
        auto r = SendOnce(request, sink ? &counting : nullptr);
        if (r.ok()) {
          pacer_.OnSuccess();
        } else if (r.status().kind() == ErrorKind::kThrottled) {
          pacer_.OnThrottled();  // slows every worker's next requests, not only this one's
        }
        const bool interrupted = (options_.cancelled != nullptr && options_.cancelled->load()) ||
                                 (request.may_retry && !request.may_retry());
        if (!r.ok() && (delivered > 0 || interrupted)) stop = true;
        return r;
      },
      &stop);
}

// ---------------------------------------------------------------------------
// Operations. Each builds a Request, sends it, and parses the reply.

Result<std::vector<BucketSummary>> S3Client::ListBuckets() {
  Request r;
  r.operation = "ListBuckets";
  S3M_ASSIGN_OR_RETURN(HttpResponse res, Send(r));
  return ParseListBucketsResult(res.body);
}

Result<std::string> S3Client::GetBucketRegion(const std::string& bucket) {
  {
    std::lock_guard lock(region_mu_);
    auto it = bucket_regions_.find(bucket);
    if (it != bucket_regions_.end()) return it->second;
  }
  // HeadBucket answers x-amz-bucket-region on AWS, even on 301 and 403.
  Request head;
  head.operation = "HeadBucket";
  head.method = "HEAD";
  head.bucket = bucket;
  auto res = Send(head);
  if (res.ok() && res->HasHeader("x-amz-bucket-region")) {
    std::string region(res->Header("x-amz-bucket-region"));
    RememberRegion(bucket, region);
    return region;
  }
  if (!res.ok() && res.status().kind() != ErrorKind::kAuth &&
      res.status().kind() != ErrorKind::kAccessDenied &&
      res.status().kind() != ErrorKind::kInvalidArgument &&
      res.status().kind() != ErrorKind::kUnsupported) {
    return res.status();  // NoSuchBucket, network trouble: nothing to fall back to
  }
  // S3-compatible servers: GetBucketLocation, else the configured region.
  Request loc;
  loc.operation = "GetBucketLocation";
  loc.bucket = bucket;
  loc.query = {{"location", ""}};
  auto located = Send(loc);
  std::string region = options_.default_region;
  if (located.ok()) {
    auto parsed = ParseLocationConstraint(located->body);
    if (parsed.ok() && !parsed->empty()) region = *parsed;
  } else if ((located.status().kind() == ErrorKind::kAuth ||
              located.status().kind() == ErrorKind::kAccessDenied) &&
             !res.ok()) {
    return located.status();
  }
  RememberRegion(bucket, region);
  return region;
}

Result<std::string> S3Client::GetBucketVersioning(const std::string& bucket) {
  Request r;
  r.operation = "GetBucketVersioning";
  r.bucket = bucket;
  r.query = {{"versioning", ""}};
  S3M_ASSIGN_OR_RETURN(HttpResponse res, Send(r));
  return ParseVersioningConfiguration(res.body);
}

Result<ListObjectsV2Page> S3Client::ListObjectsV2(const ListObjectsV2Request& req) {
  Request r;
  r.operation = "ListObjectsV2";
  r.bucket = req.bucket;
  r.query.emplace_back("list-type", "2");
  if (!req.prefix.empty()) r.query.emplace_back("prefix", req.prefix);
  if (!req.delimiter.empty()) r.query.emplace_back("delimiter", req.delimiter);
  if (!req.continuation_token.empty()) r.query.emplace_back("continuation-token", req.continuation_token);
  if (!req.start_after.empty()) r.query.emplace_back("start-after", req.start_after);
  if (req.max_keys > 0) r.query.emplace_back("max-keys", std::to_string(req.max_keys));
  if (req.url_encoding) r.query.emplace_back("encoding-type", "url");
  if (req.fetch_restore_status) {
    r.headers.emplace_back("x-amz-optional-object-attributes", "RestoreStatus");
  }
  S3M_ASSIGN_OR_RETURN(HttpResponse res, Send(r));
  auto page = ParseListObjectsV2Result(res.body);
  if (!page.ok()) return page.status().WithContext(ErrorContext::ForObject(r.operation, r.bucket));
  return page;
}

Result<ListObjectVersionsPage> S3Client::ListObjectVersions(const ListObjectVersionsRequest& req) {
  Request r;
  r.operation = "ListObjectVersions";
  r.bucket = req.bucket;
  r.query.emplace_back("versions", "");
  if (!req.prefix.empty()) r.query.emplace_back("prefix", req.prefix);
  if (!req.delimiter.empty()) r.query.emplace_back("delimiter", req.delimiter);
  if (!req.key_marker.empty()) r.query.emplace_back("key-marker", req.key_marker);
  if (!req.version_id_marker.empty()) r.query.emplace_back("version-id-marker", req.version_id_marker);
  if (req.max_keys > 0) r.query.emplace_back("max-keys", std::to_string(req.max_keys));
  if (req.url_encoding) r.query.emplace_back("encoding-type", "url");
  S3M_ASSIGN_OR_RETURN(HttpResponse res, Send(r));
  auto page = ParseListObjectVersionsResult(res.body);
  if (!page.ok()) return page.status().WithContext(ErrorContext::ForObject(r.operation, r.bucket));
  return page;
}

namespace {
// Whether a reply to a partNumber request describes the part. AWS answers
// 206 Partial Content with that part's Content-Range, plus
// x-amz-mp-parts-count when the object was a multipart upload; a single-part
// object has part 1 only and gets no parts count ("This value is only
// returned if you specify partNumber in your request and the object was
// uploaded as a multipart upload", API_HeadObject). A server that ignored
// partNumber (s3rver 3.7.1) answers 200 with the whole object's length, which
// would be taken for part 1's.
bool HonouredPartNumber(const HttpResponse& res, const ObjectMetadata& meta) {
  return res.status == 206 || !meta.content_range.empty() || meta.parts_count > 0;
}
}  // namespace

Result<ObjectMetadata> S3Client::HeadObject(const HeadObjectRequest& req) {
  Request r;
  r.operation = "HeadObject";
  r.method = "HEAD";
  r.bucket = req.bucket;
  r.key = req.key;
  r.version_id = req.version_id;
  if (!req.version_id.empty()) r.query.emplace_back("versionId", req.version_id);
  if (req.part_number > 0) r.query.emplace_back("partNumber", std::to_string(req.part_number));
  if (req.checksum_mode) r.headers.emplace_back("x-amz-checksum-mode", "ENABLED");
  if (!req.if_match.empty()) r.headers.emplace_back("If-Match", Quoted(req.if_match));
  S3M_ASSIGN_OR_RETURN(HttpResponse res, Send(r));
  ObjectMetadata meta = ParseObjectMetadata(res);
  if (req.part_number > 0 && !HonouredPartNumber(res, meta)) {
    ErrorContext ctx = ErrorContext::ForObject(r.operation, r.bucket, r.key);
    ctx.version_id = r.version_id;
    return Status::Error(ErrorKind::kUnsupported,
                         "the server ignored partNumber (a whole-object 200 reply with no "
                         "Content-Range and no x-amz-mp-parts-count)",
                         ctx);
  }
  return meta;
}

Result<ObjectMetadata> S3Client::GetObject(const GetObjectRequest& req, const BodySink& sink) {
  Request r;
  r.operation = "GetObject";
  r.bucket = req.bucket;
  r.key = req.key;
  r.version_id = req.version_id;
  if (!req.version_id.empty()) r.query.emplace_back("versionId", req.version_id);
  if (req.part_number > 0) r.query.emplace_back("partNumber", std::to_string(req.part_number));
  if (req.range) {
    r.headers.emplace_back("Range", fmt::format("bytes={}-{}", req.range->first, req.range->last));
  }
  if (!req.if_match.empty()) r.headers.emplace_back("If-Match", Quoted(req.if_match));
  if (req.checksum_mode) r.headers.emplace_back("x-amz-checksum-mode", "ENABLED");
  r.may_retry = req.may_retry;
  // Refuse a reply that is not exactly what was asked for before any of its
  // bytes reach the sink: some servers ignore If-Match (s3rver 3.7.1) or
  // answer "bytes=0-0" with the whole object (s3rver 3.7.1).
  r.on_headers = [&req, &r](const HttpResponse& headers) -> Status {
    ErrorContext ctx = ErrorContext::ForObject(r.operation, r.bucket, r.key);
    ctx.version_id = r.version_id;
    ctx.http_status = headers.status;
    if (!req.if_match.empty()) {
      const std::string etag = Unquoted(headers.Header("etag"));
      if (etag != req.if_match) {
        return Status::Error(ErrorKind::kPreconditionFailed,
                             fmt::format("the object changed: its ETag is now \"{}\", expected "
                                         "\"{}\" (the server did not apply If-Match)",
                                         etag, req.if_match),
                             ctx);
      }
    }
    if (req.range) {
      const std::string expected = fmt::format("bytes {}-{}/", req.range->first, req.range->last);
      const std::string_view got = headers.Header("content-range");
      if (headers.status != 206 || got.substr(0, expected.size()) != expected) {
        return Status::Error(ErrorKind::kUnsupported,
                             fmt::format("asked for bytes {}-{} but the server answered HTTP {} "
                                         "with Content-Range \"{}\"",
                                         req.range->first, req.range->last, headers.status, got),
                             ctx);
      }
    }
    if (req.on_metadata) return req.on_metadata(ParseObjectMetadata(headers));
    return Status::Ok();
  };
  S3M_ASSIGN_OR_RETURN(HttpResponse res, Send(r, &sink));
  return ParseObjectMetadata(res);
}

Result<DeleteObjectResult> S3Client::DeleteObject(const DeleteObjectRequest& req) {
  Request r;
  r.operation = "DeleteObject";
  r.method = "DELETE";
  r.bucket = req.bucket;
  r.key = req.key;
  r.version_id = req.version_id;
  if (!req.version_id.empty()) r.query.emplace_back("versionId", req.version_id);
  if (!req.if_match.empty()) r.headers.emplace_back("If-Match", Quoted(req.if_match));
  S3M_ASSIGN_OR_RETURN(HttpResponse res, Send(r));
  DeleteObjectResult out;
  out.delete_marker = res.Header("x-amz-delete-marker") == "true";
  out.version_id = std::string(res.Header("x-amz-version-id"));
  return out;
}

Result<DeleteObjectsResult> S3Client::DeleteObjects(const std::string& bucket,
                                                    const std::vector<DeleteObjectsEntry>& entries) {
  if (entries.empty()) return DeleteObjectsResult{};
  if (entries.size() > 1000) {
    return Status::Error(ErrorKind::kInvalidArgument,
                         fmt::format("DeleteObjects takes at most 1000 keys, got {}", entries.size()),
                         ErrorContext::ForObject("DeleteObjects", bucket));
  }
  const std::string body = BuildDeleteObjectsXml(entries, /*quiet=*/false);
  Request r;
  r.operation = "DeleteObjects";
  r.method = "POST";
  r.bucket = bucket;
  r.query = {{"delete", ""}};
  // S3 requires Content-MD5 (or an x-amz-checksum-*) on DeleteObjects.
  r.headers = {{"Content-MD5", ContentMd5(body)}, {"Content-Type", "application/xml"}};
  r.body = body;
  auto res = Send(r);
  const bool conditional = std::any_of(entries.begin(), entries.end(),
                                       [](const DeleteObjectsEntry& e) { return !e.etag.empty(); });
  if (!res.ok() && conditional && ConditionOf(res.status()) == S3Condition::kMalformedXml) {
    // Swift 2.30's s3api validates the request against a schema without
    // <ETag>: tell the caller to fall back rather than fail the batch.
    return Status::Error(ErrorKind::kUnsupported,
                         "the server rejects per-object ETag conditions in DeleteObjects "
                         "(MalformedXML)",
                         res.status().context());
  }
  if (!res.ok()) return res.status();
  return ParseDeleteObjectsResult(res->body);
}

Result<RestoreOutcome> S3Client::RestoreObject(const RestoreObjectRequest& req) {
  const std::string body = BuildRestoreRequestXml(req.days, req.tier);
  Request r;
  r.operation = "RestoreObject";
  r.method = "POST";
  r.bucket = req.bucket;
  r.key = req.key;
  r.version_id = req.version_id;
  r.query = {{"restore", ""}};
  if (!req.version_id.empty()) r.query.emplace_back("versionId", req.version_id);
  r.headers = {{"Content-MD5", ContentMd5(body)}, {"Content-Type", "application/xml"}};
  r.body = body;
  S3M_ASSIGN_OR_RETURN(HttpResponse res, Send(r));
  return res.status == 202 ? RestoreOutcome::kStarted : RestoreOutcome::kAlreadyRestored;
}

Result<ObjectTags> S3Client::GetObjectTagging(const std::string& bucket, const std::string& key,
                                              const std::string& version_id) {
  Request r;
  r.operation = "GetObjectTagging";
  r.method = "GET";
  r.bucket = bucket;
  r.key = key;
  r.version_id = version_id;
  r.query = {{"tagging", ""}};
  if (!version_id.empty()) r.query.emplace_back("versionId", version_id);
  S3M_ASSIGN_OR_RETURN(HttpResponse res, Send(r));
  return ParseTagging(res.body);
}

Status S3Client::CreateBucket(const std::string& bucket) {
  const std::string region = RegionFor(bucket);
  const std::string body = BuildCreateBucketConfigurationXml(region);
  Request r;
  r.operation = "CreateBucket";
  r.method = "PUT";
  r.bucket = bucket;
  r.body = body;
  auto res = Send(r);
  if (!res.ok()) return res.status();
  RememberRegion(bucket, region);
  return Status::Ok();
}

Status S3Client::DeleteBucket(const std::string& bucket) {
  Request r;
  r.operation = "DeleteBucket";
  r.method = "DELETE";
  r.bucket = bucket;
  return Send(r).status();
}

Status S3Client::PutBucketVersioning(const std::string& bucket, bool enabled) {
  const std::string body = BuildVersioningConfigurationXml(enabled);
  Request r;
  r.operation = "PutBucketVersioning";
  r.method = "PUT";
  r.bucket = bucket;
  r.query = {{"versioning", ""}};
  r.headers = {{"Content-MD5", ContentMd5(body)}, {"Content-Type", "application/xml"}};
  r.body = body;
  return Send(r).status();
}

namespace {
// Adds the x-amz-checksum-<alg> header computed over `body`.
Status AddChecksumHeader(const std::string& algorithm_name, std::string_view body, HeaderList& headers,
                         std::string* value) {
  if (algorithm_name.empty()) return Status::Ok();
  auto alg = ParseChecksumAlgorithm(algorithm_name);
  if (!alg) {
    return Status::Error(ErrorKind::kInvalidArgument,
                         fmt::format("unknown checksum algorithm \"{}\"", algorithm_name));
  }
  Checksummer sum(*alg);
  sum.Update(body);
  *value = sum.FinishBase64();
  headers.emplace_back(ChecksumHeaderName(*alg), *value);
  return Status::Ok();
}
}  // namespace

Result<PutObjectResult> S3Client::PutObject(const PutObjectRequest& req) {
  Request r;
  r.operation = "PutObject";
  r.method = "PUT";
  r.bucket = req.bucket;
  r.key = req.key;
  r.body = req.body;
  if (!req.storage_class.empty()) r.headers.emplace_back("x-amz-storage-class", req.storage_class);
  if (!req.content_type.empty()) r.headers.emplace_back("Content-Type", req.content_type);
  for (const auto& [name, value] : req.user_metadata) r.headers.emplace_back("x-amz-meta-" + name, value);
  std::string checksum;
  S3M_RETURN_IF_ERROR(AddChecksumHeader(req.checksum_algorithm, req.body, r.headers, &checksum));
  for (const auto& h : req.extra_headers) r.headers.push_back(h);
  S3M_ASSIGN_OR_RETURN(HttpResponse res, Send(r));
  PutObjectResult out;
  out.etag = Unquoted(res.Header("etag"));
  out.version_id = std::string(res.Header("x-amz-version-id"));
  return out;
}

Result<std::string> S3Client::CreateMultipartUpload(const CreateMultipartUploadRequest& req) {
  Request r;
  r.operation = "CreateMultipartUpload";
  r.method = "POST";
  r.bucket = req.bucket;
  r.key = req.key;
  r.query = {{"uploads", ""}};
  if (!req.storage_class.empty()) r.headers.emplace_back("x-amz-storage-class", req.storage_class);
  if (!req.content_type.empty()) r.headers.emplace_back("Content-Type", req.content_type);
  if (!req.checksum_algorithm.empty()) {
    r.headers.emplace_back("x-amz-checksum-algorithm", req.checksum_algorithm);
  }
  if (!req.checksum_type.empty()) r.headers.emplace_back("x-amz-checksum-type", req.checksum_type);
  for (const auto& h : req.extra_headers) r.headers.push_back(h);
  S3M_ASSIGN_OR_RETURN(HttpResponse res, Send(r));
  return ParseInitiateMultipartUploadResult(res.body);
}

Result<CompletedPart> S3Client::UploadPart(const std::string& bucket, const std::string& key,
                                           const std::string& upload_id, int part_number,
                                           std::string_view body,
                                           const std::string& checksum_algorithm) {
  Request r;
  r.operation = "UploadPart";
  r.method = "PUT";
  r.bucket = bucket;
  r.key = key;
  r.query = {{"partNumber", std::to_string(part_number)}, {"uploadId", upload_id}};
  r.body = body;
  CompletedPart part;
  part.part_number = part_number;
  S3M_RETURN_IF_ERROR(AddChecksumHeader(checksum_algorithm, body, r.headers, &part.checksum));
  S3M_ASSIGN_OR_RETURN(HttpResponse res, Send(r));
  part.etag = Unquoted(res.Header("etag"));
  return part;
}

Result<CompleteMultipartUploadResult> S3Client::CompleteMultipartUpload(
    const std::string& bucket, const std::string& key, const std::string& upload_id,
    const std::vector<CompletedPart>& parts, const std::string& checksum_algorithm) {
  const std::string body = BuildCompleteMultipartUploadXml(parts, checksum_algorithm);
  Request r;
  r.operation = "CompleteMultipartUpload";
  r.method = "POST";
  r.bucket = bucket;
  r.key = key;
  r.query = {{"uploadId", upload_id}};
  r.headers = {{"Content-Type", "application/xml"}};
  r.body = body;
  S3M_ASSIGN_OR_RETURN(HttpResponse res, Send(r));
  auto result = ParseCompleteMultipartUploadResult(res.body);
  if (!result.ok()) return result.status().WithContext(ErrorContext::ForObject(r.operation, bucket, key));
  if (result->version_id.empty()) result->version_id = std::string(res.Header("x-amz-version-id"));
  return result;
}

Status S3Client::AbortMultipartUpload(const std::string& bucket, const std::string& key,
                                      const std::string& upload_id) {
  Request r;
  r.operation = "AbortMultipartUpload";
  r.method = "DELETE";
  r.bucket = bucket;
  r.key = key;
  r.query = {{"uploadId", upload_id}};
  return Send(r).status();
}

}  // namespace s3m::s3
