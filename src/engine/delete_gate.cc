#include "engine/delete_gate.h"

#include <map>
#include <utility>

#include <fmt/format.h>

#include "core/logging.h"
#include "s3/errors.h"
#include "s3/xml.h"

namespace s3m::engine {

namespace {

ErrorContext Context(const std::string& operation, const DeleteRequest& r) {
  ErrorContext ctx = ErrorContext::ForObject(operation, r.bucket, r.key);
  ctx.version_id = r.version_id;
  return ctx;
}

DeleteOutcome Outcome(const DeleteRequest& r, DeleteResult result, Status status = Status::Ok()) {
  DeleteOutcome out;
  out.id = r.id;
  out.result = result;
  out.status = std::move(status);
  return out;
}

// An ETag no object has: 32 hex digits differing from the real one.
std::string WrongEtag(const std::string& etag) {
  return etag == "00000000000000000000000000000000" ? "11111111111111111111111111111111"
                                                     : "00000000000000000000000000000000";
}

}  // namespace

std::string_view DeleteResultName(DeleteResult result) {
  switch (result) {
    case DeleteResult::kDeleted: return "deleted";
    case DeleteResult::kAlreadyGone: return "already-gone";
    case DeleteResult::kChanged: return "changed";
    case DeleteResult::kRefused: return "refused";
    case DeleteResult::kWouldDelete: return "would-delete";
    case DeleteResult::kFailed: return "failed";
  }
  return "unknown";
}

DeleteGate::DeleteGate(s3::ObjectStore& store, DeleteGateOptions options)
    : store_(store),
      policy_(DeletePolicyOptions{options.dry_run, options.keep_source, options.allow_size_only}),
      conditional_(options.conditional) {}

std::optional<DeleteOutcome> DeleteGate::CheckUnchanged(const DeleteRequest& r) {
  s3::HeadObjectRequest head;
  head.bucket = r.bucket;
  head.key = r.key;
  head.version_id = r.version_id;
  head.checksum_mode = false;
  auto now = store_.HeadObject(head);
  if (!now.ok()) {
    if (now.status().kind() == ErrorKind::kNotFound) return Outcome(r, DeleteResult::kAlreadyGone);
    return Outcome(r, DeleteResult::kFailed, now.status());
  }
  if (now->etag != r.etag || now->content_length != static_cast<uint64_t>(r.size)) {
    DeleteOutcome out = Outcome(
        r, DeleteResult::kChanged,
        Status::Error(ErrorKind::kPreconditionFailed,
                      fmt::format("the object changed after it was verified: ETag \"{}\" and {} "
                                  "bytes now, \"{}\" and {} bytes verified; it will be downloaded "
                                  "again, not deleted",
                                  now->etag, now->content_length, r.etag, r.size),
                      Context("HeadObject", r)));
    out.current = *now;
    return out;
  }
  return std::nullopt;
}

std::optional<DeleteOutcome> DeleteGate::Probe(const std::string& bucket,
                                               const DeleteRequest& probe) {
  s3::DeleteObjectsEntry entry{probe.key, "", WrongEtag(probe.etag)};
  auto result = store_.DeleteObjects(bucket, {entry});
  if (!result.ok()) {
    if (result.status().kind() == ErrorKind::kUnsupported) {
      S3M_LOG_INFO("{}: the server rejects ETag conditions in DeleteObjects; checking each object "
                     "with HEAD right before deleting it",
              bucket);
      conditional_ = ConditionalDeletes::kHeadFirst;
      return std::nullopt;
    }
    return Outcome(probe, DeleteResult::kFailed, result.status());
  }
  for (const auto& error : result->errors) {
    if (error.key != probe.key) continue;
    const ErrorKind kind = s3::ClassifyErrorCode(error.code);
    if (kind == ErrorKind::kPreconditionFailed) {
      conditional_ = ConditionalDeletes::kHonoured;
      return std::nullopt;
    }
    if (kind == ErrorKind::kNotFound) return Outcome(probe, DeleteResult::kAlreadyGone);
    if (kind == ErrorKind::kThrottled || kind == ErrorKind::kAuth || kind == ErrorKind::kAccessDenied) {
      ErrorContext ctx = Context("DeleteObjects", probe);
      ctx.s3_code = error.code;
      return Outcome(probe, DeleteResult::kFailed, Status::Error(kind, error.message, ctx));
    }
    break;  // an answer the probe cannot read: below
  }
  for (const auto& deleted : result->deleted) {
    if (deleted.key != probe.key) continue;
    // Deleted despite a wrong ETag: conditions are ignored. The object was
    // HEAD-checked just before, so it was the verified one.
    S3M_LOG_WARN("{}: the server ignores ETag conditions on deletes; checking each object with "
                   "HEAD right before deleting it",
            bucket);
    conditional_ = ConditionalDeletes::kHeadFirst;
    return Outcome(probe, DeleteResult::kDeleted);
  }
  // An answer that says neither (an unknown error code, no mention of the
  // key): conditions cannot be relied on. Every object, this one first, is
  // HEAD-checked right before its own delete, rather than all failing.
  S3M_LOG_WARN("{}: the conditional-delete probe got an answer it cannot read; checking each "
               "object with HEAD right before deleting it",
               bucket);
  conditional_ = ConditionalDeletes::kHeadFirst;
  return std::nullopt;
}

void DeleteGate::Send(const std::string& bucket, const Selection& requests, bool with_etags,
                      std::vector<DeleteOutcome>& outcomes) {
  // Keys an XML body cannot carry unchanged go one at a time, key in the URL.
  Selection batchable;
  for (size_t i = 0; i < requests.requests.size(); ++i) {
    const DeleteRequest& r = *requests.requests[i];
    if (s3::XmlCarriesUnchanged(r.key)) {
      batchable.Add(&r, requests.slots[i]);
      continue;
    }
    // A server that honours <ETag> in DeleteObjects may still ignore If-Match
    // on DeleteObject: an unversioned object is HEAD-checked first (§5.2).
    std::optional<DeleteOutcome> check;
    if (r.version_id.empty()) check = CheckUnchanged(r);
    outcomes[requests.slots[i]] = check ? *check : DeleteOne(r, with_etags);
  }
  SendBatch(bucket, batchable, with_etags, outcomes);
}

namespace {

// Matches the entries of a DeleteObjects reply to the requests of the batch.
// Replies name (key, version id); AWS echoes no version for unversioned keys,
// and Swift 2.30 none even for versioned ones: then the first unanswered
// request for that key.
class ReplyMatcher {
 public:
  explicit ReplyMatcher(const std::vector<const DeleteRequest*>& requests)
      : requests_(requests), answered_(requests.size(), false) {
    for (size_t i = 0; i < requests.size(); ++i) index_[{requests[i]->key, requests[i]->version_id}] = i;
  }
  // The request `key`/`version_id` answers, marked answered; nullopt when none.
  std::optional<size_t> Take(const std::string& key, const std::string& version_id) {
    std::optional<size_t> found;
    if (auto it = index_.find({key, version_id}); it != index_.end()) {
      found = it->second;
    } else if (version_id.empty()) {
      for (size_t i = 0; i < requests_.size() && !found; ++i) {
        if (!answered_[i] && requests_[i]->key == key) found = i;
      }
    }
    if (found) answered_[*found] = true;
    return found;
  }
  bool answered(size_t i) const { return answered_[i]; }

