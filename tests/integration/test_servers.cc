#include "test_servers.h"

#include <unistd.h>

#include <atomic>
#include <cstdlib>

#include <fmt/format.h>

namespace s3m::testing {

namespace {
std::string Env(const std::string& name) {
  const char* v = std::getenv(name.c_str());
  return v == nullptr ? "" : v;
}
}  // namespace

std::vector<std::string> ExpectedServerNames() {
  // S3M_TEST_SERVERS narrows the set (e.g. "swift" while debugging one server).
  std::string wanted = Env("S3M_TEST_SERVERS");
  if (wanted.empty()) wanted = "s3rver,swift,s3emu";
  std::vector<std::string> names;
  size_t start = 0;
  while (start <= wanted.size()) {
    size_t comma = wanted.find(',', start);
    if (comma == std::string::npos) comma = wanted.size();
    if (comma > start) names.push_back(wanted.substr(start, comma - start));
    start = comma + 1;
  }
  return names;
}

std::vector<TestServer> ConfiguredServers() {
  std::vector<TestServer> servers;
  for (const std::string& name : ExpectedServerNames()) {
    std::string upper;
    for (char c : name) upper.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
    const std::string prefix = "S3M_TEST_" + upper + "_";
    TestServer s;
    s.name = name;
    s.endpoint = Env(prefix + "ENDPOINT");
    if (s.endpoint.empty()) continue;
    s.access_key = Env(prefix + "ACCESS_KEY");
    s.secret_key = Env(prefix + "SECRET_KEY");
    s.region = Env(prefix + "REGION");
    if (s.region.empty()) s.region = "us-east-1";
    if (name == "s3rver") {
      s.verifies_signatures = false;
      s.aws_multipart_etags = false;
      s.supports_versioning = false;
      s.url_encodes_listings = false;
      s.single_byte_ranges = false;
      s.supports_abort_multipart = false;
      s.honours_if_match = false;
      s.honours_conditional_delete = false;
      s.batch_delete_etags = TestServer::BatchEtags::kIgnored;
      s.supports_part_number = false;
      s.keeps_storage_classes = false;
    }
    if (name == "swift") {
      s.supports_part_number = false;  // 405 to HeadObject?partNumber
      s.batch_delete_etags = TestServer::BatchEtags::kRejected;
      s.keeps_storage_classes = false;
    }
    // s3emu keeps every default: it behaves as AWS does.
    servers.push_back(s);
  }
  return servers;
}

std::unique_ptr<s3::S3Client> MakeClient(const TestServer& server, const std::string& secret_override) {
  s3::Credentials creds;
  creds.access_key_id = server.access_key;
  creds.secret_access_key = secret_override.empty() ? server.secret_key : secret_override;
  creds.source = "test harness";
  s3::S3ClientOptions options;
  options.endpoint_url = server.endpoint;
  options.default_region = server.region;
  options.force_path_style = true;
  options.transport = s3::MakeCurlTransport({});
  options.credentials = s3::MakeStaticCredentialsProvider(creds);
  options.retry.max_attempts = 3;
  auto client = s3::S3Client::Create(std::move(options));
  if (!client.ok()) std::abort();
  return std::move(client).value();
}

std::string UniqueBucketName(const std::string& suffix) {
  static std::atomic<int> counter{0};
  return fmt::format("s3m-it-{}-{}-{}", ::getpid(), counter.fetch_add(1), suffix);
}

void DestroyBucket(s3::ObjectStore& store, const std::string& bucket, bool versioned) {
  for (int round = 0; round < 100; ++round) {
    std::vector<s3::DeleteObjectsEntry> entries;
    if (versioned) {
      s3::ListObjectVersionsRequest req;
      req.bucket = bucket;
      auto page = store.ListObjectVersions(req);
      if (!page.ok()) break;
      for (const auto& v : page->versions) entries.push_back({v.key, v.version_id, ""});
    } else {
      s3::ListObjectsV2Request req;
      req.bucket = bucket;
      auto page = store.ListObjectsV2(req);
      if (!page.ok()) break;
      for (const auto& o : page->objects) entries.push_back({o.key, "", ""});
    }
    if (entries.empty()) break;
    for (const auto& e : entries) {
      s3::DeleteObjectRequest del;
      del.bucket = bucket;
      del.key = e.key;
      del.version_id = e.version_id;
      store.DeleteObject(del).status().IgnoreError();
    }
  }
  store.DeleteBucket(bucket).IgnoreError();
}

}  // namespace s3m::testing
