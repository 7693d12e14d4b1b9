// HTTP transport behind an interface. The real one (CurlTransport) is libcurl
// with a pool of reused easy handles; tests of the layers above may inject
// their own. A transport knows nothing of S3: it sends bytes and streams bytes.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/status.h"

namespace s3m::s3 {

using HeaderList = std::vector<std::pair<std::string, std::string>>;

// Receives response body bytes as they arrive. Returning a non-OK status aborts
// the transfer and that status becomes the result of Send().
using BodySink = std::function<Status(const char* data, size_t size)>;

struct HttpResponse;

struct HttpRequest {
  std::string method = "GET";
  std::string url;  // complete, already percent-encoded
  HeaderList headers;
  std::string_view body;  // must outlive Send(); empty for GET/HEAD/DELETE
  // Called once with the status and headers of a 2xx reply, before the first
  // body byte reaches the sink. A non-OK status aborts the transfer and becomes
  // Send()'s result: this is where a reply for the wrong range or the wrong
  // object is refused before any of its bytes are written anywhere.
  std::function<Status(const HttpResponse& headers)> on_headers;
};

struct HttpResponse {
  int status = 0;
  HeaderList headers;  // names lower-cased, values trimmed, in arrival order
  // The body when no sink took it: always for non-2xx replies (error documents,
  // capped at 1 MiB), and for 2xx replies when Send() was given no sink.
  std::string body;
  uint64_t body_bytes = 0;  // bytes received, whether buffered or streamed

  // First value of a header (name in lower case), or "" when absent.
  std::string_view Header(std::string_view lower_name) const;
  bool HasHeader(std::string_view lower_name) const;
};

struct TransportOptions {
  std::chrono::milliseconds connect_timeout{10000};
  // A transfer slower than low_speed_bytes_per_sec for low_speed_time is
  // abandoned as stalled (a Transient error).
  long low_speed_bytes_per_sec = 1024;
  std::chrono::seconds low_speed_time{60};
  std::string ca_bundle;    // AWS_CA_BUNDLE; empty = system store
  bool verify_tls = true;
  int max_idle_connections = 64;
};

class HttpTransport {
 public:
  virtual ~HttpTransport() = default;
  // Performs one exchange. Network failures come back as a Transient status
  // whose context has the curl error; any HTTP status is a successful Send().
  // When `sink` is set and the status is 2xx, the body is streamed to it.
  // Thread-safe: many threads may call Send() at once.
  virtual Result<HttpResponse> Send(const HttpRequest& request, const BodySink* sink) = 0;
};

std::unique_ptr<HttpTransport> MakeCurlTransport(const TransportOptions& options);

}  // namespace s3m::s3