 private:
  const std::vector<const DeleteRequest*>& requests_;
  std::map<std::pair<std::string, std::string>, size_t> index_;
  std::vector<bool> answered_;
};

}  // namespace

DeleteOutcome DeleteGate::OnEntryError(const DeleteRequest& r, const s3::DeleteErrorEntry& e) {
  const ErrorKind kind = s3::ClassifyErrorCode(e.code);
  if (kind == ErrorKind::kNotFound) return Outcome(r, DeleteResult::kAlreadyGone);
  if (kind == ErrorKind::kPreconditionFailed) {
    // Confirm before re-downloading (§9): Swift 2.30 answers 412 to a
    // matching multipart ETag.
    if (std::optional<DeleteOutcome> check = CheckUnchanged(r)) return *check;
    S3M_LOG_WARN("s3://{}/{}: the server refused a delete whose ETag condition matches; "
                 "switching to HEAD-then-DELETE for this endpoint",
                 r.bucket, r.key);
    conditional_ = ConditionalDeletes::kHeadFirst;
    return DeleteOne(r, false);  // the HEAD just now was the check
  }
  ErrorContext ctx = Context("DeleteObjects", r);
  ctx.s3_code = e.code;
  return Outcome(r, DeleteResult::kFailed, Status::Error(kind, e.message.empty() ? e.code : e.message, ctx));
}

void DeleteGate::SendBatch(const std::string& bucket, const Selection& batch, bool with_etags,
                           std::vector<DeleteOutcome>& outcomes) {
  if (batch.requests.empty()) return;
  std::vector<s3::DeleteObjectsEntry> entries;
  entries.reserve(batch.requests.size());
  for (const DeleteRequest* r : batch.requests) {
    entries.push_back({r->key, r->version_id, r->version_id.empty() && with_etags ? r->etag : ""});
  }
  auto result = store_.DeleteObjects(bucket, entries);
  if (!result.ok()) {
    if (result.status().kind() == ErrorKind::kUnsupported && with_etags) {
      conditional_ = ConditionalDeletes::kHeadFirst;
    }
    for (size_t i = 0; i < batch.requests.size(); ++i) {
      outcomes[batch.slots[i]] = Outcome(*batch.requests[i], DeleteResult::kFailed, result.status());
    }
    return;
  }
  ReplyMatcher matcher(batch.requests);
  for (const auto& d : result->deleted) {
    if (auto i = matcher.Take(d.key, d.version_id)) {
      outcomes[batch.slots[*i]] = Outcome(*batch.requests[*i], DeleteResult::kDeleted);
    }
  }
  for (const auto& e : result->errors) {
    if (auto i = matcher.Take(e.key, e.version_id)) {
      outcomes[batch.slots[*i]] = OnEntryError(*batch.requests[*i], e);
    }
  }
  for (size_t i = 0; i < batch.requests.size(); ++i) {
    if (matcher.answered(i)) continue;
    outcomes[batch.slots[i]] =
        Outcome(*batch.requests[i], DeleteResult::kFailed,
                Status::Error(ErrorKind::kTransient, "the DeleteObjects reply does not mention the key",
                              Context("DeleteObjects", *batch.requests[i])));
  }
}

std::optional<DeleteOutcome> DeleteGate::Screen(const std::string& bucket, const DeleteRequest& r) const {
  if (r.bucket != bucket || (r.etag.empty() && r.version_id.empty())) {
    return Outcome(r, DeleteResult::kRefused,
                   Status::Error(ErrorKind::kFatal,
                                 "internal error: a delete request without the bucket, an ETag or a "
                                 "version id reached the delete gate",
                                 Context("DeleteObjects", r)));
  }
  if (std::optional<std::string> why = policy_.Refusal(r)) {
    return Outcome(r, DeleteResult::kRefused,
                   Status::Error(ErrorKind::kInvalidArgument, *why, Context("DeleteObjects", r)));
  }
  if (fence_ != nullptr && !fence_->open()) {
    return Outcome(r, DeleteResult::kFailed,
                   Status::Error(ErrorKind::kCancelled,
                                 "not deleted: this worker could not renew its lease in time, so another worker "
                                 "may hold the object now",
                                 Context("DeleteObjects", r)));
  }
  if (policy_.dry_run()) {
    S3M_LOG_INFO("dry run: would delete s3://{}/{}{}", r.bucket, r.key,
                 r.version_id.empty() ? "" : " (version " + r.version_id + ")");
    return Outcome(r, DeleteResult::kWouldDelete);
  }
  return std::nullopt;
}

std::vector<DeleteOutcome> DeleteGate::DeleteBatch(const std::string& bucket,
                                                   const std::vector<DeleteRequest>& batch) {
  std::vector<DeleteOutcome> outcomes(batch.size());
  Selection versioned, conditional;
  for (size_t i = 0; i < batch.size(); ++i) {
    if (std::optional<DeleteOutcome> screened = Screen(bucket, batch[i])) {
      outcomes[i] = std::move(*screened);
    } else {
      (batch[i].version_id.empty() ? conditional : versioned).Add(&batch[i], i);
    }
  }
  // Exact versions need no condition: a version never changes.
  Send(bucket, versioned, false, outcomes);
  if (conditional_.load() == ConditionalDeletes::kHonoured) {
    Send(bucket, conditional, true, outcomes);
  } else {
    SendCheckingEach(bucket, conditional, outcomes);
  }
  return outcomes;
}

// Not known to honour conditions (yet): each object is HEAD-checked right
// before its own delete; the first one that passes teaches the gate the
// server's way (Probe), which may settle it. Once conditions are known to
// work, the rest go in one conditional batch.
void DeleteGate::SendCheckingEach(const std::string& bucket, const Selection& requests,
                                  std::vector<DeleteOutcome>& outcomes) {
  Selection rest;
  for (size_t i = 0; i < requests.requests.size(); ++i) {
    const DeleteRequest& r = *requests.requests[i];
    DeleteOutcome& out = outcomes[requests.slots[i]];
    if (conditional_.load() == ConditionalDeletes::kHonoured) {
      rest.Add(&r, requests.slots[i]);
      continue;
    }
    if (std::optional<DeleteOutcome> check = CheckUnchanged(r)) {
      out = *check;
      continue;
    }
    // The probe travels in a DeleteObjects body: only with a key XML carries.
    if (conditional_.load() == ConditionalDeletes::kUnknown && s3::XmlCarriesUnchanged(r.key)) {
      if (std::optional<DeleteOutcome> settled = Probe(bucket, r)) {
        out = *settled;
        continue;
      }
    }
    if (conditional_.load() == ConditionalDeletes::kHonoured) {  // the probe just learnt it
      rest.Add(&r, requests.slots[i]);
      continue;
    }
    out = DeleteOne(r, false);  // HEAD-checked just now
  }
  Send(bucket, rest, true, outcomes);
}
DeleteOutcome DeleteGate::DeleteOne(const DeleteRequest& r, bool with_condition) {
  s3::DeleteObjectRequest req;
  req.bucket = r.bucket;
  req.key = r.key;
  req.version_id = r.version_id;
  if (with_condition && r.version_id.empty()) req.if_match = r.etag;
  auto done = store_.DeleteObject(req);
  if (done.ok()) return Outcome(r, DeleteResult::kDeleted);
  switch (done.status().kind()) {
    case ErrorKind::kNotFound:
      return Outcome(r, DeleteResult::kAlreadyGone);
    case ErrorKind::kPreconditionFailed:
      // Confirm before re-downloading (§9): Swift 2.30 answers 412 to a
      // matching multipart ETag. The HEAD that confirms it is the check.
      if (std::optional<DeleteOutcome> check = CheckUnchanged(r)) return *check;
      return DeleteOne(r, false);
    default:
      return Outcome(r, DeleteResult::kFailed, done.status());
  }
}

}  // namespace s3m::engine
