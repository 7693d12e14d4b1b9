#include "cli/ls_command.h"

#include <cstdio>

#include <fmt/format.h>

#include "cli/app.h"
#include "cli/format.h"

namespace s3m::cli {

CLI::App* AddLsCommand(CLI::App& app, LsOptions& options) {
  CLI::App* cmd = app.add_subcommand("ls", "List buckets, or the objects of one bucket");
  cmd->add_option("target", options.target, "BUCKET or BUCKET/PREFIX; omit to list buckets");
  cmd->add_flag("-r,--recursive", options.recursive,
                "List every key under the prefix instead of one level");
  cmd->add_flag("--versions", options.versions, "List object versions and delete markers");
  cmd->footer(
      "Examples:\n"
      "  s3migrate ls                          # every bucket, with its region\n"
      "  s3migrate ls photos                   # top level of bucket 'photos'\n"
      "  s3migrate ls -r photos/2020/          # every key under 2020/\n"
      "  s3migrate --endpoint-url http://127.0.0.1:9000 ls --versions photos");
  return cmd;
}

namespace {

int Fail(const Status& status) {
  ReportError(status);
  return ExitCodeFor(status);
}

int ListBuckets(s3::ObjectStore& store) {
  auto buckets = store.ListBuckets();
  if (!buckets.ok()) return Fail(buckets.status());
  for (const auto& bucket : *buckets) {
    auto region = store.GetBucketRegion(bucket.name);
    std::printf("%-24s %-16s %s\n", bucket.creation_date.c_str(),
                region.ok() ? region->c_str() : "?", PrintableKey(bucket.name).c_str());
  }
  return kExitOk;
}

}  // namespace

int RunLsCommand(const LsOptions& options, CommandContext& ctx) {
  auto store_or = ctx.Store();
  if (!store_or.ok()) return Fail(store_or.status());
  s3::ObjectStore& store = **store_or;
  if (options.target.empty()) return ListBuckets(store);

  const size_t slash = options.target.find('/');
  const std::string bucket = options.target.substr(0, slash);
  const std::string prefix = slash == std::string::npos ? "" : options.target.substr(slash + 1);
  auto region = store.GetBucketRegion(bucket);
  if (!region.ok()) return Fail(region.status());

  if (options.versions) {
    s3::ListObjectVersionsRequest req;
    req.bucket = bucket;
    req.prefix = prefix;
    if (!options.recursive) req.delimiter = "/";
    for (;;) {
      if (ctx.cancelled()) return kExitInterrupted;
      auto page = store.ListObjectVersions(req);
      if (!page.ok()) return Fail(page.status());
      for (const auto& p : page->common_prefixes) std::printf("%*s PRE %s\n", 56, "", PrintableKey(p).c_str());
      for (const auto& v : page->versions) {
        std::printf("%-24s %12llu %-8s %-36s %s%s\n", v.last_modified.c_str(),
                    static_cast<unsigned long long>(v.size),
                    v.is_delete_marker ? "DELETE" : (v.is_latest ? "LATEST" : ""),
                    v.version_id.c_str(), PrintableKey(v.key).c_str(),
                    v.is_delete_marker ? " (delete marker)" : "");
      }
      if (!page->is_truncated) break;
      req.key_marker = page->next_key_marker;
      req.version_id_marker = page->next_version_id_marker;
    }
    return kExitOk;
  }

  s3::ListObjectsV2Request req;
  req.bucket = bucket;
  req.prefix = prefix;
  if (!options.recursive) req.delimiter = "/";
  std::string last_token;
  for (;;) {
    if (ctx.cancelled()) return kExitInterrupted;
    auto page = store.ListObjectsV2(req);
    if (!page.ok()) return Fail(page.status());
    for (const auto& p : page->common_prefixes) std::printf("%*s PRE %s\n", 56, "", PrintableKey(p).c_str());
    for (const auto& o : page->objects) {
      std::printf("%-24s %12llu %-20s %s\n", o.last_modified.c_str(),
                  static_cast<unsigned long long>(o.size), o.storage_class.c_str(),
                  PrintableKey(o.key).c_str());
    }
    if (!page->is_truncated) break;
    // Some servers (s3rver 3.7.1 on keys with newlines) repeat a token; a
    // listing must never loop forever on one.
    if (page->next_continuation_token.empty() || page->next_continuation_token == last_token) {
      return Fail(Status::Error(ErrorKind::kFatal,
                                "the server repeated a continuation token; the listing is incomplete",
                                ErrorContext::ForObject("ListObjectsV2", bucket)));
    }
    last_token = req.continuation_token = page->next_continuation_token;
  }
  return kExitOk;
}

}  // namespace s3m::cli
