#include "watch/status_server.h"

#include "watch/metrics.h"

#include <atomic>

#include <gtest/gtest.h>
#include <httplib.h>

namespace s3m::watch {
namespace {

TEST(ListenAddressTest, Forms) {
  auto a = ParseListenAddress("8080");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->host, "127.0.0.1");
  EXPECT_EQ(a->port, 8080);
  EXPECT_TRUE(a->loopback);
  a = ParseListenAddress(":0");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->host, "127.0.0.1");
  EXPECT_EQ(a->port, 0);
  a = ParseListenAddress("0.0.0.0:9100");
  ASSERT_TRUE(a.ok());
  EXPECT_FALSE(a->loopback);
  a = ParseListenAddress("[::1]:8080");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->host, "::1");
  EXPECT_TRUE(a->loopback);
  a = ParseListenAddress("localhost:1");
  ASSERT_TRUE(a.ok());
  EXPECT_TRUE(a->loopback);
  for (const char* bad : {"", "host:", "host:x", "1:65536", "::1:80", "[::1]80", "-1"}) {
    EXPECT_FALSE(ParseListenAddress(bad).ok()) << bad;
  }
}

TEST(TokensEqualTest, ExactMatchOnly) {
  EXPECT_TRUE(TokensEqual("s3cret", "s3cret"));
  EXPECT_FALSE(TokensEqual("s3cret", "s3cre"));
  EXPECT_FALSE(TokensEqual("s3cre", "s3cret"));
  EXPECT_FALSE(TokensEqual("s3cret", "S3cret"));
  EXPECT_FALSE(TokensEqual("", "x"));
  EXPECT_TRUE(TokensEqual("", ""));
}

WatchData Data() {
  WatchData d;
  d.status = {{"schema_version", 6},
              {"states", {{"deleted", {{"files", 7}, {"bytes", 700}}}}},
              {"buckets", nlohmann::json::array()},
              {"glacier", {{"need_restore_by_class", nlohmann::json::object()}}},
              {"cost_estimate", {{"total", 0}}}};
  d.generated_at = "2026-12-05T08:00:00Z";
  return d;
}

ListenAddress Loopback() { return *ParseListenAddress("127.0.0.1:0"); }

TEST(StatusServerTest, ServesThePageItsFiguresAndMetrics) {
  std::atomic<int> gathered{0};
  auto server = StatusServer::Start(Loopback(), "", [&]() -> Result<WatchData> {
    ++gathered;
    return Data();
  });
  ASSERT_TRUE(server.ok()) << server.status().ToString();
  httplib::Client client("127.0.0.1", (*server)->port());
  auto page = client.Get("/");
  ASSERT_TRUE(page);
  EXPECT_EQ(page->status, 200);
  EXPECT_NE(page->body.find("<script src=\"/app.js\""), std::string::npos);
  EXPECT_NE(page->get_header_value("Content-Security-Policy").find("default-src 'none'"), std::string::npos);
  auto script = client.Get("/app.js");
  ASSERT_TRUE(script);
  EXPECT_NE(script->body.find("/api/status"), std::string::npos);
  auto api = client.Get("/api/status");
  ASSERT_TRUE(api);
  EXPECT_EQ(api->status, 200);
  const auto json = nlohmann::json::parse(api->body);
  EXPECT_EQ(json["status"]["states"]["deleted"]["files"], 7);
  EXPECT_EQ(json["charts"].size(), 3u);
  auto metrics = client.Get("/metrics");
  ASSERT_TRUE(metrics);
  EXPECT_EQ(metrics->get_header_value("Content-Type"), kMetricsContentType);
  EXPECT_NE(metrics->body.find("s3migrate_objects{state=\"deleted\"} 7"), std::string::npos);
  // Two requests within a second share one gathering.
  EXPECT_EQ(gathered.load(), 1);
  EXPECT_EQ(client.Post("/api/status", "", "text/plain")->status, 404);  // read-only
}

TEST(StatusServerTest, TheFiguresNeedTheTokenWhenThereIsOne) {
  auto server = StatusServer::Start(Loopback(), "tok-123", [] { return Result<WatchData>(Data()); });
  ASSERT_TRUE(server.ok());
  httplib::Client client("127.0.0.1", (*server)->port());
  EXPECT_EQ(client.Get("/")->status, 200);  // the page holds no figures
  EXPECT_EQ(client.Get("/metrics")->status, 401);
  EXPECT_EQ(client.Get("/api/status", {{"Authorization", "Bearer wrong"}})->status, 401);
  EXPECT_EQ(client.Get("/metrics", {{"Authorization", "Bearer tok-123"}})->status, 200);
  EXPECT_EQ(client.Get("/api/status?token=tok-123")->status, 200);
}

TEST(StatusServerTest, ANonLoopbackAddressNeedsAToken) {
  auto server = StatusServer::Start(*ParseListenAddress("0.0.0.0:0"), "", [] { return Result<WatchData>(Data()); });
  ASSERT_FALSE(server.ok());
  EXPECT_EQ(server.status().kind(), ErrorKind::kInvalidArgument);
  EXPECT_NE(server.status().message().find("token"), std::string::npos);
}

TEST(StatusServerTest, APortInUseIsAClearError) {
  auto first = StatusServer::Start(Loopback(), "", [] { return Result<WatchData>(Data()); });
  ASSERT_TRUE(first.ok());
  ListenAddress same = Loopback();
  same.port = (*first)->port();
  auto second = StatusServer::Start(same, "", [] { return Result<WatchData>(Data()); });
  ASSERT_FALSE(second.ok());
  EXPECT_NE(second.status().message().find("cannot listen on 127.0.0.1:" + std::to_string(same.port)),
            std::string::npos);
}

TEST(StatusServerTest, AnUnreadableDatabaseAnswers503) {
  auto server = StatusServer::Start(Loopback(), "", [] {
    return Result<WatchData>(Status::Error(ErrorKind::kFatal, "database is locked"));
  });
  ASSERT_TRUE(server.ok());
  httplib::Client client("127.0.0.1", (*server)->port());
  auto res = client.Get("/api/status");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 503);
  EXPECT_NE(res->body.find("database is locked"), std::string::npos);
}

}  // namespace
}  // namespace s3m::watch
