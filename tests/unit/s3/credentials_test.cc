// The default credentials chain against real inputs: temp config files, an
// injected environment, real credential_process shell commands, and a real
// local HTTP server (cpp-httplib) playing the ECS and EC2 metadata services,
// reached through the real curl transport. Time is a FakeClock.
#include "s3/credentials.h"

#include <httplib.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "core/clock.h"
#include "core/logging.h"

namespace s3m::s3 {
namespace {

using namespace std::chrono_literals;
using std::chrono::system_clock;

// Distinctive secret strings: every test that fails a path with them checks
// they never come back in a message.
constexpr const char* kSecret = "wJalrXUtnFEMIK7MDENGbPxRfiCYSECRETKEY";
constexpr const char* kToken = "FwoGZXIvYXdzEXAMPLESESSIONTOKEN";
constexpr const char* kKeyId = "AKIAEXAMPLEKEYID";

// 2030-01-01T00:00:00Z, the frozen "now" of every test.
const system_clock::time_point kNow = std::chrono::sys_days{std::chrono::year{2030} / 1 / 1};

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "s3m-creds-XXXXXX").string();
    path_ = ::mkdtemp(tmpl.data());
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }
  std::string Write(const std::string& name, const std::string& text) const {
    const std::string p = path_ + "/" + name;
    std::filesystem::create_directories(std::filesystem::path(p).parent_path());
    std::ofstream(p, std::ios::binary | std::ios::trunc) << text;
    return p;
  }
  std::string Read(const std::string& name) const {
    std::ifstream in(path_ + "/" + name, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }

 private:
  std::string path_;
};

std::string ProcessJson(const std::string& key_id, const std::string& expiration = "") {
  std::string j = std::string(R"({"Version":1,"AccessKeyId":")") + key_id +
                  R"(","SecretAccessKey":")" + kSecret + R"(","SessionToken":")" + kToken + "\"";
  if (!expiration.empty()) j += R"(,"Expiration":")" + expiration + "\"";
  return j + "}";
}

std::string MetadataJson(const std::string& key_id, const std::string& expiration) {
  return std::string(R"({"Code":"Success","LastUpdated":"2029-12-31T23:00:00Z","Type":"AWS-HMAC",)") +
         R"("AccessKeyId":")" + key_id + R"(","SecretAccessKey":")" + kSecret + R"(","Token":")" +
         kToken + R"(","Expiration":")" + expiration + "\"}";
}

// A port on 127.0.0.1 that nothing listens on (bound, then released).
int ClosedPort() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

// Plays IMDSv2 and an ECS-style container endpoint on 127.0.0.1.
class MetadataServer {
 public:
  static constexpr const char* kImdsToken = "IMDS-SESSION-TOKEN-42";

