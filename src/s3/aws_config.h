// The AWS shared configuration files (~/.aws/config, ~/.aws/credentials) and
// the settings s3migrate derives from them and from the AWS_* environment,
// with the precedence the AWS CLI uses.
//
// Everything here reads the environment only through an injected EnvLookup,
// so tests resolve settings from a map and never from the real process
// environment. Parsing is a pure function of the file text.
//
// Secrets: the credentials file holds secret keys. No message built here ever
// quotes a line or a value of a file; errors name the file and line number only.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "core/status.h"

namespace s3m::s3 {

// Returns the value of an environment variable, or nullopt when it is unset.
// Must be safe to call from several threads at once.
using EnvLookup = std::function<std::optional<std::string>(std::string_view name)>;

// The real process environment (getenv). Thread-safe as long as nobody calls
// setenv/putenv concurrently, which s3migrate never does after startup.
EnvLookup SystemEnv();

// An environment made of exactly these variables; for tests and embedding.
EnvLookup EnvFromMap(std::map<std::string, std::string> vars);

// Expands a leading "~" or "~/" to the home directory ($HOME from `env`, else
// the passwd entry of the current user). "~user" forms are returned unchanged.
std::string ExpandHome(std::string_view path, const EnvLookup& env);

// AWS_CONFIG_FILE, else ~/.aws/config (expanded).
std::string ConfigFilePath(const EnvLookup& env);
// AWS_SHARED_CREDENTIALS_FILE, else ~/.aws/credentials (expanded).
std::string SharedCredentialsFilePath(const EnvLookup& env);

// The two files name their sections differently:
//   config:      [default]  [profile NAME]  [services NAME]  [sso-session NAME]
//   credentials: [default]  [NAME]          (every section is a profile)
enum class AwsIniKind { kConfig, kCredentials };

// The key/value pairs of one section. Keys are lower-cased (as the AWS CLI's
// configparser does); values are trimmed. A nested sub-section such as
//
//   s3 =
//     addressing_style = path
//
// is stored flattened as "s3.addressing_style" = "path" (and "s3" = "").
struct AwsIniSection {
  std::map<std::string, std::string, std::less<>> values;

  // The value of `key` ("region", "s3.addressing_style"); nullopt when absent.
  std::optional<std::string> Get(std::string_view key) const;
};

struct AwsIniFile {
  std::string path;     // as given to LoadAwsIniFile (for messages)
  bool exists = false;  // false when the file does not exist (which is fine)
  // Profiles by name: "default", "prod". In the config file "[profile prod]"
  // becomes "prod", and "[profile default]" merges into "default".
  std::map<std::string, AwsIniSection, std::less<>> profiles;
  // Config-file sections other than profiles, by their full header text:
  // "services my-endpoints", "sso-session corp".
  std::map<std::string, AwsIniSection, std::less<>> other_sections;

  const AwsIniSection* FindProfile(std::string_view name) const;
  const AwsIniSection* FindSection(std::string_view header) const;
};

// Parses the text of a config or credentials file the way the AWS CLI
// (Python configparser) reads it:
//
//   # comment            ; comment       (whole lines, after optional blanks)
//   [profile prod]       # comment       (text after ']' is ignored)
//   region = eu-west-1                   (key = value; blanks around both trimmed)
//   s3 =
//     addressing_style = path            (indented lines after an empty value:
//                                         a sub-section)
//   long_value = first
//     second                             (indented lines after a non-empty value
//                                         continue it, joined with "\n")
//
// There are no inline comments in values: "region = x # y" has the value
// "x # y", as in the AWS CLI; this keeps a credential_process command such as
// "sh -c 'a ; b'" intact. Duplicate sections merge; a duplicate key keeps the
// last value. Errors (kInvalidArgument) name `path_for_messages` and the
// 1-based line, and never quote the line: a credentials file line may be a secret.
Result<AwsIniFile> ParseAwsIni(std::string_view text, AwsIniKind kind,
                               std::string_view path_for_messages);

// Reads and parses `path`. A file that does not exist gives an empty AwsIniFile
// with exists == false; one that cannot be read (permissions, a directory) or
// does not parse gives kInvalidArgument naming the file.
Result<AwsIniFile> LoadAwsIniFile(const std::string& path, AwsIniKind kind);

// What the user set on the command line; nullopt / false = not given.
struct AwsSettingsOverrides {
  std::optional<std::string> profile;       // --profile
  std::optional<std::string> region;        // --region
  std::optional<std::string> endpoint_url;  // --endpoint-url
  bool path_style = false;                  // --path-style
};

// The resolved settings. Each *_source says where the value came from, for
// `--log-level debug` and error messages: "--region", "AWS_REGION",
// "profile \"prod\" in /home/u/.aws/config", "default".
struct AwsSettings {
  std::string profile;
  std::string profile_source;
  std::string region;
  std::string region_source;
  std::string endpoint_url;  // empty = the AWS endpoint for the region
  std::string endpoint_url_source;
  std::string ca_bundle;  // empty = the system trust store
  std::string ca_bundle_source;
  bool path_style = false;
  std::string path_style_source;
  std::string config_file;       // the files consulted (they may not exist)
  std::string credentials_file;
};

// Profile name: --profile > AWS_PROFILE > "default". Empty values count as unset.
// `source` receives "--profile", "AWS_PROFILE" or "default" when non-null.
std::string ResolveProfileName(const std::optional<std::string>& flag, const EnvLookup& env,
                               std::string* source = nullptr);

// Resolves every setting with the AWS CLI's precedence:
//   region:       --region > AWS_REGION > AWS_DEFAULT_REGION > profile `region` > "us-east-1"
//   endpoint_url: --endpoint-url > AWS_ENDPOINT_URL_S3 > AWS_ENDPOINT_URL >
//                 the profile's `services` section `s3.endpoint_url` > profile `endpoint_url`
//                 > none; AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true (or profile
//                 `ignore_configured_endpoint_urls = true`) leaves only the flag.
//   ca_bundle:    AWS_CA_BUNDLE > profile `ca_bundle` (both "~"-expanded)
//   path_style:   --path-style > profile `s3.addressing_style` == path
// Profile values come from the config file, as the AWS CLI reads them.
// Errors (kInvalidArgument): an unreadable or malformed file; a profile named
// by --profile or AWS_PROFILE that exists in neither file; an
// s3.addressing_style other than auto/virtual/path.
Result<AwsSettings> ResolveAwsSettings(const AwsSettingsOverrides& flags, const EnvLookup& env);

}  // namespace s3m::s3
