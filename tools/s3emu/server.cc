#include "s3emu/server.h"

#include <chrono>
#include <cstdio>
#include <set>
#include <thread>

#include <fmt/format.h>

#include "core/hash.h"
#include "core/logging.h"
#include "s3/uri.h"
#include "s3emu/sockets.h"
#include "s3emu/xml_out.h"

namespace s3emu {

namespace {

constexpr size_t kChunk = 1 << 20;  // bytes per content-provider call
constexpr size_t kMaxKeyBytes = 1024;

// Query names that select an S3 subresource; any not handled here is
// answered 501 NotImplemented rather than mistaken for a plain GET/PUT.
const std::set<std::string, std::less<>> kSubresources = {
    "accelerate", "acl",        "analytics",   "attributes",     "cors",       "delete",
    "encryption", "intelligent-tiering", "inventory", "legal-hold", "lifecycle", "location",
    "logging",    "metrics",    "notification", "object-lock",   "ownershipControls",
    "policy",     "policyStatus", "publicAccessBlock", "replication", "requestPayment",
    "restore",    "retention",  "select",      "tagging",        "torrent",    "uploads",
    "versioning", "versions",   "website",
};

bool AnySubresource(const RequestView& view, std::initializer_list<std::string_view> handled) {
  for (const auto& [name, value] : view.query) {
    if (kSubresources.count(name) == 0) continue;
    bool known = false;
    for (std::string_view h : handled) known = known || name == h;
    if (!known) return true;
  }
  return false;
}

// "a=1&b=%2F&c" -> {("a","1"), ("b","/"), ("c","")}. False on a bad escape.
bool ParseQuery(std::string_view raw, s3m::s3::QueryParams* out) {
  size_t pos = 0;
  while (pos < raw.size()) {
    size_t amp = raw.find('&', pos);
    if (amp == std::string_view::npos) amp = raw.size();
    const std::string_view item = raw.substr(pos, amp - pos);
    pos = amp + 1;
    if (item.empty()) continue;
    const size_t eq = item.find('=');
    std::string name, value;
    if (!s3m::s3::UriDecode(item.substr(0, eq), &name, /*plus_as_space=*/true)) return false;
    if (eq != std::string_view::npos &&
        !s3m::s3::UriDecode(item.substr(eq + 1), &value, /*plus_as_space=*/true)) {
      return false;
    }
    out->emplace_back(std::move(name), std::move(value));
  }
  return true;
}

bool HasRequestBody(const httplib::Request& http) {
  if (http.get_header_value("Transfer-Encoding").find("chunked") != std::string::npos) return true;
  const std::string length = http.get_header_value("Content-Length");
  return !length.empty() && length != "0";
}

}  // namespace

std::string Quote(const std::string& etag) { return "\"" + etag + "\""; }

std::string StripEtag(std::string_view etag) {
  while (!etag.empty() && etag.front() == ' ') etag.remove_prefix(1);
  while (!etag.empty() && etag.back() == ' ') etag.remove_suffix(1);
  if (etag.substr(0, 2) == "W/") etag.remove_prefix(2);
  if (etag.size() >= 2 && etag.front() == '"' && etag.back() == '"') etag = etag.substr(1, etag.size() - 2);
  return std::string(etag);
}

bool EtagListMatches(std::string_view header, const std::string& etag) {
  size_t pos = 0;
  while (pos <= header.size()) {
    size_t comma = header.find(',', pos);
    if (comma == std::string_view::npos) comma = header.size();
    const std::string item = StripEtag(header.substr(pos, comma - pos));
    if (item == "*" || item == etag) return true;
    pos = comma + 1;
  }
  return false;
}

Emulator::Emulator(ServerOptions options, Store& store, FaultInjector& faults)
    : options_(std::move(options)), store_(store), faults_(faults), http_(new httplib::Server) {
  const int threads = options_.threads;
  // Each keep-alive connection holds a worker for its whole life, so the
  // pool must be larger than the number of connections clients keep open.
  http_->new_task_queue = [threads] { return new httplib::ThreadPool(static_cast<size_t>(threads)); };
  http_->set_keep_alive_max_count(1000000);
  http_->set_keep_alive_timeout(30);
  http_->set_read_timeout(120);
  http_->set_write_timeout(120);
  http_->set_tcp_nodelay(true);
  http_->set_payload_max_length(std::numeric_limits<size_t>::max());
  // GET, HEAD and OPTIONS are handled before cpp-httplib's regex routing;
  // requests that may carry a body go to the content-reader handlers so the
  // body is streamed, never buffered whole.
  http_->set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
    // S3 decides ranges itself (and answers errors whole); stop cpp-httplib
    // from slicing the response.
    const_cast<httplib::Request&>(req).ranges.clear();
    if (req.method == "POST" || req.method == "PUT" || req.method == "DELETE" || req.method == "PATCH") {
      return httplib::Server::HandlerResponse::Unhandled;
    }
    Handle(req, res, nullptr);
    return httplib::Server::HandlerResponse::Handled;
  });
  auto with_body = [this](const httplib::Request& req, httplib::Response& res,
                          const httplib::ContentReader& reader) { Handle(req, res, &reader); };
  // Any path: '.' would not match the CR or LF a decoded key may hold.
  const std::string any = R"([\s\S]*)";
  http_->Post(any, with_body);
  http_->Put(any, with_body);
  http_->Delete(any, with_body);
  http_->Patch(any, with_body);
}