  MetadataServer() {
    // One request per connection: otherwise stop() waits out the 5 s
    // keep-alive of the connections the curl pool keeps open.
    server_.set_keep_alive_max_count(1);
    server_.Put("/latest/api/token", [this](const httplib::Request& req, httplib::Response& res) {
      ++token_requests_;
      if (req.get_header_value("X-aws-ec2-metadata-token-ttl-seconds").empty()) {
        res.status = 400;
        return;
      }
      res.set_content(kImdsToken, "text/plain");
    });
    server_.Get("/latest/meta-data/iam/security-credentials/",
                [this](const httplib::Request& req, httplib::Response& res) {
                  if (!CheckToken(req, res)) return;
                  std::lock_guard lock(mu_);
                  if (role_.empty()) {
                    res.status = 404;
                    return;
                  }
                  res.set_content(role_ + "\n", "text/plain");
                });
    server_.Get(R"(/latest/meta-data/iam/security-credentials/(.+))",
                [this](const httplib::Request& req, httplib::Response& res) {
                  if (!CheckToken(req, res)) return;
                  ++imds_credential_requests_;
                  std::lock_guard lock(mu_);
                  if (req.matches[1] != role_) {
                    res.status = 404;
                    return;
                  }
                  res.set_content(imds_json_, "application/json");
                });
    server_.Get("/ecs/creds", [this](const httplib::Request& req, httplib::Response& res) {
      ++ecs_requests_;
      std::lock_guard lock(mu_);
      last_ecs_authorization_ = req.get_header_value("Authorization");
      if (!ecs_required_auth_.empty() && last_ecs_authorization_ != ecs_required_auth_) {
        res.status = 401;
        return;
      }
      res.status = ecs_status_;
      res.set_content(ecs_json_, "application/json");
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    while (!server_.is_running()) std::this_thread::sleep_for(1ms);
  }
  ~MetadataServer() {
    server_.stop();
    thread_.join();
  }

  std::string BaseUrl() const { return "http://127.0.0.1:" + std::to_string(port_); }

  void SetRole(std::string role) {
    std::lock_guard lock(mu_);
    role_ = std::move(role);
  }
  void SetImdsJson(std::string json) {
    std::lock_guard lock(mu_);
    imds_json_ = std::move(json);
  }
  void SetEcs(int status, std::string json, std::string required_auth = "") {
    std::lock_guard lock(mu_);
    ecs_status_ = status;
    ecs_json_ = std::move(json);
    ecs_required_auth_ = std::move(required_auth);
  }
  std::string last_ecs_authorization() {
    std::lock_guard lock(mu_);
    return last_ecs_authorization_;
  }

  std::atomic<int> token_requests_{0};
  std::atomic<int> bad_token_requests_{0};
  std::atomic<int> imds_credential_requests_{0};
  std::atomic<int> ecs_requests_{0};

 private:
  bool CheckToken(const httplib::Request& req, httplib::Response& res) {
    if (req.get_header_value("X-aws-ec2-metadata-token") != kImdsToken) {
      ++bad_token_requests_;
      res.status = 401;
      return false;
    }
    return true;
  }

  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
  std::mutex mu_;
  std::string role_ = "test-role";
  std::string imds_json_;
  int ecs_status_ = 200;
  std::string ecs_json_;
  std::string ecs_required_auth_;
  std::string last_ecs_authorization_;
};

// Records requests and answers from a canned reply; for URL construction
// towards addresses a test cannot reach (169.254.170.2).
class RecordingTransport final : public HttpTransport {
 public:
  Result<HttpResponse> Send(const HttpRequest& request, const BodySink* sink) override {
    std::lock_guard lock(mu_);
    urls.push_back(request.url);
    HttpResponse r;
    r.status = 200;
    if (sink != nullptr) {
      S3M_RETURN_IF_ERROR((*sink)(reply.data(), reply.size()));
    } else {
      r.body = reply;
    }
    r.body_bytes = reply.size();
    return r;
  }
  std::mutex mu_;
  std::vector<std::string> urls;
  std::string reply;
};

class CredentialsTest : public ::testing::Test {
 protected:
  CredentialsTest() {
    env_["HOME"] = dir_.path();
    // Never reach for a real 169.254.169.254 from a test; tests that want
    // IMDS point it at the local server.
    env_["AWS_EC2_METADATA_DISABLED"] = "true";
  }

  CredentialsChainOptions Options() {
    CredentialsChainOptions o;
    o.env = EnvFromMap(env_);
    o.clock = &clock_;
    o.metadata_transport = transport_;
    o.process_timeout = 5000ms;
    return o;
  }
  std::unique_ptr<CredentialsProvider> Chain() { return MakeDefaultCredentialsChain(Options()); }
  Result<Credentials> Get() { return Chain()->GetCredentials(); }

  void WriteConfig(const std::string& text) { config_path_ = dir_.Write(".aws/config", text); }
  void WriteCredentials(const std::string& text) {
    credentials_path_ = dir_.Write(".aws/credentials", text);
  }
  // A config profile whose credential_process prints `file` (rewritable by the
  // test between calls) and appends a line to "runs" on every run.
  void UseProcessPrintingFile(const std::string& file) {
    WriteConfig("[default]\ncredential_process = echo run >> '" + dir_.path() + "/runs'; cat '" +
                dir_.path() + "/" + file + "'\n");
  }
  int ProcessRuns() const {
    const std::string runs = dir_.Read("runs");
    return static_cast<int>(std::count(runs.begin(), runs.end(), '\n'));
  }
  void UseImds(const MetadataServer& server) {
    env_.erase("AWS_EC2_METADATA_DISABLED");
    env_["AWS_EC2_METADATA_SERVICE_ENDPOINT"] = server.BaseUrl();
  }

  TempDir dir_;
  std::map<std::string, std::string> env_;
  FakeClock clock_{kNow};
  std::shared_ptr<HttpTransport> transport_ = MakeCurlTransport(TransportOptions{});
  std::string config_path_ = dir_.path() + "/.aws/config";
  std::string credentials_path_ = dir_.path() + "/.aws/credentials";
};

void ExpectNoSecrets(const std::string& text) {
  EXPECT_EQ(text.find(kSecret), std::string::npos) << text;
  EXPECT_EQ(text.find(kToken), std::string::npos) << text;
  EXPECT_EQ(text.find("SECRETKEY"), std::string::npos) << text;
  EXPECT_EQ(text.find(MetadataServer::kImdsToken), std::string::npos) << text;
}

// ---------------------------------------------------------------------------
// Pure parsers.

TEST(ParseCredentialProcessOutputTest, FullAndMinimal) {
  Result<Credentials> full =
      ParseCredentialProcessOutput(ProcessJson(kKeyId, "2030-01-01T01:00:00Z"), "proc");
  ASSERT_TRUE(full.ok()) << full.status().ToString();
  EXPECT_EQ(full->access_key_id, kKeyId);
  EXPECT_EQ(full->secret_access_key, kSecret);
  EXPECT_EQ(full->session_token, kToken);
  ASSERT_TRUE(full->expiration.has_value());
  EXPECT_EQ(*full->expiration, kNow + 1h);
  EXPECT_EQ(full->source, "proc");

  Result<Credentials> minimal = ParseCredentialProcessOutput(
      R"({"Version":1,"AccessKeyId":"A","SecretAccessKey":"S"})", "proc");
  ASSERT_TRUE(minimal.ok());
  EXPECT_EQ(minimal->session_token, "");
  EXPECT_FALSE(minimal->expiration.has_value());
}

TEST(ParseCredentialProcessOutputTest, ErrorsNameTheProblemButNoValue) {
  const std::string s = kSecret;
  const std::pair<std::string, std::string> cases[] = {
      {R"({"Version":2,"AccessKeyId":"A","SecretAccessKey":")" + s + "\"}", "\"Version\": 1"},
      {R"({"AccessKeyId":"A","SecretAccessKey":")" + s + "\"}", "\"Version\": 1"},
      {R"({"Version":1,"SecretAccessKey":")" + s + "\"}", "AccessKeyId"},
      {R"({"Version":1,"AccessKeyId":"A"})", "SecretAccessKey"},
      {R"({"Version":1,"AccessKeyId":"A","SecretAccessKey":")" + s + R"(","Expiration":"soon )" + s +
           "\"}",
       "Expiration"},
      {R"({"Version":1,"AccessKeyId":"A","SecretAccessKey":")" + s + R"(","SessionToken":7})",
       "SessionToken"},
      {"not json " + s, "not a JSON object"},
      {R"({"Version":1,"AccessKeyId":"A","SecretAccessKey":")" + s, "not a JSON object"},
      {"[\"" + s + "\"]", "not a JSON object"},
  };
  for (const auto& [json, want] : cases) {
    Result<Credentials> r = ParseCredentialProcessOutput(json, "credential_process of X");
    ASSERT_FALSE(r.ok()) << json;
    EXPECT_EQ(r.status().kind(), ErrorKind::kAuth);
    EXPECT_NE(r.status().message().find(want), std::string::npos) << r.status().message();
    EXPECT_NE(r.status().message().find("credential_process of X"), std::string::npos);
    ExpectNoSecrets(r.status().ToString());
  }
}

