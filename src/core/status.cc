#include "core/status.h"

#include <cstring>

#include <fmt/format.h>

namespace s3m {

std::string_view ErrorKindName(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::kOk: return "OK";
    case ErrorKind::kTransient: return "Transient";
    case ErrorKind::kThrottled: return "Throttled";
    case ErrorKind::kNotFound: return "NotFound";
    case ErrorKind::kAuth: return "Auth";
    case ErrorKind::kAccessDenied: return "AccessDenied";
    case ErrorKind::kNeedsRestore: return "NeedsRestore";
    case ErrorKind::kConflict: return "Conflict";
    case ErrorKind::kPreconditionFailed: return "PreconditionFailed";
    case ErrorKind::kInvalidArgument: return "InvalidArgument";
    case ErrorKind::kUnsupported: return "Unsupported";
    case ErrorKind::kCancelled: return "Cancelled";
    case ErrorKind::kStateLost: return "StateLost";
    case ErrorKind::kFatal: return "Fatal";
  }
  return "Unknown";
}

bool IsRetryable(ErrorKind kind) {
  return kind == ErrorKind::kTransient || kind == ErrorKind::kThrottled;
}

Status Status::Error(ErrorKind kind, std::string message, ErrorContext context) {
  if (kind == ErrorKind::kOk) kind = ErrorKind::kFatal;
  return Status(std::make_shared<const Rep>(Rep{kind, std::move(message), std::move(context)}));
}

Status Status::FromErrno(int err, std::string operation, std::string path) {
  ErrorContext ctx;
  ctx.operation = std::move(operation);
  ctx.path = std::move(path);
  ctx.sys_errno = err;
  // ENOSPC and EDQUOT stop the run (exit 3) rather than being retried forever.
  ErrorKind kind = ErrorKind::kFatal;
  if (err == ENOENT) kind = ErrorKind::kNotFound;
  if (err == EINTR || err == EAGAIN) kind = ErrorKind::kTransient;
  return Error(kind, std::strerror(err), std::move(ctx));
}

const std::string& Status::message() const {
  static const std::string kEmpty;
  return rep_ ? rep_->message : kEmpty;
}

const ErrorContext& Status::context() const {
  static const ErrorContext kEmpty;
  return rep_ ? rep_->context : kEmpty;
}

Status Status::WithContext(const ErrorContext& outer) const {
  if (ok()) return *this;
  Rep rep = *rep_;
  auto fill = [](std::string& mine, const std::string& theirs) {
    if (mine.empty()) mine = theirs;
  };
  fill(rep.context.operation, outer.operation);
  fill(rep.context.bucket, outer.bucket);
  fill(rep.context.key, outer.key);
  fill(rep.context.version_id, outer.version_id);
  fill(rep.context.s3_code, outer.s3_code);
  fill(rep.context.request_id, outer.request_id);
  fill(rep.context.path, outer.path);
  if (rep.context.http_status == 0) rep.context.http_status = outer.http_status;
  if (rep.context.sys_errno == 0) rep.context.sys_errno = outer.sys_errno;
  return Status(std::make_shared<const Rep>(std::move(rep)));
}

std::string Status::ToString() const {
  if (ok()) return "OK";
  const ErrorContext& c = rep_->context;
  std::string out;
  if (!c.operation.empty()) out += c.operation;
  if (!c.bucket.empty()) {
    if (!out.empty()) out += ' ';
    out += fmt::format("s3://{}/{}", c.bucket, c.key);
    if (!c.version_id.empty()) out += fmt::format(" (version {})", c.version_id);
  }
  if (!c.path.empty()) {
    if (!out.empty()) out += ' ';
    out += c.path;
  }
  if (!out.empty()) out += ": ";
  if (c.http_status != 0) out += fmt::format("HTTP {} ", c.http_status);
  if (!c.s3_code.empty()) out += c.s3_code + ": ";
  out += rep_->message;
  if (!c.request_id.empty()) out += fmt::format(" (request id {})", c.request_id);
  return out;
}

}  // namespace s3m