Emulator::~Emulator() = default;

int Emulator::Bind() {
  if (options_.port == 0) return http_->bind_to_any_port(options_.host);
  return http_->bind_to_port(options_.host, options_.port) ? options_.port : -1;
}

bool Emulator::Run() { return http_->listen_after_bind(); }

void Emulator::Stop() {
  stopping_ = true;
  http_->stop();
  // The listening socket is closed; idle keep-alive connections would keep
  // their worker (and so the exit) waiting for the keep-alive timeout.
  ShutdownConnectedSockets();
}

std::string Emulator::OperationFor(const std::string& method, bool has_bucket, bool has_key,
                                   const RequestView& view) {
  auto q = [&view](std::string_view name) { return view.Query(name) != nullptr; };
  if (!has_bucket) return method == "GET" ? "ListBuckets" : "";
  if (!has_key) {
    if (method == "GET") {
      if (AnySubresource(view, {"location", "versioning", "versions", "uploads"})) return "NotImplemented";
      if (q("location")) return "GetBucketLocation";
      if (q("versioning")) return "GetBucketVersioning";
      if (q("versions")) return "ListObjectVersions";
      if (q("uploads")) return "NotImplemented";
      const std::string* list_type = view.Query("list-type");
      return list_type && *list_type == "2" ? "ListObjectsV2" : "ListObjects";
    }
    if (method == "HEAD") return "HeadBucket";
    if (method == "PUT") {
      if (AnySubresource(view, {"versioning"})) return "NotImplemented";
      return q("versioning") ? "PutBucketVersioning" : "CreateBucket";
    }
    if (method == "DELETE") return AnySubresource(view, {}) ? "NotImplemented" : "DeleteBucket";
    if (method == "POST") return q("delete") ? "DeleteObjects" : "";
    return "";
  }
  if (method == "GET") {
    if (AnySubresource(view, {"tagging"})) return "NotImplemented";
    if (q("tagging")) return "GetObjectTagging";
    return q("uploadId") ? "ListParts" : "GetObject";
  }
  if (method == "HEAD") return "HeadObject";
  if (method == "PUT") {
    if (AnySubresource(view, {}) || view.HasHeader("x-amz-copy-source")) return "NotImplemented";
    return q("partNumber") && q("uploadId") ? "UploadPart" : "PutObject";
  }
  if (method == "POST") {
    if (q("uploads")) return "CreateMultipartUpload";
    if (q("uploadId")) return "CompleteMultipartUpload";
    if (q("restore")) return "RestoreObject";
    return AnySubresource(view, {}) ? "NotImplemented" : "";
  }
  if (method == "DELETE") {
    if (q("uploadId")) return "AbortMultipartUpload";
    return AnySubresource(view, {}) ? "NotImplemented" : "DeleteObject";
  }
  return "";
}

