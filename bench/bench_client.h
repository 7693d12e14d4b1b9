// The S3 client the bench/ programs share: s3migrate's own (libcurl, pooled
// keep-alive connections, SigV4), path-style, with static credentials from
// the command line.
#pragma once

#include <cstdio>
#include <memory>
#include <string>

#include "s3/client.h"
#include "s3/credentials.h"

namespace s3m::bench {

// Prints the error and returns null when the client cannot be made.
inline std::unique_ptr<s3::S3Client> MakeBenchClient(const std::string& endpoint, const std::string& access_key,
                                                     const std::string& secret_key, const std::string& region) {
  s3::Credentials creds;
  creds.access_key_id = access_key;
  creds.secret_access_key = secret_key;
  creds.source = "command line";
  s3::S3ClientOptions options;
  options.endpoint_url = endpoint;
  options.default_region = region;
  options.force_path_style = true;
  options.transport = s3::MakeCurlTransport({});
  options.credentials = s3::MakeStaticCredentialsProvider(creds);
  auto client = s3::S3Client::Create(std::move(options));
  if (!client.ok()) {
    std::fprintf(stderr, "%s\n", client.status().ToString().c_str());
    return nullptr;
  }
  return std::move(*client);
}

}  // namespace s3m::bench