TEST(ParseMetadataCredentialsTest, SuccessAndFailures) {
  Result<Credentials> ok = ParseMetadataCredentials(MetadataJson(kKeyId, "2030-01-01T06:00:00Z"), "imds");
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_EQ(ok->access_key_id, kKeyId);
  EXPECT_EQ(ok->session_token, kToken);
  EXPECT_EQ(*ok->expiration, kNow + 6h);

  // ECS omits "Code".
  Result<Credentials> ecs = ParseMetadataCredentials(
      std::string(R"({"AccessKeyId":"A","SecretAccessKey":")") + kSecret + R"(","Token":")" + kToken +
          R"(","Expiration":"2030-01-01T06:00:00Z","RoleArn":"arn:aws:iam::1:role/x"})",
      "ecs");
  ASSERT_TRUE(ecs.ok()) << ecs.status().ToString();

  const std::string failing[] = {
      std::string(R"({"Code":"AssumeRoleUnauthorizedAccess","AccessKeyId":"A","SecretAccessKey":")") +
          kSecret + "\"}",
      std::string(R"({"AccessKeyId":"A","SecretAccessKey":")") + kSecret +
          R"(","Expiration":"2030-01-01T06:00:00Z"})",  // no Token
      std::string(R"({"AccessKeyId":"A","SecretAccessKey":")") + kSecret + R"(","Token":")" + kToken +
          "\"}",  // no Expiration
  };
  for (const std::string& json : failing) {
    Result<Credentials> r = ParseMetadataCredentials(json, "imds");
    ASSERT_FALSE(r.ok()) << json;
    EXPECT_EQ(r.status().kind(), ErrorKind::kAuth);
    ExpectNoSecrets(r.status().ToString());
  }
}

// ---------------------------------------------------------------------------
// Environment and profiles.

TEST_F(CredentialsTest, Environment) {
  env_["AWS_ACCESS_KEY_ID"] = kKeyId;
  env_["AWS_SECRET_ACCESS_KEY"] = kSecret;
  env_["AWS_SESSION_TOKEN"] = kToken;
  Result<Credentials> c = Get();
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->access_key_id, kKeyId);
  EXPECT_EQ(c->secret_access_key, kSecret);
  EXPECT_EQ(c->session_token, kToken);
  EXPECT_FALSE(c->expiration.has_value());
  EXPECT_EQ(c->source, "environment");
}

TEST_F(CredentialsTest, EnvironmentBeatsProfiles) {
  WriteCredentials("[default]\naws_access_key_id = FILEKEY\naws_secret_access_key = FILESECRET\n");
  env_["AWS_ACCESS_KEY_ID"] = kKeyId;
  env_["AWS_SECRET_ACCESS_KEY"] = kSecret;
  Result<Credentials> c = Get();
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->access_key_id, kKeyId);
  EXPECT_EQ(c->session_token, "");
}

TEST_F(CredentialsTest, HalfAnEnvironmentPairIsAnErrorNamingTheMissingVariable) {
  // Even with a usable profile: a half-set pair is a mistake to report.
  WriteCredentials("[default]\naws_access_key_id = FILEKEY\naws_secret_access_key = FILESECRET\n");
  env_["AWS_SECRET_ACCESS_KEY"] = kSecret;
  Result<Credentials> c = Get();
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().kind(), ErrorKind::kAuth);
  EXPECT_NE(c.status().message().find("AWS_ACCESS_KEY_ID is not"), std::string::npos)
      << c.status().message();
  ExpectNoSecrets(c.status().ToString());

  env_.erase("AWS_SECRET_ACCESS_KEY");
  env_["AWS_ACCESS_KEY_ID"] = kKeyId;
  c = Get();
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("AWS_SECRET_ACCESS_KEY is not"), std::string::npos)
      << c.status().message();
}

