// The emulator's durable state: buckets, object versions (with delete
// markers, archive and restore records), multipart uploads and their parts.
//
// Metadata lives in SQLite (WAL) at <data-dir>/meta.db; bodies of uploaded
// objects are files under <data-dir>/objects, parts under <data-dir>/uploads.
// Synthetic objects have a row and no file. Lookups and listings go through
// B-tree indexes, so a point lookup is O(log n) and a listing page costs its
// size, whatever the bucket holds.
//
// Thread safety: every method may be called from any thread. Reads use a pool
// of connections and never wait for writes (WAL). Writes are serialised by
// one writer mutex, held only for the metadata transaction: bodies are
// streamed to temporary files before, and files of replaced versions are
// removed after, never under the lock.
//
// Ordering that makes a crash harmless: a body file is durable under its
// final name before the row naming it commits; a replaced body is unlinked
// only after the row that replaced it commits. A crash can leave an orphan
// file, never a row without its body.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <utility>
#include <vector>

#include "core/status.h"
#include "s3emu/archive.h"
#include "s3emu/body.h"
#include "s3emu/s3_error.h"
#include "s3emu/synthetic.h"

namespace s3emu {

class Db;

struct BucketInfo {
  std::string name;
  int64_t created_ms = 0;
  std::string region;
  std::string versioning;  // "", "Enabled" or "Suspended"
};

struct PartInfo {
  int number = 0;
  uint64_t size = 0;
  std::string etag;      // without quotes
  std::string checksum;  // base64, of the upload's algorithm ("" without one)
};

enum class BodyKind { kFile = 0, kSynthetic = 1, kNone = 2 };

using NameValues = std::vector<std::pair<std::string, std::string>>;

// One version of an object, or a delete marker.
struct ObjectVersion {
  int64_t row_id = 0;
  std::string bucket;
  std::string key;
  std::string version_id;  // "null" when written without versioning
  bool is_latest = false;
  bool is_delete_marker = false;
  int64_t last_modified_ms = 0;
  uint64_t size = 0;
  std::string etag;  // without quotes
  std::string storage_class = "STANDARD";
  std::string content_type;
  NameValues metadata;  // x-amz-meta-* names (lower case, without the prefix) and values
  NameValues headers;   // stored representation headers: cache-control, content-disposition, ...
  NameValues tags;      // object tags (x-amz-tagging on PUT), in the order given
  std::string sse;      // "", "AES256", "aws:kms", "aws:kms:dsse"
  std::string sse_kms_key_id;
  std::string sse_c_algorithm;  // SSE-C: "AES256"
  std::string sse_c_key_md5;    // SSE-C: base64 MD5 of the customer key
  std::string checksum_algorithm;  // "", "CRC32", "CRC32C", "CRC64NVME", "SHA1", "SHA256"
  std::string checksum_type;       // "FULL_OBJECT" or "COMPOSITE"
  std::string checksum_value;      // base64; composite values end in "-N"
  std::vector<PartInfo> parts;     // multipart layout; empty for a single PUT
  BodyKind body_kind = BodyKind::kNone;
  std::string body_file;  // relative to the data dir
  uint64_t seed = 0;      // synthetic objects
  std::string archive_status;  // INTELLIGENT_TIERING archive tier, "" for none
  RestoreRecord restore;

  ArchiveFacts Archive() const { return ArchiveFacts{storage_class, archive_status, restore}; }
};

// ListObjects(V2) parameters. `lower` is the inclusive lower bound to resume
// from (the decoded continuation token, or start-after + "\0").
struct ListQuery {
  std::string bucket;
  std::string prefix;
  std::string delimiter;
  std::string lower;
  int max_keys = 1000;
};

struct ListPage {
  std::vector<ObjectVersion> objects;  // latest versions that are not delete markers
  std::vector<std::string> common_prefixes;
  bool truncated = false;
  std::string next_lower;  // resume bound when truncated
  std::string last_item;   // last key or common prefix returned (ListObjects V1 NextMarker)
};

struct VersionsQuery {
  std::string bucket;
  std::string prefix;
  std::string delimiter;
  std::string key_marker;
  std::string version_id_marker;
  int max_keys = 1000;
};

struct VersionsPage {
  std::vector<ObjectVersion> versions;  // versions and delete markers, by key, newest first
  std::vector<std::string> common_prefixes;
  bool truncated = false;
  std::string next_key_marker;
  std::string next_version_id_marker;
};

struct UploadInfo {
  std::string upload_id;
  std::string bucket;
  std::string key;
  int64_t initiated_ms = 0;
  ObjectVersion object;  // the template: storage class, metadata, SSE, checksum algorithm/type
};

struct DeleteOutcome {
  bool delete_marker = false;  // a marker was created, or the deleted version was one
  std::string version_id;      // of the marker created or the version deleted
};

// Decides a conditional delete: given the targeted version (null when there
// is none), returns the error to answer instead of deleting, or nullopt.
using DeletePrecondition = std::function<std::optional<S3Error>(const ObjectVersion* target)>;

class Store {
 public:
  struct Options {
    std::string data_dir;
    bool fsync = true;
  };
  static s3m::Result<std::unique_ptr<Store>> Open(const Options& options);
  ~Store();

  const std::string& data_dir() const { return options_.data_dir; }
  std::string tmp_dir() const { return options_.data_dir + "/tmp"; }
  bool fsync() const { return options_.fsync; }

