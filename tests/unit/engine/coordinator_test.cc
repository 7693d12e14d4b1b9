// The decision core (engine/core/coordinator.h), driven from stories: events
// in, rows and commands out, on a FakeClock. No threads, no sockets; the
// database is a real SQLite state store in a scratch directory, the
// destination a real directory (the layout probe and free-space reading are
// the only file system calls the core makes).
//
// Each test is named after the policy it pins down (issue 15).
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/clock.h"
#include "engine/core/coordinator.h"
#include "engine_test_util.h"
#include "support/fault_injection_file_system.h"

namespace s3m::engine {
namespace {

using store::FileState;
using store::ListedObject;
using store::WorkItem;
using testing_util::ScratchDir;

constexpr auto kLongAfter = std::chrono::hours(1);  // past any back-off

ListedObject Object(std::string key, uint64_t size = 100, std::string storage_class = "STANDARD") {
  ListedObject o;
  o.key = std::move(key);
  o.size = size;
  o.etag = "0123456789abcdef0123456789abcdef";
  o.storage_class = std::move(storage_class);
  o.last_modified = "2026-01-01T00:00:00Z";
  return o;
}

Status Denied(const std::string& key) {
  ErrorContext ctx;
  ctx.key = key;
  return Status::Error(ErrorKind::kAccessDenied, "403 AccessDenied: Access Denied", ctx);
}

class CoordinatorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto state = store::StateStore::Open(dir_ / "state.db",
                                         {.mode = store::OpenMode::kWrite, .clock = &clock_});
    ASSERT_TRUE(state.ok()) << state.status().ToString();
    state_ = std::move(*state);
    db_ = std::make_unique<store::MigrationStore>(*state_, &clock_);
    opt_.dest_root = dir_ / "dest";
    opt_.concurrency = 4;
    opt_.max_attempts = 3;
    opt_.retry_base_delay = std::chrono::milliseconds(100);
    opt_.retry_max_delay = std::chrono::seconds(10);
    opt_.restore_poll_interval = std::chrono::seconds(180);
    opt_.min_free_bytes = 0;
  }

  // A fresh database and destination, for the next story of a table.
  void Reset() {
    core_.reset();
    db_.reset();
    state_.reset();
    std::filesystem::remove_all(dir_.path());
    std::filesystem::create_directories(dir_.path());
    opt_ = MigrateOptions{};
    SetUp();
  }

  void Scan(const std::vector<ListedObject>& objects, const std::string& bucket = "b") {
    store::StartListingRequest listing;
    listing.bucket = bucket;
    listing.region = "us-east-1";
    listing.listing_api = "ListObjectsV2";
    ASSERT_TRUE(state_->StartListing(listing).ok());
    store::ListingPage page;
    page.bucket = bucket;
    page.objects = objects;
    page.last_page = true;
    ASSERT_TRUE(state_->ApplyPage(page).ok());
  }

  void Start() {
    policy_ = std::make_unique<DeletePolicy>(
        DeletePolicyOptions{opt_.dry_run, opt_.keep_source, opt_.allow_size_only_delete});
    core_ = std::make_unique<Coordinator>(*state_, *db_, *fs_, *policy_, opt_,
                                          clock_);
    ASSERT_TRUE(core_->Start().ok());
  }

  // One step, in one transaction, as the shell runs it.
  Commands Step(std::vector<Event> events = {}, bool take_work = true) {
    Commands out;
    EXPECT_TRUE(db_->BeginBatch().ok());
    const Status s = core_->Step(events, take_work, out);
    EXPECT_TRUE(s.ok()) << s.ToString();
    EXPECT_TRUE(db_->CommitBatch().ok());
    return out;
  }

  WorkItem Row(const std::string& key) {
    auto file = state_->GetFile("b", key);
    EXPECT_TRUE(file.ok() && file->has_value()) << key;
    auto row = db_->Get((*file)->id);
    EXPECT_TRUE(row.ok() && row->has_value()) << key;
    return **row;
  }

