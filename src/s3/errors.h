// The one classifier of S3 errors: a curl failure, an HTTP status and an S3
// error code map to an ErrorKind, and the kind alone decides retries
// (core/status.h IsRetryable). Nothing else in s3migrate inspects codes to
// decide whether to retry.
#pragma once

#include <string_view>

#include "core/status.h"

namespace s3m::s3 {

// A libcurl CURLcode after a failed exchange (no HTTP status was received,
// or the body was cut short).
ErrorKind ClassifyCurlCode(int curl_code);

// An HTTP error reply. `s3_code` is the <Code> of the error document, empty
// when there was none (HEAD replies carry no body).
ErrorKind ClassifyHttpError(int http_status, std::string_view s3_code);

// The <Code> of one entry of a DeleteObjects reply (no HTTP status of its
// own): the kind of a known code, else kTransient.
ErrorKind ClassifyErrorCode(std::string_view s3_code);

// The few answers a caller must tell apart within one kind, named here so
// that S3 code strings stay in this file: callers branch on these, never on
// ErrorContext::s3_code.
enum class S3Condition {
  kOther,
  kRestoreAlreadyInProgress,  // 409 on RestoreObject: nothing to do but wait
  kExpeditedUnavailable,      // 503 GlacierExpeditedRetrievalNotAvailable: ask with Standard
  kClockSkewed,               // 403 RequestTimeTooSkewed: the system clock is off
  kMalformedXml,              // 400 MalformedXML: the server rejected the request body's schema
};
S3Condition ConditionOf(const Status& status);
S3Condition ConditionOfCode(std::string_view s3_code);

}  // namespace s3m::s3