TEST_F(CredentialsTest, SharedCredentialsFileProfile) {
  WriteCredentials(std::string("[default]\naws_access_key_id = ") + kKeyId +
                   "\naws_secret_access_key = " + kSecret + "\naws_session_token = " + kToken +
                   "\n[prod]\naws_access_key_id = PRODKEY\naws_secret_access_key = PRODSECRET\n");
  Result<Credentials> c = Get();
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->access_key_id, kKeyId);
  EXPECT_EQ(c->secret_access_key, kSecret);
  EXPECT_EQ(c->session_token, kToken);
  EXPECT_EQ(c->source, "profile \"default\" (" + credentials_path_ + ")");

  env_["AWS_PROFILE"] = "prod";
  c = Get();
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->access_key_id, "PRODKEY");

  CredentialsChainOptions o = Options();
  o.profile = "default";  // e.g. from --profile, beating AWS_PROFILE
  c = MakeDefaultCredentialsChain(o)->GetCredentials();
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->access_key_id, kKeyId);
}

TEST_F(CredentialsTest, CredentialsFileBeatsConfigFileAndConfigFileWorksAlone) {
  WriteConfig("[profile p]\naws_access_key_id = CFGKEY\naws_secret_access_key = CFGSECRET\n");
  env_["AWS_PROFILE"] = "p";
  Result<Credentials> c = Get();
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->access_key_id, "CFGKEY");
  EXPECT_EQ(c->source, "profile \"p\" (" + config_path_ + ")");

  WriteCredentials("[p]\naws_access_key_id = CREDKEY\naws_secret_access_key = CREDSECRET\n");
  c = Get();
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->access_key_id, "CREDKEY");
}

TEST_F(CredentialsTest, FilesFromEnvironmentVariables) {
  const std::string creds = dir_.Write("custom/creds", "[default]\naws_access_key_id = CUSTOM\n"
                                                       "aws_secret_access_key = S\n");
  env_["AWS_SHARED_CREDENTIALS_FILE"] = creds;
  Result<Credentials> c = Get();
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->access_key_id, "CUSTOM");
}

TEST_F(CredentialsTest, HalfAProfilePairIsAnError) {
  WriteCredentials(std::string("[default]\naws_secret_access_key = ") + kSecret + "\n");
  Result<Credentials> c = Get();
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().kind(), ErrorKind::kAuth);
  EXPECT_NE(c.status().message().find("no aws_access_key_id"), std::string::npos)
      << c.status().message();
  EXPECT_NE(c.status().message().find(credentials_path_), std::string::npos);
  ExpectNoSecrets(c.status().ToString());
}

TEST_F(CredentialsTest, UnsupportedProfileMechanismSaysWhatToDo) {
  WriteConfig("[default]\nrole_arn = arn:aws:iam::123456789012:role/x\nsource_profile = base\n");
  Result<Credentials> c = Get();
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().kind(), ErrorKind::kAuth);
  EXPECT_NE(c.status().message().find("role_arn"), std::string::npos) << c.status().message();
  EXPECT_NE(c.status().message().find("export-credentials"), std::string::npos);
}

TEST_F(CredentialsTest, MalformedFileStopsTheChainNamingFileAndLine) {
  WriteCredentials(std::string("[default]\naws_access_key_id = A\n") + kSecret + "\n");
  Result<Credentials> c = Get();
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().kind(), ErrorKind::kInvalidArgument);
  EXPECT_NE(c.status().ToString().find(credentials_path_ + ": line 3:"), std::string::npos)
      << c.status().ToString();
  ExpectNoSecrets(c.status().ToString());
}

TEST_F(CredentialsTest, NothingFoundNamesEverySourceTried) {
  WriteConfig("[default]\nregion = eu-west-1\n");
  Result<Credentials> c = Get();
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().kind(), ErrorKind::kAuth);
  const std::string want =
      "no AWS credentials found; tried: environment (AWS_ACCESS_KEY_ID not set), "
      "profile \"default\" in " + credentials_path_ + " (no such file), "
      "credential_process (not configured), "
      "profile \"default\" in " + config_path_ + " (no aws_access_key_id in the profile), "
      "ECS container endpoint (not configured), "
      "EC2 instance metadata (disabled by AWS_EC2_METADATA_DISABLED).";
  EXPECT_EQ(c.status().message().substr(0, want.size()), want) << c.status().message();
  EXPECT_NE(c.status().message().find("aws configure"), std::string::npos);
}

TEST_F(CredentialsTest, NothingFoundWithUnreachableInstanceMetadata) {
  WriteCredentials("[other]\naws_access_key_id = A\naws_secret_access_key = B\n");
  env_.erase("AWS_EC2_METADATA_DISABLED");
  env_["AWS_EC2_METADATA_SERVICE_ENDPOINT"] = "http://127.0.0.1:" + std::to_string(ClosedPort());
  const auto start = std::chrono::steady_clock::now();
  Result<Credentials> c = Get();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().kind(), ErrorKind::kAuth);
  const std::string& m = c.status().message();
  EXPECT_NE(m.find(" (no such profile)"), std::string::npos) << m;
  EXPECT_NE(m.find("EC2 instance metadata (unreachable: "), std::string::npos) << m;
}