// Fills bucket and key from a path-style ("/bucket/key") or virtual-hosted
// ("Host: bucket.localhost:9000", "/key") request.
bool Emulator::ParseTarget(Call& call, S3Error* error) const {
  std::string decoded;
  if (!s3m::s3::UriDecode(call.view.raw_path, &decoded, /*plus_as_space=*/false) || decoded.empty() ||
      decoded[0] != '/') {
    *error = MakeError(400, "InvalidURI", "Couldn't parse the specified URI.");
    return false;
  }
  std::string host(call.view.Header("Host"));
  if (const size_t colon = host.rfind(':'); colon != std::string::npos && host.find(']') == std::string::npos) {
    host.resize(colon);
  }
  for (const auto& suffix : options_.virtual_host_suffixes) {
    if (host.size() > suffix.size() + 1 && host.compare(host.size() - suffix.size(), suffix.size(), suffix) == 0 &&
        host[host.size() - suffix.size() - 1] == '.') {
      call.bucket = host.substr(0, host.size() - suffix.size() - 1);
      call.key = decoded.substr(1);
      return true;
    }
  }
  const size_t slash = decoded.find('/', 1);
  call.bucket = decoded.substr(1, slash == std::string::npos ? std::string::npos : slash - 1);
  call.key = slash == std::string::npos ? std::string() : decoded.substr(slash + 1);
  if (call.key.size() > kMaxKeyBytes) {
    *error = MakeError(400, "KeyTooLongError", "Your key is too long").With("Size", std::to_string(call.key.size()))
                 .With("MaxSizeAllowed", std::to_string(kMaxKeyBytes));
    return false;
  }
  return true;
}

std::string Emulator::ExpectedRegion(const Call& call) const {
  // ListBuckets: any region; CreateBucket: the one it names.
  if (call.bucket.empty() || call.operation == "CreateBucket") return {};
  if (auto bucket = store_.FindBucket(call.bucket); bucket && !bucket->region.empty()) return bucket->region;
  return options_.region;
}

void Emulator::Handle(const httplib::Request& http, httplib::Response& res,
                      const httplib::ContentReader* reader) {
  Call call{http, res, reader, {}, {}, {}, {}, {}, {}, false};
  call.request_id = fmt::format("{:016X}", request_counter_.fetch_add(1) + 1);
  call.view.method = http.method;
  const size_t question = http.target.find('?');
  call.view.raw_path = http.target.substr(0, question);
  call.view.headers.reserve(http.headers.size());
  for (const auto& [name, value] : http.headers) call.view.headers.emplace_back(name, value);
  AddCommonHeaders(call);

  if (question != std::string::npos &&
      !ParseQuery(std::string_view(http.target).substr(question + 1), &call.view.query)) {
    SendError(call, MakeError(400, "InvalidURI", "Couldn't parse the specified URI."));
  } else if (call.view.raw_path.rfind("/_s3emu", 0) == 0) {
    call.operation = "Admin";
    Admin(call, call.view.raw_path.substr(7));
  } else {
    Dispatch(call);
  }
  // A body nobody read would be taken for the next request: close instead.
  if (reader != nullptr && !call.body_consumed && HasRequestBody(http)) res.set_header("Connection", "close");
  if (options_.access_log) {
    std::fprintf(stderr, "s3emu: %s %s -> %d %s\n", http.method.c_str(), http.target.c_str(), res.status,
                 call.operation.c_str());
  }
}