  static std::vector<std::string> Keys(const std::vector<DownloadJob>& jobs) {
    std::vector<std::string> keys;
    for (const DownloadJob& j : jobs) keys.push_back(j.item.key);
    return keys;
  }
  static const DownloadJob* Find(const Commands& c, const std::string& key) {
    for (const DownloadJob& j : c.downloads) {
      if (j.item.key == key) return &j;
    }
    return nullptr;
  }

  static DownloadOutcome Failed(const WorkItem& item, DownloadResult result, Status cause) {
    DownloadOutcome out;
    out.id = item.id;
    out.result = result;
    out.status = std::move(cause);
    return out;
  }
  static DownloadOutcome Done(const DownloadJob& job, VerificationMethod method = VerificationMethod::kMd5Etag) {
    DownloadOutcome out;
    out.id = job.item.id;
    out.result = DownloadResult::kDone;
    out.local_path = job.path;
    out.verification.matched = true;
    out.verification.method = method;
    out.verification.method_name = method == VerificationMethod::kSizeOnly ? "size-only" : "md5";
    return out;
  }
  // Every download job of `c` finishes verified.
  static std::vector<Event> AllDone(const Commands& c, VerificationMethod method = VerificationMethod::kMd5Etag) {
    std::vector<Event> events;
    for (const DownloadJob& j : c.downloads) events.emplace_back(Done(j, method));
    return events;
  }

  // Object "k" downloaded and verified; returns the step that queued its delete.
  Commands VerifyOneObject() {
    Scan({Object("k")});
    Start();
    Commands c = Step();
    Commands d = Step(AllDone(c));
    EXPECT_EQ(d.deletes.size(), 1u);
    return d;
  }
  static RestoreAnswered Answer(const WorkItem& item, RestoreResult result, bool was_request) {
    RestoreAnswered answer;
    answer.item = item;
    answer.was_request = was_request;
    answer.outcome.id = item.id;
    answer.outcome.result = result;
    return answer;
  }

  ScratchDir dir_;
  FakeClock clock_{std::chrono::system_clock::time_point(std::chrono::hours(24 * 365 * 56))};
  std::unique_ptr<store::StateStore> state_;
  std::unique_ptr<store::MigrationStore> db_;
  MigrateOptions opt_;
  FileSystem* fs_ = &PosixFileSystem::Default();  // what Start() hands the core
  std::unique_ptr<DeletePolicy> policy_;
  std::unique_ptr<Coordinator> core_;
};

// --- per-object failures stay per object ------------------------------------

TEST_F(CoordinatorTest, PerObjectFailuresStayPerObject) {
  struct Story {
    const char* name;
    Status cause;
    FileState row_after;
    bool run_stops;
    bool retried;
  };
  const std::vector<Story> stories = {
      {"403 on one object fails that object", Denied("k"), FileState::kError, false, false},
      {"rejected credentials stop the run, the row stays",
       Status::Error(ErrorKind::kAuth, "403 InvalidAccessKeyId"), FileState::kDownloading, true, false},
      {"a transient failure is retried after a back-off",
       Status::Error(ErrorKind::kTransient, "500 InternalError"), FileState::kDiscovered, false, true},
  };
  for (const Story& story : stories) {
    SCOPED_TRACE(story.name);
    Reset();
    Scan({Object("k"), Object("other")});
    Start();
    Commands first = Step();
    ASSERT_EQ(Keys(first.downloads), (std::vector<std::string>{"k", "other"}));
    Commands next = Step({Failed(first.downloads[0].item, DownloadResult::kFailed, story.cause)});
    const WorkItem row = Row("k");
    EXPECT_EQ(row.state, story.row_after);
    EXPECT_EQ(!core_->fatal().ok(), story.run_stops);
    if (story.row_after == FileState::kError) {
      EXPECT_NE(row.error_message.value_or("").find("access is denied"), std::string::npos)
          << row.error_message.value_or("");
    }
    // The other object is not affected; a retry waits for its back-off.
    EXPECT_EQ(Row("other").state, FileState::kDownloading);
    EXPECT_TRUE(next.downloads.empty());
    clock_.Advance(kLongAfter);
    Commands later = Step();
    EXPECT_EQ(Find(later, "k") != nullptr, story.retried);
  }
}