TEST_F(CredentialsTest, StaticProvider) {
  Credentials in;
  in.access_key_id = "A";
  in.secret_access_key = "S";
  in.source = "test";
  auto p = MakeStaticCredentialsProvider(in);
  Result<Credentials> c = p->GetCredentials();
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->access_key_id, "A");
  EXPECT_EQ(c->source, "test");
}

// ---------------------------------------------------------------------------
// credential_process.

TEST_F(CredentialsTest, CredentialProcessSuccess) {
  WriteConfig("[default]\ncredential_process = printf '%s' '" +
              ProcessJson(kKeyId, "2030-01-01T01:00:00Z") + "'\n");
  Result<Credentials> c = Get();
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->access_key_id, kKeyId);
  EXPECT_EQ(c->secret_access_key, kSecret);
  EXPECT_EQ(c->session_token, kToken);
  ASSERT_TRUE(c->expiration.has_value());
  EXPECT_EQ(*c->expiration, kNow + 1h);
  EXPECT_EQ(c->source, "credential_process of profile \"default\" (" + config_path_ + ")");
}

TEST_F(CredentialsTest, CredentialProcessInCredentialsFileAndBeforeConfigKeys) {
  // AWS order: credentials-file keys, then credential_process, then config-file keys.
  WriteConfig("[default]\naws_access_key_id = CFGKEY\naws_secret_access_key = CFGSECRET\n");
  WriteCredentials("[default]\ncredential_process = printf '%s' '" + ProcessJson("PROCKEY") + "'\n");
  Result<Credentials> c = Get();
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->access_key_id, "PROCKEY");
  EXPECT_NE(c->source.find(credentials_path_), std::string::npos);
}

TEST_F(CredentialsTest, CredentialProcessFailureShowsStderrNeverStdout) {
  WriteConfig("[default]\ncredential_process = printf '%s' '" + ProcessJson(kKeyId) +
              "'; echo '  session expired: run corp-login  ' >&2; exit 3\n");
  Result<Credentials> c = Get();
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().kind(), ErrorKind::kAuth);
  const std::string& m = c.status().message();
  EXPECT_NE(m.find("credential_process of profile \"default\""), std::string::npos) << m;
  EXPECT_NE(m.find("exit status 3"), std::string::npos) << m;
  EXPECT_NE(m.find("its stderr: session expired: run corp-login"), std::string::npos) << m;
  EXPECT_EQ(m.find(kKeyId), std::string::npos) << m;
  ExpectNoSecrets(c.status().ToString());
}

TEST_F(CredentialsTest, CredentialProcessStderrIsCapped) {
  WriteConfig("[default]\ncredential_process = head -c 100000 /dev/zero | tr '\\000' x >&2; exit 1\n");
  Result<Credentials> c = Get();
  ASSERT_FALSE(c.ok());
  EXPECT_LT(c.status().message().size(), 1500u);
  EXPECT_NE(c.status().message().find("xxxx [...]"), std::string::npos);
}

TEST_F(CredentialsTest, CredentialProcessTimeoutKillsTheWholeGroup) {
  const std::string pidfile = dir_.path() + "/sleeper.pid";
  WriteConfig("[default]\ncredential_process = sleep 30 & echo $! > '" + pidfile + "'; wait\n");
  CredentialsChainOptions o = Options();
  o.process_timeout = 300ms;
  const auto start = std::chrono::steady_clock::now();
  Result<Credentials> c = MakeDefaultCredentialsChain(o)->GetCredentials();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().kind(), ErrorKind::kAuth);
  EXPECT_NE(c.status().message().find("did not finish within 300 ms"), std::string::npos)
      << c.status().message();

  // The background `sleep` was in the killed process group: gone (or a zombie
  // waiting for init to reap it) shortly after.
  const pid_t sleeper = std::stoi(dir_.Read("sleeper.pid"));
  bool gone = false;
  for (int i = 0; i < 200 && !gone; ++i) {
    std::ifstream stat("/proc/" + std::to_string(sleeper) + "/stat");
    std::string content((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
    gone = !stat.is_open() || content.find(") Z ") != std::string::npos;
    if (!gone) std::this_thread::sleep_for(10ms);
  }
  EXPECT_TRUE(gone) << "pid " << sleeper << " survived the timeout";
}

TEST_F(CredentialsTest, CredentialProcessOutputCap) {
  WriteConfig("[default]\ncredential_process = head -c 200000 /dev/zero\n");
  Result<Credentials> c = Get();
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("more than 65536 bytes"), std::string::npos)
      << c.status().message();
}

TEST_F(CredentialsTest, CredentialProcessInvalidJson) {
  WriteConfig(std::string("[default]\ncredential_process = echo 'AccessKeyId=A SecretAccessKey=") +
              kSecret + "'\n");
  Result<Credentials> c = Get();
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().kind(), ErrorKind::kAuth);
  EXPECT_NE(c.status().message().find("not a JSON object"), std::string::npos);
  ExpectNoSecrets(c.status().ToString());
}