void Emulator::Dispatch(Call& call) {
  S3Error error;
  if (!ParseTarget(call, &error)) return SendError(call, error);
  call.operation = OperationFor(call.view.method, !call.bucket.empty(), !call.key.empty(), call.view);
  faults_.CountRequest(call.operation.empty() ? "Unknown" : call.operation);
  // Authentication first, as S3 does: an unsigned request learns nothing.
  auto auth = VerifySigV4(call.view, options_.credentials, ExpectedRegion(call), NowMs());
  if (!auth.ok()) return SendError(call, auth.error());
  call.auth = std::move(auth).value();
  if (call.operation.empty()) {
    return SendError(call, MakeError(405, "MethodNotAllowed",
                                     "The specified method is not allowed against this resource.")
                               .With("Method", call.view.method));
  }
  if (call.operation == "NotImplemented") {
    return SendError(call, MakeError(501, "NotImplemented",
                                     "A header or query you provided implies functionality that is "
                                     "not implemented."));
  }
  RequestFaults injected =
      faults_.ForRequest(call.operation, call.bucket, call.key, !call.Header("If-Match").empty());
  if (injected.latency_ms > 0) {
    const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(injected.latency_ms);
    while (!Stopping() && std::chrono::steady_clock::now() < until) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }
  if (injected.error) return SendError(call, *injected.error);

  const std::string& op = call.operation;
  if (op == "ListBuckets") return ListBuckets(call);
  if (op == "CreateBucket") return CreateBucket(call);
  if (op == "DeleteBucket") return DeleteBucket(call);
  if (op == "HeadBucket") return HeadBucket(call);
  if (op == "GetBucketLocation") return GetBucketLocation(call);
  if (op == "GetBucketVersioning") return GetBucketVersioning(call);
  if (op == "PutBucketVersioning") return PutBucketVersioning(call);
  if (op == "ListObjectsV2") return ListObjectsV2(call);
  if (op == "ListObjects") return ListObjectsV1(call);
  if (op == "ListObjectVersions") return ListObjectVersions(call);
  if (op == "DeleteObjects") return DeleteObjects(call);
  if (op == "PutObject") return PutObject(call);
  if (op == "GetObject") return GetOrHeadObject(call, /*head=*/false);
  if (op == "HeadObject") return GetOrHeadObject(call, /*head=*/true);
  if (op == "GetObjectTagging") return GetObjectTagging(call);
  if (op == "DeleteObject") return DeleteObject(call);
  if (op == "RestoreObject") return RestoreObject(call);
  if (op == "CreateMultipartUpload") return CreateMultipartUpload(call);
  if (op == "UploadPart") return UploadPart(call);
  if (op == "CompleteMultipartUpload") return CompleteMultipartUpload(call);
  if (op == "AbortMultipartUpload") return AbortMultipartUpload(call);
  if (op == "ListParts") return ListParts(call);
  SendError(call, InternalError("no handler for " + op));
}

void Emulator::AddCommonHeaders(Call& call) const {
  call.res.set_header("x-amz-request-id", call.request_id);
  call.res.set_header("x-amz-id-2", "s3emu/" + call.request_id);
  call.res.set_header("Date", HttpDate(NowMs()));
  call.res.set_header("Server", "s3emu");
}

void Emulator::SendXml(Call& call, int status, std::string xml) const {
  // Through SendBody, so documents (listings) can carry body faults too.
  const uint64_t size = xml.size();
  SendBody(call, status, std::make_shared<StringBody>(std::move(xml)), 0, size, "application/xml");
}

void Emulator::SendError(Call& call, const S3Error& error) const {
  XmlWriter w("Error", /*s3_namespace=*/false);
  w.Element("Code", error.code).Element("Message", error.message);
  for (const auto& [name, value] : error.elements) w.Element(name, value);
  if (!call.bucket.empty() && error.code == "NoSuchKey") w.Element("BucketName", call.bucket);
  w.Element("Resource", call.view.raw_path);
  w.Element("RequestId", call.request_id).Element("HostId", "s3emu/" + call.request_id);
  for (const auto& [name, value] : error.headers) call.res.set_header(name, value);
  call.res.status = error.status;
  call.res.set_content(w.Finish(), "application/xml");
}

void Emulator::SendEmpty(Call& call, int status) const {
  call.res.status = status;
}

void Emulator::SendBody(Call& call, int status, std::shared_ptr<const BodySource> body, uint64_t offset,
                        uint64_t length, const std::string& content_type) const {
  call.res.status = status;
  if (length == 0) {
    call.res.set_header("Content-Type", content_type);
    return;
  }
  std::optional<BodyFault> fault;
  if (call.view.method != "HEAD") fault = faults_.ForBody(call.operation, call.bucket, call.key, length);
  const int local_port = call.http.local_port;
  const int remote_port = call.http.remote_port;
  auto buffer = std::make_shared<std::string>();
  const std::atomic<bool>* stopping = &stopping_;
  auto stalled = std::make_shared<bool>(false);
  call.res.set_content_provider(
      static_cast<size_t>(length), content_type,
      [body, offset, fault, buffer, local_port, remote_port, stopping, stalled](
          size_t off, size_t len, httplib::DataSink& sink) {
        size_t chunk = std::min(len, kChunk);
        if (fault) {
          const uint64_t at = fault->after_bytes;
          if (off < at && off + chunk > at) chunk = static_cast<size_t>(at - off);  // stop at the fault
          if (off == at) {
            switch (fault->kind) {
              case FaultKind::kReset: {
                const int fd = FindConnectionSocket(local_port, remote_port);
                if (fd >= 0) ArmReset(fd);
                return false;
              }
              case FaultKind::kTruncate:
                return false;
              case FaultKind::kStall:
                if (!*stalled) {
                  *stalled = true;
                  const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(fault->ms);
                  while (!stopping->load() && std::chrono::steady_clock::now() < until) {
                    std::this_thread::sleep_for(std::chrono::milliseconds(10));
                  }
                }
                break;
              default:
                break;
            }
          }
        }
        if (buffer->size() < chunk) buffer->resize(chunk);
        if (!body->Read(offset + off, buffer->data(), chunk).ok()) return false;
        if (fault && fault->kind == FaultKind::kCorrupt) {
          const uint64_t from = std::max<uint64_t>(fault->after_bytes, off);
          const uint64_t to = std::min<uint64_t>(fault->after_bytes + fault->flip, off + chunk);
          for (uint64_t i = from; i < to; ++i) (*buffer)[i - off] = static_cast<char>(~(*buffer)[i - off]);
        }
        return sink.write(buffer->data(), chunk);
      });
}

