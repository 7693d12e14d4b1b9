#include "core/status.h"

#include <gtest/gtest.h>

namespace s3m {
namespace {

TEST(StatusTest, DefaultIsOk) {
  Status s;
  EXPECT_TRUE(s.ok());
  EXPECT_EQ(s.kind(), ErrorKind::kOk);
  EXPECT_EQ(s.ToString(), "OK");
}

TEST(StatusTest, ToStringNamesObjectAndServerReply) {
  ErrorContext ctx;
  ctx.operation = "GetObject";
  ctx.bucket = "photos";
  ctx.key = "2020/cat.jpg";
  ctx.http_status = 403;
  ctx.s3_code = "AccessDenied";
  ctx.request_id = "4442587FB7D0A2F9";
  Status s = Status::Error(ErrorKind::kAuth, "Access Denied", ctx);
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.ToString(),
            "GetObject s3://photos/2020/cat.jpg: HTTP 403 AccessDenied: Access Denied "
            "(request id 4442587FB7D0A2F9)");
}

TEST(StatusTest, WithContextFillsOnlyMissingFields) {
  ErrorContext inner;
  inner.http_status = 500;
  Status s = Status::Error(ErrorKind::kTransient, "boom", inner);
  ErrorContext outer;
  outer.operation = "HeadObject";
  outer.bucket = "b";
  outer.key = "k";
  outer.http_status = 404;
  Status t = s.WithContext(outer);
  EXPECT_EQ(t.context().http_status, 500);
  EXPECT_EQ(t.context().bucket, "b");
  EXPECT_EQ(t.context().operation, "HeadObject");
  EXPECT_EQ(s.context().bucket, "");  // the original is untouched
}

TEST(StatusTest, OnlyTransientAndThrottledAreRetryable) {
  EXPECT_TRUE(IsRetryable(ErrorKind::kTransient));
  EXPECT_TRUE(IsRetryable(ErrorKind::kThrottled));
  for (ErrorKind k : {ErrorKind::kNotFound, ErrorKind::kAuth, ErrorKind::kNeedsRestore,
                      ErrorKind::kConflict, ErrorKind::kPreconditionFailed,
                      ErrorKind::kInvalidArgument, ErrorKind::kUnsupported, ErrorKind::kCancelled, ErrorKind::kFatal}) {
    EXPECT_FALSE(IsRetryable(k)) << ErrorKindName(k);
  }
}

TEST(ResultTest, HoldsValueOrStatus) {
  Result<int> good = 7;
  ASSERT_TRUE(good.ok());
  EXPECT_EQ(*good, 7);
  Result<int> bad = Status::Error(ErrorKind::kNotFound, "nope");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().kind(), ErrorKind::kNotFound);
}

TEST(ResultTest, OkStatusIsNotAValue) {
  Result<int> r = Status::Ok();
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.status().kind(), ErrorKind::kFatal);
}

Result<int> Half(int x) {
  if (x % 2) return Status::Error(ErrorKind::kInvalidArgument, "odd");
  return x / 2;
}

Result<int> Quarter(int x) {
  S3M_ASSIGN_OR_RETURN(int h, Half(x));
  S3M_ASSIGN_OR_RETURN(int q, Half(h));
  return q;
}

TEST(ResultTest, AssignOrReturnPropagates) {
  EXPECT_EQ(*Quarter(8), 2);
  EXPECT_EQ(Quarter(6).status().message(), "odd");
}

}  // namespace
}  // namespace s3m
