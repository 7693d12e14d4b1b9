// BatchPublisher (issue 14): a batch of small files is durable on every
// filesystem its files live on, not only the destination root's.
#include "engine/publisher.h"

#include <condition_variable>
#include <mutex>
#include <set>

#include <gtest/gtest.h>

#include "engine/atomic_file.h"
#include "support/fault_injection_file_system.h"
#include "engine_test_util.h"

namespace s3m::engine {
namespace {

using testing_util::ReadAll;
using testing_util::ScratchDir;

class BatchPublisherTest : public ::testing::Test {
 protected:
  // Writes and seals each path (content "bytes of <path>"), hands them to a
  // publisher as one batch, and waits for every outcome.
  std::vector<DownloadOutcome> PublishAll(const std::vector<std::string>& paths, const WriteFence* fence = nullptr) {
    std::vector<DownloadOutcome> sealed;
    DirectoryMaker dirs(fs_);
    for (size_t i = 0; i < paths.size(); ++i) {
      const std::string content = "bytes of " + paths[i];
      AtomicFile::Options options;
      options.directories = &dirs;
      auto file = AtomicFile::Create(fs_, paths[i], content.size(), options);
      EXPECT_TRUE(file.ok()) << file.status().ToString();
      if (!file.ok()) return {};
      EXPECT_TRUE((*file)->WriteAt(0, content.data(), content.size()).ok());
      EXPECT_TRUE((*file)->Seal({}).ok());
      DownloadOutcome outcome;
      outcome.id = static_cast<int64_t>(i);
      outcome.result = DownloadResult::kDone;
      outcome.sealed = std::move(*file);
      sealed.push_back(std::move(outcome));
    }
    std::mutex mu;
    std::condition_variable cv;
    std::vector<DownloadOutcome> done;
    {
      BatchPublisher publisher(fs_, [&](DownloadOutcome outcome) {
        std::lock_guard lock(mu);
        done.push_back(std::move(outcome));
        cv.notify_all();
      }, fence);
      for (DownloadOutcome& outcome : sealed) publisher.Add(std::move(outcome));
      std::unique_lock lock(mu);
      cv.wait(lock, [&] { return done.size() == paths.size(); });
    }
    return done;
  }

  ScratchDir dir_;
  FaultInjectionFileSystem fs_{PosixFileSystem::Default(), dir_ / "graveyard"};
  const std::string root_ = dir_ / "dest";
};

// A worker whose fence closed (its lease could not be renewed: another
// worker may own these objects now) publishes nothing and removes nothing.
TEST_F(BatchPublisherTest, AClosedFencePublishesNothingAndLeavesThePartialFiles) {
  FakeClock clock;
  WriteFence fence(clock, clock.MonotonicNow() + std::chrono::seconds(30));
  clock.Advance(std::chrono::seconds(31));
  const std::string path = root_ + "/b/k.txt";
  std::vector<DownloadOutcome> done = PublishAll({path}, &fence);
  ASSERT_EQ(done.size(), 1u);
  EXPECT_EQ(done[0].result, DownloadResult::kCancelled);
  EXPECT_EQ(done[0].status.kind(), ErrorKind::kCancelled);
  EXPECT_FALSE(fs_.Stat(path).ok()) << "not published";
  EXPECT_TRUE(fs_.Stat(AtomicFile::PartialPath(path)).ok()) << "the partial file is left as it is";
}

TEST_F(BatchPublisherTest, EveryFileIsDurableOnItsOwnFilesystem) {
  // Bucket b2 is another filesystem (a ZFS dataset per bucket, a bind mount,
  // a symlink to another disk), and so is a folder deep inside b1.
  fs_.AddMount(root_ + "/b2", 2);
  fs_.AddMount(root_ + "/b1/deep", 3);
  const std::vector<std::string> paths = {root_ + "/b1/x", root_ + "/b1/deep/y", root_ + "/b2/z",
                                          root_ + "/b2/sub/w"};
  for (const DownloadOutcome& outcome : PublishAll(paths)) {
    EXPECT_EQ(outcome.result, DownloadResult::kDone) << outcome.status.ToString();
  }
  const std::vector<uint64_t> syncs = fs_.FileSystemSyncs();
  EXPECT_EQ(std::set<uint64_t>(syncs.begin(), syncs.end()), (std::set<uint64_t>{0, 2, 3}));
  EXPECT_EQ(syncs.size(), 6u) << "two syncs per filesystem: before and after the renames";
  // Power is lost: whatever was reported published must be there.
  ASSERT_TRUE(fs_.SimulateCrash().ok());
  for (const std::string& path : paths) EXPECT_EQ(ReadAll(path), "bytes of " + path);
}

TEST_F(BatchPublisherTest, OneFilesystemIsSyncedOnceForManyFolders) {
  std::vector<std::string> paths;
  for (int i = 0; i < 20; ++i) paths.push_back(root_ + "/b/" + std::to_string(i % 4) + "/f" + std::to_string(i));
  for (const DownloadOutcome& outcome : PublishAll(paths)) {
    EXPECT_EQ(outcome.result, DownloadResult::kDone) << outcome.status.ToString();
  }
  ASSERT_TRUE(fs_.SimulateCrash().ok());
  for (const std::string& path : paths) EXPECT_EQ(ReadAll(path), "bytes of " + path);
}

TEST_F(BatchPublisherTest, AFileAtTheFinalNameIsNeverReplaced) {
  fs_.AddMount(root_ + "/b", 1);
  DirectoryMaker dirs(fs_);
  ASSERT_TRUE(dirs.MakeDirectories(root_ + "/b").ok());
  testing_util::WriteAll(root_ + "/b/taken", "another object's only copy");
  const auto done = PublishAll({root_ + "/b/taken", root_ + "/b/free"});
  ASSERT_EQ(done.size(), 2u);
  for (const DownloadOutcome& outcome : done) {
    EXPECT_EQ(outcome.result, outcome.id == 0 ? DownloadResult::kPathConflict : DownloadResult::kDone)
        << outcome.id << ": " << outcome.status.ToString();
  }
  EXPECT_EQ(ReadAll(root_ + "/b/taken"), "another object's only copy");
  EXPECT_EQ(ReadAll(root_ + "/b/free"), "bytes of " + root_ + "/b/free");
}

}  // namespace
}  // namespace s3m::engine
