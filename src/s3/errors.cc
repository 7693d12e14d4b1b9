#include "s3/errors.h"

#include <curl/curl.h>

#include <array>

namespace s3m::s3 {

ErrorKind ClassifyCurlCode(int curl_code) {
  switch (static_cast<CURLcode>(curl_code)) {
    case CURLE_OK:
      return ErrorKind::kOk;
    // The network failed us; the same request may well succeed next time.
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_CONNECT:
    case CURLE_OPERATION_TIMEDOUT:  // also the low-speed (stall) limit
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_PARTIAL_FILE:  // body shorter than Content-Length
    case CURLE_GOT_NOTHING:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_AGAIN:
    case CURLE_WEIRD_SERVER_REPLY:  // garbage instead of HTTP: maybe a reset proxy
    case CURLE_READ_ERROR:
    case CURLE_BAD_CONTENT_ENCODING:
      return ErrorKind::kTransient;
    // TLS trust problems need the user (AWS_CA_BUNDLE), not a retry.
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CERTPROBLEM:
      return ErrorKind::kFatal;
    case CURLE_URL_MALFORMAT:
    case CURLE_UNSUPPORTED_PROTOCOL:
      return ErrorKind::kInvalidArgument;
    case CURLE_ABORTED_BY_CALLBACK:
    case CURLE_WRITE_ERROR:  // our sink refused the bytes; its own status wins
      return ErrorKind::kFatal;
    default:
      return ErrorKind::kTransient;
  }
}

namespace {

struct CodeKind {
  std::string_view code;
  ErrorKind kind;
};

// S3 error codes whose meaning is stronger than their HTTP status.
// Sources: S3 API Reference "Error responses" list, rclone backend/s3
// shouldRetry, ClickHouse S3Common isRetryableError.
constexpr std::array kCodeTable = {
    // Throttling: retry, backing off harder.
    CodeKind{"SlowDown", ErrorKind::kThrottled},            // 503: reduce request rate
    CodeKind{"Throttling", ErrorKind::kThrottled},
    CodeKind{"ThrottlingException", ErrorKind::kThrottled},
    CodeKind{"RequestLimitExceeded", ErrorKind::kThrottled},
    CodeKind{"RequestThrottled", ErrorKind::kThrottled},
    CodeKind{"TooManyRequestsException", ErrorKind::kThrottled},
    CodeKind{"BandwidthLimitExceeded", ErrorKind::kThrottled},
    // Transient server-side trouble.
    CodeKind{"InternalError", ErrorKind::kTransient},       // 500: "We encountered an internal error"
    CodeKind{"ServiceUnavailable", ErrorKind::kTransient},  // 503
    CodeKind{"RequestTimeout", ErrorKind::kTransient},      // 400: socket not read/written in time
    CodeKind{"IncompleteBody", ErrorKind::kTransient},      // 400: fewer bytes than Content-Length
    CodeKind{"OperationAborted", ErrorKind::kTransient},    // 409: conflicting operation, try again
    // Permission on one resource (a cross-account object, a policy denying a
    // prefix, a KMS key): that object's or bucket's failure, not the run's.
    CodeKind{"AccessDenied", ErrorKind::kAccessDenied},
    // Credentials: stop and tell the user.
    CodeKind{"InvalidAccessKeyId", ErrorKind::kAuth},
    CodeKind{"SignatureDoesNotMatch", ErrorKind::kAuth},
    CodeKind{"ExpiredToken", ErrorKind::kAuth},
    CodeKind{"InvalidToken", ErrorKind::kAuth},
    CodeKind{"TokenRefreshRequired", ErrorKind::kAuth},
    CodeKind{"AccountProblem", ErrorKind::kAuth},
    CodeKind{"AllAccessDisabled", ErrorKind::kAuth},
    CodeKind{"RequestTimeTooSkewed", ErrorKind::kAuth},  // the local clock is off by > 15 min
    // Archived objects: 403 on GET (also while a restore runs) and on
    // RestoreObject of an object that is not archived.
    CodeKind{"InvalidObjectState", ErrorKind::kNeedsRestore},
    CodeKind{"NoSuchKey", ErrorKind::kNotFound},
    CodeKind{"NoSuchBucket", ErrorKind::kNotFound},
    CodeKind{"NoSuchVersion", ErrorKind::kNotFound},
    CodeKind{"NoSuchUpload", ErrorKind::kNotFound},
    CodeKind{"RestoreAlreadyInProgress", ErrorKind::kConflict},
    // 503, but retrying the same tier will not help: the caller falls back to Standard.
    CodeKind{"GlacierExpeditedRetrievalNotAvailable", ErrorKind::kConflict},
    CodeKind{"PreconditionFailed", ErrorKind::kPreconditionFailed},
    CodeKind{"NotImplemented", ErrorKind::kUnsupported},
    CodeKind{"MethodNotAllowed", ErrorKind::kUnsupported},
};

}  // namespace

S3Condition ConditionOf(const Status& status) { return ConditionOfCode(status.context().s3_code); }

S3Condition ConditionOfCode(std::string_view code) {
  if (code == "RestoreAlreadyInProgress") return S3Condition::kRestoreAlreadyInProgress;
  if (code == "GlacierExpeditedRetrievalNotAvailable") return S3Condition::kExpeditedUnavailable;
  if (code == "RequestTimeTooSkewed") return S3Condition::kClockSkewed;
  if (code == "MalformedXML") return S3Condition::kMalformedXml;
  return S3Condition::kOther;
}

ErrorKind ClassifyErrorCode(std::string_view s3_code) {
  for (const CodeKind& entry : kCodeTable) {
    if (entry.code == s3_code) return entry.kind;
  }
  return ErrorKind::kTransient;
}

ErrorKind ClassifyHttpError(int http_status, std::string_view s3_code) {
  if (http_status >= 200 && http_status < 300 && s3_code.empty()) return ErrorKind::kOk;
  for (const CodeKind& entry : kCodeTable) {
    if (entry.code == s3_code) return entry.kind;
  }
  switch (http_status) {
    case 401: return ErrorKind::kAuth;
    // A HEAD's 403 has no body to tell a denied object from rejected
    // credentials; callers that see many in a row treat it as the latter.
    case 403: return ErrorKind::kAccessDenied;
    case 404: return ErrorKind::kNotFound;
    case 405:
    case 501: return ErrorKind::kUnsupported;
    case 408: return ErrorKind::kTransient;  // Request Timeout
    case 409: return ErrorKind::kConflict;
    case 412: return ErrorKind::kPreconditionFailed;
    case 429: return ErrorKind::kThrottled;
    case 503: return ErrorKind::kThrottled;  // AWS's bodiless 503 (e.g. on HEAD) is SlowDown
    default: break;
  }
  if (http_status >= 500) return ErrorKind::kTransient;
  if (http_status >= 400) return ErrorKind::kInvalidArgument;
  // A 3xx we did not follow (e.g. 301 PermanentRedirect to another region that
  // region discovery could not resolve) or a 2xx carrying an error document.
  return ErrorKind::kFatal;
}

}  // namespace s3m::s3
