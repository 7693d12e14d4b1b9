// The delete gate (engine/delete_gate.h) against every real server: it deletes
// exactly the verified objects, never one that changed after verification,
// and learns whether the server honours ETag conditions (AWS semantics on the
// emulator; s3rver 3.7.1 ignores them; Swift 2.30 rejects them).
#include <gtest/gtest.h>

#include <map>

#include "engine/delete_gate.h"
#include "scan_support.h"
#include "test_servers.h"

namespace s3m::testing {
namespace {

class DeleteGateTest : public ::testing::TestWithParam<TestServer> {
 protected:
  void SetUp() override {
    server_ = GetParam();
    client_ = MakeClient(server_);
  }
  void TearDown() override {
    for (const auto& [bucket, versioned] : buckets_) DestroyBucket(*client_, bucket, versioned);
  }
  std::string NewBucket(const std::string& suffix, bool versioned = false) {
    std::string bucket = UniqueBucketName(suffix);
    EXPECT_TRUE(client_->CreateBucket(bucket).ok());
    if (versioned) {
      EXPECT_TRUE(client_->PutBucketVersioning(bucket, true).ok());
    }
    buckets_[bucket] = versioned;
    return bucket;
  }
  engine::DeleteRequest Put(const std::string& bucket, const std::string& key, const std::string& body) {
    s3::PutObjectRequest req;
    req.bucket = bucket;
    req.key = key;
    req.body = body;
    auto r = client_->PutObject(req);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    engine::DeleteRequest d;
    d.id = ++next_id_;
    d.bucket = bucket;
    d.key = key;
    d.etag = r.ok() ? r->etag : "";
    d.size = static_cast<int64_t>(body.size());
    return d;
  }
  bool Exists(const std::string& bucket, const std::string& key, std::string* etag = nullptr) {
    s3::HeadObjectRequest head;
    head.bucket = bucket;
    head.key = key;
    head.checksum_mode = false;
    auto r = client_->HeadObject(head);
    if (r.ok() && etag) *etag = r->etag;
    return r.ok();
  }
  engine::ConditionalDeletes ExpectedMode() const {
    return server_.batch_delete_etags == TestServer::BatchEtags::kHonoured
               ? engine::ConditionalDeletes::kHonoured
               : engine::ConditionalDeletes::kHeadFirst;
  }

