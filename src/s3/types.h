// Plain data types of the S3 API as s3migrate uses it. No behaviour here:
// parsers (s3/xml.h) fill these, the client (s3/client.h) returns them.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/status.h"

namespace s3m::s3 {

// Secrets live only here and in the signer's locals. Never format a
// Credentials into a log line or an error message.
struct Credentials {
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;  // empty when the credentials are long-term
  std::optional<std::chrono::system_clock::time_point> expiration;
  std::string source;  // "environment", "profile default (~/.aws/credentials)", ... for messages
};

struct BucketSummary {
  std::string name;
  std::string creation_date;  // ISO 8601 as the server sent it
  std::string region;         // <BucketRegion>; empty when the server does not send it
};

// The x-amz-restore header / ListObjectsV2 RestoreStatus of an archived object.
struct RestoreStatus {
  bool in_progress = false;
  // When the restored copy expires; set only when !in_progress. Raw text as
  // sent ("Fri, 21 Dec 2012 00:00:00 GMT" in the header, ISO 8601 in listings).
  std::string expiry_date;
  std::optional<std::chrono::system_clock::time_point> expiry;  // parsed expiry_date
};

// One <Contents> entry of ListObjectsV2.
struct ObjectSummary {
  std::string key;  // already URL-decoded when the listing used encoding-type=url
  std::string last_modified;
  std::string etag;  // without the surrounding quotes
  uint64_t size = 0;
  std::string storage_class;  // "STANDARD" when the server omits it
  std::vector<std::string> checksum_algorithms;  // "CRC64NVME", "CRC32C", ...
  std::string checksum_type;                     // "FULL_OBJECT", "COMPOSITE" or ""
  std::optional<RestoreStatus> restore_status;   // only with RestoreStatus asked for
};

struct ListObjectsV2Request {
  std::string bucket;
  std::string prefix;
  std::string delimiter;
  std::string continuation_token;
  std::string start_after;
  int max_keys = 1000;
  bool url_encoding = true;            // encoding-type=url (decoded by the parser)
  bool fetch_restore_status = false;   // x-amz-optional-object-attributes: RestoreStatus
};

struct ListObjectsV2Page {
  std::vector<ObjectSummary> objects;
  std::vector<std::string> common_prefixes;
  bool is_truncated = false;
  std::string next_continuation_token;
  std::string encoding_type;  // as the server answered; "" means keys are raw
  // Echoed request parameters, URL-decoded like the keys; lets the lister check
  // that the server honoured them.
  std::string prefix;
  std::string delimiter;
  std::string start_after;
};

// One <Version> or <DeleteMarker> entry of ListObjectVersions.
struct ObjectVersion {
  std::string key;
  std::string version_id;  // "null" for objects written before versioning
  bool is_latest = false;
  bool is_delete_marker = false;
  std::string last_modified;
  std::string etag;  // empty for delete markers
  uint64_t size = 0;
  std::string storage_class;
  std::vector<std::string> checksum_algorithms;
  std::string checksum_type;
  std::optional<RestoreStatus> restore_status;  // only with RestoreStatus asked for
};

struct ListObjectVersionsRequest {
  std::string bucket;
  std::string prefix;
  std::string delimiter;
  std::string key_marker;
  std::string version_id_marker;
  int max_keys = 1000;
  bool url_encoding = true;
};

struct ListObjectVersionsPage {
  std::vector<ObjectVersion> versions;  // versions and delete markers, in listing order
  std::vector<std::string> common_prefixes;
  bool is_truncated = false;
  std::string next_key_marker;
  std::string next_version_id_marker;
  std::string encoding_type;  // as the server answered; "" means keys are raw
  // Echoed request parameters, URL-decoded like the keys.
  std::string prefix;
  std::string delimiter;
  std::string key_marker;
  std::string version_id_marker;
};

// Response headers of HeadObject / GetObject, parsed.
struct ObjectMetadata {
  uint64_t content_length = 0;
  std::string etag;  // without quotes
  std::string last_modified;
  std::string storage_class;  // x-amz-storage-class; "STANDARD" when absent
  std::string version_id;
  std::string content_type;
  // Representation headers S3 stores with the object and returns as sent.
  std::string content_encoding;
  std::string content_language;
  std::string content_disposition;
  std::string cache_control;
  std::string expires;
  int tag_count = 0;  // x-amz-tagging-count: GetObjectTagging has something to say
  std::string content_range;  // "bytes 0-9/443" for ranged GETs
  std::map<std::string, std::string> user_metadata;  // x-amz-meta-*, names lowercased, prefix removed
  std::string server_side_encryption;   // "AES256", "aws:kms", "aws:kms:dsse"
  std::string sse_kms_key_id;
  std::string sse_customer_algorithm;   // SSE-C
  std::optional<RestoreStatus> restore;  // x-amz-restore
  std::string archive_status;  // x-amz-archive-status: ARCHIVE_ACCESS | DEEP_ARCHIVE_ACCESS
  int parts_count = 0;         // x-amz-mp-parts-count (HeadObject with partNumber)
  std::map<std::string, std::string> checksums;  // "CRC32C" -> base64 value
  std::string checksum_type;   // x-amz-checksum-type
  bool delete_marker = false;  // x-amz-delete-marker
};

using ObjectTags = std::vector<std::pair<std::string, std::string>>;  // key, value; as S3 lists them

struct HeadObjectRequest {
  std::string bucket;
  std::string key;
  std::string version_id;
  int part_number = 0;  // 0 = whole object
  bool checksum_mode = true;
  std::string if_match;  // ETag without quotes; empty = unconditional
};

struct ByteRange {
  uint64_t first = 0;
  uint64_t last = 0;  // inclusive, as in the Range header
};

struct GetObjectRequest {
  std::string bucket;
  std::string key;
  std::string version_id;
  std::optional<ByteRange> range;
  int part_number = 0;
  std::string if_match;
  bool checksum_mode = false;
  // Called once with the reply's headers (already checked against if_match
  // and range) before the first body byte reaches the sink; a non-OK status
  // aborts the transfer and is returned.
  std::function<Status(const ObjectMetadata&)> on_metadata;
  // Asked after a failed attempt, before the client tries again: false ends
  // the retries with that failure (a worker that may no longer hold the
  // object sends nothing more). Unset: retry as the policy says.
  std::function<bool()> may_retry;
};

struct DeleteObjectRequest {
  std::string bucket;
  std::string key;
  std::string version_id;
  std::string if_match;
};

struct DeleteObjectResult {
  bool delete_marker = false;
  std::string version_id;
};

struct DeleteObjectsEntry {
  std::string key;
  std::string version_id;
  std::string etag;  // without quotes; sent as <ETag> for a conditional delete
};

struct DeletedEntry {
  std::string key;
  std::string version_id;
  bool delete_marker = false;
  std::string delete_marker_version_id;
};

struct DeleteErrorEntry {
  std::string key;
  std::string version_id;
  std::string code;
  std::string message;
};

struct DeleteObjectsResult {
  std::vector<DeletedEntry> deleted;
  std::vector<DeleteErrorEntry> errors;
};

enum class RestoreTier { kExpedited, kStandard, kBulk };

struct RestoreObjectRequest {
  std::string bucket;
  std::string key;
  std::string version_id;
  std::optional<int> days;  // omitted for Intelligent-Tiering archive tiers
  RestoreTier tier = RestoreTier::kStandard;
};

enum class RestoreOutcome {
  kStarted,          // 202 Accepted
  kAlreadyRestored,  // 200 OK: a restored copy exists (its expiry was extended)
};

// A body to upload; used by tests and the demo, never by the migration itself.
struct PutObjectRequest {
  std::string bucket;
  std::string key;
  std::string body;
  std::string storage_class;  // empty = STANDARD
  std::string content_type;
  std::map<std::string, std::string> user_metadata;
  std::string checksum_algorithm;  // "CRC32", "SHA256", ...; empty = none
  std::vector<std::pair<std::string, std::string>> extra_headers;
};

struct PutObjectResult {
  std::string etag;
  std::string version_id;
};

struct CreateMultipartUploadRequest {
  std::string bucket;
  std::string key;
  std::string storage_class;
  std::string content_type;
  std::string checksum_algorithm;
  std::string checksum_type;  // "FULL_OBJECT" or "COMPOSITE"; empty = server default
  std::vector<std::pair<std::string, std::string>> extra_headers;
};

struct CompletedPart {
  int part_number = 0;
  std::string etag;  // without quotes
  std::string checksum;  // base64, when the upload uses a checksum algorithm
};

struct CompleteMultipartUploadResult {
  std::string etag;
  std::string version_id;
  std::string location;
};

}  // namespace s3m::s3
