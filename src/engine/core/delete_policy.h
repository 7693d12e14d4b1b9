// DeletePolicy: the one rule that decides whether a verified object may ever
// be deleted from S3 (PRODUCT.md §5.1, §5.3). The delete gate owns it and
// applies it to every request it is handed; the engine's decision core asks
// the same object before it queues one, so nothing is queued that the gate
// would refuse, and no other code states the rule again.
//
//   --keep-source (delete_after_verify = false)  -> refused, every object
//   verified by size only, without opt-in         -> refused (left behind)
//   --dry-run                                     -> not refused: the gate
//                                                    answers kWouldDelete and
//                                                    sends nothing
//
// The caller's part of the contract: a request describes an object whose
// local copy is verified, fsynced under its final name, and recorded as
// `verified` in a committed transaction.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace s3m::engine {

struct DeleteRequest {
  int64_t id = 0;
  std::string bucket;
  std::string key;
  std::string version_id;  // set for versioned buckets: deleted exactly
  std::string etag;        // the verified object's ETag (without quotes)
  int64_t size = 0;
  bool size_only = false;  // verified by size only (PRODUCT.md §5.3)
};

struct DeletePolicyOptions {
  bool dry_run = false;
  bool keep_source = false;      // --keep-source / delete_after_verify = false
  bool allow_size_only = false;  // --delete-size-only-verified
};

class DeletePolicy {
 public:
  explicit DeletePolicy(DeletePolicyOptions options) : options_(options) {}

  // Why `request` will never be deleted (nullopt: it may be; under --dry-run
  // "deleted" means reported as what would be deleted).
  std::optional<std::string> Refusal(const DeleteRequest& request) const;
  // --keep-source: no request is ever deleted.
  bool RefusesEverything() const { return options_.keep_source; }
  // Objects verified by size only stay in S3 (and the report says why).
  bool KeepsSizeOnly() const { return !options_.allow_size_only && !options_.keep_source; }
  bool dry_run() const { return options_.dry_run; }

 private:
  DeletePolicyOptions options_;
};

}  // namespace s3m::engine
