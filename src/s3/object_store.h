// The storage interface the scanner and the migration engine program against.
// S3Client (s3/client.h) implements it over HTTP; nothing above src/s3 knows
// about URLs, signing or XML.
//
// Contract for every method: thread-safe; returns a typed result or a Status
// whose kind was decided by the one classifier (s3/errors.h) and whose context
// names the operation, bucket, key, HTTP status, S3 code and request id.
// Transient and throttled failures have already been retried with backoff
// when an error comes back.
#pragma once

#include <string>
#include <vector>

#include "core/status.h"
#include "s3/http.h"
#include "s3/types.h"

namespace s3m::s3 {

class ObjectStore {
 public:
  virtual ~ObjectStore() = default;

  // --- Reading -------------------------------------------------------------
  virtual Result<std::vector<BucketSummary>> ListBuckets() = 0;
  // The bucket's region, discovered (HeadBucket x-amz-bucket-region, else
  // GetBucketLocation) and cached; later requests for it are signed for it.
  virtual Result<std::string> GetBucketRegion(const std::string& bucket) = 0;
  // "Enabled", "Suspended", or "" for a bucket that never had versioning.
  virtual Result<std::string> GetBucketVersioning(const std::string& bucket) = 0;
  virtual Result<ListObjectsV2Page> ListObjectsV2(const ListObjectsV2Request& request) = 0;
  virtual Result<ListObjectVersionsPage> ListObjectVersions(
      const ListObjectVersionsRequest& request) = 0;
  // With part_number > 0, the reply describes that part: parts_count > 0 for a
  // multipart upload, 0 for a single-part object (part 1 is the whole
  // object). A server that ignores partNumber describes the whole object as
  // a plain 200; that reply is refused as kUnsupported.
  virtual Result<ObjectMetadata> HeadObject(const HeadObjectRequest& request) = 0;
  // Streams the body into `sink`. A failure after some bytes reached the sink
  // is returned, not retried (the sink cannot take bytes twice): the caller
  // resumes with a Range from what it kept.
  virtual Result<ObjectMetadata> GetObject(const GetObjectRequest& request,
                                           const BodySink& sink) = 0;

  // The object's tags (s3:GetObjectTagging); asked only when HEAD/GET said
  // x-amz-tagging-count.
  virtual Result<ObjectTags> GetObjectTagging(const std::string& bucket, const std::string& key,
                                              const std::string& version_id) = 0;

  // --- Destructive (only the engine's delete gate may call these) ----------
  virtual Result<DeleteObjectResult> DeleteObject(const DeleteObjectRequest& request) = 0;
  // At most 1000 entries. Per-entry failures (e.g. PreconditionFailed) are in
  // the result, not in the status. kUnsupported when the server refuses
  // entries carrying an ETag condition (Swift 2.30).
  virtual Result<DeleteObjectsResult> DeleteObjects(
      const std::string& bucket, const std::vector<DeleteObjectsEntry>& entries) = 0;

  // --- Archive restores ----------------------------------------------------
  // 202 -> kStarted, 200 -> kAlreadyRestored; 409 RestoreAlreadyInProgress
  // comes back as a kConflict status.
  virtual Result<RestoreOutcome> RestoreObject(const RestoreObjectRequest& request) = 0;

  // --- Writing (tests, demo data; never used by a migration) ---------------
  virtual Status CreateBucket(const std::string& bucket) = 0;
  virtual Status DeleteBucket(const std::string& bucket) = 0;
  virtual Status PutBucketVersioning(const std::string& bucket, bool enabled) = 0;
  virtual Result<PutObjectResult> PutObject(const PutObjectRequest& request) = 0;
  virtual Result<std::string> CreateMultipartUpload(const CreateMultipartUploadRequest& request) = 0;
  // Returns the part's ETag (and its checksum, base64, when one was asked for).
  virtual Result<CompletedPart> UploadPart(const std::string& bucket, const std::string& key,
                                           const std::string& upload_id, int part_number,
                                           std::string_view body,
                                           const std::string& checksum_algorithm) = 0;
  virtual Result<CompleteMultipartUploadResult> CompleteMultipartUpload(
      const std::string& bucket, const std::string& key, const std::string& upload_id,
      const std::vector<CompletedPart>& parts, const std::string& checksum_algorithm) = 0;
  virtual Status AbortMultipartUpload(const std::string& bucket, const std::string& key,
                                      const std::string& upload_id) = 0;
};

}  // namespace s3m::s3