TEST_F(CredentialsTest, CredentialProcessKilledBySignal) {
  WriteConfig("[default]\ncredential_process = kill -9 $$\n");
  Result<Credentials> c = Get();
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("killed by signal 9"), std::string::npos)
      << c.status().message();
}

TEST_F(CredentialsTest, CredentialProcessReturningExpiredCredentialsIsAnError) {
  WriteConfig("[default]\ncredential_process = printf '%s' '" +
              ProcessJson(kKeyId, "2029-12-31T23:00:00Z") + "'\n");
  Result<Credentials> c = Get();
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("expired at 2029-12-31T23:00:00Z"), std::string::npos)
      << c.status().message();
}

// ---------------------------------------------------------------------------
// Caching and refresh (FakeClock).

TEST_F(CredentialsTest, TemporaryCredentialsAreCachedThenRefreshedBeforeExpiry) {
  dir_.Write("out.json", ProcessJson("KEY1", "2030-01-01T01:00:00Z"));
  UseProcessPrintingFile("out.json");
  auto chain = Chain();

  Result<Credentials> c = chain->GetCredentials();
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->access_key_id, "KEY1");
  EXPECT_EQ(ProcessRuns(), 1);

  clock_.Advance(50min);  // 10 min left: still fresh
  EXPECT_EQ(chain->GetCredentials()->access_key_id, "KEY1");
  EXPECT_EQ(ProcessRuns(), 1);

  dir_.Write("out.json", ProcessJson("KEY2", "2030-01-01T02:00:00Z"));
  clock_.Advance(6min);  // 4 min left: inside the 5 min refresh window
  c = chain->GetCredentials();
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->access_key_id, "KEY2");
  EXPECT_EQ(ProcessRuns(), 2);
  EXPECT_EQ(chain->GetCredentials()->access_key_id, "KEY2");
  EXPECT_EQ(ProcessRuns(), 2);

  // Past the first expiry, long before the second: cached.
  clock_.Advance(30min);
  EXPECT_EQ(chain->GetCredentials()->access_key_id, "KEY2");
  EXPECT_EQ(ProcessRuns(), 2);
}

TEST_F(CredentialsTest, FailedEarlyRefreshKeepsValidCredentialsUntilTheyExpire) {
  dir_.Write("out.json", ProcessJson("KEY1", "2030-01-01T01:00:00Z"));
  UseProcessPrintingFile("out.json");
  auto chain = Chain();
  ASSERT_TRUE(chain->GetCredentials().ok());

  dir_.Write("out.json", "garbage");
  clock_.Advance(57min);  // 3 min left
  Result<Credentials> c = chain->GetCredentials();
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->access_key_id, "KEY1");
  EXPECT_EQ(ProcessRuns(), 2);

  // Not retried on every call: only after refresh_retry_interval (30 s).
  clock_.Advance(10s);
  EXPECT_TRUE(chain->GetCredentials().ok());
  EXPECT_EQ(ProcessRuns(), 2);
  clock_.Advance(25s);
  EXPECT_TRUE(chain->GetCredentials().ok());
  EXPECT_EQ(ProcessRuns(), 3);

  // Expired and the source still fails: now it is an error.
  clock_.Advance(3min);
  c = chain->GetCredentials();
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().kind(), ErrorKind::kAuth);
  ExpectNoSecrets(c.status().ToString());

  // And the source recovering heals it.
  dir_.Write("out.json", ProcessJson("KEY3", "2030-01-01T03:00:00Z"));
  c = chain->GetCredentials();
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->access_key_id, "KEY3");
}

TEST_F(CredentialsTest, LongTermCredentialsAreFetchedOnce) {
  dir_.Write("out.json", ProcessJson("KEY1"));  // no Expiration
  UseProcessPrintingFile("out.json");
  auto chain = Chain();
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(chain->GetCredentials().ok());
    clock_.Advance(24h);
  }
  EXPECT_EQ(ProcessRuns(), 1);
}

TEST_F(CredentialsTest, ConcurrentCallersShareOneFetch) {
  dir_.Write("out.json", ProcessJson("KEY1", "2030-01-01T01:00:00Z"));
  WriteConfig("[default]\ncredential_process = echo run >> '" + dir_.path() +
              "/runs'; sleep 0.2; cat '" + dir_.path() + "/out.json'\n");
  auto chain = Chain();
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&] {
      Result<Credentials> c = chain->GetCredentials();
      if (c.ok() && c->access_key_id == "KEY1") ++ok;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 8);
  EXPECT_EQ(ProcessRuns(), 1);
}

// ---------------------------------------------------------------------------
// ECS container endpoint (real local server).

TEST_F(CredentialsTest, ContainerFullUriWithAuthorizationToken) {
  MetadataServer server;
  server.SetEcs(200, MetadataJson("ECSKEY", "2030-01-01T06:00:00Z"), "Bearer ecs-auth");
  env_["AWS_CONTAINER_CREDENTIALS_FULL_URI"] = server.BaseUrl() + "/ecs/creds";
  env_["AWS_CONTAINER_AUTHORIZATION_TOKEN"] = "Bearer ecs-auth";
  Result<Credentials> c = Get();
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->access_key_id, "ECSKEY");
  EXPECT_EQ(c->session_token, kToken);
  EXPECT_EQ(*c->expiration, kNow + 6h);
  EXPECT_EQ(c->source, "ECS container endpoint (AWS_CONTAINER_CREDENTIALS_FULL_URI)");
  EXPECT_EQ(server.last_ecs_authorization(), "Bearer ecs-auth");
}

