#include "engine/atomic_file.h"

#include <gtest/gtest.h>

#include <sys/xattr.h>

#include <filesystem>
#include <thread>

#include "support/fault_injection_file_system.h"
#include "engine/key_path.h"
#include "engine_test_util.h"

namespace s3m::engine {
namespace {

using testing_util::Exists;
using testing_util::Pattern;
using testing_util::ReadAll;
using testing_util::ScratchDir;
using testing_util::WriteAll;

constexpr size_t kRange = 4096;
constexpr size_t kRanges = 4;
const std::string& Data() {
  static const std::string data = Pattern(kRange * kRanges);
  return data;
}

AtomicFile::Options Resumable() {
  AtomicFile::Options options;
  options.resumable = true;
  return options;
}

Status WriteRange(AtomicFile& file, size_t index) {
  return file.WriteAt(index * kRange, Data().data() + index * kRange, kRange);
}

TEST(AtomicFileNameTest, PartialPathIsHiddenDeterministicAndOurs) {
  EXPECT_EQ(AtomicFile::PartialPath("/dest/b/dir/file.bin"), "/dest/b/dir/.file.bin%~partial");
  EXPECT_EQ(AtomicFile::PartialPath("rel"), "./.rel%~partial");
  EXPECT_TRUE(AtomicFile::IsPartialName(".file.bin%~partial"));
  EXPECT_FALSE(AtomicFile::IsPartialName("file.bin%~partial"));
  EXPECT_FALSE(AtomicFile::IsPartialName(".%~partial"));
  EXPECT_FALSE(AtomicFile::IsPartialName(".file.bin"));

  // No object maps to a partial file's name: a key spelled like one is
  // escaped ('%' -> "%25") on its way to the disk.
  for (const char* key : {".file.bin%~partial", "dir/.x%~partial", ".x.s3m-partial"}) {
    const std::string local = MapKeyToLocalName(key).relative_path;
    EXPECT_FALSE(AtomicFile::IsPartialName(BaseName(local))) << key << " -> " << local;
  }

  // A name with no room for the affixes gets a hash, still under NAME_MAX.
  const std::string long_name(250, 'x');
  const std::string partial = BaseName(AtomicFile::PartialPath("/d/" + long_name));
  EXPECT_LE(partial.size(), 255u);
  EXPECT_TRUE(AtomicFile::IsPartialName(partial));
  EXPECT_EQ(partial, BaseName(AtomicFile::PartialPath("/other/" + long_name)));
  EXPECT_NE(partial, BaseName(AtomicFile::PartialPath("/d/" + std::string(250, 'y'))));
  EXPECT_EQ(partial.size(), 1 + 64 + kPartialFileSuffix.size());
}

class AtomicFilePosixTest : public ::testing::Test {
 protected:
  ScratchDir dir_;
  PosixFileSystem& fs_ = PosixFileSystem::Default();
};

TEST_F(AtomicFilePosixTest, ParallelWritersThenCommit) {
  const std::string final_path = dir_ / "object";
  auto file = AtomicFile::Create(fs_, final_path, Data().size(), Resumable());
  ASSERT_TRUE(file.ok()) << file.status().ToString();
  EXPECT_FALSE((*file)->resumed());
  EXPECT_EQ(fs_.Stat((*file)->partial_path())->size, Data().size()) << "preallocated";
  EXPECT_FALSE(Exists(final_path));

  std::vector<std::thread> workers;
  for (size_t r = 0; r < kRanges; ++r) {
    workers.emplace_back([&, r] {
      EXPECT_TRUE(WriteRange(**file, kRanges - 1 - r).ok());  // any order
      EXPECT_TRUE((*file)->Sync().ok());
    });
  }
  for (auto& w : workers) w.join();
  EXPECT_FALSE(Exists(final_path)) << "never a partial file under the final name";

  const auto mtime = std::chrono::system_clock::time_point(std::chrono::seconds(1700000000));
  ASSERT_TRUE((*file)->Commit({.mtime = mtime}).ok());
  EXPECT_EQ(ReadAll(final_path), Data());
  EXPECT_FALSE(Exists((*file)->partial_path()));
  EXPECT_EQ(fs_.Stat(final_path)->mtime, mtime);
  EXPECT_FALSE((*file)->WriteAt(0, "x", 1).ok()) << "committed";
  EXPECT_FALSE((*file)->Commit({}).ok());
  EXPECT_FALSE((*file)->Abandon().ok()) << "a committed file is never abandoned";
  EXPECT_EQ(ReadAll(final_path), Data());
}

TEST_F(AtomicFilePosixTest, WritesOutsideTheObjectAreRefused) {
  auto file = AtomicFile::Create(fs_, dir_ / "o", 10, {});
  ASSERT_TRUE(file.ok());
  EXPECT_EQ((*file)->WriteAt(8, "abc", 3).kind(), ErrorKind::kInvalidArgument);
  EXPECT_EQ((*file)->WriteAt(UINT64_MAX, "a", 1).kind(), ErrorKind::kInvalidArgument);
  EXPECT_TRUE((*file)->WriteAt(7, "abc", 3).ok());
  EXPECT_EQ(fs_.Stat((*file)->partial_path())->size, 10u) << "never extended";
}

TEST_F(AtomicFilePosixTest, EmptyObject) {
  auto file = AtomicFile::Create(fs_, dir_ / "empty", 0, Resumable());
  ASSERT_TRUE(file.ok()) << file.status().ToString();
  ASSERT_TRUE((*file)->Commit({}).ok());
  EXPECT_EQ(ReadAll(dir_ / "empty"), "");
}

TEST_F(AtomicFilePosixTest, WithoutPreallocationAResumableFileIsSparseButFullSize) {
  AtomicFile::Options options = Resumable();
  options.preallocate = false;
  auto file = AtomicFile::Create(fs_, dir_ / "o", 1 << 20, options);
  ASSERT_TRUE(file.ok());
  EXPECT_EQ(fs_.Stat((*file)->partial_path())->size, 1u << 20);
}

// A file written whole in one go (a small object) is not sized up front: it
// grows with its writes, and a short one cannot be committed.
TEST_F(AtomicFilePosixTest, WithoutPreallocationAFileWrittenWholeGrowsWithItsWrites) {
  AtomicFile::Options options;
  options.preallocate = false;
  auto file = AtomicFile::Create(fs_, dir_ / "o", Data().size(), options);
  ASSERT_TRUE(file.ok());
  EXPECT_EQ(fs_.Stat((*file)->partial_path())->size, 0u);
  ASSERT_TRUE((*file)->WriteAt(0, Data().data(), Data().size() - 1).ok());
  EXPECT_FALSE((*file)->Commit({}).ok()) << "one byte short";
  auto again = AtomicFile::Create(fs_, dir_ / "o", Data().size(), options);
  ASSERT_TRUE(again.ok());
  for (size_t r = 0; r < kRanges; ++r) ASSERT_TRUE(WriteRange(**again, r).ok());
  ASSERT_TRUE((*again)->Commit({}).ok());
  EXPECT_EQ(ReadAll(dir_ / "o"), Data());
}

TEST_F(AtomicFilePosixTest, AbandonRemovesThePartialFile) {
  auto file = AtomicFile::Create(fs_, dir_ / "o", Data().size(), {});
  ASSERT_TRUE(file.ok());
  ASSERT_TRUE(WriteRange(**file, 0).ok());
  ASSERT_TRUE((*file)->Abandon().ok());
  EXPECT_TRUE(std::filesystem::is_empty(dir_.path()));
  EXPECT_TRUE((*file)->Abandon().ok()) << "idempotent";
}

TEST_F(AtomicFilePosixTest, DestructionKeepsThePartialFileForResume) {
  std::string partial;
  {
    auto file = AtomicFile::Create(fs_, dir_ / "o", Data().size(), Resumable());
    ASSERT_TRUE(file.ok());
    ASSERT_TRUE(WriteRange(**file, 1).ok());
    partial = (*file)->partial_path();
  }
  EXPECT_EQ(ReadAll(partial).substr(kRange, kRange), Data().substr(kRange, kRange));
  auto resumed = AtomicFile::Open(fs_, dir_ / "o", Data().size(), Resumable());
  ASSERT_TRUE(resumed.ok());
  EXPECT_TRUE((*resumed)->resumed());
}

TEST_F(AtomicFilePosixTest, ResumeChecksExistenceAndSize) {
  EXPECT_EQ(AtomicFile::Resume(fs_, dir_ / "o", 100, {}).status().kind(), ErrorKind::kNotFound);
  WriteAll(AtomicFile::PartialPath(dir_ / "o"), "short");
  const Status wrong = AtomicFile::Resume(fs_, dir_ / "o", 100, {}).status();
  EXPECT_EQ(wrong.kind(), ErrorKind::kConflict);
  EXPECT_NE(wrong.message().find("5 bytes"), std::string::npos) << wrong.ToString();
  // Open starts over: the caller must forget its recorded ranges.
  auto fresh = AtomicFile::Open(fs_, dir_ / "o", 100, {});
  ASSERT_TRUE(fresh.ok());
  EXPECT_FALSE((*fresh)->resumed());
  char buf[5];
  ASSERT_EQ(*(*fresh)->ReadAt(0, buf, 5), 5u);
  EXPECT_EQ(std::string(buf, 5), std::string(5, '\0')) << "old bytes discarded";
}

TEST_F(AtomicFilePosixTest, CreatesParentDirectoriesWhenAsked) {
  DirectoryMaker maker(fs_);
  AtomicFile::Options options;
  options.directories = &maker;
  auto file = AtomicFile::Create(fs_, dir_ / "a/b/c/o", 3, options);
  ASSERT_TRUE(file.ok()) << file.status().ToString();
  ASSERT_TRUE((*file)->WriteAt(0, "abc", 3).ok());
  ASSERT_TRUE((*file)->Commit({}).ok());
  EXPECT_EQ(ReadAll(dir_ / "a/b/c/o"), "abc");
  EXPECT_EQ(AtomicFile::Create(fs_, dir_ / "x/o", 3, {}).status().kind(), ErrorKind::kNotFound)
      << "without a DirectoryMaker the directory must exist";
}

// Crash scenarios, through the fault-injecting filesystem.
class AtomicFileCrashTest : public ::testing::Test {
 protected:
  std::string final_path() const { return dir_ / "object"; }