// What /metrics shows of a run: failed attempts by kind, retried or given
// up, and the queues' depths.
TEST_F(CoordinatorTest, ProgressCountsRetriesAndErrorsByKindAndTheQueues) {
  Scan({Object("denied"), Object("flaky"), Object("slow")});
  Start();
  Commands first = Step();
  ASSERT_EQ(Keys(first.downloads), (std::vector<std::string>{"denied", "flaky", "slow"}));
  Step({Failed(first.downloads[0].item, DownloadResult::kFailed, Denied("denied")),
        Failed(first.downloads[1].item, DownloadResult::kFailed,
               Status::Error(ErrorKind::kThrottled, "503 SlowDown"))});
  const ProgressSnapshot p = core_->Progress(0, 1);
  EXPECT_EQ(p.errors_by_kind, (std::map<std::string, int64_t>{{"AccessDenied", 1}}));
  EXPECT_EQ(p.retries_by_kind, (std::map<std::string, int64_t>{{"Throttled", 1}}));
  EXPECT_EQ(p.errors_this_run, 1);
  EXPECT_EQ(p.queues.retries_waiting, 1);  // "flaky", in its back-off
  EXPECT_EQ(p.active_transfers, 1);
  EXPECT_EQ(p.by_state[static_cast<size_t>(FileState::kError)].files, 1);
}

TEST_F(CoordinatorTest, DenialsOnManyKeysInARowStopTheRunButASuccessEndsTheStreak) {
  std::vector<ListedObject> objects;
  for (int i = 0; i < 2 * FailurePolicy::kDeniedStreakToStop; ++i) {
    objects.push_back(Object(fmt::format("k{:03}", i)));
  }
  opt_.concurrency = FailurePolicy::kDeniedStreakToStop;  // 40 handed out at once
  Scan(objects);
  Start();
  Commands c = Step();
  ASSERT_EQ(c.downloads.size(), objects.size());
  // One short of the streak, then a success, then one short again: goes on.
  std::vector<Event> events;
  for (int i = 0; i < FailurePolicy::kDeniedStreakToStop - 1; ++i) {
    events.emplace_back(Failed(c.downloads[i].item, DownloadResult::kFailed, Denied(c.downloads[i].item.key)));
  }
  events.emplace_back(Done(c.downloads[FailurePolicy::kDeniedStreakToStop - 1]));
  for (int i = FailurePolicy::kDeniedStreakToStop; i < 2 * FailurePolicy::kDeniedStreakToStop - 1; ++i) {
    events.emplace_back(Failed(c.downloads[i].item, DownloadResult::kFailed, Denied(c.downloads[i].item.key)));
  }
  Step(std::move(events));
  EXPECT_TRUE(core_->fatal().ok()) << core_->fatal().ToString();
  // The 20th denial in a row stops the run (exit 3: kAuth), naming the cause.
  const DownloadJob& last = c.downloads.back();
  Step({Failed(last.item, DownloadResult::kFailed, Denied(last.item.key))});
  EXPECT_EQ(core_->fatal().kind(), ErrorKind::kAuth);
  EXPECT_NE(core_->fatal().message().find("in a row"), std::string::npos) << core_->fatal().ToString();
  EXPECT_EQ(Row(last.item.key).state, FileState::kError);
}

// --- 412 cannot spin ---------------------------------------------------------