  TestServer server_;
  std::unique_ptr<s3::S3Client> client_;
  std::map<std::string, bool> buckets_;
  int64_t next_id_ = 0;
};

TEST_P(DeleteGateTest, DeletesVerifiedObjectsAndLearnsHowTheServerTreatsConditions) {
  const std::string bucket = NewBucket("gate");
  std::vector<engine::DeleteRequest> batch;
  for (int i = 0; i < 5; ++i) batch.push_back(Put(bucket, "k" + std::to_string(i), "body " + std::to_string(i)));
  engine::DeleteGate gate(*client_, {});
  auto outcomes = gate.DeleteBatch(bucket, batch);
  ASSERT_EQ(outcomes.size(), batch.size());
  for (size_t i = 0; i < outcomes.size(); ++i) {
    EXPECT_EQ(outcomes[i].id, batch[i].id);
    EXPECT_EQ(outcomes[i].result, engine::DeleteResult::kDeleted)
        << batch[i].key << ": " << outcomes[i].status.ToString();
    EXPECT_FALSE(Exists(bucket, batch[i].key)) << batch[i].key;
  }
  EXPECT_EQ(gate.conditional(), ExpectedMode());
}

// Issue 15: the gate alone decides eligibility. Under --keep-source every
// request is refused, size-only ones without the opt-in too; nothing is
// deleted from the server.
TEST_P(DeleteGateTest, RefusesUnderKeepSourceAndSizeOnlyWithoutOptIn) {
  const std::string bucket = NewBucket("gate-refuse");
  engine::DeleteRequest verified = Put(bucket, "verified", "a verified object");
  engine::DeleteRequest size_only = Put(bucket, "size-only", "verified by size only");
  size_only.size_only = true;
  engine::DeleteGateOptions keep;
  keep.keep_source = true;
  keep.allow_size_only = true;
  engine::DeleteGate keeping(*client_, keep);
  EXPECT_TRUE(keeping.policy().RefusesEverything());
  EXPECT_TRUE(keeping.policy().Refusal(verified).has_value());
  for (const auto& outcome : keeping.DeleteBatch(bucket, {verified, size_only})) {
    EXPECT_EQ(outcome.result, engine::DeleteResult::kRefused);
    EXPECT_NE(outcome.status.message().find("--keep-source"), std::string::npos)
        << outcome.status.ToString();
  }
  engine::DeleteGate strict(*client_, {});
  EXPECT_FALSE(strict.policy().Refusal(verified).has_value());
  EXPECT_TRUE(strict.policy().Refusal(size_only).has_value());
  auto outcomes = strict.DeleteBatch(bucket, {size_only});
  ASSERT_EQ(outcomes.size(), 1u);
  EXPECT_EQ(outcomes[0].result, engine::DeleteResult::kRefused);
  EXPECT_TRUE(Exists(bucket, "verified"));
  EXPECT_TRUE(Exists(bucket, "size-only"));
}

TEST_P(DeleteGateTest, AnObjectOverwrittenAfterVerificationIsNeverDeleted) {
  const std::string bucket = NewBucket("gate-changed");
  engine::DeleteGate gate(*client_, {});
  // The first batch teaches the gate the server's way; the overwritten
  // object then meets the settled mode (conditional, or HEAD first).
  for (bool settled : {false, true}) {
    SCOPED_TRACE(settled ? "mode settled" : "first batch");
    const std::string key = settled ? "later" : "first";
    engine::DeleteRequest verified = Put(bucket, key, "what was verified");
    engine::DeleteRequest other = Put(bucket, key + "-other", "unchanged neighbour");
    engine::DeleteRequest now = Put(bucket, key, "uploaded again after verification!");
    ASSERT_NE(verified.etag, now.etag);
    auto outcomes = gate.DeleteBatch(bucket, {verified, other});
    ASSERT_EQ(outcomes.size(), 2u);
    EXPECT_EQ(outcomes[0].result, engine::DeleteResult::kChanged) << outcomes[0].status.ToString();
    ASSERT_TRUE(outcomes[0].current.has_value());
    EXPECT_EQ(outcomes[0].current->etag, now.etag);
    std::string etag;
    EXPECT_TRUE(Exists(bucket, key, &etag));
    EXPECT_EQ(etag, now.etag);
    EXPECT_EQ(outcomes[1].result, engine::DeleteResult::kDeleted) << outcomes[1].status.ToString();
    EXPECT_FALSE(Exists(bucket, other.key));
  }
  EXPECT_EQ(gate.conditional(), ExpectedMode());
}

// A worker whose lease may have lapsed (its fence closed) deletes nothing:
// each request fails as cancelled and every object stays.
TEST_P(DeleteGateTest, AClosedWriteFenceDeletesNothing) {
  const std::string bucket = NewBucket("fenced");
  std::vector<engine::DeleteRequest> batch;
  for (int i = 0; i < 3; ++i) batch.push_back(Put(bucket, "k" + std::to_string(i), "body " + std::to_string(i)));
  FakeClock clock;
  WriteFence fence(clock, clock.MonotonicNow() + std::chrono::seconds(2));
  engine::DeleteGate gate(*client_, {});
  gate.SetFence(&fence);
  clock.Advance(std::chrono::seconds(3));
  auto outcomes = gate.DeleteBatch(bucket, batch);
  ASSERT_EQ(outcomes.size(), batch.size());
  for (size_t i = 0; i < outcomes.size(); ++i) {
    EXPECT_EQ(outcomes[i].result, engine::DeleteResult::kFailed) << batch[i].key;
    EXPECT_EQ(outcomes[i].status.kind(), ErrorKind::kCancelled) << outcomes[i].status.ToString();
    EXPECT_TRUE(Exists(bucket, batch[i].key)) << batch[i].key;
  }
  // While the fence is open, the same gate deletes.
  WriteFence open(clock, clock.MonotonicNow() + std::chrono::seconds(60));
  gate.SetFence(&open);
  outcomes = gate.DeleteBatch(bucket, batch);
  for (size_t i = 0; i < outcomes.size(); ++i) {
    EXPECT_EQ(outcomes[i].result, engine::DeleteResult::kDeleted) << outcomes[i].status.ToString();
    EXPECT_FALSE(Exists(bucket, batch[i].key));
  }
}

TEST_P(DeleteGateTest, DryRunAndSizeOnlyObjectsDeleteNothing) {
  const std::string bucket = NewBucket("gate-dry");
  engine::DeleteRequest a = Put(bucket, "a", "aaa");
  engine::DeleteRequest b = Put(bucket, "b", "bbb");
  b.size_only = true;
  engine::DeleteGate dry(*client_, {.dry_run = true});
  auto outcomes = dry.DeleteBatch(bucket, {a});
  EXPECT_EQ(outcomes[0].result, engine::DeleteResult::kWouldDelete);
  engine::DeleteGate gate(*client_, {});
  outcomes = gate.DeleteBatch(bucket, {b});
  EXPECT_EQ(outcomes[0].result, engine::DeleteResult::kRefused);
  EXPECT_TRUE(Exists(bucket, "a"));
  EXPECT_TRUE(Exists(bucket, "b"));
  engine::DeleteGate opted_in(*client_, {.allow_size_only = true});
  outcomes = opted_in.DeleteBatch(bucket, {b});
  EXPECT_EQ(outcomes[0].result, engine::DeleteResult::kDeleted) << outcomes[0].status.ToString();
  EXPECT_FALSE(Exists(bucket, "b"));
}

class VersionedDeleteGateTest : public DeleteGateTest {};

TEST_P(VersionedDeleteGateTest, DeletesTheDownloadedVersionWithoutAddingADeleteMarker) {
  const std::string bucket = NewBucket("gate-ver", /*versioned=*/true);
  s3::PutObjectRequest put;
  put.bucket = bucket;
  put.key = "doc";
  put.body = "version one";
  auto v1 = client_->PutObject(put);
  ASSERT_TRUE(v1.ok());
  put.body = "version two";
  auto v2 = client_->PutObject(put);
  ASSERT_TRUE(v2.ok());
  ASSERT_FALSE(v2->version_id.empty());
  engine::DeleteRequest req{1, bucket, "doc", v2->version_id, v2->etag, 11, false};
  engine::DeleteGate gate(*client_, {});
  auto outcomes = gate.DeleteBatch(bucket, {req});
  ASSERT_EQ(outcomes[0].result, engine::DeleteResult::kDeleted) << outcomes[0].status.ToString();
  s3::ListObjectVersionsRequest list;
  list.bucket = bucket;
  auto versions = client_->ListObjectVersions(list);
  ASSERT_TRUE(versions.ok());
  ASSERT_EQ(versions->versions.size(), 1u);  // v1 only: v2 gone, no delete marker
  EXPECT_FALSE(versions->versions[0].is_delete_marker);
  EXPECT_EQ(versions->versions[0].version_id, v1->version_id);
}

std::string Name(const ::testing::TestParamInfo<TestServer>& info) { return info.param.name; }

INSTANTIATE_TEST_SUITE_P(RealServers, DeleteGateTest, ::testing::ValuesIn(ConfiguredServers()), Name);
INSTANTIATE_TEST_SUITE_P(RealServers, VersionedDeleteGateTest,
                         ::testing::ValuesIn(ScanVersioningServers()), Name);
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(VersionedDeleteGateTest);

}  // namespace
}  // namespace s3m::testing
