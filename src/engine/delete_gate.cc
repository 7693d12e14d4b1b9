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
      options_(options),
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

void DeleteGate::Send(const std::string& bucket, const std::vector<const DeleteRequest*>& requests,
                      bool with_etags, std::vector<DeleteOutcome>& outcomes,
                      const std::vector<size_t>& slots) {
  // Keys an XML body cannot carry unchanged go one at a time, key in the URL.
  std::vector<const DeleteRequest*> batchable;
  std::vector<size_t> batchable_slots;
  for (size_t i = 0; i < requests.size(); ++i) {
    const DeleteRequest& r = *requests[i];
    if (s3::XmlCarriesUnchanged(r.key)) {
      batchable.push_back(&r);
      batchable_slots.push_back(slots[i]);
      continue;
    }
    // A server that honours <ETag> in DeleteObjects may still ignore If-Match
    // on DeleteObject: an unversioned object is HEAD-checked first (§5.2).
    std::optional<DeleteOutcome> check;
    if (r.version_id.empty()) check = CheckUnchanged(r);
    outcomes[slots[i]] = check ? *check : DeleteOne(r, with_etags);
  }
  SendBatch(bucket, batchable, with_etags, outcomes, batchable_slots);
}

void DeleteGate::SendBatch(const std::string& bucket,
                           const std::vector<const DeleteRequest*>& requests, bool with_etags,
                           std::vector<DeleteOutcome>& outcomes, const std::vector<size_t>& slots) {
  if (requests.empty()) return;
  std::vector<s3::DeleteObjectsEntry> entries;
  entries.reserve(requests.size());
  // (key, version id) -> position in requests
  std::map<std::pair<std::string, std::string>, size_t> index;
  for (size_t i = 0; i < requests.size(); ++i) {
    const DeleteRequest& r = *requests[i];
    s3::DeleteObjectsEntry e;
    e.key = r.key;
    e.version_id = r.version_id;
    if (r.version_id.empty() && with_etags) e.etag = r.etag;
    entries.push_back(std::move(e));
    index[{r.key, r.version_id}] = i;
  }
  auto result = store_.DeleteObjects(bucket, entries);
  if (!result.ok()) {
    if (result.status().kind() == ErrorKind::kUnsupported && with_etags) {
      conditional_ = ConditionalDeletes::kHeadFirst;
    }
    for (size_t i = 0; i < requests.size(); ++i) {
      outcomes[slots[i]] = Outcome(*requests[i], DeleteResult::kFailed, result.status());
    }
    return;
  }
  std::vector<bool> answered(requests.size(), false);
  // Replies name (key, version id); AWS echoes no version for unversioned
  // keys, and Swift 2.30 none even for versioned ones: then the first
  // unanswered request for that key.
  auto find = [&](const std::string& key, const std::string& version_id) -> std::optional<size_t> {
    if (auto it = index.find({key, version_id}); it != index.end()) return it->second;
    if (!version_id.empty()) return std::nullopt;
    for (size_t i = 0; i < requests.size(); ++i) {
      if (!answered[i] && requests[i]->key == key) return i;
    }
    return std::nullopt;
  };
  for (const auto& d : result->deleted) {
    auto i = find(d.key, d.version_id);
    if (!i) continue;
    answered[*i] = true;
    outcomes[slots[*i]] = Outcome(*requests[*i], DeleteResult::kDeleted);
  }
  for (const auto& e : result->errors) {
    auto i = find(e.key, e.version_id);
    if (!i) continue;
    answered[*i] = true;
    const DeleteRequest& r = *requests[*i];
    const ErrorKind kind = s3::ClassifyErrorCode(e.code);
    if (kind == ErrorKind::kNotFound) {
      outcomes[slots[*i]] = Outcome(r, DeleteResult::kAlreadyGone);
    } else if (kind == ErrorKind::kPreconditionFailed) {
      // Confirm before re-downloading (§9): Swift 2.30 answers 412 to a
      // matching multipart ETag.
      std::optional<DeleteOutcome> check = CheckUnchanged(r);
      if (check) {
        outcomes[slots[*i]] = *check;
        continue;
      }
      S3M_LOG_WARN("s3://{}/{}: the server refused a delete whose ETag condition matches; "
                     "switching to HEAD-then-DELETE for this endpoint",
              r.bucket, r.key);
      conditional_ = ConditionalDeletes::kHeadFirst;
      outcomes[slots[*i]] = DeleteOne(r, false);  // the HEAD just now was the check
    } else {
      ErrorContext ctx = Context("DeleteObjects", r);
      ctx.s3_code = e.code;
      outcomes[slots[*i]] = Outcome(r, DeleteResult::kFailed,
                                    Status::Error(kind, e.message.empty() ? e.code : e.message, ctx));
    }
  }
  for (size_t i = 0; i < requests.size(); ++i) {
    if (answered[i]) continue;
    outcomes[slots[i]] =
        Outcome(*requests[i], DeleteResult::kFailed,
                Status::Error(ErrorKind::kTransient, "the DeleteObjects reply does not mention the key",
                              Context("DeleteObjects", *requests[i])));
  }
}