TEST_F(CoordinatorTest, PreconditionFailedWithTheSameEtagFetchesUnpinnedAndCannotSpin) {
  Scan({Object("k")});
  Start();
  Commands c = Step();
  ASSERT_EQ(c.downloads.size(), 1u);
  EXPECT_TRUE(c.downloads[0].pin_with_if_match);
  s3::ObjectMetadata same;
  same.etag = "0123456789abcdef0123456789abcdef";
  same.content_length = 100;
  for (int attempt = 1; attempt <= opt_.max_attempts; ++attempt) {
    SCOPED_TRACE(attempt);
    DownloadOutcome out = Failed(c.downloads[0].item, DownloadResult::kChanged,
                                 Status::Error(ErrorKind::kPreconditionFailed, "412"));
    out.current = same;
    Commands now = Step({out});
    EXPECT_TRUE(now.downloads.empty()) << "always a back-off";
    if (attempt == opt_.max_attempts) break;
    EXPECT_EQ(Row("k").attempts, attempt);
    clock_.Advance(kLongAfter);
    c = Step();
    ASSERT_EQ(c.downloads.size(), 1u);
    EXPECT_FALSE(c.downloads[0].pin_with_if_match);
  }
  EXPECT_EQ(Row("k").state, FileState::kError);
}

TEST_F(CoordinatorTest, PreconditionFailedWithANewEtagRecordsTheNewObjectAndFetchesItNow) {
  Scan({Object("k")});
  Start();
  Commands c = Step();
  s3::ObjectMetadata changed;
  changed.etag = "ffffffffffffffffffffffffffffffff";
  changed.content_length = 120;
  DownloadOutcome out = Failed(c.downloads[0].item, DownloadResult::kChanged,
                               Status::Error(ErrorKind::kPreconditionFailed, "412"));
  out.current = changed;
  Commands next = Step({out});
  ASSERT_EQ(next.downloads.size(), 1u);
  EXPECT_EQ(next.downloads[0].item.etag, changed.etag);
  EXPECT_EQ(next.downloads[0].item.size, 120);
  EXPECT_TRUE(next.downloads[0].pin_with_if_match);
  EXPECT_EQ(Row("k").attempts, 0);
}

// --- one authority on deletes --------------------------------------------------

TEST_F(CoordinatorTest, OnlyTheDeletePolicyDecidesWhatIsDeleted) {
  struct Story {
    const char* name;
    bool keep_source, allow_size_only, dry_run;
    VerificationMethod method;
    bool deleted;
  };
  const std::vector<Story> stories = {
      {"verified by MD5: deleted", false, false, false, VerificationMethod::kMd5Etag, true},
      {"--keep-source: never", true, false, false, VerificationMethod::kMd5Etag, false},
      {"--keep-source beats the size-only opt-in", true, true, false, VerificationMethod::kSizeOnly, false},
      {"size only: kept", false, false, false, VerificationMethod::kSizeOnly, false},
      {"size only, opted in: deleted", false, true, false, VerificationMethod::kSizeOnly, true},
      {"--dry-run: handed to the gate, which sends nothing", false, false, true, VerificationMethod::kMd5Etag, true},
  };
  for (const Story& story : stories) {
    SCOPED_TRACE(story.name);
    Reset();
    opt_.keep_source = story.keep_source;
    opt_.allow_size_only_delete = story.allow_size_only;
    opt_.dry_run = story.dry_run;
    Scan({Object("k")});
    Start();
    Commands c = Step();
    Commands after = Step(AllDone(c, story.method));
    EXPECT_EQ(Row("k").state, FileState::kVerified);
    ASSERT_EQ(after.deletes.size(), story.deleted ? 1u : 0u);
    if (story.deleted) {
      EXPECT_EQ(after.deletes[0].requests[0].key, "k");
    } else {
      EXPECT_TRUE(core_->Finished());
    }
  }
}

