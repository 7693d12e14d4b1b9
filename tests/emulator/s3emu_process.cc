#include "s3emu_process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <thread>

#include <gtest/gtest.h>
#include <httplib.h>

#include "core/clock.h"
#include "core/hash.h"
#include "core/time_format.h"
#include "s3/credentials.h"
#include "s3/sigv4.h"
#include "s3/uri.h"

namespace s3m::testing {

TempDir::TempDir() {
  const char* tmp = std::getenv("TMPDIR");
  std::string pattern = std::string(tmp && *tmp ? tmp : "/tmp") + "/s3emu-test-XXXXXX";
  if (mkdtemp(pattern.data()) == nullptr) ADD_FAILURE() << "mkdtemp failed";
  path_ = pattern;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

std::unique_ptr<S3emuProcess> S3emuProcess::Start(const std::string& data_dir, const std::vector<std::string>& args,
                                                  int port_wanted) {
  int out[2];
  if (pipe2(out, O_CLOEXEC) != 0) {
    ADD_FAILURE() << "pipe failed";
    return nullptr;
  }
  std::vector<std::string> argv = {S3EMU_BINARY, "--port", std::to_string(port_wanted), "--data-dir", data_dir,
                                   "--access-key", kAccessKey, "--secret-key", kSecretKey};
  argv.insert(argv.end(), args.begin(), args.end());
  const pid_t pid = fork();
  if (pid == 0) {
    dup2(out[1], STDOUT_FILENO);
    std::vector<char*> raw;
    for (auto& a : argv) raw.push_back(a.data());
    raw.push_back(nullptr);
    execv(raw[0], raw.data());
    _exit(127);
  }
  close(out[1]);
  // Read stdout until the port line, for at most 10 s.
  std::string text;
  int port = -1;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (port < 0 && std::chrono::steady_clock::now() < deadline) {
    pollfd p{out[0], POLLIN, 0};
    if (poll(&p, 1, 100) <= 0) continue;
    char buf[256];
    const ssize_t n = read(out[0], buf, sizeof(buf));
    if (n <= 0) break;
    text.append(buf, static_cast<size_t>(n));
    const std::string marker = "s3emu listening on 127.0.0.1:";
    const size_t at = text.find(marker);
    if (at != std::string::npos && text.find('\n', at) != std::string::npos) {
      port = std::atoi(text.c_str() + at + marker.size());
    }
  }
  close(out[0]);
  std::unique_ptr<S3emuProcess> process(new S3emuProcess(pid, port));
  if (port <= 0) {
    ADD_FAILURE() << "s3emu did not print its port within 10 s; stdout: " << text;
    return nullptr;
  }
  process->transport_ = s3::MakeCurlTransport({});
  return process;
}

void S3emuProcess::Kill() {
  if (pid_ <= 0) return;
  kill(pid_, SIGKILL);
  int status = 0;
  waitpid(pid_, &status, 0);
  pid_ = -1;
}

bool S3emuProcess::Stop() {
  if (pid_ <= 0) return true;
  kill(pid_, SIGTERM);
  int status = 0;
  for (int i = 0; i < 100; ++i) {
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return WIFEXITED(status) && WEXITSTATUS(status) == 0;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  kill(pid_, SIGKILL);
  waitpid(pid_, &status, 0);
  pid_ = -1;
  return false;
}

S3emuProcess::~S3emuProcess() { Stop(); }

std::unique_ptr<s3::S3Client> S3emuProcess::Client(int max_attempts, const std::string& secret,
                                                   const std::string& access_key, const std::string& region) const {
  s3::S3ClientOptions options;
  options.endpoint_url = endpoint();
  options.default_region = region;
  options.force_path_style = true;
  options.retry.max_attempts = max_attempts;
  options.retry.base_delay = std::chrono::milliseconds(10);
  options.retry.throttled_base_delay = std::chrono::milliseconds(10);
  options.transport = s3::MakeCurlTransport({});
  s3::Credentials credentials;
  credentials.access_key_id = access_key;
  credentials.secret_access_key = secret;
  credentials.source = "test";
  options.credentials = s3::MakeStaticCredentialsProvider(credentials);
  auto client = s3::S3Client::Create(std::move(options));
  EXPECT_TRUE(client.ok()) << client.status().ToString();
  return client.ok() ? std::move(client).value() : nullptr;
}

namespace {
nlohmann::json ParseOrFail(const httplib::Result& r, const std::string& what) {
  if (!r) {
    ADD_FAILURE() << what << ": no answer";
    return {};
  }
  auto j = nlohmann::json::parse(r->body, nullptr, false);
  if (j.is_discarded()) ADD_FAILURE() << what << ": not JSON: " << r->body;
  return j;
}
}  // namespace

nlohmann::json S3emuProcess::AdminGet(const std::string& path) const {
  httplib::Client c("127.0.0.1", port_);
  return ParseOrFail(c.Get(("/_s3emu" + path).c_str()), "GET " + path);
}

nlohmann::json S3emuProcess::AdminPost(const std::string& path, const nlohmann::json& body, int* status) const {
  httplib::Client c("127.0.0.1", port_);
  c.set_read_timeout(120);
  auto r = c.Post(("/_s3emu" + path).c_str(), body.dump(), "application/json");
  if (status != nullptr) *status = r ? r->status : -1;
  return ParseOrFail(r, "POST " + path);
}

nlohmann::json S3emuProcess::AdminDelete(const std::string& path) const {
  httplib::Client c("127.0.0.1", port_);
  return ParseOrFail(c.Delete(("/_s3emu" + path).c_str()), "DELETE " + path);
}

s3::HttpRequest S3emuProcess::Signed(const std::string& method, const std::string& path,
                                     const std::vector<std::pair<std::string, std::string>>& query,
                                     const s3::HeaderList& headers, const std::string& signed_body,
                                     const std::string& secret, const std::string& host) const {
  s3::SignableRequest signable;
  signable.method = method;
  signable.canonical_uri = s3::UriEncode(path, /*encode_slash=*/false);
  signable.query = query;
  signable.headers.emplace_back("Host", host.empty() ? "127.0.0.1:" + std::to_string(port_) : host);
  for (const auto& h : headers) signable.headers.push_back(h);
  signable.payload_hash = Sha256Hex(signed_body);
  s3::SigningParams params;
  params.region = "us-east-1";
  params.time = Clock::Real().Now();
  s3::Credentials credentials;
  credentials.access_key_id = kAccessKey;
  credentials.secret_access_key = secret;
  s3::SignRequest(signable, credentials, params);
  s3::HttpRequest request;
  request.method = method;
  request.url = endpoint() + signable.canonical_uri;
  if (!query.empty()) request.url += "?" + s3::CanonicalQueryString(query);
  request.headers = std::move(signable.headers);
  return request;
}

std::string S3emuProcess::Presigned(const std::string& method, const std::string& path, int64_t expires_seconds,
                                    std::chrono::system_clock::time_point signed_at,
                                    const std::string& secret) const {
  // AWS, "Authenticating Requests: Using Query Parameters (AWS Signature
  // Version 4)": the signing parameters travel in the query and are signed
  // themselves, except X-Amz-Signature.
  const std::string amz_date = FormatAmzDate(signed_at);
  const std::string date = amz_date.substr(0, 8);
  const std::string scope = s3::CredentialScope(date, "us-east-1", "s3");
  s3::SignableRequest signable;
  signable.method = method;
  signable.canonical_uri = s3::UriEncode(path, /*encode_slash=*/false);
  signable.headers.emplace_back("host", "127.0.0.1:" + std::to_string(port_));
  signable.query = {{"X-Amz-Algorithm", "AWS4-HMAC-SHA256"},
                    {"X-Amz-Credential", std::string(kAccessKey) + "/" + scope},
                    {"X-Amz-Date", amz_date},
                    {"X-Amz-Expires", std::to_string(expires_seconds)},
                    {"X-Amz-SignedHeaders", "host"}};
  signable.payload_hash = "UNSIGNED-PAYLOAD";
  const std::string canonical_request = s3::CanonicalRequest(
      signable, s3::BuildCanonicalHeaders(signable.headers), /*normalize_path=*/false);
  const std::string signature = s3::SignatureHex(s3::DeriveSigningKey(secret, date, "us-east-1", "s3"),
                                                 s3::StringToSign(amz_date, scope, canonical_request));
  signable.query.emplace_back("X-Amz-Signature", signature);
  return endpoint() + signable.canonical_uri + "?" + s3::CanonicalQueryString(signable.query);
}

s3::HttpResponse S3emuProcess::Send(const s3::HttpRequest& request) const {
  auto response = transport_->Send(request, nullptr);
  EXPECT_TRUE(response.ok()) << response.status().ToString();
  return response.ok() ? std::move(response).value() : s3::HttpResponse{};
}

s3::HttpResponse S3emuProcess::Raw(const std::string& method, const std::string& path,
                                   const std::vector<std::pair<std::string, std::string>>& query,
                                   const s3::HeaderList& headers, const std::string& body,
                                   const std::string& secret) const {
  s3::HttpRequest request = Signed(method, path, query, headers, body, secret);
  request.body = body;
  return Send(request);
}

}  // namespace s3m::testing