std::vector<DeleteOutcome> DeleteGate::DeleteBatch(const std::string& bucket,
                                                   const std::vector<DeleteRequest>& batch) {
  std::vector<DeleteOutcome> outcomes(batch.size());
  std::vector<const DeleteRequest*> versioned, conditional;
  std::vector<size_t> versioned_slots, conditional_slots;
  for (size_t i = 0; i < batch.size(); ++i) {
    const DeleteRequest& r = batch[i];
    if (r.bucket != bucket || (r.etag.empty() && r.version_id.empty())) {
      outcomes[i] = Outcome(r, DeleteResult::kRefused,
                            Status::Error(ErrorKind::kFatal,
                                          "internal error: a delete request without the bucket, "
                                          "an ETag or a version id reached the delete gate",
                                          Context("DeleteObjects", r)));
      continue;
    }
    if (std::optional<std::string> why = policy_.Refusal(r)) {
      outcomes[i] = Outcome(r, DeleteResult::kRefused,
                            Status::Error(ErrorKind::kInvalidArgument, *why, Context("DeleteObjects", r)));
      continue;
    }
    if (policy_.dry_run()) {
      S3M_LOG_INFO("dry run: would delete s3://{}/{}{}", r.bucket, r.key,
              r.version_id.empty() ? "" : " (version " + r.version_id + ")");
      outcomes[i] = Outcome(r, DeleteResult::kWouldDelete);
      continue;
    }
    if (!r.version_id.empty()) {
      versioned.push_back(&r);
      versioned_slots.push_back(i);
    } else {
      conditional.push_back(&r);
      conditional_slots.push_back(i);
    }
  }
  // Exact versions need no condition: a version never changes.
  Send(bucket, versioned, false, outcomes, versioned_slots);

  if (conditional_.load() == ConditionalDeletes::kHonoured) {
    Send(bucket, conditional, true, outcomes, conditional_slots);
    return outcomes;
  }
  // Not known to honour conditions (yet): each object is HEAD-checked right
  // before its own delete; the first one that passes teaches the gate the
  // server's way (Probe), which may settle it. Once conditions are known to
  // work, the rest go in one conditional batch.
  std::vector<const DeleteRequest*> rest;
  std::vector<size_t> rest_slots;
  for (size_t i = 0; i < conditional.size(); ++i) {
    if (conditional_.load() == ConditionalDeletes::kHonoured) {
      rest.push_back(conditional[i]);
      rest_slots.push_back(conditional_slots[i]);
      continue;
    }
    if (std::optional<DeleteOutcome> check = CheckUnchanged(*conditional[i])) {
      outcomes[conditional_slots[i]] = *check;
      continue;
    }
    // The probe travels in a DeleteObjects body: only with a key XML carries.
    if (conditional_.load() == ConditionalDeletes::kUnknown &&
        s3::XmlCarriesUnchanged(conditional[i]->key)) {
      if (std::optional<DeleteOutcome> settled = Probe(bucket, *conditional[i])) {
        outcomes[conditional_slots[i]] = *settled;
        continue;
      }
    }
    if (conditional_.load() == ConditionalDeletes::kHonoured) {  // the probe just learnt it
      rest.push_back(conditional[i]);
      rest_slots.push_back(conditional_slots[i]);
      continue;
    }
    outcomes[conditional_slots[i]] = DeleteOne(*conditional[i], false);  // HEAD-checked just now
  }
  Send(bucket, rest, true, outcomes, rest_slots);
  return outcomes;
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
