// The HTTP face of the emulator: cpp-httplib accepts connections (one worker
// thread per keep-alive connection), and every request goes through
//
//   parse (bucket/key from path-style or virtual-hosted requests, operation
//   from method + query) -> count -> request faults -> SigV4 -> handler
//
// Handlers live in one file per concern: bucket_handlers.cc,
// object_handlers.cc (GET/HEAD/PUT/DELETE, restores), multipart_handlers.cc,
// admin_handlers.cc (/_s3emu/..., no S3 auth). Bodies are streamed both ways:
// uploads through cpp-httplib content receivers into temporary files,
// downloads through content providers reading the body in 1 MiB chunks.
//
// Thread safety: Emulator is shared by all worker threads; its state is the
// Store and the FaultInjector (both thread-safe) and const options.
#pragma once

#include <httplib.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/checksum.h"
#include "s3emu/archive.h"
#include "s3emu/auth.h"
#include "s3emu/faults.h"
#include "s3emu/s3_error.h"
#include "s3emu/store.h"

namespace s3emu {

struct ServerOptions {
  std::string host = "127.0.0.1";
  int port = 0;  // 0 = any free port
  std::string region = "us-east-1";
  CredentialMap credentials;
  RestoreTiming timing;
  int threads = 256;
  // Every part but the last must be at least this big (AWS: 5 MiB).
  uint64_t min_part_size = 5ull << 20;
  // Checksum S3 adds to objects uploaded without one: "" (none, as before
  // December 2024) or "CRC64NVME" (as AWS does since).
  std::string default_checksum;
  // Host suffixes for virtual-hosted requests: "bucket.<suffix>[:port]".
  std::vector<std::string> virtual_host_suffixes = {"localhost"};
  bool access_log = false;
};

// One request on its way through the pipeline.
struct Call {
  const httplib::Request& http;
  httplib::Response& res;
  const httplib::ContentReader* reader = nullptr;  // null when no body can follow
  RequestView view;
  std::string bucket;
  std::string key;
  std::string operation;  // "GetObject", "ListObjectsV2", ...
  std::string request_id;
  AuthResult auth;
  bool body_consumed = false;

  bool HasQuery(std::string_view name) const { return view.Query(name) != nullptr; }
  std::string QueryValue(std::string_view name) const {
    const std::string* v = view.Query(name);
    return v ? *v : std::string();
  }
  std::string Header(std::string_view name) const { return std::string(view.Header(name)); }
};

class Emulator {
 public:
  Emulator(ServerOptions options, Store& store, FaultInjector& faults);
  ~Emulator();
  Emulator(const Emulator&) = delete;
  Emulator& operator=(const Emulator&) = delete;

  // Binds the listening socket; returns the port, or -1.
  int Bind();
  // Serves until Stop(). Blocks.
  bool Run();
  void Stop();
  bool stopping() const { return stopping_.load(); }

  // Maps a request to its operation name ("ListObjectsV2", "GetObject", ...),
  // or "" when S3 has no such request. Pure; exposed for tests.
  static std::string OperationFor(const std::string& method, bool has_bucket, bool has_key,
                                  const RequestView& view);

 private:
  // --- plumbing (server.cc) ---
  void Handle(const httplib::Request& http, httplib::Response& res, const httplib::ContentReader* reader);
  bool ParseTarget(Call& call, S3Error* error) const;
  void Dispatch(Call& call);
  void SendXml(Call& call, int status, std::string xml) const;
  void SendError(Call& call, const S3Error& error) const;
  void SendEmpty(Call& call, int status) const;
  void AddCommonHeaders(Call& call) const;
  // Streams `length` bytes of `body` from `offset`, with any body fault that fires.
  void SendBody(Call& call, int status, std::shared_ptr<const BodySource> body, uint64_t offset,
                uint64_t length, const std::string& content_type) const;
  // Reads the request body into `sink`, checking Content-MD5 and a hex
  // x-amz-content-sha256 against it.
  ErrorOr<uint64_t> ReceiveBody(Call& call, const std::function<ErrorOr<Done>(const char*, size_t)>& sink) const;
  // Streams the request body into a new temporary file, hashing it with MD5
  // and with `algorithm` when set.
  struct ReceivedBody {
    std::unique_ptr<AtomicFileWriter> file;
    uint64_t size = 0;
    std::string md5;       // raw 16 bytes
    std::string checksum;  // base64, when an algorithm was given
  };
  ErrorOr<ReceivedBody> ReceiveToFile(Call& call, std::optional<s3m::ChecksumAlgorithm> algorithm) const;
  // Reads a small request body (XML, JSON) into memory.
  ErrorOr<std::string> ReceiveSmallBody(Call& call, size_t limit = 1 << 20) const;
  std::string ExpectedRegion(const Call& call) const;
  bool Stopping() const { return stopping_.load(); }