  std::unique_ptr<AtomicFile> Open(const AtomicFile::Options& options) {
    auto file = AtomicFile::Open(fs_, final_path(), Data().size(), options);
    EXPECT_TRUE(file.ok()) << file.status().ToString();
    return file.ok() ? std::move(*file) : nullptr;
  }

  void WriteAllRanges(AtomicFile& file) {
    for (size_t r = 0; r < kRanges; ++r) ASSERT_TRUE(WriteRange(file, r).ok());
  }

  ScratchDir dir_;
  ScratchDir graveyard_;
  FaultInjectionFileSystem fs_{PosixFileSystem::Default(), graveyard_ / "g"};
};

// Extended attributes go on with the mtime, before the fsync: Commit and
// Seal both. A filesystem without them is a note, not a failure; any other
// error (EIO) fails the commit like a failed fsync.
TEST_F(AtomicFileCrashTest, AttributesAreSetOrTheirAbsenceIsNoted) {
  const AtomicFile::CommitOptions with_attributes{.attributes = {{"user.s3.etag", "abc"}, {"user.s3.tag.k", ""}}};
  auto file = Open({});
  WriteAllRanges(*file);
  ASSERT_TRUE(file->Commit(with_attributes).ok());
  EXPECT_EQ(file->attribute_note(), "");
  char value[16] = {};
  EXPECT_EQ(::getxattr(final_path().c_str(), "user.s3.etag", value, sizeof value), 3);
  EXPECT_STREQ(value, "abc");
  EXPECT_EQ(::getxattr(final_path().c_str(), "user.s3.tag.k", value, sizeof value), 0);
  ASSERT_EQ(::unlink(final_path().c_str()), 0);

  fs_.InjectFault({.op = FaultOp::kSetAttribute, .error = ENOTSUP, .times = -1});
  file = Open({});
  WriteAllRanges(*file);
  ASSERT_TRUE(file->Seal(with_attributes).ok());
  EXPECT_NE(file->attribute_note().find("no extended attributes"), std::string::npos) << file->attribute_note();
  ASSERT_TRUE(file->Publish().ok());
  EXPECT_EQ(ReadAll(final_path()), Data());
  ASSERT_EQ(::unlink(final_path().c_str()), 0);

  fs_.ClearFaults();
  fs_.InjectFault({.op = FaultOp::kSetAttribute, .error = EIO});
  file = Open({});
  WriteAllRanges(*file);
  EXPECT_FALSE(file->Commit(with_attributes).ok());
  EXPECT_FALSE(Exists(final_path()));
}

TEST_F(AtomicFileCrashTest, CrashBeforeCommitLeavesNoFinalFile) {
  auto file = Open(Resumable());
  WriteAllRanges(*file);
  ASSERT_TRUE(file->Sync().ok());
  ASSERT_TRUE(fs_.SimulateCrash().ok());
  EXPECT_FALSE(Exists(final_path()));
  EXPECT_EQ(ReadAll(file->partial_path()), Data()) << "synced partial file survives for resume";
}

TEST_F(AtomicFileCrashTest, CrashAfterRenameBeforeDirectorySyncMayLoseTheRename) {
  // Not resumable: nothing about the partial file was made durable.
  auto file = Open({});
  WriteAllRanges(*file);
  fs_.InjectFault({.op = FaultOp::kSyncDirectory, .crash = true});
  const Status committed = file->Commit({});
  EXPECT_FALSE(committed.ok()) << "Commit reports the failed directory sync";
  EXPECT_EQ(ReadAll(final_path()), Data()) << "renamed in the page cache...";
  ASSERT_TRUE(fs_.SimulateCrash().ok());
  EXPECT_FALSE(Exists(final_path())) << "...but gone after the crash: never record "
                                        "'downloaded' before Commit returns OK";
  EXPECT_FALSE(Exists(file->partial_path()));
}

TEST_F(AtomicFileCrashTest, ResumableFileLostRenameComesBackAsPartial) {
  auto file = Open(Resumable());
  WriteAllRanges(*file);
  fs_.InjectFault({.op = FaultOp::kSyncDirectory, .crash = true});
  EXPECT_FALSE(file->Commit({}).ok());
  ASSERT_TRUE(fs_.SimulateCrash().ok());
  EXPECT_FALSE(Exists(final_path()));
  auto again = Open(Resumable());
  ASSERT_TRUE(again->resumed());
  ASSERT_TRUE(again->Commit({}).ok()) << "Commit's fsync ran before the rename, so the data is there";
  ASSERT_TRUE(fs_.SimulateCrash().ok());
  EXPECT_EQ(ReadAll(final_path()), Data());
}

TEST_F(AtomicFileCrashTest, CrashAfterCommitKeepsTheFileIntact) {
  auto file = Open({});
  WriteAllRanges(*file);
  const auto mtime = std::chrono::system_clock::time_point(std::chrono::seconds(1600000000));
  ASSERT_TRUE(file->Commit({.mtime = mtime}).ok());
  EXPECT_TRUE(fs_.PendingEntries().empty());
  ASSERT_TRUE(fs_.SimulateCrash().ok());
  EXPECT_EQ(ReadAll(final_path()), Data());
  EXPECT_EQ(fs_.Stat(final_path())->mtime, mtime);
  EXPECT_FALSE(Exists(file->partial_path()));
}

// Issue 14: a file at the final name that the caller did not expect is
// another object's only copy (a clash the database missed): never replaced.
TEST_F(AtomicFileCrashTest, CommitNeverReplacesAnotherFile) {
  WriteAll(final_path(), "old copy");
  auto file = Open({});
  WriteAllRanges(*file);
  const Status committed = file->Commit({});
  EXPECT_EQ(committed.kind(), ErrorKind::kConflict) << committed.ToString();
  EXPECT_EQ(committed.context().sys_errno, EEXIST);
  EXPECT_EQ(ReadAll(final_path()), "old copy");
  EXPECT_EQ(ReadAll(file->partial_path()), Data()) << "the download is kept for another name";
  ASSERT_TRUE(file->Abandon().ok());
  ASSERT_TRUE(fs_.SimulateCrash().ok());
  EXPECT_EQ(ReadAll(final_path()), "old copy");
}

TEST_F(AtomicFileCrashTest, PublishNeverReplacesAnotherFileNorADirectory) {
  WriteAll(final_path(), "old copy");
  auto file = Open({});
  WriteAllRanges(*file);
  ASSERT_TRUE(file->Seal({}).ok());
  EXPECT_EQ(file->Publish().kind(), ErrorKind::kConflict);
  EXPECT_EQ(ReadAll(final_path()), "old copy");
  ASSERT_TRUE(file->Abandon().ok());
}

// The same bytes at the final name: this object, renamed by a run that
// crashed before it recorded the download. Replacing it loses nothing.
TEST_F(AtomicFileCrashTest, CommitOverTheSameBytesSucceeds) {
  WriteAll(final_path(), Data());
  auto file = Open({});
  WriteAllRanges(*file);
  ASSERT_TRUE(file->Commit({}).ok());
  ASSERT_TRUE(fs_.SimulateCrash().ok());
  EXPECT_EQ(ReadAll(final_path()), Data());
}

TEST_F(AtomicFileCrashTest, ResumeAfterCrashKeepsOnlySyncedRanges) {
  std::vector<size_t> recorded;  // stands in for the state database
  {
    auto file = Open(Resumable());
    ASSERT_FALSE(file->resumed());
    ASSERT_TRUE(WriteRange(*file, 0).ok());
    ASSERT_TRUE(WriteRange(*file, 2).ok());
    // The ordering rule: sync, then record.
    ASSERT_TRUE(file->Sync().ok());
    recorded = {0, 2};
    ASSERT_TRUE(WriteRange(*file, 1).ok());  // written, not synced, not recorded
    ASSERT_TRUE(fs_.SimulateCrash().ok());
  }
  auto file = Open(Resumable());
  ASSERT_TRUE(file->resumed());
  const std::string on_disk = ReadAll(file->partial_path());
  ASSERT_EQ(on_disk.size(), Data().size());
  for (size_t r = 0; r < kRanges; ++r) {
    const bool was_recorded = std::find(recorded.begin(), recorded.end(), r) != recorded.end();
    const std::string want = was_recorded ? Data().substr(r * kRange, kRange) : std::string(kRange, '\0');
    EXPECT_EQ(on_disk.substr(r * kRange, kRange), want) << "range " << r;
  }
  for (size_t r = 0; r < kRanges; ++r) {
    if (std::find(recorded.begin(), recorded.end(), r) == recorded.end()) {
      ASSERT_TRUE(WriteRange(*file, r).ok());
    }
  }
  ASSERT_TRUE(file->Commit({}).ok());
  ASSERT_TRUE(fs_.SimulateCrash().ok());
  EXPECT_EQ(ReadAll(final_path()), Data());
}

TEST_F(AtomicFileCrashTest, NonResumablePartialMayVanishSoOpenStartsOver) {
  {
    auto file = Open({});
    ASSERT_TRUE(WriteRange(*file, 0).ok());
    ASSERT_TRUE(file->Sync().ok());  // data synced, but the name never was
  }
  ASSERT_TRUE(fs_.SimulateCrash().ok());
  auto file = Open(Resumable());
  EXPECT_FALSE(file->resumed()) << "caller must forget recorded ranges";
}

TEST_F(AtomicFileCrashTest, ResumeMakesAnUndurablePartialDurable) {
  {
    auto file = Open({});  // an earlier run that was not resumable, killed
    ASSERT_TRUE(WriteRange(*file, 0).ok());
  }
  auto file = Open(Resumable());
  ASSERT_TRUE(file->resumed());
  ASSERT_TRUE(WriteRange(*file, 1).ok());
  ASSERT_TRUE(file->Sync().ok());
  ASSERT_TRUE(fs_.SimulateCrash().ok());
  auto after = Open(Resumable());
  ASSERT_TRUE(after->resumed());
  EXPECT_EQ(ReadAll(after->partial_path()).substr(kRange, kRange), Data().substr(kRange, kRange));
}

TEST_F(AtomicFileCrashTest, DiskFullMidWriteFailsCleanly) {
  auto file = Open(Resumable());
  fs_.SetWriteBudget(kRange + 100);
  ASSERT_TRUE(WriteRange(*file, 0).ok());
  const Status full = WriteRange(*file, 1);
  ASSERT_FALSE(full.ok());
  EXPECT_TRUE(IsDiskFull(full));
  EXPECT_EQ(full.kind(), ErrorKind::kFatal);
  EXPECT_NE(full.ToString().find("disk full"), std::string::npos) << full.ToString();
  EXPECT_NE(full.ToString().find(file->partial_path()), std::string::npos) << full.ToString();
  ASSERT_TRUE(file->Abandon().ok());
  EXPECT_FALSE(Exists(final_path()));
  EXPECT_FALSE(Exists(file->partial_path()));
  ASSERT_TRUE(fs_.SimulateCrash().ok());
  EXPECT_FALSE(Exists(final_path())) << "never a final file for a partial download";
}

TEST_F(AtomicFileCrashTest, DiskFullAtPreallocationLeavesNothing) {
  fs_.InjectFault({.op = FaultOp::kAllocate, .error = ENOSPC});
  auto file = AtomicFile::Create(fs_, final_path(), Data().size(), Resumable());
  ASSERT_FALSE(file.ok());
  EXPECT_TRUE(IsDiskFull(file.status())) << file.status().ToString();
  EXPECT_TRUE(std::filesystem::is_empty(dir_.path()));
}

TEST_F(AtomicFileCrashTest, FsyncErrorAtCommitFailsWithoutRenaming) {
  auto file = Open({});
  WriteAllRanges(*file);
  fs_.InjectFault({.op = FaultOp::kSync, .error = EIO});
  const Status committed = file->Commit({});
  EXPECT_FALSE(committed.ok());
  EXPECT_EQ(committed.context().sys_errno, EIO);
  EXPECT_FALSE(Exists(final_path()));
  ASSERT_TRUE(file->Abandon().ok());
  EXPECT_FALSE(Exists(file->partial_path()));
}

TEST_F(AtomicFileCrashTest, SyncErrorIsReported) {
  auto file = Open(Resumable());
  ASSERT_TRUE(WriteRange(*file, 0).ok());
  fs_.InjectFault({.op = FaultOp::kSync, .error = EIO});
  EXPECT_FALSE(file->Sync().ok()) << "the caller must not record the range";
  ASSERT_TRUE(fs_.SimulateCrash().ok());
  auto after = Open(Resumable());
  ASSERT_TRUE(after->resumed());
  EXPECT_EQ(ReadAll(after->partial_path()).substr(0, kRange), std::string(kRange, '\0'));
}

}  // namespace
}  // namespace s3m::engine