// PRODUCT.md §5.1: a row verified by an earlier run (or imported with
// `state import` from another host) is deleted only while its copy is on
// disk as verified; a missing or resized copy goes to `error`, S3 untouched.
TEST_F(CoordinatorTest, ACopyVerifiedEarlierIsDeletedOnlyWhileItIsOnDisk) {
  Scan({Object("kept"), Object("gone"), Object("shrunk")});
  const std::string dest = opt_.dest_root + "/b";
  std::filesystem::create_directories(dest);
  std::ofstream(dest + "/kept") << std::string(100, 'k');
  std::ofstream(dest + "/shrunk") << std::string(10, 's');
  ASSERT_TRUE(state_->database()
                  .Exec("UPDATE files SET state = 'verified', verified_by = 'md5-etag', local_path = '" + dest +
                        "/' || key")
                  .ok());
  Start();
  Commands c = Step();
  std::vector<std::string> deleting;
  for (const DeleteBatch& batch : c.deletes) {
    for (const DeleteRequest& r : batch.requests) deleting.push_back(r.key);
  }
  EXPECT_EQ(deleting, std::vector<std::string>{"kept"});
  for (const char* key : {"gone", "shrunk"}) {
    const WorkItem row = Row(key);
    EXPECT_EQ(row.state, FileState::kError) << key;
    EXPECT_NE(row.error_message.value_or("").find("not deleted from S3"), std::string::npos)
        << row.error_message.value_or("");
  }
}

// The disk check of a row verified earlier tells "the copy is not there"
// (ENOENT, ENOTDIR: the row goes to error) from "the disk could not say"
// (EIO and the like: a sick or unplugged destination). The latter leaves the
// row verified and S3 alone, to be checked again by a later run: a passing
// fault must not turn a good copy into an error for someone to reset.
TEST_F(CoordinatorTest, ADiskThatCannotAnswerLeavesAVerifiedRowAsItIs) {
  Scan({Object("sick"), Object("under-a-file")});
  const std::string dest = opt_.dest_root + "/b";
  std::filesystem::create_directories(dest);
  std::ofstream(dest + "/sick") << std::string(100, 'k');
  std::ofstream(dest + "/plain") << "a file where a folder was";
  ASSERT_TRUE(state_->database()
                  .Exec("UPDATE files SET state = 'verified', verified_by = 'md5-etag', local_path = '" + dest +
                        "/' || CASE key WHEN 'sick' THEN 'sick' ELSE 'plain/under-a-file' END")
                  .ok());
  FaultInjectionFileSystem faulty(PosixFileSystem::Default(), dir_.path() + "/graveyard");
  faulty.InjectFault({.op = FaultOp::kStat, .error = EIO, .path_contains = "/sick", .times = -1});
  fs_ = &faulty;
  Start();
  Commands c = Step();
  EXPECT_TRUE(c.deletes.empty());
  EXPECT_EQ(Row("sick").state, FileState::kVerified);
  EXPECT_EQ(Row("under-a-file").state, FileState::kError);
  core_.reset();  // before `faulty` goes
}

TEST_F(CoordinatorTest, DeletedOnlyAfterS3ConfirmsAndFailedDeletesComeBack) {
  Commands d = VerifyOneObject();
  ASSERT_EQ(d.deletes.size(), 1u);
  DeleteOutcome failed{Row("k").id, DeleteResult::kFailed, Status::Error(ErrorKind::kTransient, "500"), {}};
  Commands none = Step({DeleteAnswered{{failed}, d.deletes[0].requests}});
  EXPECT_TRUE(none.deletes.empty());
  EXPECT_EQ(Row("k").state, FileState::kVerified);
  clock_.Advance(kLongAfter);
  Commands again = Step();
  ASSERT_EQ(again.deletes.size(), 1u);
  DeleteOutcome ok{Row("k").id, DeleteResult::kDeleted, Status::Ok(), {}};
  Step({DeleteAnswered{{ok}, again.deletes[0].requests}});
  EXPECT_EQ(Row("k").state, FileState::kDeleted);
  EXPECT_TRUE(core_->Finished());
}