  // --- buckets (bucket_handlers.cc) ---
  void ListBuckets(Call& call);
  void CreateBucket(Call& call);
  void DeleteBucket(Call& call);
  void HeadBucket(Call& call);
  void GetBucketLocation(Call& call);
  void GetBucketVersioning(Call& call);
  void PutBucketVersioning(Call& call);
  void ListObjectsV2(Call& call);
  void ListObjectsV1(Call& call);
  void ListObjectVersions(Call& call);
  void DeleteObjects(Call& call);

  // --- objects (object_handlers.cc) ---
  void PutObject(Call& call);
  void GetOrHeadObject(Call& call, bool head);
  void GetObjectTagging(Call& call);
  // The version GET, HEAD and ?tagging name (versionId, or the latest); a
  // missing bucket or key, or a delete marker, is the error to answer.
  ErrorOr<ObjectVersion> ReadableVersion(const Call& call, bool* versioned_bucket);
  void DeleteObject(Call& call);
  void RestoreObject(Call& call);

  // --- multipart (multipart_handlers.cc) ---
  void CreateMultipartUpload(Call& call);
  void UploadPart(Call& call);
  void CompleteMultipartUpload(Call& call);
  void AbortMultipartUpload(Call& call);
  void ListParts(Call& call);

  // --- admin (admin_handlers.cc) ---
  void Admin(Call& call, const std::string& path);

  ServerOptions options_;
  Store& store_;
  FaultInjector& faults_;
  std::unique_ptr<httplib::Server> http_;
  std::atomic<bool> stopping_{false};
  std::atomic<uint64_t> request_counter_{0};
};

// --- helpers shared by the handler files ---

// "\"<etag>\"".
std::string Quote(const std::string& etag);
// An ETag as a client sent it, without quotes or a W/ prefix.
std::string StripEtag(std::string_view etag);
// True when `header` (an If-Match / If-None-Match value: "*" or a list of
// entity tags) matches `etag`.
bool EtagListMatches(std::string_view header, const std::string& etag);
// Adds the headers that describe a stored object (ETag, Last-Modified,
// x-amz-version-id, storage class, metadata, SSE, archive and restore state,
// checksums when `checksum_mode`).
void AddObjectHeaders(httplib::Response& res, const ObjectVersion& v, bool versioned_bucket,
                      bool checksum_mode, int64_t now_ms);

// The one x-amz-checksum-<algorithm> header of an upload, if any (400 when
// there are several or the value is not base64 of the right length).
struct ChecksumClaim {
  std::optional<s3m::ChecksumAlgorithm> algorithm;
  std::string value;  // base64
};
ErrorOr<ChecksumClaim> ParseChecksumClaim(const Call& call);
// 400 BadDigest unless `computed` equals the claim.
std::optional<S3Error> CheckChecksumClaim(const ChecksumClaim& claim, const std::string& computed);
// Fills the SSE fields of `v` from x-amz-server-side-encryption* headers
// (SSE-S3, SSE-KMS, DSSE-KMS, SSE-C).
ErrorOr<Done> ApplySseHeaders(const Call& call, ObjectVersion& v, const std::string& region);
// The ETag of a body with MD5 `md5_raw` stored as `v`: the MD5 in hex, except
// for SSE-KMS and SSE-C, whose ETags are not an MD5 of the data (S3 API
// Reference, Common Response Headers, "ETag").
std::string EtagFor(const ObjectVersion& v, const std::string& md5_raw);
// Collects x-amz-meta-*, Content-Type, storage class and the stored
// representation headers of a PutObject / CreateMultipartUpload.
ErrorOr<ObjectVersion> ObjectTemplateFromHeaders(const Call& call, const std::string& region);

}  // namespace s3emu
