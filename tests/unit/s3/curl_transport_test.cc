// CurlTransport against a real local HTTP server (cpp-httplib on 127.0.0.1).
#include <httplib.h>

#include <atomic>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "s3/http.h"

namespace s3m::s3 {
namespace {

class LocalServer {
 public:
  LocalServer() {
    server_.set_keep_alive_max_count(1000);
    server_.Get("/hello", [](const httplib::Request&, httplib::Response& res) {
      res.set_header("ETag", "\"abc\"");
      res.set_header("X-Amz-Request-Id", "REQ1");
      res.set_content("hello world", "text/plain");
    });
    server_.Get("/big", [](const httplib::Request&, httplib::Response& res) {
      res.set_content(std::string(3 << 20, 'x'), "application/octet-stream");
    });
    server_.Get("/missing", [](const httplib::Request&, httplib::Response& res) {
      res.status = 404;
      res.set_content("<Error><Code>NoSuchKey</Code></Error>", "application/xml");
    });
    server_.Get("/huge-error", [](const httplib::Request&, httplib::Response& res) {
      res.status = 500;
      res.set_content(std::string(3 << 20, 'e'), "text/plain");
    });
    server_.Put("/echo", [](const httplib::Request& req, httplib::Response& res) {
      res.set_header("X-Got-Length", std::to_string(req.body.size()));
      res.set_content(req.body, "application/octet-stream");
    });
    server_.Delete("/thing", [](const httplib::Request& req, httplib::Response& res) {
      res.status = 204;
      res.set_header("X-Saw-If-Match", req.get_header_value("If-Match"));
    });
    server_.Get("/stall", [](const httplib::Request&, httplib::Response& res) {
      res.set_content_provider(1000, "text/plain", [](size_t offset, size_t, httplib::DataSink& sink) {
        if (offset == 0) {
          sink.write("12345", 5);
          return true;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(2500));
        return false;
      });
    });
    server_.Get("/cut", [](const httplib::Request&, httplib::Response& res) {
      res.set_content_provider(1000, "text/plain", [](size_t offset, size_t, httplib::DataSink& sink) {
        if (offset == 0) sink.write("12345", 5);
        return offset == 0;  // then drop the connection, short of Content-Length
      });
    });
    server_.set_pre_routing_handler([this](const httplib::Request& req, httplib::Response&) {
      remote_ports_seen_.fetch_add(req.remote_port == last_port_.exchange(req.remote_port) ? 0 : 1);
      std::lock_guard lock(ports_mu_);
      ports_.insert(req.remote_port);
      return httplib::Server::HandlerResponse::Unhandled;
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    while (!server_.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ~LocalServer() {
    server_.stop();
    thread_.join();
  }
  std::string Url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }
  int distinct_connections() const { return remote_ports_seen_.load(); }
  // Client ports ever seen: one per TCP connection opened to this server.
  size_t connections_opened() {
    std::lock_guard lock(ports_mu_);
    return ports_.size();
  }

 private:
  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
  std::atomic<int> last_port_{-1};
  std::atomic<int> remote_ports_seen_{0};
  std::mutex ports_mu_;
  std::set<int> ports_;  // guarded by ports_mu_
};

TEST(CurlTransportTest, BuffersBodyWithoutSinkAndLowercasesHeaders) {
  LocalServer server;
  auto transport = MakeCurlTransport({});
  HttpRequest req;
  req.url = server.Url("/hello");
  auto res = transport->Send(req, nullptr);
  ASSERT_TRUE(res.ok()) << res.status().ToString();
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(res->body, "hello world");
  EXPECT_EQ(res->Header("etag"), "\"abc\"");
  EXPECT_EQ(res->Header("x-amz-request-id"), "REQ1");
  EXPECT_FALSE(res->HasHeader("x-nope"));
}

TEST(CurlTransportTest, StreamsSuccessBodyIntoSink) {
  LocalServer server;
  auto transport = MakeCurlTransport({});
  uint64_t received = 0;
  int calls = 0;
  BodySink sink = [&](const char* data, size_t n) {
    for (size_t i = 0; i < n; ++i) {
      if (data[i] != 'x') return Status::Error(ErrorKind::kFatal, "bad byte");
    }
    received += n;
    ++calls;
    return Status::Ok();
  };
  HttpRequest req;
  req.url = server.Url("/big");
  auto res = transport->Send(req, &sink);
  ASSERT_TRUE(res.ok()) << res.status().ToString();
  EXPECT_EQ(received, 3u << 20);
  EXPECT_GT(calls, 1);               // streamed in pieces,
  EXPECT_TRUE(res->body.empty());    // never buffered
  EXPECT_EQ(res->body_bytes, 3u << 20);
}

TEST(CurlTransportTest, ErrorBodyIsBufferedNotSunk) {
  LocalServer server;
  auto transport = MakeCurlTransport({});
  bool sink_called = false;
  BodySink sink = [&](const char*, size_t) {
    sink_called = true;
    return Status::Ok();
  };
  HttpRequest req;
  req.url = server.Url("/missing");
  auto res = transport->Send(req, &sink);
  ASSERT_TRUE(res.ok());
  EXPECT_EQ(res->status, 404);
  EXPECT_FALSE(sink_called);
  EXPECT_EQ(res->body, "<Error><Code>NoSuchKey</Code></Error>");
}

TEST(CurlTransportTest, HugeErrorBodyIsCapped) {
  LocalServer server;
  auto transport = MakeCurlTransport({});
  HttpRequest req;
  req.url = server.Url("/huge-error");
  auto res = transport->Send(req, nullptr);
  ASSERT_TRUE(res.ok());
  EXPECT_EQ(res->status, 500);
  EXPECT_EQ(res->body.size(), 1u << 20);
}

TEST(CurlTransportTest, SinkErrorAbortsTransferAndIsReturned) {
  LocalServer server;
  auto transport = MakeCurlTransport({});
  BodySink sink = [](const char*, size_t) {
    return Status::Error(ErrorKind::kFatal, "disk full");
  };
  HttpRequest req;
  req.url = server.Url("/big");
  auto res = transport->Send(req, &sink);
  ASSERT_FALSE(res.ok());
  EXPECT_EQ(res.status().message(), "disk full");
}

TEST(CurlTransportTest, PutUploadsBodyAndDeleteSendsHeaders) {
  LocalServer server;
  auto transport = MakeCurlTransport({});
  std::string payload(2 << 20, 'p');
  payload[12345] = 'q';
  HttpRequest put;
  put.method = "PUT";
  put.url = server.Url("/echo");
  put.body = payload;
  auto res = transport->Send(put, nullptr);
  ASSERT_TRUE(res.ok()) << res.status().ToString();
  EXPECT_EQ(res->Header("x-got-length"), std::to_string(payload.size()));
  EXPECT_EQ(res->body, payload);

  HttpRequest del;
  del.method = "DELETE";
  del.url = server.Url("/thing");
  del.headers = {{"If-Match", "\"etag1\""}};
  res = transport->Send(del, nullptr);
  ASSERT_TRUE(res.ok());
  EXPECT_EQ(res->status, 204);
  EXPECT_EQ(res->Header("x-saw-if-match"), "\"etag1\"");
}

TEST(CurlTransportTest, ReusesConnectionsAcrossRequests) {
  LocalServer server;
  auto transport = MakeCurlTransport({});
  HttpRequest req;
  req.url = server.Url("/hello");
  for (int i = 0; i < 20; ++i) {
    auto res = transport->Send(req, nullptr);
    ASSERT_TRUE(res.ok());
  }
  EXPECT_EQ(server.distinct_connections(), 1);
}

TEST(CurlTransportTest, RefusedConnectionIsTransient) {
  auto transport = MakeCurlTransport({});
  HttpRequest req;
  req.url = "http://127.0.0.1:1/nothing-listens-here";
  auto res = transport->Send(req, nullptr);
  ASSERT_FALSE(res.ok());
  EXPECT_EQ(res.status().kind(), ErrorKind::kTransient);
}

TEST(CurlTransportTest, BodyCutShortIsTransient) {
  LocalServer server;
  TransportOptions options;
  auto transport = MakeCurlTransport(options);
  HttpRequest req;
  req.url = server.Url("/cut");
  auto res = transport->Send(req, nullptr);
  ASSERT_FALSE(res.ok());
  EXPECT_EQ(res.status().kind(), ErrorKind::kTransient) << res.status().ToString();
}

TEST(CurlTransportTest, StallIsAbandonedByLowSpeedLimit) {
  LocalServer server;
  TransportOptions options;
  options.low_speed_bytes_per_sec = 100;
  options.low_speed_time = std::chrono::seconds(1);
  auto transport = MakeCurlTransport(options);
  HttpRequest req;
  req.url = server.Url("/stall");
  auto start = std::chrono::steady_clock::now();
  auto res = transport->Send(req, nullptr);
  ASSERT_FALSE(res.ok());
  EXPECT_EQ(res.status().kind(), ErrorKind::kTransient);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(2400));
}

// Many threads sharing one transport keep their connections: libcurl trims
// the shared cache to each handle's MAXCONNECTS (default 5) after every
// transfer, which without our setting closed most connections after a single
// request once more than five workers ran.
TEST(CurlTransportTest, ParallelWorkersReuseTheirConnections) {
  LocalServer server;
  auto transport = MakeCurlTransport({});
  constexpr int kThreads = 8, kRequestsEach = 25;
  std::atomic<int> failures{0};
  std::vector<std::thread> workers;
  for (int t = 0; t < kThreads; ++t) {
    workers.emplace_back([&] {
      for (int i = 0; i < kRequestsEach; ++i) {
        HttpRequest req;
        req.url = server.Url("/hello");
        auto res = transport->Send(req, nullptr);
        if (!res.ok() || res->status != 200) failures.fetch_add(1);
      }
    });
  }
  for (auto& w : workers) w.join();
  EXPECT_EQ(failures.load(), 0);
  // One connection per concurrent worker, a few more if the server's thread
  // pool made a worker wait; never one per request.
  EXPECT_LE(server.connections_opened(), static_cast<size_t>(2 * kThreads));
}

}  // namespace
}  // namespace s3m::s3
