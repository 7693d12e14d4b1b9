// S3Client: the ObjectStore over HTTP(S) with SigV4.
//
// Each request: resolve the bucket's region -> build the URL (path-style or
// virtual-hosted) -> sign -> send -> classify the reply. Region redirects
// (301 PermanentRedirect, 400 AuthorizationHeaderMalformed, x-amz-bucket-region)
// update the bucket's cached region and resend once. Transient and throttled
// failures are retried by the one retry helper (core/retry.h).
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <mutex>
#include <string>

#include "core/clock.h"
#include "core/pacer.h"
#include "core/rate_limit.h"
#include "core/retry.h"
#include "s3/credentials.h"
#include "s3/http.h"
#include "s3/object_store.h"

namespace s3m::s3 {

struct S3ClientOptions {
  // "http://127.0.0.1:9000" or "https://s3.example.com/base"; empty = AWS
  // (https://s3.<region>.amazonaws.com).
  std::string endpoint_url;
  std::string default_region = "us-east-1";
  // Path-style is also used, whatever this says, for endpoints that are IP
  // addresses or "localhost" and for bucket names that are not DNS-safe.
  bool force_path_style = false;
  RetryPolicy retry;
  std::shared_ptr<HttpTransport> transport;            // required
  std::shared_ptr<CredentialsProvider> credentials;    // required
  Clock* clock = nullptr;                              // null = Clock::Real()
  UniformRandom random;                                // null = DefaultUniformRandom()
  // Set to stop retry loops early (e.g. on SIGINT); may be null.
  const std::atomic<bool>* cancelled = nullptr;
  // --max-requests-per-second: every request (retries too) of every thread
  // takes a slot of this budget; null = no limit. Shared with whoever sets
  // this process's part of it (the migrate workers of one state).
  std::shared_ptr<RateLimit> rate_limit;
};

class S3Client final : public ObjectStore {
 public:
  static Result<std::unique_ptr<S3Client>> Create(S3ClientOptions options);

  Result<std::vector<BucketSummary>> ListBuckets() override;
  Result<std::string> GetBucketRegion(const std::string& bucket) override;
  Result<std::string> GetBucketVersioning(const std::string& bucket) override;
  Result<ListObjectsV2Page> ListObjectsV2(const ListObjectsV2Request& request) override;
  Result<ListObjectVersionsPage> ListObjectVersions(const ListObjectVersionsRequest& request) override;
  Result<ObjectMetadata> HeadObject(const HeadObjectRequest& request) override;
  Result<ObjectMetadata> GetObject(const GetObjectRequest& request, const BodySink& sink) override;
  Result<DeleteObjectResult> DeleteObject(const DeleteObjectRequest& request) override;
  Result<DeleteObjectsResult> DeleteObjects(const std::string& bucket,
                                            const std::vector<DeleteObjectsEntry>& entries) override;
  Result<RestoreOutcome> RestoreObject(const RestoreObjectRequest& request) override;
  Result<ObjectTags> GetObjectTagging(const std::string& bucket, const std::string& key,
                                      const std::string& version_id) override;
  Status CreateBucket(const std::string& bucket) override;
  Status DeleteBucket(const std::string& bucket) override;
  Status PutBucketVersioning(const std::string& bucket, bool enabled) override;
  Result<PutObjectResult> PutObject(const PutObjectRequest& request) override;
  Result<std::string> CreateMultipartUpload(const CreateMultipartUploadRequest& request) override;
  Result<CompletedPart> UploadPart(const std::string& bucket, const std::string& key,
                                   const std::string& upload_id, int part_number,
                                   std::string_view body,
                                   const std::string& checksum_algorithm) override;
  Result<CompleteMultipartUploadResult> CompleteMultipartUpload(
      const std::string& bucket, const std::string& key, const std::string& upload_id,
      const std::vector<CompletedPart>& parts, const std::string& checksum_algorithm) override;
  Status AbortMultipartUpload(const std::string& bucket, const std::string& key,
                              const std::string& upload_id) override;

  // One S3 request, before signing. Public so tests can check URL building.
  struct Request {
    std::string operation;  // "GetObject", for error messages
    std::string method = "GET";
    std::string bucket;     // empty for ListBuckets
    std::string key;        // empty for bucket-level operations
    std::vector<std::pair<std::string, std::string>> query;  // decoded
    HeaderList headers;     // extra headers, all signed
    std::string_view body;
    std::string version_id;  // for error context only (also put it in query)
    // See HttpRequest::on_headers: refuses a 2xx reply before its body is used.
    std::function<Status(const HttpResponse&)> on_headers;
    // See GetObjectRequest::may_retry.
    std::function<bool()> may_retry;
  };
  // "http://127.0.0.1:9000/bucket/a%20b" etc. and the Host header value.
  struct Target {
    std::string url;
    std::string host;
    std::string canonical_uri;
  };
  Target BuildTarget(const Request& request, const std::string& region) const;

 private:
  struct Endpoint {
    std::string scheme;     // "http" or "https"
    std::string authority;  // host[:port]
    std::string host;       // without the port
    std::string base_path;  // "" or "/prefix" (no trailing slash)
    bool is_aws = false;
    bool is_ip_or_localhost = false;
  };

  explicit S3Client(S3ClientOptions options, Endpoint endpoint);

  // One attempt: sign, send, turn a non-2xx reply into a classified Status.
  // Follows one region redirect.
  Result<HttpResponse> SendOnce(const Request& request, const BodySink* sink);
  // SendOnce under the retry helper. A GET whose body already reached the
  // sink is not retried here (see ObjectStore::GetObject).
  Result<HttpResponse> Send(const Request& request, const BodySink* sink = nullptr);
  Status ErrorFromResponse(const Request& request, const HttpResponse& response) const;
  std::string RegionFor(const std::string& bucket);
  void RememberRegion(const std::string& bucket, const std::string& region);
  bool UsePathStyle(const std::string& bucket) const;

  S3ClientOptions options_;
  Endpoint endpoint_;
  Clock* clock_;
  Backoff backoff_;
  // Shared by every thread using this client: one endpoint, one pace.
  Pacer pacer_;

  std::mutex region_mu_;
  // Guarded by region_mu_:
  std::map<std::string, std::string> bucket_regions_;
};

// Parses the object headers of a HeadObject/GetObject reply.
ObjectMetadata ParseObjectMetadata(const HttpResponse& response);

}  // namespace s3m::s3
