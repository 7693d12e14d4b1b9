// Errors as values. Every fallible library call returns a Status or a
// Result<T>; exceptions never cross a library boundary or a thread.
//
// A Status carries a kind (what the caller may do about it) and a context
// (which operation, on which object, what the server said). Retry decisions
// read only the kind, never the message: see IsRetryable() and core/retry.h.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace s3m {

enum class ErrorKind {
  kOk = 0,
  kTransient,           // network fault, 5xx, truncated body: retry with backoff
  kThrottled,           // 503 SlowDown, 429, RequestLimitExceeded: retry, back off harder
  kNotFound,            // NoSuchKey, NoSuchBucket, 404: never retried
  kAuth,                // credentials missing, rejected or expired: fatal for the run
  kAccessDenied,        // 403 AccessDenied on one resource: that object's or bucket's problem
  kNeedsRestore,        // 403 InvalidObjectState: archived object must be restored first
  kConflict,            // 409 (e.g. RestoreAlreadyInProgress, BucketNotEmpty)
  kPreconditionFailed,  // 412: the object changed under an If-Match
  kInvalidArgument,     // bad input from the user or a request the server refused as malformed
  kUnsupported,         // 405/501: the server lacks the feature (caller may fall back)
  kCancelled,           // the run was interrupted (SIGINT/SIGTERM)
  kStateLost,           // the PostgreSQL state's session ended, or its transaction was failed for
                        // another's (deadlock): a new session can go on (cli/state_rejoin.h)
  kFatal,               // anything else that must stop the operation
};

std::string_view ErrorKindName(ErrorKind kind);

// Where an error happened. Every field is optional; ToString() prints those set.
// Never put a secret in here: contexts end up in logs and the state database.
struct ErrorContext {
  std::string operation;   // "GetObject", "open database", ...
  std::string bucket;
  std::string key;
  std::string version_id;
  int http_status = 0;
  std::string s3_code;     // "NoSuchKey", "SlowDown", ...
  std::string request_id;  // x-amz-request-id, for the user's support ticket
  std::string path;        // a local file, when the error is about one
  int sys_errno = 0;

  static ErrorContext ForObject(std::string operation, std::string bucket = {},
                                std::string key = {}) {
    ErrorContext c;
    c.operation = std::move(operation);
    c.bucket = std::move(bucket);
    c.key = std::move(key);
    return c;
  }
};

class [[nodiscard]] Status {
 public:
  Status() = default;  // OK

  static Status Ok() { return Status(); }
  static Status Error(ErrorKind kind, std::string message, ErrorContext context = {});
  static Status FromErrno(int err, std::string operation, std::string path);

  bool ok() const { return rep_ == nullptr; }
  ErrorKind kind() const { return rep_ ? rep_->kind : ErrorKind::kOk; }
  const std::string& message() const;
  const ErrorContext& context() const;

  // Returns a copy whose context has the fields that are empty here filled
  // from `outer`, so callers can add the object name on the way up.
  Status WithContext(const ErrorContext& outer) const;

  // "GetObject s3://bucket/key: HTTP 403 AccessDenied: Access Denied (request id 4442587FB7D0A2F9)"
  std::string ToString() const;

  // Marks an ignored status as deliberately ignored.
  void IgnoreError() const {}

 private:
  struct Rep {
    ErrorKind kind;
    std::string message;
    ErrorContext context;
  };
  explicit Status(std::shared_ptr<const Rep> rep) : rep_(std::move(rep)) {}
  std::shared_ptr<const Rep> rep_;  // null means OK; immutable, so sharing is safe
};

// The one place that decides whether an error kind is worth retrying.
bool IsRetryable(ErrorKind kind);

// A value or the Status explaining why there is none.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : value_(std::move(value)) {}  // NOLINT(google-explicit-constructor)
  Result(Status status) : value_(std::move(status)) {  // NOLINT(google-explicit-constructor)
    if (std::get<Status>(value_).ok()) {
      value_ = Status::Error(ErrorKind::kFatal, "internal error: Result built from an OK status");
    }
  }

  bool ok() const { return std::holds_alternative<T>(value_); }
  const Status& status() const {
    static const Status kOk;
    return ok() ? kOk : std::get<Status>(value_);
  }
  T& value() & { return std::get<T>(value_); }
  const T& value() const& { return std::get<T>(value_); }
  T&& value() && { return std::get<T>(std::move(value_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  std::variant<T, Status> value_;
};

}  // namespace s3m

// Propagates a non-OK status to the caller.
#define S3M_RETURN_IF_ERROR(expr)              \
  do {                                         \
    ::s3m::Status s3m_status_tmp_ = (expr);    \
    if (!s3m_status_tmp_.ok()) return s3m_status_tmp_; \
  } while (0)

#define S3M_CONCAT_INNER_(a, b) a##b
#define S3M_CONCAT_(a, b) S3M_CONCAT_INNER_(a, b)
// S3M_ASSIGN_OR_RETURN(auto x, Foo()); declares x from a Result or returns its status.
#define S3M_ASSIGN_OR_RETURN(lhs, expr) \
  S3M_ASSIGN_OR_RETURN_IMPL_(S3M_CONCAT_(s3m_result_, __LINE__), lhs, expr)
#define S3M_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                               \
  if (!tmp.ok()) return tmp.status();              \
  lhs = std::move(tmp).value()
