#include "s3/aws_config.h"

#include <fcntl.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "core/text.h"

namespace s3m::s3 {

namespace {

constexpr std::string_view kBlanks = " \t\r\f\v";
// Larger than any sane config file; stops a misconfigured path such as
// /dev/zero from eating memory.
constexpr size_t kMaxIniFileBytes = 16 * 1024 * 1024;

bool IsBlank(char c) { return kBlanks.find(c) != std::string_view::npos; }

std::optional<std::string> NonEmpty(const EnvLookup& env, std::string_view name) {
  std::optional<std::string> v = env(name);
  if (v && v->empty()) return std::nullopt;
  return v;
}

bool IsTrue(std::string_view v) { return AsciiLower(TrimAsciiSpace(v)) == "true"; }

// One open file descriptor, closed on destruction.
class ScopedFd {
 public:
  explicit ScopedFd(int fd) : fd_(fd) {}
  ~ScopedFd() {
    if (fd_ >= 0) ::close(fd_);
  }
  ScopedFd(const ScopedFd&) = delete;
  ScopedFd& operator=(const ScopedFd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

class IniParser {
 public:
  IniParser(AwsIniKind kind, std::string_view path) : kind_(kind) { file_.path = path; }

  Result<AwsIniFile> Parse(std::string_view text) {
    size_t line_no = 0;
    while (!text.empty()) {
      ++line_no;
      const size_t nl = text.find('\n');
      std::string_view line = text.substr(0, nl);
      text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
      Status s = ParseLine(line);
      if (!s.ok()) {
        ErrorContext ctx;
        ctx.operation = "parse AWS shared config file";
        ctx.path = file_.path;
        return Status::Error(ErrorKind::kInvalidArgument,
                             fmt::format("line {}: {}", line_no, s.message()), ctx);
      }
    }
    file_.exists = true;
    return std::move(file_);
  }

 private:
  // Errors returned here carry only a description; Parse() adds file and line.
  // None of them may quote the line.
  Status ParseLine(std::string_view raw) {
    const std::string_view line = TrimAsciiSpace(raw);
    if (line.empty() || line[0] == '#' || line[0] == ';') return Status::Ok();

    const bool indented = IsBlank(raw[0]);
    if (indented && section_ != nullptr && !property_.empty()) return ParseContinuation(line);

    if (line[0] == '[') return ParseHeader(line);
    if (section_ == nullptr) {
      return Bad("a 'key = value' line before any [section] header");
    }
    const size_t eq = line.find('=');
    if (eq == std::string_view::npos) return Bad("expected 'key = value' or a [section] header");
    const std::string key = AsciiLower(TrimAsciiSpace(line.substr(0, eq)));
    if (key.empty()) return Bad("a line with '=' but no key before it");
    const std::string_view value = TrimAsciiSpace(line.substr(eq + 1));
    section_->values[key] = std::string(value);
    property_ = key;
    sub_section_ = value.empty();
    return Status::Ok();
  }

  Status ParseContinuation(std::string_view line) {
    if (sub_section_) {
      const size_t eq = line.find('=');
      if (eq == std::string_view::npos) {
        return Bad("expected 'key = value' inside an indented sub-section");
      }
      const std::string key = AsciiLower(TrimAsciiSpace(line.substr(0, eq)));
      if (key.empty()) return Bad("a line with '=' but no key before it");
      section_->values[property_ + "." + key] = std::string(TrimAsciiSpace(line.substr(eq + 1)));
      return Status::Ok();
    }
    std::string& value = section_->values[property_];
    value += '\n';
    value += line;
    return Status::Ok();
  }

  Status ParseHeader(std::string_view line) {
    const size_t close = line.find(']');
    if (close == std::string_view::npos) return Bad("a section header without its closing ']'");
    // Text after the ']' is ignored, as the AWS CLI's configparser does
    // ("[profile x]  # comment").
    const std::string_view name = TrimAsciiSpace(line.substr(1, close - 1));
    if (name.empty()) return Bad("an empty section header '[]'");
    property_.clear();
    sub_section_ = false;

    if (kind_ == AwsIniKind::kCredentials) {
      section_ = &file_.profiles[std::string(name)];
      return Status::Ok();
    }
    if (name == "default") {
      section_ = &file_.profiles["default"];
      return Status::Ok();
    }
    constexpr std::string_view kProfile = "profile";
    if (name.size() > kProfile.size() && name.substr(0, kProfile.size()) == kProfile &&
        IsBlank(name[kProfile.size()])) {
      section_ = &file_.profiles[std::string(TrimAsciiSpace(name.substr(kProfile.size())))];
      return Status::Ok();
    }
    // "[services x]", "[sso-session y]", and anything the AWS CLI ignores.
    std::string key;
    for (char c : name) {
      if (IsBlank(c)) {
        if (!key.empty() && key.back() != ' ') key += ' ';
      } else {
        key += c;
      }
    }
    section_ = &file_.other_sections[key];
    return Status::Ok();
  }

  static Status Bad(std::string what) {
    return Status::Error(ErrorKind::kInvalidArgument, std::move(what));
  }

  const AwsIniKind kind_;
  AwsIniFile file_;
  AwsIniSection* section_ = nullptr;  // the section being filled; null before the first header
  std::string property_;              // the last key set in section_ (for indented lines)
  bool sub_section_ = false;          // property_ had an empty value: indented lines are keys
};

}  // namespace

EnvLookup SystemEnv() {
  return [](std::string_view name) -> std::optional<std::string> {
    const std::string key(name);
    const char* v = std::getenv(key.c_str());
    if (v == nullptr) return std::nullopt;
    return std::string(v);
  };
}

EnvLookup EnvFromMap(std::map<std::string, std::string> vars) {
  auto shared = std::make_shared<const std::map<std::string, std::string>>(std::move(vars));
  return [shared](std::string_view name) -> std::optional<std::string> {
    auto it = shared->find(std::string(name));
    if (it == shared->end()) return std::nullopt;
    return it->second;
  };
}

std::string ExpandHome(std::string_view path, const EnvLookup& env) {
  if (path.empty() || path[0] != '~' || (path.size() > 1 && path[1] != '/')) {
    return std::string(path);
  }
  std::string home;
  if (auto h = NonEmpty(env, "HOME")) {
    home = *h;
  } else {
    // No HOME (some service managers): fall back to the passwd entry.
    struct passwd pw {};
    struct passwd* found = nullptr;
    std::vector<char> buf(16384);
    if (getpwuid_r(getuid(), &pw, buf.data(), buf.size(), &found) == 0 && found != nullptr &&
        found->pw_dir != nullptr) {
      home = found->pw_dir;
    }
  }
  if (home.empty()) return std::string(path);
  if (home.size() > 1 && home.back() == '/') home.pop_back();
  return home + std::string(path.substr(1));
}

std::string ConfigFilePath(const EnvLookup& env) {
  if (auto p = NonEmpty(env, "AWS_CONFIG_FILE")) return ExpandHome(*p, env);
  return ExpandHome("~/.aws/config", env);
}

std::string SharedCredentialsFilePath(const EnvLookup& env) {
  if (auto p = NonEmpty(env, "AWS_SHARED_CREDENTIALS_FILE")) return ExpandHome(*p, env);
  return ExpandHome("~/.aws/credentials", env);
}

std::optional<std::string> AwsIniSection::Get(std::string_view key) const {
  auto it = values.find(key);
  if (it == values.end()) return std::nullopt;
  return it->second;
}

const AwsIniSection* AwsIniFile::FindProfile(std::string_view name) const {
  auto it = profiles.find(name);
  return it == profiles.end() ? nullptr : &it->second;
}

const AwsIniSection* AwsIniFile::FindSection(std::string_view header) const {
  auto it = other_sections.find(header);
  return it == other_sections.end() ? nullptr : &it->second;
}

Result<AwsIniFile> ParseAwsIni(std::string_view text, AwsIniKind kind,
                               std::string_view path_for_messages) {
  return IniParser(kind, path_for_messages).Parse(text);
}

Result<AwsIniFile> LoadAwsIniFile(const std::string& path, AwsIniKind kind) {
  ErrorContext ctx;
  ctx.operation = "read AWS shared config file";
  ctx.path = path;
  auto unreadable = [&](int err) {
    ErrorContext c = ctx;
    c.sys_errno = err;
    return Status::Error(ErrorKind::kInvalidArgument,
                         fmt::format("cannot read it: {}", std::strerror(err)), c);
  };

  ScopedFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) {
    const int err = errno;
    if (err == ENOENT || err == ENOTDIR) {
      AwsIniFile missing;
      missing.path = path;
      return missing;
    }
    return unreadable(err);
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return unreadable(errno);
  if (S_ISDIR(st.st_mode)) return unreadable(EISDIR);

  std::string text;
  char buf[8192];
  for (;;) {
    const ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      return unreadable(errno);
    }
    if (n == 0) break;
    text.append(buf, static_cast<size_t>(n));
    if (text.size() > kMaxIniFileBytes) {
      return Status::Error(ErrorKind::kInvalidArgument,
                           fmt::format("larger than {} MiB; is this really an AWS config file?",
                                       kMaxIniFileBytes >> 20),
                           ctx);
    }
  }
  return ParseAwsIni(text, kind, path);
}

std::string ResolveProfileName(const std::optional<std::string>& flag, const EnvLookup& env,
                               std::string* source) {
  std::string unused;
  std::string& src = source != nullptr ? *source : unused;
  if (flag && !flag->empty()) {
    src = "--profile";
    return *flag;
  }
  if (auto p = NonEmpty(env, "AWS_PROFILE")) {
    src = "AWS_PROFILE";
    return *p;
  }
  src = "default";
  return "default";
}

Result<AwsSettings> ResolveAwsSettings(const AwsSettingsOverrides& flags, const EnvLookup& env) {
  AwsSettings out;
  out.profile = ResolveProfileName(flags.profile, env, &out.profile_source);
  out.config_file = ConfigFilePath(env);
  out.credentials_file = SharedCredentialsFilePath(env);

  S3M_ASSIGN_OR_RETURN(AwsIniFile config, LoadAwsIniFile(out.config_file, AwsIniKind::kConfig));
  S3M_ASSIGN_OR_RETURN(AwsIniFile creds,
                       LoadAwsIniFile(out.credentials_file, AwsIniKind::kCredentials));

  const AwsIniSection* profile = config.FindProfile(out.profile);
  // A profile the user named explicitly must exist somewhere (a typo in
  // --profile would otherwise silently fall back to other credentials).
  if (out.profile_source != "default" && profile == nullptr &&
      creds.FindProfile(out.profile) == nullptr) {
    return Status::Error(
        ErrorKind::kInvalidArgument,
        fmt::format("profile \"{}\" (from {}) not found in {} or {}; check the name, or create "
                    "it with 'aws configure --profile {}'",
                    out.profile, out.profile_source, out.config_file, out.credentials_file,
                    out.profile));
  }
  const std::string profile_where =
      fmt::format("profile \"{}\" in {}", out.profile, out.config_file);
  auto from_profile = [&](std::string_view key) -> std::optional<std::string> {
    if (profile == nullptr) return std::nullopt;
    std::optional<std::string> v = profile->Get(key);
    if (v && v->empty()) return std::nullopt;
    return v;
  };

  // Region.
  if (flags.region && !flags.region->empty()) {
    out.region = *flags.region;
    out.region_source = "--region";
  } else if (auto r = NonEmpty(env, "AWS_REGION")) {
    out.region = *r;
    out.region_source = "AWS_REGION";
  } else if (auto r2 = NonEmpty(env, "AWS_DEFAULT_REGION")) {
    out.region = *r2;
    out.region_source = "AWS_DEFAULT_REGION";
  } else if (auto r3 = from_profile("region")) {
    out.region = *r3;
    out.region_source = profile_where;
  } else {
    out.region = "us-east-1";
    out.region_source = "default";
  }

  // Endpoint URL.
  const std::optional<std::string> ignore_env = env("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS");
  const std::optional<std::string> ignore_profile = from_profile("ignore_configured_endpoint_urls");
  const bool ignore_configured = (ignore_env && IsTrue(*ignore_env)) ||
                                 (!ignore_env && ignore_profile && IsTrue(*ignore_profile));
  if (flags.endpoint_url && !flags.endpoint_url->empty()) {
    out.endpoint_url = *flags.endpoint_url;
    out.endpoint_url_source = "--endpoint-url";
  } else if (!ignore_configured) {
    if (auto e = NonEmpty(env, "AWS_ENDPOINT_URL_S3")) {
      out.endpoint_url = *e;
      out.endpoint_url_source = "AWS_ENDPOINT_URL_S3";
    } else if (auto e2 = NonEmpty(env, "AWS_ENDPOINT_URL")) {
      out.endpoint_url = *e2;
      out.endpoint_url_source = "AWS_ENDPOINT_URL";
    } else {
      // services = NAME points at a [services NAME] section with per-service
      // sub-sections: "s3 =\n  endpoint_url = http://...".
      std::optional<std::string> services = from_profile("services");
      const AwsIniSection* svc =
          services ? config.FindSection("services " + *services) : nullptr;
      std::optional<std::string> svc_url = svc ? svc->Get("s3.endpoint_url") : std::nullopt;
      if (svc_url && !svc_url->empty()) {
        out.endpoint_url = *svc_url;
        out.endpoint_url_source =
            fmt::format("[services {}] s3.endpoint_url in {}", *services, out.config_file);
      } else if (auto e3 = from_profile("endpoint_url")) {
        out.endpoint_url = *e3;
        out.endpoint_url_source = profile_where;
      }
    }
  }

  // CA bundle.
  if (auto ca = NonEmpty(env, "AWS_CA_BUNDLE")) {
    out.ca_bundle = ExpandHome(*ca, env);
    out.ca_bundle_source = "AWS_CA_BUNDLE";
  } else if (auto ca2 = from_profile("ca_bundle")) {
    out.ca_bundle = ExpandHome(*ca2, env);
    out.ca_bundle_source = profile_where;
  }

  // Addressing style.
  if (flags.path_style) {
    out.path_style = true;
    out.path_style_source = "--path-style";
  } else if (auto style = from_profile("s3.addressing_style")) {
    const std::string s = AsciiLower(*style);
    if (s != "path" && s != "virtual" && s != "auto") {
      ErrorContext ctx;
      ctx.path = out.config_file;
      return Status::Error(
          ErrorKind::kInvalidArgument,
          fmt::format("profile \"{}\": s3.addressing_style must be auto, virtual or path",
                      out.profile),
          ctx);
    }
    out.path_style = s == "path";
    out.path_style_source = profile_where;
  } else {
    out.path_style_source = "default";
  }
  return out;
}

}  // namespace s3m::s3