TEST_F(CoordinatorTest, AnObjectChangedAtDeleteTimeIsDownloadedAgainNotDeleted) {
  Commands d = VerifyOneObject();
  ASSERT_EQ(d.deletes.size(), 1u);
  s3::ObjectMetadata now;
  now.etag = "eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee";
  now.content_length = 7;
  DeleteOutcome changed{Row("k").id, DeleteResult::kChanged, Status::Ok(), now};
  Commands next = Step({DeleteAnswered{{changed}, d.deletes[0].requests}});
  ASSERT_EQ(next.downloads.size(), 1u);
  EXPECT_EQ(next.downloads[0].item.etag, now.etag);
  EXPECT_TRUE(next.deletes.empty());
}

// --- restores -------------------------------------------------------------------

TEST_F(CoordinatorTest, RestoredCopiesWaitingCountAgainstTheRestoreLimit) {
  opt_.concurrency = 1;  // two download slots
  opt_.max_restores_in_flight = 2;
  Scan({Object("big1", 100), Object("big2", 100), Object("g1", 10, "GLACIER"),
        Object("g2", 10, "GLACIER"), Object("g3", 10, "GLACIER")});
  Start();
  Commands c = Step();
  EXPECT_EQ(Keys(c.downloads), (std::vector<std::string>{"big1", "big2"}));
  ASSERT_EQ(c.restores.size(), 2u);  // the limit
  EXPECT_LT(c.restores[0].not_before, c.restores[1].not_before) << "spaced by the request rate";
  // g1 restored (waiting for a slot the big downloads hold), g2 requested.
  RestoreAnswered restored = Answer(c.restores[0].item, RestoreResult::kRestored, true);
  restored.outcome.expiry = clock_.Now() + std::chrono::hours(24);
  Commands next = Step({restored, Answer(c.restores[1].item, RestoreResult::kRequested, true)});
  EXPECT_TRUE(next.restores.empty()) << "a restored copy waiting still counts";
  EXPECT_TRUE(next.downloads.empty());
  // A slot frees: the restored copy goes first, before it expires; once it is
  // downloading it no longer holds a place, and g3 is asked for.
  Commands freed = Step({Done(c.downloads[0])});
  EXPECT_EQ(Keys(freed.downloads), (std::vector<std::string>{"g1"}));
  ASSERT_EQ(freed.restores.size(), 1u);
  EXPECT_EQ(freed.restores[0].item.key, "g3");
}

TEST_F(CoordinatorTest, WhileOnlyRestoresArePendingTheRunSleepsUntilTheNextPoll) {
  Scan({Object("g1", 10, "GLACIER")});
  Start();
  Commands c = Step();
  ASSERT_EQ(c.restores.size(), 1u);
  ASSERT_EQ(c.checks.size(), 0u);
  Step({Answer(c.restores[0].item, RestoreResult::kRequested, true)});
  EXPECT_EQ(Row("g1").state, FileState::kGlacierRestoreRequested);
  EXPECT_FALSE(core_->Finished());
  // Nothing wakes the run before the next poll, a whole interval after the
  // first one (at the start, when nothing was under way yet).
  EXPECT_EQ(core_->NextWake() - clock_.MonotonicNow(), opt_.restore_poll_interval);
  clock_.Advance(opt_.restore_poll_interval);
  Commands polls = Step();
  ASSERT_EQ(polls.checks.size(), 1u);
  Step({Answer(polls.checks[0].item, RestoreResult::kInProgress, false)});
  EXPECT_EQ(Row("g1").state, FileState::kGlacierRestoring);
  EXPECT_EQ(core_->NextWake() - clock_.MonotonicNow(), opt_.restore_poll_interval);
  clock_.Advance(opt_.restore_poll_interval - std::chrono::seconds(1));
  EXPECT_TRUE(Step().checks.empty());
  clock_.Advance(std::chrono::seconds(1));
  EXPECT_EQ(Step().checks.size(), 1u);
}

