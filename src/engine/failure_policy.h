// What a failed attempt on one object means for that object and for the run
// (issue 15), decided from the error's kind alone — never from an S3 code
// string (s3/errors.h is the one classifier).
//
//   kind                         action
//   kAuth (credentials rejected,
//     expired, clock skewed)     kStopRun: every request would fail the same way (exit 3)
//   kAccessDenied (403 on this
//     object: cross-account,
//     policy, KMS)               kFailObject at once: retrying cannot help; the run goes
//                                on. But kDeniedStreakToStop of them in a row, with no
//                                success in between, are evidence that the credentials
//                                (or their policy) deny everything: kStopRun.
//   anything else                kRetryLater with back-off until max_attempts attempts,
//                                then kFailObject
//
// This is the engine's retry layer for whole objects: the S3 client retries
// single requests (throttling, network), ObjectDownload resumes a broken
// range; an object failing here has already been through those.
#pragma once

#include <cstdint>
#include <string>

#include "core/status.h"

namespace s3m::engine {

enum class FailureAction { kRetryLater, kFailObject, kStopRun };

// A pinned request (If-Match: the recorded ETag) answered 412, and a HEAD
// without the condition then showed `current_etag`/`current_size`. Changed:
// record the new object and download it again. The same object: the endpoint
// mishandles If-Match for it (Swift 2.30 on multipart objects), so the 412
// counts as a failed attempt (with back-off) and the object is fetched
// unpinned from then on, still verified against the recorded ETag/checksum;
// it can never spin.
enum class PreconditionVerdict { kObjectChanged, kEndpointIgnoresCondition };
PreconditionVerdict JudgePreconditionFailed(const std::string& recorded_etag, int64_t recorded_size,
                                            const std::string& current_etag, uint64_t current_size);

class FailurePolicy {
 public:
  static constexpr int kDeniedStreakToStop = 20;

  explicit FailurePolicy(int max_attempts) : max_attempts_(max_attempts) {}

  // `attempts` counts this one (1 for a first failure).
  FailureAction OnFailure(const Status& cause, int64_t attempts);
  // Any object that went through (downloaded, restored, deleted) ends a
  // streak of denials.
  void OnSuccess() { denied_in_a_row_ = 0; }
  int denied_in_a_row() const { return denied_in_a_row_; }

 private:
  const int max_attempts_;
  int denied_in_a_row_ = 0;
};

}  // namespace s3m::engine