TEST_F(CredentialsTest, ContainerTokenFileWinsOverTokenVariable) {
  MetadataServer server;
  server.SetEcs(200, MetadataJson("ECSKEY", "2030-01-01T06:00:00Z"), "from-file");
  env_["AWS_CONTAINER_CREDENTIALS_FULL_URI"] = server.BaseUrl() + "/ecs/creds";
  env_["AWS_CONTAINER_AUTHORIZATION_TOKEN"] = "from-variable";
  env_["AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"] = dir_.Write("token", "from-file\n");
  Result<Credentials> c = Get();
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(server.last_ecs_authorization(), "from-file");
}

TEST_F(CredentialsTest, ContainerErrorsStopTheChain) {
  MetadataServer server;
  server.SetEcs(200, MetadataJson("ECSKEY", "2030-01-01T06:00:00Z"), "right");
  env_["AWS_CONTAINER_CREDENTIALS_FULL_URI"] = server.BaseUrl() + "/ecs/creds";
  env_["AWS_CONTAINER_AUTHORIZATION_TOKEN"] = "wrong";
  Result<Credentials> c = Get();
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().kind(), ErrorKind::kAuth);
  EXPECT_NE(c.status().message().find("answered HTTP 401"), std::string::npos)
      << c.status().message();

  server.SetEcs(500, std::string("{\"leak\":\"") + kSecret + "\"}");
  c = Get();
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("answered HTTP 500"), std::string::npos);
  EXPECT_EQ(server.ecs_requests_.load(), 3);  // 401 once, 500 twice (one retry)
  ExpectNoSecrets(c.status().ToString());
}

TEST_F(CredentialsTest, ContainerFullUriMustBeLoopbackOverHttp) {
  env_["AWS_CONTAINER_CREDENTIALS_FULL_URI"] = "http://example.com/creds";
  Result<Credentials> c = Get();
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("must be https"), std::string::npos) << c.status().message();
}

TEST_F(CredentialsTest, ContainerRelativeUriGoesToTheEcsAgent) {
  auto recorder = std::make_shared<RecordingTransport>();
  recorder->reply = MetadataJson("ECSKEY", "2030-01-01T06:00:00Z");
  env_["AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"] = "/v2/credentials/abc-123";
  CredentialsChainOptions o = Options();
  o.metadata_transport = recorder;
  Result<Credentials> c = MakeDefaultCredentialsChain(o)->GetCredentials();
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  ASSERT_EQ(recorder->urls.size(), 1u);
  EXPECT_EQ(recorder->urls[0], "http://169.254.170.2/v2/credentials/abc-123");
}

// ---------------------------------------------------------------------------
// EC2 instance metadata, IMDSv2 (real local server).

TEST_F(CredentialsTest, InstanceMetadataV2) {
  MetadataServer server;
  server.SetImdsJson(MetadataJson("IMDSKEY", "2030-01-01T06:00:00Z"));
  UseImds(server);
  Result<Credentials> c = Get();
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->access_key_id, "IMDSKEY");
  EXPECT_EQ(c->secret_access_key, kSecret);
  EXPECT_EQ(c->session_token, kToken);
  EXPECT_EQ(*c->expiration, kNow + 6h);
  EXPECT_EQ(c->source, "EC2 instance metadata (role test-role)");
  EXPECT_EQ(server.token_requests_.load(), 1);
  EXPECT_EQ(server.bad_token_requests_.load(), 0);
  EXPECT_EQ(server.imds_credential_requests_.load(), 1);
}

TEST_F(CredentialsTest, InstanceMetadataRefreshesFromTheSameSource) {
  MetadataServer server;
  server.SetImdsJson(MetadataJson("IMDSKEY1", "2030-01-01T01:00:00Z"));
  UseImds(server);
  auto chain = Chain();
  ASSERT_EQ(chain->GetCredentials()->access_key_id, "IMDSKEY1");
  server.SetImdsJson(MetadataJson("IMDSKEY2", "2030-01-01T07:00:00Z"));
  clock_.Advance(30min);
  EXPECT_EQ(chain->GetCredentials()->access_key_id, "IMDSKEY1");
  clock_.Advance(26min);
  Result<Credentials> c = chain->GetCredentials();
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->access_key_id, "IMDSKEY2");
  EXPECT_EQ(server.token_requests_.load(), 2);
  EXPECT_EQ(server.imds_credential_requests_.load(), 2);
}

TEST_F(CredentialsTest, InstanceMetadataWithoutRole) {
  MetadataServer server;
  server.SetRole("");
  UseImds(server);
  Result<Credentials> c = Get();
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find(
                "EC2 instance metadata (no IAM role is attached to this instance)"),
            std::string::npos)
      << c.status().message();
}

TEST_F(CredentialsTest, InstanceMetadataMalformedReply) {
  MetadataServer server;
  server.SetImdsJson(std::string("{\"AccessKeyId\":\"A\",\"SecretAccessKey\":\"") + kSecret);
  UseImds(server);
  Result<Credentials> c = Get();
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().kind(), ErrorKind::kAuth);
  EXPECT_NE(c.status().message().find("EC2 instance metadata (role test-role)"), std::string::npos)
      << c.status().message();
  ExpectNoSecrets(c.status().ToString());
}

