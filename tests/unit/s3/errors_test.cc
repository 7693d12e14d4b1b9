#include "s3/errors.h"

#include <curl/curl.h>
#include <gtest/gtest.h>

namespace s3m::s3 {
namespace {

struct HttpCase {
  int status;
  const char* code;
  ErrorKind kind;
};

class ClassifyHttpErrorTest : public testing::TestWithParam<HttpCase> {};

TEST_P(ClassifyHttpErrorTest, MapsToKind) {
  const HttpCase& c = GetParam();
  EXPECT_EQ(ClassifyHttpError(c.status, c.code), c.kind)
      << c.status << " " << c.code << " -> " << ErrorKindName(ClassifyHttpError(c.status, c.code));
}

INSTANTIATE_TEST_SUITE_P(
    S3ErrorCodes, ClassifyHttpErrorTest,
    testing::Values(HttpCase{503, "SlowDown", ErrorKind::kThrottled},
                    HttpCase{503, "", ErrorKind::kThrottled},
                    HttpCase{429, "", ErrorKind::kThrottled},
                    HttpCase{400, "RequestLimitExceeded", ErrorKind::kThrottled},
                    HttpCase{500, "InternalError", ErrorKind::kTransient},
                    HttpCase{502, "", ErrorKind::kTransient},
                    HttpCase{504, "", ErrorKind::kTransient},
                    HttpCase{503, "ServiceUnavailable", ErrorKind::kTransient},
                    HttpCase{400, "RequestTimeout", ErrorKind::kTransient},
                    HttpCase{409, "OperationAborted", ErrorKind::kTransient},
                    HttpCase{403, "AccessDenied", ErrorKind::kAccessDenied},
                    HttpCase{403, "SignatureDoesNotMatch", ErrorKind::kAuth},
                    HttpCase{403, "InvalidAccessKeyId", ErrorKind::kAuth},
                    HttpCase{400, "ExpiredToken", ErrorKind::kAuth},
                    HttpCase{401, "", ErrorKind::kAuth},
                    // A HEAD's 403 has no body: taken as this object's denial
                    // (a streak of them stops the run: engine/failure_policy.h).
                    HttpCase{403, "", ErrorKind::kAccessDenied},
                    HttpCase{403, "InvalidObjectState", ErrorKind::kNeedsRestore},
                    HttpCase{404, "NoSuchKey", ErrorKind::kNotFound},
                    HttpCase{404, "", ErrorKind::kNotFound},
                    HttpCase{404, "NoSuchVersion", ErrorKind::kNotFound},
                    HttpCase{409, "RestoreAlreadyInProgress", ErrorKind::kConflict},
                    HttpCase{503, "GlacierExpeditedRetrievalNotAvailable", ErrorKind::kConflict},
                    HttpCase{412, "PreconditionFailed", ErrorKind::kPreconditionFailed},
                    HttpCase{412, "", ErrorKind::kPreconditionFailed},
                    HttpCase{405, "MethodNotAllowed", ErrorKind::kUnsupported},
                    HttpCase{501, "NotImplemented", ErrorKind::kUnsupported},
                    HttpCase{400, "InvalidArgument", ErrorKind::kInvalidArgument},
                    HttpCase{416, "InvalidRange", ErrorKind::kInvalidArgument},
                    HttpCase{301, "PermanentRedirect", ErrorKind::kFatal},
                    HttpCase{200, "InternalError", ErrorKind::kTransient}));

// Entries of a DeleteObjects reply carry a code and no status of their own.
TEST(ClassifyErrorCodeTest, KnownCodesAndTransientOtherwise) {
  EXPECT_EQ(ClassifyErrorCode("AccessDenied"), ErrorKind::kAccessDenied);
  EXPECT_EQ(ClassifyErrorCode("SlowDown"), ErrorKind::kThrottled);
  EXPECT_EQ(ClassifyErrorCode("InvalidAccessKeyId"), ErrorKind::kAuth);
  EXPECT_EQ(ClassifyErrorCode("PreconditionFailed"), ErrorKind::kPreconditionFailed);
  EXPECT_EQ(ClassifyErrorCode("InternalError"), ErrorKind::kTransient);
  EXPECT_EQ(ClassifyErrorCode("SomethingNew"), ErrorKind::kTransient);
}

TEST(ClassifyCurlCodeTest, NetworkFaultsAreTransientTrustProblemsFatal) {
  EXPECT_EQ(ClassifyCurlCode(CURLE_OK), ErrorKind::kOk);
  EXPECT_EQ(ClassifyCurlCode(CURLE_COULDNT_CONNECT), ErrorKind::kTransient);
  EXPECT_EQ(ClassifyCurlCode(CURLE_RECV_ERROR), ErrorKind::kTransient);
  EXPECT_EQ(ClassifyCurlCode(CURLE_PARTIAL_FILE), ErrorKind::kTransient);
  EXPECT_EQ(ClassifyCurlCode(CURLE_OPERATION_TIMEDOUT), ErrorKind::kTransient);
  EXPECT_EQ(ClassifyCurlCode(CURLE_GOT_NOTHING), ErrorKind::kTransient);
  EXPECT_EQ(ClassifyCurlCode(CURLE_PEER_FAILED_VERIFICATION), ErrorKind::kFatal);
  EXPECT_EQ(ClassifyCurlCode(CURLE_URL_MALFORMAT), ErrorKind::kInvalidArgument);
}

TEST(ConditionOfTest, TheAnswersCallersTellApartWithinAKind) {
  auto with_code = [](ErrorKind kind, const char* code) {
    ErrorContext ctx;
    ctx.s3_code = code;
    return Status::Error(kind, "x", ctx);
  };
  // Both 409 (kConflict): only the condition tells a restore under way from
  // another conflict.
  EXPECT_EQ(ConditionOf(with_code(ErrorKind::kConflict, "RestoreAlreadyInProgress")),
            S3Condition::kRestoreAlreadyInProgress);
  EXPECT_EQ(ConditionOf(with_code(ErrorKind::kConflict, "BucketNotEmpty")), S3Condition::kOther);
  EXPECT_EQ(ConditionOf(with_code(ErrorKind::kThrottled, "GlacierExpeditedRetrievalNotAvailable")),
            S3Condition::kExpeditedUnavailable);
  EXPECT_EQ(ConditionOf(with_code(ErrorKind::kAuth, "RequestTimeTooSkewed")), S3Condition::kClockSkewed);
  EXPECT_EQ(ConditionOf(with_code(ErrorKind::kInvalidArgument, "MalformedXML")), S3Condition::kMalformedXml);
  EXPECT_EQ(ConditionOf(Status::Error(ErrorKind::kConflict, "no body")), S3Condition::kOther);
}

}  // namespace
}  // namespace s3m::s3
