#include "watch/status_server.h"

#include <charconv>

#include <fmt/format.h>
#include <httplib.h>

#include "core/logging.h"
#include "watch/metrics.h"
#include "watch/page_assets.h"

namespace s3m::watch {

namespace {

constexpr auto kCacheFor = std::chrono::seconds(1);

bool IsLoopback(const std::string& host) {
  return host == "localhost" || host == "::1" || host.rfind("127.", 0) == 0;
}

void SetCommonHeaders(httplib::Response& res) {
  res.set_header("Cache-Control", "no-store");
  res.set_header("X-Content-Type-Options", "nosniff");
  res.set_header("Referrer-Policy", "no-referrer");
  res.set_header("Content-Security-Policy",
                 "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                 "connect-src 'self'; base-uri 'none'; frame-ancestors 'none'");
}

}  // namespace

Result<ListenAddress> ParseListenAddress(std::string_view text) {
  auto bad = [&] {
    return Status::Error(ErrorKind::kInvalidArgument,
                         fmt::format("--http: '{}' is not PORT, HOST:PORT or [IPv6]:PORT "
                                     "(e.g. 127.0.0.1:8080)",
                                     text));
  };
  ListenAddress a;
  std::string_view port_text = text;
  if (!text.empty() && text.front() == '[') {
    const size_t close = text.find("]:");
    if (close == std::string_view::npos) return bad();
    a.host = std::string(text.substr(1, close - 1));
    port_text = text.substr(close + 2);
  } else if (const size_t colon = text.rfind(':'); colon != std::string_view::npos) {
    a.host = std::string(text.substr(0, colon));
    port_text = text.substr(colon + 1);
    if (a.host.find(':') != std::string::npos) return bad();  // IPv6 without brackets
  }
  if (a.host.empty()) a.host = "127.0.0.1";
  int port = -1;
  auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (ec != std::errc() || end != port_text.data() + port_text.size() || port < 0 || port > 65535) {
    return bad();
  }
  a.port = port;
  a.loopback = IsLoopback(a.host);
  return a;
}

bool TokensEqual(std::string_view a, std::string_view b) {
  unsigned char diff = a.size() == b.size() ? 0 : 1;
  for (size_t i = 0; i < a.size(); ++i) {
    diff |= static_cast<unsigned char>(a[i] ^ (i < b.size() ? b[i] : 0));
  }
  return diff == 0;
}

StatusServer::StatusServer(ListenAddress address, std::string token, Source source)
    : address_(std::move(address)),
      token_(std::move(token)),
      source_(std::move(source)),
      server_(std::make_unique<httplib::Server>()) {
  // SO_REUSEADDR only: httplib's default also sets SO_REUSEPORT, which would
  // let a second s3migrate share the port silently instead of failing.
  server_->set_socket_options([](socket_t sock) {
    int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  });
}

StatusServer::~StatusServer() {
  server_->stop();
  if (thread_.joinable()) thread_.join();
}

Result<std::unique_ptr<StatusServer>> StatusServer::Start(const ListenAddress& address,
                                                          std::string token, Source source) {
  if (!address.loopback && token.empty()) {
    return Status::Error(ErrorKind::kInvalidArgument,
                         fmt::format("--http {}: not a loopback address, so the page needs a bearer "
                                     "token: give --http-token-file FILE (or bind 127.0.0.1)",
                                     address.host));
  }
  std::unique_ptr<StatusServer> server(new StatusServer(address, std::move(token), std::move(source)));
  server->Route();
  const bool bound = address.port == 0
                         ? (server->port_ = server->server_->bind_to_any_port(address.host)) > 0
                         : server->server_->bind_to_port(address.host, server->port_ = address.port);
  if (!bound) {
    return Status::Error(ErrorKind::kFatal,
                         fmt::format("--http: cannot listen on {}:{} (the port is in use, or the "
                                     "address is not one of this host's)",
                                     address.host, address.port));
  }
  StatusServer* raw = server.get();
  server->thread_ = std::thread([raw] { raw->server_->listen_after_bind(); });
  // stop() is a no-op until the loop runs: wait for it, so that destroying
  // the server right away cannot leave the thread listening for ever.
  for (int i = 0; i < 5000 && !server->server_->is_running(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return server;
}

std::string StatusServer::url() const {
  const bool v6 = address_.host.find(':') != std::string::npos;
  return fmt::format("http://{}{}{}:{}/", v6 ? "[" : "", address_.host, v6 ? "]" : "", port_);
}

Result<WatchData> StatusServer::Data() {
  std::lock_guard lock(mu_);
  const auto now = std::chrono::steady_clock::now();
  if (cached_ && now - fetched_ < kCacheFor) return *cached_;
  S3M_ASSIGN_OR_RETURN(WatchData data, source_());
  cached_ = data;
  fetched_ = now;
  return data;
}

void StatusServer::Route() {
  auto asset = [](const PageAsset& a) {
    return [&a](const httplib::Request&, httplib::Response& res) {
      SetCommonHeaders(res);
      res.set_content(std::string(a.body), std::string(a.content_type));
    };
  };
  for (const PageAsset& a : PageAssets()) server_->Get(std::string(a.path), asset(a));
  server_->Get("/healthz", [](const httplib::Request&, httplib::Response& res) {
    SetCommonHeaders(res);
    res.set_content("ok\n", "text/plain");
  });
  // The figures: behind the token when there is one.
  auto figures = [this](auto render, const char* content_type) {
    return [this, render, content_type](const httplib::Request& req, httplib::Response& res) {
      SetCommonHeaders(res);
      if (!token_.empty()) {
        const std::string header = req.get_header_value("Authorization");
        const bool ok = (header.rfind("Bearer ", 0) == 0 && TokensEqual(header.substr(7), token_)) ||
                        (req.has_param("token") && TokensEqual(req.get_param_value("token"), token_));
        if (!ok) {
          res.status = 401;
          res.set_header("WWW-Authenticate", "Bearer realm=\"s3migrate\"");
          res.set_content("401: a bearer token is required (Authorization: Bearer TOKEN)\n", "text/plain");
          return;
        }
      }
      Result<WatchData> data = Data();
      if (!data.ok()) {
        res.status = 503;
        res.set_content(fmt::format("503: cannot read the state database: {}\n", data.status().ToString()),
                        "text/plain");
        return;
      }
      res.set_content(render(*data), content_type);
    };
  };
  server_->Get("/api/status", figures(
                                  [](const WatchData& d) {
                                    return PageJson(d).dump(-1, ' ', false,
                                                            nlohmann::json::error_handler_t::replace);
                                  },
                                  "application/json"));
  server_->Get("/metrics", figures([](const WatchData& d) { return MetricsText(d); }, kMetricsContentType));
}

}  // namespace s3m::watch
