// Where s3migrate's AWS credentials come from: the default provider chain of
// the AWS CLI, with caching and refresh of temporary credentials.
//
// Secrets (secret access keys, session tokens, the container authorization
// token, the IMDS session token, a credential_process's stdout) appear in no
// Status message, log line or exception produced here. Messages name the
// source, the file, the variable or the HTTP status instead.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "core/clock.h"
#include "core/status.h"
#include "s3/aws_config.h"
#include "s3/http.h"
#include "s3/types.h"

namespace s3m::s3 {

class CredentialsProvider {
 public:
  virtual ~CredentialsProvider() = default;
  // Returns credentials valid for signing now. Thread-safe; cheap when cached.
  // Errors are kAuth (no credentials, a source failed), kInvalidArgument (a
  // malformed config file) or, rarely, kFatal (pipe/poll failed). None is
  // retryable by the caller's retry loop: providers do their own bounded
  // re-fetching, and a failed call is re-tried on the next call.
  virtual Result<Credentials> GetCredentials() = 0;
};

// Always returns the same credentials (e.g. from a test or an embedding program).
std::unique_ptr<CredentialsProvider> MakeStaticCredentialsProvider(Credentials credentials);

struct CredentialsChainOptions {
  // The environment; null = SystemEnv().
  EnvLookup env;
  // Profile to read; empty = ResolveProfileName(nullopt, env) (AWS_PROFILE or
  // "default"). Pass AwsSettings::profile to honour --profile.
  std::string profile;
  // Files to read; empty = ConfigFilePath(env) / SharedCredentialsFilePath(env).
  std::string config_file;
  std::string credentials_file;
  // Used for expiry decisions only; null = Clock::Real(). Must outlive the provider.
  Clock* clock = nullptr;
  // Transport for the ECS and EC2 metadata services. Null = a curl transport
  // with a 1 s connect timeout, created on first use. These services are
  // link-local: a transport with the S3 client's long timeouts would make a
  // machine without them wait for nothing.
  std::shared_ptr<HttpTransport> metadata_transport;
  // Temporary credentials are fetched again this long before they expire; a
  // failed early refresh keeps the still-valid ones (and is retried no sooner
  // than refresh_retry_interval later).
  std::chrono::seconds refresh_before_expiry{300};
  std::chrono::seconds refresh_retry_interval{30};
  // credential_process limits: a command running longer is killed (with its
  // whole process group); stdout beyond the cap is an error.
  std::chrono::milliseconds process_timeout{60000};
  size_t process_output_cap = 64 * 1024;
};

// The default chain, in the order of the AWS CLI's documentation:
//   1. environment: AWS_ACCESS_KEY_ID + AWS_SECRET_ACCESS_KEY [+ AWS_SESSION_TOKEN]
//   2. the profile in the shared credentials file (aws_access_key_id, ...)
//   3. the profile's credential_process (config file, else credentials file)
//   4. the profile in the config file (aws_access_key_id, ...)
//   5. the ECS container endpoint (AWS_CONTAINER_CREDENTIALS_RELATIVE_URI /
//      AWS_CONTAINER_CREDENTIALS_FULL_URI [+ AWS_CONTAINER_AUTHORIZATION_TOKEN[_FILE]])
//   6. EC2 instance metadata, IMDSv2 only (AWS_EC2_METADATA_DISABLED=true skips it,
//      AWS_EC2_METADATA_SERVICE_ENDPOINT overrides http://169.254.169.254)
// A source that is not configured passes to the next. A source that is
// configured but broken (one env variable of the pair, a profile with a key
// but no secret, a failing credential_process, an ECS endpoint answering 500)
// stops the chain with its error, as the AWS SDKs do, rather than silently
// using other credentials. When no source yields credentials the error is
// kAuth and names every source tried and why it gave nothing.
//
// The provider remembers which source answered; temporary credentials are
// re-fetched from that source refresh_before_expiry before they expire, by
// one thread while the others keep using the still-valid ones.
std::unique_ptr<CredentialsProvider> MakeDefaultCredentialsChain(CredentialsChainOptions options);

// Parses credential_process output (exposed for tests). Sample:
//   {"Version": 1, "AccessKeyId": "AKIA...", "SecretAccessKey": "...",
//    "SessionToken": "...", "Expiration": "2025-01-01T00:00:00Z"}
// SessionToken and Expiration are optional (no Expiration = never expires).
// Errors never quote the input. `source` is copied into Credentials::source.
Result<Credentials> ParseCredentialProcessOutput(std::string_view json, std::string source);

// Parses ECS / EC2 metadata credentials (exposed for tests). Sample:
//   {"Code": "Success", "Type": "AWS-HMAC", "AccessKeyId": "ASIA...",
//    "SecretAccessKey": "...", "Token": "...", "Expiration": "2025-01-01T00:00:00Z"}
// "Code" is optional (ECS omits it) but must be "Success" when present.
Result<Credentials> ParseMetadataCredentials(std::string_view json, std::string source);



}  // namespace s3m::s3
