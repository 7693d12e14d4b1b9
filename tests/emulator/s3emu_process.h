// Runs the real s3emu binary for a test: spawned on --port 0, its port read
// from the "s3emu listening on 127.0.0.1:PORT" line, stopped (SIGTERM, then
// SIGKILL) when the object goes away. Also the small clients the emulator
// tests talk to it with.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "s3/client.h"
#include "s3/http.h"

namespace s3m::testing {

// A temporary directory removed (recursively) on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

class S3emuProcess {
 public:
  static constexpr const char* kAccessKey = "emu-test-key";
  static constexpr const char* kSecretKey = "emu-test-secret";

  // Starts s3emu with `args` (plus --port 0, --data-dir and the test
  // credentials). Fails the current test and returns null when it does not
  // come up within 10 s.
  // `port` 0 picks a free one; a restarted emulator takes its old port.
  static std::unique_ptr<S3emuProcess> Start(const std::string& data_dir, const std::vector<std::string>& args,
                                             int port = 0);
  ~S3emuProcess();
  S3emuProcess(const S3emuProcess&) = delete;
  S3emuProcess& operator=(const S3emuProcess&) = delete;

  // SIGTERM and wait; true when it exited with status 0.
  bool Stop();
  // SIGKILL and wait: a crash, nothing shut down cleanly.
  void Kill();

  int port() const { return port_; }
  std::string endpoint() const { return "http://127.0.0.1:" + std::to_string(port_); }

  // A client with retries off (max_attempts = 1) unless asked otherwise.
  std::unique_ptr<s3::S3Client> Client(int max_attempts = 1, const std::string& secret = kSecretKey,
                                       const std::string& access_key = kAccessKey,
                                       const std::string& region = "us-east-1") const;

  // Admin API: JSON in and out. Fails the test on a transport error.
  nlohmann::json AdminGet(const std::string& path) const;
  nlohmann::json AdminPost(const std::string& path, const nlohmann::json& body, int* status = nullptr) const;
  nlohmann::json AdminDelete(const std::string& path) const;

  // A signed request, ready to send. `path` is decoded ("/bucket/key"); it is
  // encoded and signed here. The signature covers `signed_body` (the body a
  // test then sends may differ) and Host `host` (default 127.0.0.1:PORT; a
  // virtual-hosted test names the bucket there).
  s3::HttpRequest Signed(const std::string& method, const std::string& path,
                         const std::vector<std::pair<std::string, std::string>>& query,
                         const s3::HeaderList& headers, const std::string& signed_body,
                         const std::string& secret = kSecretKey, const std::string& host = "") const;
  // A presigned URL (query-string SigV4, only Host signed, UNSIGNED-PAYLOAD)
  // for `path` (decoded), signed at `signed_at` and valid `expires_seconds`
  // from then. `extra_query` is signed along (a test drops or edits
  // parameters in the returned URL to check the server's answer).
  std::string Presigned(const std::string& method, const std::string& path, int64_t expires_seconds,
                        std::chrono::system_clock::time_point signed_at,
                        const std::string& secret = kSecretKey) const;
  // Sends a request with this emulator's transport.
  s3::HttpResponse Send(const s3::HttpRequest& request) const;
  // Signed() and Send() of `body`, for checks on raw status codes and headers.
  s3::HttpResponse Raw(const std::string& method, const std::string& path,
                       const std::vector<std::pair<std::string, std::string>>& query = {},
                       const s3::HeaderList& headers = {}, const std::string& body = "",
                       const std::string& secret = kSecretKey) const;

 private:
  S3emuProcess(pid_t pid, int port) : pid_(pid), port_(port) {}
  pid_t pid_;
  int port_;
  std::shared_ptr<s3::HttpTransport> transport_;
};

}  // namespace s3m::testing
