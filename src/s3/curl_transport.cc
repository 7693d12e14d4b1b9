// HttpTransport over libcurl's easy interface.
//
// Connection reuse: every easy handle is attached to one CURLSH that shares the
// connection cache, DNS cache and TLS sessions, so a connection opened by any
// thread is reused by the next request to the same host from any thread. Easy
// handles themselves are pooled so their buffers are reused too.
//
// Thread safety: Send() may be called from many threads at once. The pool is
// guarded by pool_mu_; the share object by one mutex per curl_lock_data, as
// libcurl's share interface requires.
#include <curl/curl.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <memory>
#include <mutex>
#include <vector>

#include <fmt/format.h>

#include "core/text.h"

#include "s3/errors.h"
#include "s3/http.h"

namespace s3m::s3 {

std::string_view HttpResponse::Header(std::string_view lower_name) const {
  for (const auto& [name, value] : headers) {
    if (name == lower_name) return value;
  }
  return {};
}

bool HttpResponse::HasHeader(std::string_view lower_name) const {
  return std::any_of(headers.begin(), headers.end(),
                     [&](const auto& h) { return h.first == lower_name; });
}

namespace {

constexpr size_t kMaxBufferedErrorBody = 1 << 20;

struct EasyDeleter {
  void operator()(CURL* handle) const { curl_easy_cleanup(handle); }
};
using EasyHandle = std::unique_ptr<CURL, EasyDeleter>;

struct SlistDeleter {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};
using HeaderSlist = std::unique_ptr<curl_slist, SlistDeleter>;

struct ShareDeleter {
  void operator()(CURLSH* share) const { curl_share_cleanup(share); }
};

void GlobalInitOnce() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

// Per-exchange state the callbacks write into. Lives on Send()'s stack.
struct Exchange {
  const BodySink* sink = nullptr;
  const std::function<Status(const HttpResponse&)>* on_headers = nullptr;
  bool headers_checked = false;
  HttpResponse response;
  Status sink_status;  // set when the sink refused bytes
  std::string_view upload;
  size_t upload_offset = 0;
};

// Called once per header line, including the status line of every response
// (a 100 Continue precedes the real one, so a status line resets the headers).
size_t OnHeader(char* data, size_t size, size_t count, void* user) {
  auto* ex = static_cast<Exchange*>(user);
  const size_t bytes = size * count;
  std::string_view line(data, bytes);
  if (line.rfind("HTTP/", 0) == 0) {
    ex->response.headers.clear();
    const size_t space = line.find(' ');
    ex->response.status = 0;
    if (space != std::string_view::npos) {
      for (size_t i = space + 1; i < line.size() && std::isdigit(static_cast<unsigned char>(line[i])); ++i) {
        ex->response.status = ex->response.status * 10 + (line[i] - '0');
      }
    }
    return bytes;
  }
  const size_t colon = line.find(':');
  if (colon == std::string_view::npos) return bytes;  // the blank line ending the block
  std::string name(TrimAsciiSpace(line.substr(0, colon)));
  std::transform(name.begin(), name.end(), name.begin(),
                 [](char c) { return AsciiToLower(c); });
  ex->response.headers.emplace_back(std::move(name), std::string(TrimAsciiSpace(line.substr(colon + 1))));
  return bytes;
}

size_t OnBody(char* data, size_t size, size_t count, void* user) {
  auto* ex = static_cast<Exchange*>(user);
  const size_t bytes = size * count;
  ex->response.body_bytes += bytes;
  const bool success = ex->response.status >= 200 && ex->response.status < 300;
  if (success && !ex->headers_checked) {
    ex->headers_checked = true;
    if (ex->on_headers != nullptr && *ex->on_headers) {
      Status s = (*ex->on_headers)(ex->response);
      if (!s.ok()) {
        ex->sink_status = std::move(s);
        return 0;
      }
    }
  }
  if (success && ex->sink != nullptr) {
    Status s = (*ex->sink)(data, bytes);
    if (!s.ok()) {
      ex->sink_status = std::move(s);
      return 0;  // makes curl abort with CURLE_WRITE_ERROR
    }
    return bytes;
  }
  if (success) {
    ex->response.body.append(data, bytes);  // no sink: the caller wants the body in memory
  } else {
    // Error documents are small; a huge one is cut, never buffered whole.
    const size_t room = kMaxBufferedErrorBody - std::min(kMaxBufferedErrorBody, ex->response.body.size());
    ex->response.body.append(data, std::min(room, bytes));
  }
  return bytes;
}

size_t OnUploadRead(char* buffer, size_t size, size_t count, void* user) {
  auto* ex = static_cast<Exchange*>(user);
  const size_t n = std::min(size * count, ex->upload.size() - ex->upload_offset);
  std::copy_n(ex->upload.data() + ex->upload_offset, n, buffer);
  ex->upload_offset += n;
  return n;
}

// libcurl may rewind the upload (e.g. after a 100-continue was refused).
int OnUploadSeek(void* user, curl_off_t offset, int origin) {
  auto* ex = static_cast<Exchange*>(user);
  if (origin != SEEK_SET || offset < 0 || static_cast<size_t>(offset) > ex->upload.size()) {
    return CURL_SEEKFUNC_CANTSEEK;
  }
  ex->upload_offset = static_cast<size_t>(offset);
  return CURL_SEEKFUNC_OK;
}

class CurlTransport final : public HttpTransport {
 public:
  explicit CurlTransport(const TransportOptions& options) : options_(options) {
    GlobalInitOnce();
    share_.reset(curl_share_init());
    curl_share_setopt(share_.get(), CURLSHOPT_LOCKFUNC, &CurlTransport::LockShare);
    curl_share_setopt(share_.get(), CURLSHOPT_UNLOCKFUNC, &CurlTransport::UnlockShare);
    curl_share_setopt(share_.get(), CURLSHOPT_USERDATA, this);
    curl_share_setopt(share_.get(), CURLSHOPT_SHARE, CURL_LOCK_DATA_CONNECT);
    curl_share_setopt(share_.get(), CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
    curl_share_setopt(share_.get(), CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
  }

  ~CurlTransport() override {
    // Easy handles must go before the share they are attached to.
    std::lock_guard lock(pool_mu_);
    idle_handles_.clear();
  }

  Result<HttpResponse> Send(const HttpRequest& request, const BodySink* sink) override {
    EasyHandle handle = AcquireHandle();
    if (!handle) return Status::Error(ErrorKind::kFatal, "could not create a libcurl handle");
    CURL* curl = handle.get();

    Exchange ex;
    ex.sink = sink;
    ex.on_headers = &request.on_headers;
    ex.upload = request.body;

    HeaderSlist headers;
    for (const auto& [name, value] : request.headers) {
      std::string line = value.empty() ? name + ";" : name + ": " + value;
      headers.reset(curl_slist_append(headers.release(), line.c_str()));
    }
    // No "Expect: 100-continue" round trip: S3 answers fast and our bodies are bounded.
    headers.reset(curl_slist_append(headers.release(), "Expect:"));
    if (request.method == "DELETE") {
      // Say there is no body. Without it Swift 2.30's s3api, when a versioned
      // DELETE restores the previous version, waits for a body until its
      // 60 s client timeout.
      headers.reset(curl_slist_append(headers.release(), "Content-Length: 0"));
    }

    curl_easy_setopt(curl, CURLOPT_URL, request.url.c_str());
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers.get());
    curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, &OnHeader);
    curl_easy_setopt(curl, CURLOPT_HEADERDATA, &ex);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, &OnBody);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &ex);

