// The status page's HTTP server (cpp-httplib, one listener, read-only):
//
//   GET /            the page (HTML; no figures in it)
//   GET /app.js      its script, GET /style.css its style (served by the binary: no CDN)
//   GET /api/status  the figures as JSON (PageJson)        token required when set
//   GET /metrics     Prometheus text (MetricsText)          token required when set
//   GET /healthz     "ok"
//
// A listener on a loopback address needs no token; any other address is
// refused unless a token is set, and then /api/status and /metrics answer 401
// without `Authorization: Bearer TOKEN` (or `?token=TOKEN`). The page reads
// the token from its URL's fragment (http://host:8080/#token=...), which no
// browser sends to the server or keeps in a referrer.
//
// The figures are gathered at most once a second whatever the number of
// clients (the source runs under a mutex; callers get the cached copy).
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

#include "core/status.h"
#include "watch/watch_data.h"

namespace httplib {
class Server;
}

namespace s3m::watch {

struct ListenAddress {
  std::string host;  // "127.0.0.1", "::1", "0.0.0.0"
  int port = 0;      // 0: any free port
  bool loopback = true;
};

// "8080" and ":8080" mean 127.0.0.1:8080; "HOST:PORT"; "[V6]:PORT".
// kInvalidArgument naming the text when it is none of these.
Result<ListenAddress> ParseListenAddress(std::string_view text);

// Compares in time independent of where the texts differ.
bool TokensEqual(std::string_view a, std::string_view b);

class StatusServer {
 public:
  using Source = std::function<Result<WatchData>()>;

  // Binds and starts serving on a thread of its own. kInvalidArgument when a
  // non-loopback address has no token; kFatal when the address cannot be
  // bound (in use, not this host's).
  static Result<std::unique_ptr<StatusServer>> Start(const ListenAddress& address, std::string token,
                                                     Source source);
  ~StatusServer();  // stops listening and joins the thread
  StatusServer(const StatusServer&) = delete;
  StatusServer& operator=(const StatusServer&) = delete;

  // "http://127.0.0.1:8080/" with the port actually bound.
  std::string url() const;
  int port() const { return port_; }

 private:
  StatusServer(ListenAddress address, std::string token, Source source);
  void Route();
  // The cached figures, gathered again when older than a second.
  Result<WatchData> Data();

  ListenAddress address_;
  const std::string token_;
  Source source_;
  int port_ = 0;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;

  std::mutex mu_;
  std::chrono::steady_clock::time_point fetched_{};
  std::optional<WatchData> cached_;
};

}  // namespace s3m::watch