TEST_F(CoordinatorTest, ARestoreThatVanishedIsAskedForAgain) {
  Scan({Object("g1", 10, "GLACIER")});
  Start();
  Commands c = Step();
  Step({Answer(c.restores[0].item, RestoreResult::kRequested, true)});
  static_assert(std::chrono::seconds(180) > RestoreStage::kRestoreGrace);
  clock_.Advance(opt_.restore_poll_interval);
  Commands polls = Step();
  ASSERT_EQ(polls.checks.size(), 1u);
  Commands again = Step({Answer(polls.checks[0].item, RestoreResult::kNotRestored, false)});
  ASSERT_EQ(again.restores.size(), 1u);
  EXPECT_EQ(again.restores[0].item.key, "g1");
}

// --- bookkeeping ------------------------------------------------------------------

TEST_F(CoordinatorTest, NothingIsHandedOutTwiceAndAStoppingRunTakesNoWork) {
  Scan({Object("a"), Object("b"), Object("c")});
  opt_.concurrency = 1;  // two at a time
  Start();
  Commands first = Step();
  EXPECT_EQ(Keys(first.downloads), (std::vector<std::string>{"a", "b"}));
  EXPECT_TRUE(Step().downloads.empty());
  EXPECT_TRUE(Step({Done(first.downloads[0])}, /*take_work=*/false).downloads.empty());
  EXPECT_EQ(Keys(Step().downloads), (std::vector<std::string>{"c"}));
  EXPECT_FALSE(core_->Finished());
}

TEST_F(CoordinatorTest, ACancelledDownloadStaysDownloadingForTheNextRun) {
  Scan({Object("a")});
  Start();
  Commands c = Step();
  Step({Failed(c.downloads[0].item, DownloadResult::kCancelled,
               Status::Error(ErrorKind::kCancelled, "stopping"))},
       false);
  EXPECT_EQ(Row("a").state, FileState::kDownloading);
  EXPECT_EQ(Row("a").attempts, 0);
}

}  // namespace
}  // namespace s3m::engine

namespace s3m::engine {
namespace {

// Issue 18: durability is off the download path. A transfer that is over
// (its file sealed, waiting for the publisher's sync) frees its transfer
// slot at once, while its row stays `downloading` until the published
// outcome; the run is not finished and queues no delete before then.
TEST_F(CoordinatorTest, ASealedDownloadFreesItsSlotButStaysDownloadingUntilPublished) {
  Scan({Object("a"), Object("b"), Object("c"), Object("d"), Object("e")});
  opt_.concurrency = 1;  // two transfers at a time
  Start();
  Commands first = Step();
  ASSERT_EQ(Keys(first.downloads), (std::vector<std::string>{"a", "b"}));
  Commands second = Step({Sealed{first.downloads[0].item.id}, Sealed{first.downloads[1].item.id}});
  EXPECT_EQ(Keys(second.downloads), (std::vector<std::string>{"c", "d"}));
  EXPECT_EQ(Row("a").state, FileState::kDownloading);
  EXPECT_TRUE(second.deletes.empty());
  // Published: verified, and the delete follows.
  Commands third = Step({Done(first.downloads[0]), Done(first.downloads[1])});
  EXPECT_EQ(Row("a").state, FileState::kVerified);
  EXPECT_TRUE(third.downloads.empty()) << "c and d still hold both slots";
  Commands fourth = Step(AllDone(second));
  EXPECT_EQ(Keys(fourth.downloads), (std::vector<std::string>{"e"}));
  EXPECT_FALSE(core_->Finished());
}

// A sealed event for an id that is not downloading (a late or stray one)
// changes nothing.
TEST_F(CoordinatorTest, ASealedEventForAnUnknownIdIsIgnored) {
  Scan({Object("a"), Object("b"), Object("c")});
  opt_.concurrency = 1;
  Start();
  Commands first = Step();
  ASSERT_EQ(first.downloads.size(), 2u);
  EXPECT_TRUE(Step({Sealed{987654}}).downloads.empty());
}

}  // namespace
}  // namespace s3m::engine
