// DeleteGate: the one place in s3migrate that removes objects from S3
// (PRODUCT.md §5.1, §5.2, §9). Nothing else calls ObjectStore::DeleteObject(s).
//
// Contract for callers: every request handed to the gate describes an object
// whose local copy is verified, fsynced under its final name, and recorded as
// `verified` in a committed transaction. The gate then makes sure the delete
// hits exactly that object:
//
//   * versioned bucket: the version id that was downloaded, never a delete
//     marker over it;
//   * otherwise a conditional delete: <ETag> per entry in DeleteObjects; a
//     412 means the object changed (confirmed with a HEAD, since Swift 2.30
//     answers 412 to matching multipart ETags: then this endpoint switches to
//     HEAD-then-DELETE instead of looping);
//   * a server that ignores ETag conditions (s3rver 3.7.1) or rejects them
//     (Swift 2.30: MalformedXML) gets, object by object, a HEAD right before
//     that object's own unconditional DeleteObject (never a batch of HEADs
//     followed by one DeleteObjects): the window in which an overwrite could
//     be deleted unseen is one round trip per object.
//   * keys an XML body cannot carry (control characters, invalid UTF-8) are
//     deleted with DeleteObject, one at a time, never in a batch the server
//     would reject. Whether conditions are honoured is learnt on the
//     endpoint's first batch by a probe: one entry that was just HEAD-checked
//     is sent with a deliberately wrong ETag. An honest server answers 412 and
//     keeps it; a server that deletes it anyway has shown that it ignores
//     conditions — and what it deleted was an object we had just confirmed
//     is the verified one.
//   * eligibility is the DeletePolicy's (core/delete_policy.h), which the
//     gate owns: under --keep-source every request is refused; objects
//     verified by size only are refused unless the user opted in. The engine
//     asks policy() before it queues a request, and the gate applies it again
//     to every batch.
//   * --dry-run: nothing is deleted; every request comes back kWouldDelete.
//
// Thread-safe: the engine's delete workers call DeleteBatch concurrently.
#pragma once

#include <atomic>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"
#include "core/write_fence.h"
#include "engine/core/delete_policy.h"
#include "s3/object_store.h"

namespace s3m::engine {


enum class DeleteResult {
  kDeleted,      // S3 confirmed the delete
  kAlreadyGone,  // the object was no longer there (someone else deleted it)
  kChanged,      // S3 holds a different object under the key: download it again
  kRefused,      // the gate will not delete it (size-only without opt-in)
  kWouldDelete,  // --dry-run
  kFailed,       // the request failed (status); try again later
};

struct DeleteOutcome {
  int64_t id = 0;
  DeleteResult result = DeleteResult::kFailed;
  Status status;
  std::optional<s3::ObjectMetadata> current;  // kChanged: the object S3 holds now
};

enum class ConditionalDeletes {
  kUnknown,    // not probed yet
  kHonoured,   // <ETag> in DeleteObjects works as AWS documents
  kHeadFirst,  // ignored, rejected or unreliable: HEAD with If-Match, then delete
};

struct DeleteGateOptions {
  bool dry_run = false;
  bool keep_source = false;      // --keep-source / delete_after_verify = false
  bool allow_size_only = false;  // --delete-size-only-verified
  // kUnknown: probe; a test or a user who knows the server may force one.
  ConditionalDeletes conditional = ConditionalDeletes::kUnknown;
};

class DeleteGate {
 public:
  DeleteGate(s3::ObjectStore& store, DeleteGateOptions options);
  // A worker sharing its state (issue 20): once `fence` closed (its lease
  // may have lapsed, another worker may hold its objects now) nothing more
  // is deleted here: every request fails with kCancelled, its row stays
  // verified. Set before the first batch.
  void SetFence(const WriteFence* fence) { fence_ = fence; }

  // At most 1000 requests of one bucket. One outcome per request, in order.
  std::vector<DeleteOutcome> DeleteBatch(const std::string& bucket,
                                         const std::vector<DeleteRequest>& batch);

  ConditionalDeletes conditional() const { return conditional_.load(); }

  // The eligibility rule this gate applies to every request.
  const DeletePolicy& policy() const { return policy_; }

 private:
  // HEAD with If-Match: nullopt when the object is still the verified one,
  // else the outcome (changed, gone, failed).
  std::optional<DeleteOutcome> CheckUnchanged(const DeleteRequest& request);
  // Requests of a batch and where their outcomes go.
  struct Selection {
    std::vector<const DeleteRequest*> requests;
    std::vector<size_t> slots;  // index into the outcomes
    void Add(const DeleteRequest* r, size_t slot) {
      requests.push_back(r);
      slots.push_back(slot);
    }
  };
  // A request that never reaches S3: malformed, refused by the policy, or
  // --dry-run. nullopt: it goes on.
  std::optional<DeleteOutcome> Screen(const std::string& bucket, const DeleteRequest& r) const;
  // Deletes `requests`: keys an XML body carries in one DeleteObjects
  // (SendBatch), others one at a time (DeleteOne).
  void Send(const std::string& bucket, const Selection& requests, bool with_etags,
            std::vector<DeleteOutcome>& outcomes);
  void SendBatch(const std::string& bucket, const Selection& batch, bool with_etags,
                 std::vector<DeleteOutcome>& outcomes);
  // An endpoint whose conditions are not known to work: HEAD right before
  // each object's own delete, probing on the way.
  void SendCheckingEach(const std::string& bucket, const Selection& requests,
                        std::vector<DeleteOutcome>& outcomes);
  // One error entry of a DeleteObjects reply.
  DeleteOutcome OnEntryError(const DeleteRequest& r, const s3::DeleteErrorEntry& e);
  // One DeleteObject, with If-Match when `with_condition` (unversioned); a
  // 412 is confirmed with a HEAD, and a matching object deleted without it.
  DeleteOutcome DeleteOne(const DeleteRequest& request, bool with_condition);
  // Learns whether the endpoint honours ETag conditions, deleting `probe`
  // (already HEAD-checked) when it does not. Returns the probe's outcome when
  // it was settled by the probe.
  std::optional<DeleteOutcome> Probe(const std::string& bucket, const DeleteRequest& probe);

  s3::ObjectStore& store_;
  const DeletePolicy policy_;
  std::atomic<ConditionalDeletes> conditional_;
  const WriteFence* fence_ = nullptr;  // SetFence
};

std::string_view DeleteResultName(DeleteResult result);

}  // namespace s3m::engine