ErrorOr<uint64_t> Emulator::ReceiveBody(Call& call,
                                        const std::function<ErrorOr<Done>(const char*, size_t)>& sink) const {
  if (call.reader == nullptr || !HasRequestBody(call.http)) {
    call.body_consumed = true;
    // An empty body must still match what the client claimed.
    if (!call.auth.payload_hash.empty() && call.auth.payload_hash.size() == 64 &&
        call.auth.payload_hash != s3m::Sha256Hex("")) {
      return MakeError(400, "XAmzContentSHA256Mismatch",
                       "The provided 'x-amz-content-sha256' header does not match what was computed.");
    }
    return uint64_t{0};
  }
  const std::string& claimed_sha = call.auth.payload_hash;
  const bool check_sha = claimed_sha.size() == 64;
  if (claimed_sha.rfind("STREAMING-", 0) == 0) {
    return MakeError(501, "NotImplemented",
                     "s3emu does not implement aws-chunked uploads (x-amz-content-sha256: " + claimed_sha + ")");
  }
  const std::string content_md5 = call.Header("Content-MD5");
  std::optional<s3m::Digest> sha;
  std::optional<s3m::Digest> md5;
  if (check_sha) sha.emplace(s3m::DigestAlgorithm::kSha256);
  if (!content_md5.empty()) md5.emplace(s3m::DigestAlgorithm::kMd5);
  uint64_t total = 0;
  std::optional<S3Error> sink_error;
  const bool complete = (*call.reader)([&](const char* data, size_t size) {
    if (sha) sha->Update(data, size);
    if (md5) md5->Update(data, size);
    total += size;
    auto r = sink(data, size);
    if (!r.ok()) {
      sink_error = r.error();
      return false;
    }
    return true;
  });
  if (sink_error) return *sink_error;
  if (!complete) {
    return MakeError(400, "IncompleteBody",
                     "You did not provide the number of bytes specified by the Content-Length HTTP header");
  }
  call.body_consumed = true;
  if (sha) {
    const std::string computed = s3m::HexEncode(sha->Finish());
    if (computed != claimed_sha) {
      return MakeError(400, "XAmzContentSHA256Mismatch",
                       "The provided 'x-amz-content-sha256' header does not match what was computed.")
          .With("ClientComputedContentSHA256", claimed_sha)
          .With("S3ComputedContentSHA256", computed);
    }
  }
  if (md5) {
    std::string claimed;
    if (!s3m::Base64Decode(content_md5, &claimed) || claimed.size() != 16) {
      return MakeError(400, "InvalidDigest", "The Content-MD5 you specified was invalid.");
    }
    if (md5->Finish() != claimed) {
      return MakeError(400, "BadDigest", "The Content-MD5 you specified did not match what we received.");
    }
  }
  return total;
}

ErrorOr<std::string> Emulator::ReceiveSmallBody(Call& call, size_t limit) const {
  std::string body;
  auto received = ReceiveBody(call, [&](const char* data, size_t size) -> ErrorOr<Done> {
    if (body.size() + size > limit) {
      return MakeError(400, "MaxMessageLengthExceeded", "Your request was too big.");
    }
    body.append(data, size);
    return Done{};
  });
  if (!received.ok()) return received.error();
  return body;
}

}  // namespace s3emu