  // --- Buckets -------------------------------------------------------------
  std::optional<BucketInfo> FindBucket(const std::string& name) const;
  std::vector<BucketInfo> ListBuckets() const;
  ErrorOr<Done> CreateBucket(const std::string& name, const std::string& region);
  ErrorOr<Done> DeleteBucket(const std::string& name);
  ErrorOr<Done> SetVersioning(const std::string& name, const std::string& status);

  // --- Objects -------------------------------------------------------------
  // The latest version (possibly a delete marker) when version_id is empty.
  // NoSuchBucket / NoSuchKey / NoSuchVersion when there is none.
  ErrorOr<ObjectVersion> Get(const std::string& bucket, const std::string& key,
                             const std::string& version_id) const;
  // The body of a version, ready to read.
  ErrorOr<std::shared_ptr<const BodySource>> OpenBody(const ObjectVersion& version) const;
  // Stores a new version of v.bucket/v.key; the version id and latest flag
  // follow the bucket's versioning state. `body` (may be null for an empty
  // object) is moved into place first.
  ErrorOr<ObjectVersion> Put(ObjectVersion v, std::unique_ptr<AtomicFileWriter> body);
  // DeleteObject semantics: without a version id, a delete marker in a
  // versioned bucket (the null version replaced when suspended), the object
  // itself otherwise; with one, exactly that version.
  ErrorOr<DeleteOutcome> Delete(const std::string& bucket, const std::string& key,
                                const std::string& version_id, const DeletePrecondition& precondition);
  // Read-modify-write of one version's archive fields (restore record,
  // archive status) under the writer lock.
  ErrorOr<ObjectVersion> UpdateArchive(const std::string& bucket, const std::string& key,
                                       const std::string& version_id,
                                       const std::function<ErrorOr<Done>(ObjectVersion&)>& mutate);
  ErrorOr<ListPage> ListObjects(const ListQuery& query) const;
  ErrorOr<VersionsPage> ListVersions(const VersionsQuery& query) const;

  // --- Multipart uploads ---------------------------------------------------
  ErrorOr<std::string> CreateUpload(const std::string& bucket, const std::string& key,
                                    const ObjectVersion& object_template);
  // NoSuchUpload unless the upload exists for this bucket and key.
  ErrorOr<UploadInfo> GetUpload(const std::string& upload_id, const std::string& bucket,
                                const std::string& key) const;
  // Records a part (replacing an earlier one with the same number); `body`
  // holds its bytes.
  ErrorOr<Done> PutPart(const std::string& upload_id, const PartInfo& part,
                        std::unique_ptr<AtomicFileWriter> body);
  ErrorOr<std::vector<PartInfo>> ListParts(const std::string& upload_id) const;
  std::string PartPath(const std::string& upload_id, int part_number) const;
  // The stored bytes of one part.
  ErrorOr<std::shared_ptr<const BodySource>> OpenPart(const std::string& upload_id, int part_number) const;
  // Stores the assembled object and removes the upload, in one transaction.
  ErrorOr<ObjectVersion> CompleteUpload(const std::string& upload_id, ObjectVersion v,
                                        std::unique_ptr<AtomicFileWriter> body);
  ErrorOr<Done> AbortUpload(const std::string& upload_id);

  // --- Admin ---------------------------------------------------------------
  // Creates the objects of `spec` (and its bucket when asked); returns how many.
  ErrorOr<uint64_t> AddSynthetic(const SyntheticSpec& spec);
  // Forgets every bucket, object and upload.
  ErrorOr<Done> Reset();

 private:
  explicit Store(Options options);

  // A reader connection borrowed from the pool for one call.
  class ReaderLease;
  ReaderLease Reader() const;

  // Moves `body` (if any) into place and stores `v`; with an upload id, also
  // removes that upload in the same transaction (CompleteMultipartUpload).
  ErrorOr<ObjectVersion> Commit(ObjectVersion v, std::unique_ptr<AtomicFileWriter> body,
                                const std::string& upload_id);

  // Helpers that run inside the caller's write transaction (writer_mu_ held).
  ErrorOr<ObjectVersion> PutLocked(ObjectVersion v, const BucketInfo& bucket,
                                   std::vector<std::string>* files_to_remove);
  // 404 NoSuchUpload unless the upload exists.
  std::optional<S3Error> CheckUploadLocked(const std::string& upload_id);
  // Inserts `v` (its version id set) as the latest version, nothing else.
  ErrorOr<ObjectVersion> InsertLatestLocked(ObjectVersion v);
  void PromoteLatestLocked(const std::string& bucket, const std::string& key);
  std::string NewBodyPath();
  void RemoveFiles(const std::vector<std::string>& relative_paths) const;

  Options options_;

  mutable std::shared_mutex buckets_mu_;
  // Guarded by buckets_mu_ (written only with writer_mu_ also held):
  std::map<std::string, BucketInfo> buckets_;

  std::mutex writer_mu_;
  // Guarded by writer_mu_:
  std::unique_ptr<Db> writer_;

  mutable std::mutex pool_mu_;
  // Guarded by pool_mu_:
  mutable std::vector<std::unique_ptr<Db>> readers_;
};

// The inclusive lower bound at which a listing resumes after `marker`
// (ListObjects marker, ListObjectVersions key-marker): just after it, or after
// every key under it when it is a common prefix of this listing.
std::string ResumeBoundAfter(const std::string& marker, const std::string& prefix, const std::string& delimiter);

// Random ids for versions and uploads: URL-safe, unique per process.
std::string RandomId(size_t length);

}  // namespace s3emu