TEST_F(CredentialsTest, EarlierSourcesNeverTouchInstanceMetadata) {
  MetadataServer server;
  server.SetImdsJson(MetadataJson("IMDSKEY", "2030-01-01T06:00:00Z"));
  UseImds(server);
  env_["AWS_ACCESS_KEY_ID"] = kKeyId;
  env_["AWS_SECRET_ACCESS_KEY"] = kSecret;
  ASSERT_TRUE(Get().ok());
  EXPECT_EQ(server.token_requests_.load(), 0);
}

// ---------------------------------------------------------------------------
// The secrecy contract, across every failing path at once.

TEST_F(CredentialsTest, SecretsNeverAppearInMessagesOrLogs) {
  const LogLevel saved = GetLogLevel();
  SetLogLevel(LogLevel::kDebug);
  testing::internal::CaptureStderr();
  std::vector<std::string> messages;
  auto collect = [&](const Result<Credentials>& r) {
    if (!r.ok()) {
      messages.push_back(r.status().ToString());
      messages.push_back(r.status().message());
    }
  };
  const std::map<std::string, std::string> base_env = env_;

  // 1. Half an environment pair, each way.
  env_["AWS_SECRET_ACCESS_KEY"] = kSecret;
  collect(Get());
  env_ = base_env;
  env_["AWS_ACCESS_KEY_ID"] = kKeyId;
  env_["AWS_SESSION_TOKEN"] = kToken;
  collect(Get());
  env_ = base_env;

  // 2. Half a profile pair; a malformed line that is a secret; token-only profile.
  WriteCredentials(std::string("[default]\naws_secret_access_key = ") + kSecret +
                   "\naws_session_token = " + kToken + "\n");
  collect(Get());
  WriteCredentials(std::string("[default]\n") + kSecret + "\n" + kToken + " =\n");
  collect(Get());
  WriteCredentials(std::string("[default]\n  ") + kSecret + "\n");
  collect(Get());
  std::filesystem::remove(credentials_path_);

  // 3. credential_process: failing with the secret on stdout, invalid JSON
  //    holding it, a wrong version, a bad expiration, a timeout after printing it.
  const std::string json = ProcessJson(kKeyId, "2030-01-01T01:00:00Z");
  const std::string commands[] = {
      "printf '%s' '" + json + "'; exit 1",
      "printf '%s' '" + json.substr(0, json.size() - 3) + "'",
      "printf '%s' '" + std::string(R"({"Version":2,"AccessKeyId":"A","SecretAccessKey":")") +
          kSecret + "\"}'",
      "printf '%s' '" + std::string(R"({"Version":1,"AccessKeyId":"A","SecretAccessKey":")") +
          kSecret + R"(","Expiration":")" + kSecret + "\"}'",
      "printf '%s' '" + json + "'; sleep 5",
  };
  for (const std::string& cmd : commands) {
    WriteConfig("[default]\ncredential_process = " + cmd + "\n");
    CredentialsChainOptions o = Options();
    o.process_timeout = 300ms;
    collect(MakeDefaultCredentialsChain(o)->GetCredentials());
  }

  // 4. A refresh that fails while the old credentials are still valid (logs a warning).
  dir_.Write("out.json", json);
  UseProcessPrintingFile("out.json");
  {
    auto chain = Chain();
    collect(chain->GetCredentials());
    dir_.Write("out.json", std::string("{\"Version\":1,\"SecretAccessKey\":\"") + kSecret + "\"}");
    clock_.Advance(58min);
    collect(chain->GetCredentials());
    clock_.Advance(3min);
    collect(chain->GetCredentials());
  }
  std::filesystem::remove(config_path_);

  // 5. Metadata services replying with broken documents or errors that hold secrets.
  {
    MetadataServer server;
    server.SetEcs(200, std::string("{\"AccessKeyId\":\"A\",\"SecretAccessKey\":\"") + kSecret +
                           "\",\"Token\":\"" + kToken + "\"}");
    env_["AWS_CONTAINER_CREDENTIALS_FULL_URI"] = server.BaseUrl() + "/ecs/creds";
    env_["AWS_CONTAINER_AUTHORIZATION_TOKEN"] = kToken;
    collect(Get());
    server.SetEcs(403, std::string("denied ") + kSecret);
    collect(Get());
    env_ = base_env;

    server.SetImdsJson(std::string("{\"Code\":\"Failure\",\"SecretAccessKey\":\"") + kSecret + "\"}");
    UseImds(server);
    collect(Get());
    server.SetImdsJson(std::string("not json ") + kSecret);
    collect(Get());
    env_ = base_env;
  }

  const std::string logs = testing::internal::GetCapturedStderr();
  SetLogLevel(saved);
  EXPECT_GE(messages.size(), 2u * 15u);
  for (const std::string& m : messages) ExpectNoSecrets(m);
  ExpectNoSecrets(logs);
  EXPECT_NE(logs.find("refreshing AWS credentials from"), std::string::npos) << logs;
}

}  // namespace
}  // namespace s3m::s3
