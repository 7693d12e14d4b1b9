#include "s3/credentials.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <ctime>
#include <mutex>
#include <optional>
#include <thread>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/text.h"
#include "core/unique_fd.h"
#include "core/time_format.h"
#include "core/logging.h"
#include "s3/uri.h"

extern char** environ;

namespace s3m::s3 {

namespace {

using SysTime = std::chrono::system_clock::time_point;

constexpr size_t kMetadataBodyCap = 64 * 1024;
constexpr size_t kStderrKeep = 8 * 1024;    // bytes of a process's stderr kept in memory
constexpr size_t kStderrShown = 1024;       // ... and shown in an error message
constexpr std::string_view kEcsHost = "http://169.254.170.2";
constexpr std::string_view kImdsDefaultEndpoint = "http://169.254.169.254";
constexpr std::string_view kImdsTokenTtlSeconds = "21600";

std::optional<std::string> NonEmptyEnv(const EnvLookup& env, std::string_view name) {
  std::optional<std::string> v = env(name);
  if (v && v->empty()) return std::nullopt;
  return v;
}

std::optional<std::string> NonEmptyValue(const AwsIniSection* section, std::string_view key) {
  if (section == nullptr) return std::nullopt;
  std::optional<std::string> v = section->Get(key);
  if (v && v->empty()) return std::nullopt;
  return v;
}

std::string FormatTime(SysTime t) {
  const std::time_t tt = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

Status AuthError(std::string message) {
  return Status::Error(ErrorKind::kAuth, std::move(message));
}

// Text a process wrote to stderr, made fit for one line of an error message:
// trimmed, control characters replaced, capped.
std::string SanitizeForMessage(std::string_view text, size_t cap) {
  text = TrimAsciiSpace(text);
  std::string out;
  for (char c : text.substr(0, cap)) {
    const auto u = static_cast<unsigned char>(c);
    out += (u < 0x20 || u == 0x7f) ? ' ' : c;
  }
  if (text.size() > cap) out += " [...]";
  return out;
}

// ---------------------------------------------------------------------------
// credential_process: one child process, RAII-owned.

// Both ends of a pipe, close-on-exec so that concurrently spawned children
// never inherit them (the child gets its copy through dup2, which clears it).
struct Pipe {
  UniqueFd read;
  UniqueFd write;
};

Result<Pipe> MakePipe() {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return Status::FromErrno(errno, "pipe2", "");
  return Pipe{UniqueFd(fds[0]), UniqueFd(fds[1])};
}

// A spawned child that leads its own process group. Until Reap() has collected
// it, destruction kills the whole group and waits, so no path leaks a process
// or a zombie.
class ChildProcess {
 public:
  explicit ChildProcess(pid_t pid) : pid_(pid) {}
  ~ChildProcess() {
    if (pid_ > 0) {
      Kill();
      int status = 0;
      while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
      }
    }
  }
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  // Kills the child and everything it started in its group (`sh -c "a | b"`).
  void Kill() const {
    if (pid_ > 0) ::kill(-pid_, SIGKILL);
  }
  // Non-blocking: true and the wait status when the child has exited.
  bool TryReap(int* status) {
    if (pid_ <= 0) return false;
    for (;;) {
      const pid_t r = ::waitpid(pid_, status, WNOHANG);
      if (r == pid_) {
        pid_ = -1;
        return true;
      }
      if (r < 0 && errno == EINTR) continue;
      return false;
    }
  }
  // Blocking; call after Kill().
  int Reap() {
    int status = 0;
    while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
    pid_ = -1;
    return status;
  }

 private:
  pid_t pid_;
};

// RAII for the posix_spawn attribute objects.
struct SpawnSetup {
  posix_spawn_file_actions_t actions;
  posix_spawnattr_t attr;
  SpawnSetup() {
    posix_spawn_file_actions_init(&actions);
    posix_spawnattr_init(&attr);
  }
  ~SpawnSetup() {
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
  }
  SpawnSetup(const SpawnSetup&) = delete;
  SpawnSetup& operator=(const SpawnSetup&) = delete;
};

// Runs `command` with /bin/sh -c, stdin from /dev/null, and returns its stdout.
// `what` names the command in messages ("credential_process of profile \"x\"");
// the command line itself is never shown (it may carry a password argument),
// nor is stdout (it carries the secret). Errors include stderr, trimmed and capped.
Result<std::string> RunCredentialCommand(const std::string& command, std::string_view what,
                                         std::chrono::milliseconds timeout, size_t stdout_cap) {
  S3M_ASSIGN_OR_RETURN(Pipe out, MakePipe());
  S3M_ASSIGN_OR_RETURN(Pipe err, MakePipe());
  UniqueFd devnull(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  if (devnull.get() < 0) return Status::FromErrno(errno, "open", "/dev/null");

  pid_t pid = -1;
  {
    SpawnSetup setup;
    posix_spawn_file_actions_adddup2(&setup.actions, devnull.get(), STDIN_FILENO);
    posix_spawn_file_actions_adddup2(&setup.actions, out.write.get(), STDOUT_FILENO);
    posix_spawn_file_actions_adddup2(&setup.actions, err.write.get(), STDERR_FILENO);
    // Own process group, so a timeout kills the shell and its children; default
    // signal dispositions and an empty mask, whatever this process uses.
    sigset_t empty;
    sigemptyset(&empty);
    sigset_t defaults;
    sigemptyset(&defaults);
    sigaddset(&defaults, SIGPIPE);
    sigaddset(&defaults, SIGINT);
    sigaddset(&defaults, SIGTERM);
    posix_spawnattr_setflags(&setup.attr,
                             POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    posix_spawnattr_setpgroup(&setup.attr, 0);
    posix_spawnattr_setsigmask(&setup.attr, &empty);
    posix_spawnattr_setsigdefault(&setup.attr, &defaults);

    std::string sh = "/bin/sh";
    std::string dash_c = "-c";
    std::string cmd = command;
    char* argv[] = {sh.data(), dash_c.data(), cmd.data(), nullptr};
    const int rc = ::posix_spawn(&pid, "/bin/sh", &setup.actions, &setup.attr, argv, environ);
    if (rc != 0) {
      return AuthError(fmt::format("{}: could not start /bin/sh: {}", what, std::strerror(rc)));
    }
  }
  ChildProcess child(pid);
  // Our copies of the write ends must go, or we would never see EOF.
  out.write.Reset();
  err.write.Reset();
  devnull.Reset();

  std::string stdout_text;
  std::string stderr_text;
  bool out_open = true;
  bool err_open = true;
  bool too_big = false;
  // Real time, not the injected Clock: this waits on a real process.
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  auto remaining_ms = [&]() -> int {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    return static_cast<int>(std::max<int64_t>(0, left.count()));
  };

  bool timed_out = false;
  while ((out_open || err_open) && !too_big) {
    pollfd fds[2];
    nfds_t n = 0;
    if (out_open) fds[n++] = pollfd{out.read.get(), POLLIN, 0};
    if (err_open) fds[n++] = pollfd{err.read.get(), POLLIN, 0};
    const int wait_ms = remaining_ms();
    if (wait_ms == 0) {
      timed_out = true;
      break;
    }
    const int pr = ::poll(fds, n, wait_ms);
    if (pr < 0) {
      if (errno == EINTR) continue;
      return Status::FromErrno(errno, "poll", "");
    }
    for (nfds_t i = 0; i < n; ++i) {
      if (fds[i].revents == 0) continue;
      char buf[4096];
      const ssize_t got = ::read(fds[i].fd, buf, sizeof buf);
      if (got < 0 && (errno == EINTR || errno == EAGAIN)) continue;
      const bool is_out = fds[i].fd == out.read.get();
      if (got <= 0) {
        (is_out ? out_open : err_open) = false;
        continue;
      }
      if (is_out) {
        stdout_text.append(buf, static_cast<size_t>(got));
        if (stdout_text.size() > stdout_cap) too_big = true;
      } else if (stderr_text.size() < kStderrKeep) {
        stderr_text.append(buf, std::min(static_cast<size_t>(got), kStderrKeep - stderr_text.size()));
      }
    }
  }

  // Both pipes closed (or we gave up): wait for the exit, still bounded by the deadline.
  int status = 0;
  bool exited = false;
  if (!timed_out && !too_big) {
    while (!(exited = child.TryReap(&status))) {
      if (remaining_ms() == 0) {
        timed_out = true;
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }
  if (!exited) {
    child.Kill();
    status = child.Reap();
  }
  const std::string shown_stderr = SanitizeForMessage(stderr_text, kStderrShown);
  const std::string stderr_part =
      shown_stderr.empty() ? std::string(" (it wrote nothing to stderr)")
                           : fmt::format("; its stderr: {}", shown_stderr);
  if (timed_out) {
    return AuthError(fmt::format("{} did not finish within {} ms and was killed{}", what,
                                 timeout.count(), stderr_part));
  }
  if (too_big) {
    return AuthError(fmt::format("{} wrote more than {} bytes to stdout and was killed", what,
                                 stdout_cap));
  }
  if (WIFSIGNALED(status)) {
    return AuthError(
        fmt::format("{} was killed by signal {}{}", what, WTERMSIG(status), stderr_part));
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) != 0) {
    return AuthError(
        fmt::format("{} failed with exit status {}{}", what, WEXITSTATUS(status), stderr_part));
  }
  return stdout_text;
}

// ---------------------------------------------------------------------------
// JSON credential documents.

// Reads a required string field; the error names the field, never a value.
Status RequireString(const nlohmann::json& doc, std::string_view field, std::string_view what,
                     std::string* out) {
  auto it = doc.find(field);
  if (it == doc.end() || !it->is_string() || it->get_ref<const std::string&>().empty()) {
    return AuthError(fmt::format("{}: reply has no \"{}\" string", what, field));
  }
  *out = it->get<std::string>();
  return Status::Ok();
}

Status OptionalString(const nlohmann::json& doc, std::string_view field, std::string_view what,
                      std::string* out) {
  auto it = doc.find(field);
  if (it == doc.end() || it->is_null()) return Status::Ok();
  if (!it->is_string()) return AuthError(fmt::format("{}: \"{}\" is not a string", what, field));
  *out = it->get<std::string>();
  return Status::Ok();
}

Status ReadExpiration(const nlohmann::json& doc, std::string_view what, bool required,
                      Credentials* creds) {
  auto it = doc.find("Expiration");
  if (it == doc.end() || it->is_null()) {
    if (required) return AuthError(fmt::format("{}: reply has no \"Expiration\"", what));
    return Status::Ok();
  }
  std::optional<SysTime> t;
  if (it->is_string()) t = ParseIso8601(it->get_ref<const std::string&>());
  if (!t) {
    // The value is not secret, but a garbled document might have put one here.
    return AuthError(fmt::format(
        "{}: \"Expiration\" is not an ISO 8601 time such as 2025-01-01T00:00:00Z", what));
  }
  creds->expiration = t;
  return Status::Ok();
}

// Parses without exceptions: a parse_error's what() quotes the input.
Result<nlohmann::json> ParseJsonObject(std::string_view text, std::string_view what) {
  nlohmann::json doc = nlohmann::json::parse(text.begin(), text.end(), nullptr,
                                             /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) {
    return AuthError(fmt::format("{}: output is not a JSON object", what));
  }
  return doc;
}

// ---------------------------------------------------------------------------
// HTTP helpers for the metadata services.

Result<HttpResponse> SendCapped(HttpTransport& transport, const HttpRequest& request) {
  std::string body;
  BodySink sink = [&body](const char* data, size_t size) -> Status {
    if (body.size() + size > kMetadataBodyCap) {
      return AuthError(fmt::format("reply larger than {} bytes", kMetadataBodyCap));
    }
    body.append(data, size);
    return Status::Ok();
  };
  S3M_ASSIGN_OR_RETURN(HttpResponse response, transport.Send(request, &sink));
  if (response.status >= 200 && response.status < 300) response.body = std::move(body);
  return response;
}

// At most `attempts` tries, retrying network faults and 5xx after a short pause.
// Deliberately few: the chain runs at startup and on refresh, and a retry
// storm against a metadata service helps nobody.
Result<HttpResponse> SendWithRetry(HttpTransport& transport, const HttpRequest& request,
                                   int attempts, Clock& clock) {
  for (int i = 1;; ++i) {
    Result<HttpResponse> r = SendCapped(transport, request);
    const bool retryable = r.ok() ? r->status >= 500 : IsRetryable(r.status().kind());
    if (!retryable || i >= attempts) return r;
    clock.SleepFor(std::chrono::milliseconds(200));
  }
}

// Host part of an absolute URL: "http://127.0.0.1:8080/x" -> "127.0.0.1",
// "http://[::1]:80/" -> "::1". Empty when the URL has no "scheme://".
std::string UrlHost(std::string_view url, std::string* scheme) {
  const size_t sep = url.find("://");
  if (sep == std::string_view::npos) return {};
  *scheme = AsciiLower(url.substr(0, sep));
  std::string_view rest = url.substr(sep + 3);
  rest = rest.substr(0, rest.find_first_of("/?#"));
  if (const size_t at = rest.rfind('@'); at != std::string_view::npos) rest = rest.substr(at + 1);
  if (!rest.empty() && rest[0] == '[') {
    const size_t close = rest.find(']');
    return close == std::string_view::npos ? std::string() : AsciiLower(rest.substr(1, close - 1));
  }
  return AsciiLower(rest.substr(0, rest.find(':')));
}

// AWS SDK rule: a full URI over plain http may only point at the container
// agent's addresses or loopback, so the authorization token cannot be sent
// in clear text to an arbitrary host.
bool IsAllowedContainerHost(const std::string& host) {
  if (host == "localhost" || host == "::1" || host == "169.254.170.2" ||
      host == "169.254.170.23" || host == "fd00:ec2::23") {
    return true;
  }
  return host.rfind("127.", 0) == 0;
}

// ---------------------------------------------------------------------------
// Sources.

// What one source made of its attempt.
struct SourceOutcome {
  enum class Kind { kFound, kNotConfigured, kFailed };
  Kind kind = Kind::kNotConfigured;
  Credentials credentials;  // kFound
  std::string reason;       // kNotConfigured: why, for the "tried: ..." list
  Status error;             // kFailed: stops the chain

  static SourceOutcome Found(Credentials c) {
    SourceOutcome o;
    o.kind = Kind::kFound;
    o.credentials = std::move(c);
    return o;
  }
  static SourceOutcome Skip(std::string reason) {
    SourceOutcome o;
    o.reason = std::move(reason);
    return o;
  }
  static SourceOutcome Fail(Status s) {
    SourceOutcome o;
    o.kind = Kind::kFailed;
    o.error = std::move(s);
    return o;
  }
  static SourceOutcome From(Result<Credentials> r) {
    return r.ok() ? Found(std::move(r).value()) : Fail(r.status());
  }
};

// Everything a source may look at, rebuilt for each resolution (so a refresh
// sees edits to the config files).
struct ChainInputs {
  const CredentialsChainOptions* options;
  const EnvLookup* env;
  std::string profile;
  AwsIniFile config;
  AwsIniFile credentials;
  Clock* clock;
  std::function<HttpTransport&()> transport;
};

class Source {
 public:
  virtual ~Source() = default;
  // "environment", "profile \"p\" in FILE", ...: the label in the "tried" list.
  virtual std::string Describe(const ChainInputs& in) const = 0;
  virtual SourceOutcome Fetch(const ChainInputs& in) = 0;
};

class EnvironmentSource final : public Source {
 public:
  std::string Describe(const ChainInputs&) const override { return "environment"; }
  SourceOutcome Fetch(const ChainInputs& in) override {
    const auto id = NonEmptyEnv(*in.env, "AWS_ACCESS_KEY_ID");
    const auto secret = NonEmptyEnv(*in.env, "AWS_SECRET_ACCESS_KEY");
    if (!id && !secret) return SourceOutcome::Skip("AWS_ACCESS_KEY_ID not set");
    if (!id || !secret) {
      const char* set = id ? "AWS_ACCESS_KEY_ID" : "AWS_SECRET_ACCESS_KEY";
      const char* missing = id ? "AWS_SECRET_ACCESS_KEY" : "AWS_ACCESS_KEY_ID";
      return SourceOutcome::Fail(AuthError(fmt::format(
          "environment: {} is set but {} is not; set both, or unset {} to use another source",
          set, missing, set)));
    }
    Credentials c;
    c.access_key_id = *id;
    c.secret_access_key = *secret;
    if (auto token = NonEmptyEnv(*in.env, "AWS_SESSION_TOKEN")) c.session_token = *token;
    c.source = "environment";
    return SourceOutcome::Found(std::move(c));
  }
};

// aws_access_key_id / aws_secret_access_key / aws_session_token in one file.
class ProfileKeysSource final : public Source {
 public:
  explicit ProfileKeysSource(AwsIniKind kind) : kind_(kind) {}
  std::string Describe(const ChainInputs& in) const override {
    return fmt::format("profile \"{}\" in {}", in.profile, File(in).path);
  }
  SourceOutcome Fetch(const ChainInputs& in) override {
    const AwsIniFile& file = File(in);
    if (!file.exists) return SourceOutcome::Skip("no such file");
    const AwsIniSection* p = file.FindProfile(in.profile);
    if (p == nullptr) return SourceOutcome::Skip("no such profile");
    const auto id = NonEmptyValue(p, "aws_access_key_id");
    const auto secret = NonEmptyValue(p, "aws_secret_access_key");
    if (!id && !secret) {
      if (kind_ == AwsIniKind::kConfig) {
        if (auto unsupported = UnsupportedMechanism(in)) {
          return SourceOutcome::Fail(AuthError(fmt::format(
              "profile \"{}\" uses {}, which s3migrate does not support; add to it "
              "'credential_process = aws configure export-credentials --profile {} "
              "--format process', or use another profile",
              in.profile, *unsupported, in.profile)));
        }
      }
      return SourceOutcome::Skip("no aws_access_key_id in the profile");
    }
    if (!id || !secret) {
      return SourceOutcome::Fail(AuthError(fmt::format(
          "profile \"{}\" in {} has {} but no {}; add the missing key or remove the other",
          in.profile, file.path, id ? "aws_access_key_id" : "aws_secret_access_key",
          id ? "aws_secret_access_key" : "aws_access_key_id")));
    }
    Credentials c;
    c.access_key_id = *id;
    c.secret_access_key = *secret;
    if (auto token = NonEmptyValue(p, "aws_session_token")) {
      c.session_token = *token;
    } else if (auto legacy = NonEmptyValue(p, "aws_security_token")) {
      c.session_token = *legacy;
    }
    c.source = fmt::format("profile \"{}\" ({})", in.profile, file.path);
    return SourceOutcome::Found(std::move(c));
  }

 private:
  const AwsIniFile& File(const ChainInputs& in) const {
    return kind_ == AwsIniKind::kConfig ? in.config : in.credentials;
  }
  // Profile-based mechanisms of the AWS CLI that this chain does not implement;
  // saying so beats silently falling through to instance credentials.
  static std::optional<std::string> UnsupportedMechanism(const ChainInputs& in) {
    for (const AwsIniFile* f : {&in.config, &in.credentials}) {
      const AwsIniSection* p = f->FindProfile(in.profile);
      if (NonEmptyValue(p, "role_arn")) return "role_arn (assume role)";
      if (NonEmptyValue(p, "sso_session") || NonEmptyValue(p, "sso_start_url")) {
        return "IAM Identity Center (SSO)";
      }
      if (NonEmptyValue(p, "web_identity_token_file")) return "web_identity_token_file";
    }
    return std::nullopt;
  }

  const AwsIniKind kind_;
};

class ProcessSource final : public Source {
 public:
  std::string Describe(const ChainInputs&) const override { return "credential_process"; }
  SourceOutcome Fetch(const ChainInputs& in) override {
    const AwsIniFile* from = &in.config;
    std::optional<std::string> command =
        NonEmptyValue(in.config.FindProfile(in.profile), "credential_process");
    if (!command) {
      from = &in.credentials;
      command = NonEmptyValue(in.credentials.FindProfile(in.profile), "credential_process");
    }
    if (!command) return SourceOutcome::Skip("not configured");
    const std::string what =
        fmt::format("credential_process of profile \"{}\" ({})", in.profile, from->path);
    Result<std::string> out = RunCredentialCommand(*command, what, in.options->process_timeout,
                                                   in.options->process_output_cap);
    if (!out.ok()) return SourceOutcome::Fail(out.status());
    return SourceOutcome::From(ParseCredentialProcessOutput(*out, what));
  }
};

class ContainerSource final : public Source {
 public:
  std::string Describe(const ChainInputs&) const override { return "ECS container endpoint"; }
  SourceOutcome Fetch(const ChainInputs& in) override {
    const EnvLookup& env = *in.env;
    std::string url;
    std::string what;
    if (auto rel = NonEmptyEnv(env, "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI")) {
      url = std::string(kEcsHost) + (rel->front() == '/' ? "" : "/") + *rel;
      what = "ECS container endpoint (AWS_CONTAINER_CREDENTIALS_RELATIVE_URI)";
    } else if (auto full = NonEmptyEnv(env, "AWS_CONTAINER_CREDENTIALS_FULL_URI")) {
      url = *full;
      what = "ECS container endpoint (AWS_CONTAINER_CREDENTIALS_FULL_URI)";
      std::string scheme;
      const std::string host = UrlHost(url, &scheme);
      if (scheme != "https" && !(scheme == "http" && IsAllowedContainerHost(host))) {
        return SourceOutcome::Fail(AuthError(fmt::format(
            "{}: must be https, or http to a loopback address or the ECS/EKS agent "
            "(169.254.170.2, 169.254.170.23)",
            what)));
      }
    } else {
      return SourceOutcome::Skip("not configured");
    }

    HttpRequest request;
    request.method = "GET";
    request.url = url;
    request.headers.emplace_back("accept", "application/json");
    std::optional<std::string> token;
    if (auto token_file = NonEmptyEnv(env, "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE")) {
      Result<std::string> t = ReadTokenFile(*token_file, what);
      if (!t.ok()) return SourceOutcome::Fail(t.status());
      token = std::move(t).value();
    } else {
      token = NonEmptyEnv(env, "AWS_CONTAINER_AUTHORIZATION_TOKEN");
    }
    if (token) {
      if (token->find_first_of("\r\n") != std::string::npos) {
        return SourceOutcome::Fail(
            AuthError(fmt::format("{}: the authorization token contains a line break", what)));
      }
      request.headers.emplace_back("authorization", *token);
    }

    Result<HttpResponse> r = SendWithRetry(in.transport(), request, 2, *in.clock);
    if (!r.ok()) {
      return SourceOutcome::Fail(
          AuthError(fmt::format("{}: unreachable: {}", what, r.status().ToString())));
    }
    if (r->status != 200) {
      return SourceOutcome::Fail(AuthError(fmt::format("{}: answered HTTP {}", what, r->status)));
    }
    return SourceOutcome::From(ParseMetadataCredentials(r->body, what));
  }

 private:
  static Result<std::string> ReadTokenFile(const std::string& path, std::string_view what) {
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (fd.get() < 0) {
      return AuthError(fmt::format("{}: cannot read AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE {}: {}",
                                   what, path, std::strerror(errno)));
    }
    std::string text;
    char buf[4096];
    for (;;) {
      const ssize_t n = ::read(fd.get(), buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        return AuthError(fmt::format("{}: cannot read {}: {}", what, path, std::strerror(errno)));
      }
      if (n == 0) break;
      text.append(buf, static_cast<size_t>(n));
      if (text.size() > kMetadataBodyCap) {
        return AuthError(fmt::format("{}: {} is too large for a token", what, path));
      }
    }
    return std::string(TrimAsciiSpace(text));
  }
};

class InstanceMetadataSource final : public Source {
 public:
  std::string Describe(const ChainInputs&) const override { return "EC2 instance metadata"; }
  SourceOutcome Fetch(const ChainInputs& in) override {
    const EnvLookup& env = *in.env;
    if (auto disabled = env("AWS_EC2_METADATA_DISABLED"); disabled && AsciiLower(TrimAsciiSpace(*disabled)) == "true") {
      return SourceOutcome::Skip("disabled by AWS_EC2_METADATA_DISABLED");
    }
    std::string base(kImdsDefaultEndpoint);
    if (auto e = NonEmptyEnv(env, "AWS_EC2_METADATA_SERVICE_ENDPOINT")) {
      base = *e;
    } else if (auto e2 = NonEmptyValue(in.config.FindProfile(in.profile),
                                       "ec2_metadata_service_endpoint")) {
      base = *e2;
    }
    while (!base.empty() && base.back() == '/') base.pop_back();
    HttpTransport& transport = in.transport();

    // IMDSv2: a session token first. No answer here means "not on EC2": that
    // is the common case on a laptop, so it is not an error.
    HttpRequest token_req;
    token_req.method = "PUT";
    token_req.url = base + "/latest/api/token";
    token_req.headers.emplace_back("x-aws-ec2-metadata-token-ttl-seconds",
                                   std::string(kImdsTokenTtlSeconds));
    Result<HttpResponse> token_resp = SendWithRetry(transport, token_req, 1, *in.clock);
    if (!token_resp.ok()) {
      return SourceOutcome::Skip(fmt::format("unreachable: {}", token_resp.status().message()));
    }
    if (token_resp->status == 403) {
      return SourceOutcome::Skip("token request answered HTTP 403: disabled or blocked");
    }
    if (token_resp->status != 200) {
      return SourceOutcome::Skip(fmt::format(
          "IMDSv2 token request answered HTTP {} (IMDSv1 is not used)", token_resp->status));
    }
    const std::string token(TrimAsciiSpace(token_resp->body));
    if (token.empty()) return SourceOutcome::Skip("IMDSv2 token request returned no token");

    const std::string what = "EC2 instance metadata";
    HttpRequest role_req;
    role_req.url = base + "/latest/meta-data/iam/security-credentials/";
    role_req.headers.emplace_back("x-aws-ec2-metadata-token", token);
    Result<HttpResponse> role_resp = SendWithRetry(transport, role_req, 2, *in.clock);
    if (!role_resp.ok()) {
      return SourceOutcome::Fail(AuthError(
          fmt::format("{}: listing the instance role failed: {}", what, role_resp.status().message())));
    }
    if (role_resp->status == 404) {
      return SourceOutcome::Skip("no IAM role is attached to this instance");
    }
    if (role_resp->status != 200) {
      return SourceOutcome::Fail(AuthError(
          fmt::format("{}: listing the instance role answered HTTP {}", what, role_resp->status)));
    }
    // Sample reply: "my-instance-role\n" (one role per instance profile).
    const std::string_view listing = TrimAsciiSpace(role_resp->body);
    const std::string role(TrimAsciiSpace(listing.substr(0, listing.find('\n'))));
    if (role.empty()) return SourceOutcome::Skip("no IAM role is attached to this instance");

    const std::string role_what = fmt::format("{} (role {})", what, role);
    HttpRequest creds_req;
    creds_req.url = role_req.url + UriEncode(role);
    creds_req.headers.emplace_back("x-aws-ec2-metadata-token", token);
    Result<HttpResponse> creds_resp = SendWithRetry(transport, creds_req, 2, *in.clock);
    if (!creds_resp.ok()) {
      return SourceOutcome::Fail(AuthError(fmt::format("{}: fetching credentials failed: {}",
                                                       role_what, creds_resp.status().message())));
    }
    if (creds_resp->status != 200) {
      return SourceOutcome::Fail(AuthError(fmt::format(
          "{}: fetching credentials answered HTTP {}", role_what, creds_resp->status)));
    }
    return SourceOutcome::From(ParseMetadataCredentials(creds_resp->body, role_what));
  }
};

// ---------------------------------------------------------------------------
// Providers.

class StaticProvider final : public CredentialsProvider {
 public:
  explicit StaticProvider(Credentials c) : credentials_(std::move(c)) {}
  Result<Credentials> GetCredentials() override { return credentials_; }

 private:
  const Credentials credentials_;
};

class ChainProvider final : public CredentialsProvider {
 public:
  explicit ChainProvider(CredentialsChainOptions options) : options_(std::move(options)) {
    if (!options_.env) options_.env = SystemEnv();
    clock_ = options_.clock != nullptr ? options_.clock : &Clock::Real();
    if (options_.profile.empty()) options_.profile = ResolveProfileName(std::nullopt, options_.env);
    if (options_.config_file.empty()) options_.config_file = ConfigFilePath(options_.env);
    if (options_.credentials_file.empty()) {
      options_.credentials_file = SharedCredentialsFilePath(options_.env);
    }
    sources_.push_back(std::make_unique<EnvironmentSource>());
    sources_.push_back(std::make_unique<ProfileKeysSource>(AwsIniKind::kCredentials));
    sources_.push_back(std::make_unique<ProcessSource>());
    sources_.push_back(std::make_unique<ProfileKeysSource>(AwsIniKind::kConfig));
    sources_.push_back(std::make_unique<ContainerSource>());
    sources_.push_back(std::make_unique<InstanceMetadataSource>());
  }

  // Decides under the lock, fetches without it: one thread fetches while the
  // others either keep using still-valid credentials or wait for its result.
  Result<Credentials> GetCredentials() override {
    std::unique_lock lock(mu_);
    for (;;) {
      const SysTime now = clock_->Now();
      if (cached_ && !NeedsRefreshLocked(now)) return *cached_;
      const bool usable = cached_ && !ExpiredLocked(now);
      if (usable && (fetching_ || clock_->MonotonicNow() < next_early_refresh_)) return *cached_;
      if (!fetching_) break;
      const uint64_t generation = generation_;
      cv_.wait(lock, [&] { return generation_ != generation; });
      if (!last_fetch_status_.ok()) {
        if (cached_ && !ExpiredLocked(clock_->Now())) return *cached_;
        return last_fetch_status_;
      }
      if (cached_) return *cached_;
    }

    fetching_ = true;
    const int known_source = source_index_;
    lock.unlock();
    int index = known_source;
    Result<Credentials> fetched = Fetch(&index);
    lock.lock();
    fetching_ = false;
    ++generation_;
    cv_.notify_all();
    // Whatever happened, do not fetch early again for a while: protects the
    // sources from a caller loop when they hand out short-lived credentials.
    next_early_refresh_ = clock_->MonotonicNow() + options_.refresh_retry_interval;
    const SysTime now = clock_->Now();
    if (fetched.ok()) {
      last_fetch_status_ = Status::Ok();
      if (known_source < 0) {
        S3M_LOG_INFO("using AWS credentials from {}", fetched->source);
      } else {
        S3M_LOG_DEBUG("refreshed AWS credentials from {}", fetched->source);
      }
      cached_ = std::move(fetched).value();
      source_index_ = index;
      return *cached_;
    }
    last_fetch_status_ = fetched.status();
    if (cached_ && !ExpiredLocked(now)) {
      S3M_LOG_WARN("refreshing AWS credentials from {} failed: {}; using the current ones, which "
                   "expire at {}",
                   cached_->source, fetched.status().ToString(), FormatTime(*cached_->expiration));
      return *cached_;
    }
    cached_.reset();
    return fetched.status();
  }

 private:
  bool NeedsRefreshLocked(SysTime now) const {
    return cached_->expiration && now >= *cached_->expiration - options_.refresh_before_expiry;
  }
  bool ExpiredLocked(SysTime now) const {
    return cached_->expiration && now >= *cached_->expiration;
  }

  HttpTransport& Transport() {
    std::call_once(transport_once_, [this] {
      if (options_.metadata_transport) {
        transport_ = options_.metadata_transport;
        return;
      }
      TransportOptions t;
      t.connect_timeout = std::chrono::milliseconds(1000);
      t.low_speed_bytes_per_sec = 1;
      t.low_speed_time = std::chrono::seconds(2);
      t.max_idle_connections = 2;
      transport_ = MakeCurlTransport(t);
    });
    return *transport_;
  }

  // Runs the chain (index < 0) or re-fetches from source *index. No lock held.
  Result<Credentials> Fetch(int* index) {
    ChainInputs in;
    in.options = &options_;
    in.env = &options_.env;
    in.profile = options_.profile;
    in.clock = clock_;
    in.transport = [this]() -> HttpTransport& { return Transport(); };
    S3M_ASSIGN_OR_RETURN(in.config, LoadAwsIniFile(options_.config_file, AwsIniKind::kConfig));
    S3M_ASSIGN_OR_RETURN(in.credentials,
                         LoadAwsIniFile(options_.credentials_file, AwsIniKind::kCredentials));

    if (*index >= 0) {
      Source& source = *sources_[static_cast<size_t>(*index)];
      SourceOutcome o = source.Fetch(in);
      if (o.kind == SourceOutcome::Kind::kNotConfigured) {
        return AuthError(fmt::format("{} no longer provides credentials ({})",
                                     source.Describe(in), o.reason));
      }
      return Finish(std::move(o), in);
    }

    std::vector<std::string> tried;
    for (size_t i = 0; i < sources_.size(); ++i) {
      SourceOutcome o = sources_[i]->Fetch(in);
      if (o.kind == SourceOutcome::Kind::kNotConfigured) {
        S3M_LOG_DEBUG("AWS credentials: {}: {}", sources_[i]->Describe(in), o.reason);
        tried.push_back(fmt::format("{} ({})", sources_[i]->Describe(in), o.reason));
        continue;
      }
      *index = static_cast<int>(i);
      return Finish(std::move(o), in);
    }
    std::string list;
    for (const std::string& t : tried) list += (list.empty() ? "" : ", ") + t;
    return AuthError(fmt::format(
        "no AWS credentials found; tried: {}. Set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, "
        "run 'aws configure', or pick a configured profile with --profile or AWS_PROFILE",
        list));
  }

  Result<Credentials> Finish(SourceOutcome o, const ChainInputs&) {
    if (o.kind == SourceOutcome::Kind::kFailed) return o.error;
    Credentials& c = o.credentials;
    if (c.expiration && *c.expiration <= clock_->Now()) {
      return AuthError(fmt::format("{} returned credentials that expired at {}", c.source,
                                   FormatTime(*c.expiration)));
    }
    return std::move(c);
  }

  CredentialsChainOptions options_;
  Clock* clock_ = nullptr;
  std::vector<std::unique_ptr<Source>> sources_;  // fixed after construction
  std::once_flag transport_once_;
  std::shared_ptr<HttpTransport> transport_;  // set once under transport_once_

  std::mutex mu_;
  std::condition_variable cv_;  // signalled when a fetch ends (generation_ changes)
  // Guarded by mu_:
  std::optional<Credentials> cached_;
  int source_index_ = -1;  // the source that produced cached_; -1 = walk the chain
  bool fetching_ = false;  // one thread is fetching, without the lock
  uint64_t generation_ = 0;  // number of fetches finished
  Status last_fetch_status_;
  Clock::MonoTime next_early_refresh_{};  // no refresh before expiry until then
};

}  // namespace

std::unique_ptr<CredentialsProvider> MakeStaticCredentialsProvider(Credentials credentials) {
  return std::make_unique<StaticProvider>(std::move(credentials));
}

std::unique_ptr<CredentialsProvider> MakeDefaultCredentialsChain(CredentialsChainOptions options) {
  return std::make_unique<ChainProvider>(std::move(options));
}

Result<Credentials> ParseCredentialProcessOutput(std::string_view json, std::string source) {
  S3M_ASSIGN_OR_RETURN(nlohmann::json doc, ParseJsonObject(json, source));
  auto version = doc.find("Version");
  if (version == doc.end() || !version->is_number_integer() || version->get<int64_t>() != 1) {
    return AuthError(fmt::format("{}: output must have \"Version\": 1", source));
  }
  Credentials c;
  S3M_RETURN_IF_ERROR(RequireString(doc, "AccessKeyId", source, &c.access_key_id));
  S3M_RETURN_IF_ERROR(RequireString(doc, "SecretAccessKey", source, &c.secret_access_key));
  S3M_RETURN_IF_ERROR(OptionalString(doc, "SessionToken", source, &c.session_token));
  S3M_RETURN_IF_ERROR(ReadExpiration(doc, source, /*required=*/false, &c));
  c.source = std::move(source);
  return c;
}

Result<Credentials> ParseMetadataCredentials(std::string_view json, std::string source) {
  S3M_ASSIGN_OR_RETURN(nlohmann::json doc, ParseJsonObject(json, source));
  if (auto code = doc.find("Code"); code != doc.end()) {
    if (!code->is_string() || code->get_ref<const std::string&>() != "Success") {
      return AuthError(fmt::format("{}: reply \"Code\" is not \"Success\"", source));
    }
  }
  Credentials c;
  S3M_RETURN_IF_ERROR(RequireString(doc, "AccessKeyId", source, &c.access_key_id));
  S3M_RETURN_IF_ERROR(RequireString(doc, "SecretAccessKey", source, &c.secret_access_key));
  S3M_RETURN_IF_ERROR(RequireString(doc, "Token", source, &c.session_token));
  S3M_RETURN_IF_ERROR(ReadExpiration(doc, source, /*required=*/true, &c));
  c.source = std::move(source);
  return c;
}


}  // namespace s3m::s3
