// The error replies of the S3 REST API, as values. Every handler and store
// call that can fail returns an S3Error (or ErrorOr<T>): the HTTP status, the
// <Code> and <Message> of the error document, any extra elements AWS adds
// (<Region>, <StorageClass>, <AWSAccessKeyId>, ...) and extra headers
// (x-amz-delete-marker on a 404 for a delete marker).
//
// Codes and statuses follow the "Error responses" page of the S3 API
// reference: https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html
#pragma once

#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace s3emu {

struct S3Error {
  int status = 500;
  std::string code;
  std::string message;
  std::vector<std::pair<std::string, std::string>> elements;  // extra XML elements, in order
  std::vector<std::pair<std::string, std::string>> headers;   // extra response headers

  S3Error& With(std::string name, std::string value) {
    elements.emplace_back(std::move(name), std::move(value));
    return *this;
  }
  S3Error& WithHeader(std::string name, std::string value) {
    headers.emplace_back(std::move(name), std::move(value));
    return *this;
  }
};

inline S3Error MakeError(int status, std::string code, std::string message) {
  S3Error e;
  e.status = status;
  e.code = std::move(code);
  e.message = std::move(message);
  return e;
}

// The errors used in more than one place, with AWS's wording.
inline S3Error NoSuchBucket(const std::string& bucket) {
  return MakeError(404, "NoSuchBucket", "The specified bucket does not exist").With("BucketName", bucket);
}
inline S3Error NoSuchKey(const std::string& key) {
  return MakeError(404, "NoSuchKey", "The specified key does not exist.").With("Key", key);
}
inline S3Error NoSuchVersion(const std::string& key, const std::string& version_id) {
  return MakeError(404, "NoSuchVersion",
                   "The specified version does not exist.")
      .With("Key", key)
      .With("VersionId", version_id);
}
inline S3Error PreconditionFailed(const std::string& condition) {
  return MakeError(412, "PreconditionFailed",
                   "At least one of the pre-conditions you specified did not hold")
      .With("Condition", condition);
}
inline S3Error InvalidArgument(std::string message) {
  return MakeError(400, "InvalidArgument", std::move(message));
}
inline S3Error InvalidRequest(std::string message) {
  return MakeError(400, "InvalidRequest", std::move(message));
}
inline S3Error MalformedXml() {
  return MakeError(400, "MalformedXML",
                   "The XML you provided was not well-formed or did not validate against our "
                   "published schema");
}
inline S3Error InternalError(std::string detail) {
  return MakeError(500, "InternalError",
                   "We encountered an internal error. Please try again. (" + detail + ")");
}

// A value or the S3 error explaining why there is none.
template <typename T>
class [[nodiscard]] ErrorOr {
 public:
  ErrorOr(T value) : v_(std::move(value)) {}        // NOLINT(google-explicit-constructor)
  ErrorOr(S3Error error) : v_(std::move(error)) {}  // NOLINT(google-explicit-constructor)
  bool ok() const { return std::holds_alternative<T>(v_); }
  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  const S3Error& error() const { return std::get<S3Error>(v_); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

 private:
  std::variant<T, S3Error> v_;
};

// For calls that return nothing on success.
struct Done {};

}  // namespace s3emu