    if (request.method == "HEAD") {
      curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
    } else if (request.method == "PUT" || request.method == "POST") {
      curl_easy_setopt(curl, CURLOPT_UPLOAD, 1L);
      curl_easy_setopt(curl, CURLOPT_READFUNCTION, &OnUploadRead);
      curl_easy_setopt(curl, CURLOPT_READDATA, &ex);
      curl_easy_setopt(curl, CURLOPT_SEEKFUNCTION, &OnUploadSeek);
      curl_easy_setopt(curl, CURLOPT_SEEKDATA, &ex);
      curl_easy_setopt(curl, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(request.body.size()));
      if (request.method == "POST") curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, "POST");
    } else if (request.method != "GET") {
      curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, request.method.c_str());
    }

    const CURLcode rc = curl_easy_perform(curl);
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, nullptr);
    ReleaseHandle(std::move(handle));

    if (!ex.sink_status.ok()) return ex.sink_status;
    if (rc == CURLE_OK && !ex.headers_checked && ex.response.status >= 200 &&
        ex.response.status < 300 && request.on_headers) {
      // A 2xx reply without a body: the headers were never checked on the way.
      Status s = request.on_headers(ex.response);
      if (!s.ok()) return s;
    }
    if (rc != CURLE_OK) {
      ErrorContext ctx;
      ctx.http_status = ex.response.status;
      // The URL carries no secret: SigV4 puts the signature in a header.
      return Status::Error(ClassifyCurlCode(rc),
                           fmt::format("{} {}: {}", request.method, request.url,
                                       curl_easy_strerror(rc)),
                           ctx);
    }
    return std::move(ex.response);
  }

 private:
  EasyHandle AcquireHandle() {
    {
      std::lock_guard lock(pool_mu_);
      if (!idle_handles_.empty()) {
        EasyHandle h = std::move(idle_handles_.back());
        idle_handles_.pop_back();
        curl_easy_reset(h.get());
        ApplyCommonOptions(h.get());
        return h;
      }
    }
    EasyHandle h(curl_easy_init());
    if (h) ApplyCommonOptions(h.get());
    return h;
  }

  void ReleaseHandle(EasyHandle handle) {
    std::lock_guard lock(pool_mu_);
    if (static_cast<int>(idle_handles_.size()) < options_.max_idle_connections) {
      idle_handles_.push_back(std::move(handle));
    }
  }

  void ApplyCommonOptions(CURL* curl) {
    curl_easy_setopt(curl, CURLOPT_SHARE, share_.get());
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);  // required for multithreaded use
    curl_easy_setopt(curl, CURLOPT_TCP_NODELAY, 1L);
    curl_easy_setopt(curl, CURLOPT_TCP_KEEPALIVE, 1L);
    // The connection cache is shared by every handle, but each
    // curl_easy_perform trims it to its handle's MAXCONNECTS (default 5) when
    // it returns a connection. Left at 5, 32 workers would close almost every
    // connection after one request and pay a TCP (and TLS) handshake for each
    // object.
    curl_easy_setopt(curl, CURLOPT_MAXCONNECTS, static_cast<long>(options_.max_idle_connections));
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS,
                     static_cast<long>(options_.connect_timeout.count()));
    curl_easy_setopt(curl, CURLOPT_LOW_SPEED_LIMIT, options_.low_speed_bytes_per_sec);
    curl_easy_setopt(curl, CURLOPT_LOW_SPEED_TIME, static_cast<long>(options_.low_speed_time.count()));
    curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);  // redirects are region hints, handled above us
    // Keys may contain "/../" or "/./": send the path exactly as encoded, never
    // normalised, or a different object would be addressed.
    curl_easy_setopt(curl, CURLOPT_PATH_AS_IS, 1L);
    curl_easy_setopt(curl, CURLOPT_BUFFERSIZE, 256L * 1024L);
    curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, options_.verify_tls ? 1L : 0L);
    curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, options_.verify_tls ? 2L : 0L);
    if (!options_.ca_bundle.empty()) {
      curl_easy_setopt(curl, CURLOPT_CAINFO, options_.ca_bundle.c_str());
    }
  }

  static void LockShare(CURL*, curl_lock_data data, curl_lock_access, void* user) {
    static_cast<CurlTransport*>(user)->share_mu_[static_cast<size_t>(data) % kLockSlots].lock();
  }
  static void UnlockShare(CURL*, curl_lock_data data, void* user) {
    static_cast<CurlTransport*>(user)->share_mu_[static_cast<size_t>(data) % kLockSlots].unlock();
  }

  static constexpr size_t kLockSlots = CURL_LOCK_DATA_LAST;

  const TransportOptions options_;
  std::array<std::mutex, kLockSlots> share_mu_;
  std::unique_ptr<CURLSH, ShareDeleter> share_;

  std::mutex pool_mu_;
  // Guarded by pool_mu_:
  std::vector<EasyHandle> idle_handles_;
};

}  // namespace

std::unique_ptr<HttpTransport> MakeCurlTransport(const TransportOptions& options) {
  return std::make_unique<CurlTransport>(options);
}

}  // namespace s3m::s3
