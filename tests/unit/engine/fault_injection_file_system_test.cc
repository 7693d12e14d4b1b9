#include "support/fault_injection_file_system.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <thread>

#include "engine_test_util.h"

namespace s3m::engine {
namespace {

using testing_util::Exists;
using testing_util::ReadAll;
using testing_util::ScratchDir;
using testing_util::WriteAll;

class FaultInjectionFileSystemTest : public ::testing::Test {
 protected:
  // Creates `name` with `data`, fsyncs it and its directory: fully durable.
  void CreateDurable(const std::string& name, std::string_view data) {
    auto file = fs_.Open(dir_ / name, OpenOptions::CreateTruncate());
    ASSERT_TRUE(file.ok()) << file.status().ToString();
    ASSERT_TRUE((*file)->WriteAt(0, data.data(), data.size()).ok());
    ASSERT_TRUE((*file)->Sync().ok());
    ASSERT_TRUE((*file)->Close().ok());
    ASSERT_TRUE(fs_.SyncDirectory(dir_.path()).ok());
  }

  std::unique_ptr<File> OpenRw(const std::string& name) {
    auto file = fs_.Open(dir_ / name, OpenOptions::ReadWrite());
    EXPECT_TRUE(file.ok()) << file.status().ToString();
    return file.ok() ? std::move(*file) : nullptr;
  }

  ScratchDir dir_;
  ScratchDir graveyard_;
  FaultInjectionFileSystem fs_{PosixFileSystem::Default(), graveyard_ / "g"};
};

TEST_F(FaultInjectionFileSystemTest, UnsyncedCreateVanishes) {
  auto file = fs_.Open(dir_ / "f", OpenOptions::CreateTruncate());
  ASSERT_TRUE(file.ok());
  ASSERT_TRUE((*file)->WriteAt(0, "data", 4).ok());
  ASSERT_TRUE((*file)->Sync().ok());  // data synced, but the name is not
  EXPECT_EQ(fs_.PendingEntries(), std::vector<std::string>{"create " + (dir_ / "f")});
  ASSERT_TRUE(fs_.SimulateCrash().ok());
  EXPECT_FALSE(Exists(dir_ / "f"));
}

TEST_F(FaultInjectionFileSystemTest, DirectorySyncMakesTheNameDurable) {
  CreateDurable("f", "data");
  EXPECT_TRUE(fs_.PendingEntries().empty());
  ASSERT_TRUE(fs_.SimulateCrash().ok());
  EXPECT_EQ(ReadAll(dir_ / "f"), "data");
}

TEST_F(FaultInjectionFileSystemTest, UnsyncedAppendIsTruncatedAway) {
  CreateDurable("f", "synced");
  auto file = OpenRw("f");
  ASSERT_TRUE(file->WriteAt(6, "+lost", 5).ok());
  EXPECT_EQ(fs_.UnsyncedBytes(dir_ / "f"), 5u);
  ASSERT_TRUE(fs_.SimulateCrash().ok());
  EXPECT_EQ(ReadAll(dir_ / "f"), "synced");
}

TEST_F(FaultInjectionFileSystemTest, UnsyncedOverwriteRevertsToSyncedBytes) {
  // A preallocated file: the zeros are synced, the overwrites are not.
  auto file = fs_.Open(dir_ / "f", OpenOptions::CreateTruncate());
  ASSERT_TRUE(file.ok());
  ASSERT_TRUE((*file)->Allocate(0, 12).ok());
  ASSERT_TRUE((*file)->WriteAt(0, "AAAA", 4).ok());
  ASSERT_TRUE((*file)->Sync().ok());
  ASSERT_TRUE(fs_.SyncDirectory(dir_.path()).ok());
  ASSERT_TRUE((*file)->WriteAt(4, "BBBB", 4).ok());
  ASSERT_TRUE((*file)->WriteAt(0, "CC", 2).ok());  // overwrites synced bytes
  ASSERT_TRUE((*file)->WriteAt(2, "DD", 2).ok());
  EXPECT_EQ(ReadAll(dir_ / "f"), std::string("CCDDBBBB") + std::string(4, '\0'));
  ASSERT_TRUE(fs_.SimulateCrash().ok());
  EXPECT_EQ(ReadAll(dir_ / "f"), std::string("AAAA") + std::string(8, '\0'));
}

TEST_F(FaultInjectionFileSystemTest, SyncAfterWritesKeepsThem) {
  CreateDurable("f", "0123456789");
  auto file = OpenRw("f");
  ASSERT_TRUE(file->WriteAt(2, "xy", 2).ok());
  ASSERT_TRUE(file->DataSync().ok());
  EXPECT_EQ(fs_.UnsyncedBytes(dir_ / "f"), 0u);
  ASSERT_TRUE(file->WriteAt(6, "zz", 2).ok());
  ASSERT_TRUE(fs_.SimulateCrash().ok());
  EXPECT_EQ(ReadAll(dir_ / "f"), "01xy456789");
}

TEST_F(FaultInjectionFileSystemTest, UnsyncedTruncateIsUndone) {
  CreateDurable("f", "0123456789");
  auto file = OpenRw("f");
  ASSERT_TRUE(file->Truncate(3).ok());
  ASSERT_TRUE(fs_.SimulateCrash().ok());
  EXPECT_EQ(ReadAll(dir_ / "f"), "0123456789");
  // O_TRUNC on open is a truncate too.
  ASSERT_TRUE(fs_.Open(dir_ / "f", OpenOptions::CreateTruncate()).ok());
  EXPECT_EQ(ReadAll(dir_ / "f"), "");
  ASSERT_TRUE(fs_.SimulateCrash().ok());
  EXPECT_EQ(ReadAll(dir_ / "f"), "0123456789");
}

TEST_F(FaultInjectionFileSystemTest, UnsyncedRenameGoesBackAndRestoresTheReplacedFile) {
  CreateDurable("tmp", "new");
  CreateDurable("final", "old");
  ASSERT_TRUE(fs_.Rename(dir_ / "tmp", dir_ / "final").ok());
  EXPECT_EQ(ReadAll(dir_ / "final"), "new");
  EXPECT_FALSE(Exists(dir_ / "tmp"));
  ASSERT_TRUE(fs_.SimulateCrash().ok());
  EXPECT_EQ(ReadAll(dir_ / "tmp"), "new");
  EXPECT_EQ(ReadAll(dir_ / "final"), "old");
  EXPECT_TRUE(std::filesystem::is_empty(graveyard_ / "g"));
}

TEST_F(FaultInjectionFileSystemTest, SyncedRenameSurvivesAndFreesTheGraveyard) {
  CreateDurable("tmp", "new");
  CreateDurable("final", "old");
  ASSERT_TRUE(fs_.Rename(dir_ / "tmp", dir_ / "final").ok());
  EXPECT_FALSE(std::filesystem::is_empty(graveyard_ / "g")) << "old file parked for a crash";
  ASSERT_TRUE(fs_.SyncDirectory(dir_.path()).ok());
  EXPECT_TRUE(std::filesystem::is_empty(graveyard_ / "g"));
  ASSERT_TRUE(fs_.SimulateCrash().ok());
  EXPECT_EQ(ReadAll(dir_ / "final"), "new");
  EXPECT_FALSE(Exists(dir_ / "tmp"));
}

// syncfs(2) covers one filesystem: a sub-mount's files and entries stay
// unsynced until a sync on a path of that mount.
TEST_F(FaultInjectionFileSystemTest, SyncFileSystemCoversOnlyItsOwnMount) {
  ASSERT_TRUE(fs_.CreateDirectory(dir_ / "mnt").ok());
  ASSERT_TRUE(fs_.SyncDirectory(dir_.path()).ok());
  fs_.AddMount(dir_ / "mnt", 7);
  for (const char* name : {"root-file", "mnt/mounted-file"}) {
    auto file = fs_.Open(dir_ / name, OpenOptions::CreateTruncate());
    ASSERT_TRUE(file.ok());
    ASSERT_TRUE((*file)->WriteAt(0, "data", 4).ok());
  }
  auto info = fs_.Stat(dir_ / "mnt/mounted-file");
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->device, 7u);
  EXPECT_EQ(fs_.Stat(dir_ / "root-file")->device, 0u);
  EXPECT_EQ(fs_.Stat(dir_ / "mnt")->device, 7u);
  ASSERT_TRUE(fs_.SyncFileSystem(dir_.path()).ok());
  EXPECT_EQ(fs_.FileSystemSyncs(), std::vector<uint64_t>{0});
  EXPECT_EQ(fs_.UnsyncedBytes(dir_ / "mnt/mounted-file"), 4u);
  EXPECT_EQ(fs_.UnsyncedBytes(dir_ / "root-file"), 0u);
  ASSERT_TRUE(fs_.SimulateCrash().ok());
  EXPECT_EQ(ReadAll(dir_ / "root-file"), "data");
  EXPECT_FALSE(Exists(dir_ / "mnt/mounted-file"));
}

TEST_F(FaultInjectionFileSystemTest, RenameAcrossDirectoriesNeedsBothSynced) {
  ASSERT_TRUE(fs_.CreateDirectory(dir_ / "a").ok());
  ASSERT_TRUE(fs_.CreateDirectory(dir_ / "b").ok());
  ASSERT_TRUE(fs_.SyncDirectory(dir_.path()).ok());
  auto file = fs_.Open(dir_ / "a/f", OpenOptions::CreateTruncate());
  ASSERT_TRUE(file.ok());
  ASSERT_TRUE((*file)->Sync().ok());
  ASSERT_TRUE(fs_.SyncDirectory(dir_ / "a").ok());
  ASSERT_TRUE(fs_.Rename(dir_ / "a/f", dir_ / "b/f").ok());
  ASSERT_TRUE(fs_.SyncDirectory(dir_ / "b").ok());
  EXPECT_EQ(fs_.PendingEntries().size(), 1u) << "a/ still holds the old entry";
  ASSERT_TRUE(fs_.SimulateCrash().ok());
  EXPECT_TRUE(Exists(dir_ / "a/f"));
  EXPECT_FALSE(Exists(dir_ / "b/f"));
}

TEST_F(FaultInjectionFileSystemTest, UnsyncedUnlinkComesBack) {
  CreateDurable("f", "keep");
  ASSERT_TRUE(fs_.RemoveFile(dir_ / "f").ok());
  EXPECT_FALSE(Exists(dir_ / "f"));
  ASSERT_TRUE(fs_.SimulateCrash().ok());
  EXPECT_EQ(ReadAll(dir_ / "f"), "keep");

  ASSERT_TRUE(fs_.RemoveFile(dir_ / "f").ok());
  ASSERT_TRUE(fs_.SyncDirectory(dir_.path()).ok());
  ASSERT_TRUE(fs_.SimulateCrash().ok());
  EXPECT_FALSE(Exists(dir_ / "f"));
  EXPECT_EQ(fs_.RemoveFile(dir_ / "f").kind(), ErrorKind::kNotFound);
}

TEST_F(FaultInjectionFileSystemTest, UnsyncedMkdirVanishesWithItsContents) {
  ASSERT_TRUE(fs_.CreateDirectory(dir_ / "d").ok());
  auto file = fs_.Open(dir_ / "d/f", OpenOptions::CreateTruncate());
  ASSERT_TRUE(file.ok());
  ASSERT_TRUE((*file)->Sync().ok());
  ASSERT_TRUE(fs_.SyncDirectory(dir_ / "d").ok());  // f is durable inside d, d is not
  EXPECT_EQ(fs_.PendingEntries(), std::vector<std::string>{"mkdir " + (dir_ / "d")});
  ASSERT_TRUE(fs_.SimulateCrash().ok());
  EXPECT_FALSE(Exists(dir_ / "d"));
}

TEST_F(FaultInjectionFileSystemTest, UnsyncedRmdirIsUndone) {
  ASSERT_TRUE(fs_.CreateDirectory(dir_ / "d").ok());
  ASSERT_TRUE(fs_.SyncDirectory(dir_.path()).ok());
  ASSERT_TRUE(fs_.RemoveDirectory(dir_ / "d").ok());
  ASSERT_TRUE(fs_.SimulateCrash().ok());
  EXPECT_TRUE(std::filesystem::is_directory(dir_ / "d"));
}

TEST_F(FaultInjectionFileSystemTest, UndoRunsNewestFirst) {
  // create tmp, write, sync data, rename to final: all of it unsynced in the
  // directory, so the crash unwinds the rename, then the create.
  auto file = fs_.Open(dir_ / "tmp", OpenOptions::CreateTruncate());
  ASSERT_TRUE(file.ok());
  ASSERT_TRUE((*file)->WriteAt(0, "x", 1).ok());
  ASSERT_TRUE((*file)->Sync().ok());
  ASSERT_TRUE(fs_.Rename(dir_ / "tmp", dir_ / "final").ok());
  EXPECT_EQ(fs_.PendingEntries(),
            (std::vector<std::string>{"create " + (dir_ / "tmp"),
                                      "rename " + (dir_ / "tmp") + " -> " + (dir_ / "final")}));
  ASSERT_TRUE(fs_.SimulateCrash().ok());
  EXPECT_FALSE(Exists(dir_ / "tmp"));
  EXPECT_FALSE(Exists(dir_ / "final"));
}

TEST_F(FaultInjectionFileSystemTest, HandlesFromBeforeACrashAreDead) {
  CreateDurable("f", "x");
  auto file = OpenRw("f");
  ASSERT_TRUE(fs_.SimulateCrash().ok());
  const Status s = file->WriteAt(0, "y", 1);
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("before a simulated crash"), std::string::npos);
  EXPECT_EQ(ReadAll(dir_ / "f"), "x");
  EXPECT_TRUE(OpenRw("f")->WriteAt(0, "z", 1).ok()) << "new handles work";
}

TEST_F(FaultInjectionFileSystemTest, InjectedErrorsHonourSkipTimesAndPath) {
  CreateDurable("a", "1");
  CreateDurable("b", "2");
  fs_.InjectFault({.op = FaultOp::kSync, .error = EIO, .path_contains = "/b", .skip = 1, .times = 2});
  auto a = OpenRw("a");
  auto b = OpenRw("b");
  EXPECT_TRUE(a->Sync().ok()) << "other path";
  EXPECT_TRUE(b->Sync().ok()) << "skipped";
  const Status failed = b->Sync();
  EXPECT_EQ(failed.kind(), ErrorKind::kFatal);
  EXPECT_EQ(failed.context().sys_errno, EIO);
  EXPECT_EQ(failed.context().operation, "fsync");
  EXPECT_FALSE(b->DataSync().ok());
  EXPECT_TRUE(b->Sync().ok()) << "disarmed after `times`";

  fs_.InjectFault({.op = FaultOp::kOpen, .error = EACCES, .times = -1});
  for (int i = 0; i < 3; ++i) {
    const Status s = fs_.Open(dir_ / "a", OpenOptions::Read()).status();
    EXPECT_NE(s.message().find("permission denied"), std::string::npos);
  }
  fs_.ClearFaults();
  EXPECT_TRUE(fs_.Open(dir_ / "a", OpenOptions::Read()).ok());
}

TEST_F(FaultInjectionFileSystemTest, FailedSyncLeavesDataUnsynced) {
  CreateDurable("f", "old!");
  auto file = OpenRw("f");
  ASSERT_TRUE(file->WriteAt(0, "new!", 4).ok());
  fs_.InjectFault({.op = FaultOp::kSync, .error = EIO});
  EXPECT_FALSE(file->Sync().ok());
  ASSERT_TRUE(fs_.SimulateCrash().ok());
  EXPECT_EQ(ReadAll(dir_ / "f"), "old!");
}

TEST_F(FaultInjectionFileSystemTest, CrashFaultFreezesTheMachine) {
  fs_.InjectFault({.op = FaultOp::kRename, .crash = true});
  CreateDurable("tmp", "x");
  EXPECT_FALSE(fs_.crashed());
  const Status s = fs_.Rename(dir_ / "tmp", dir_ / "final");
  EXPECT_FALSE(s.ok());
  EXPECT_TRUE(fs_.crashed());
  EXPECT_NE(s.message().find("power loss"), std::string::npos);
  EXPECT_FALSE(fs_.SyncDirectory(dir_.path()).ok()) << "everything fails after the crash";
  EXPECT_FALSE(fs_.Stat(dir_ / "tmp").ok());
  EXPECT_TRUE(Exists(dir_ / "tmp")) << "the rename never happened";
  ASSERT_TRUE(fs_.SimulateCrash().ok());
  EXPECT_FALSE(fs_.crashed());
  EXPECT_TRUE(fs_.Rename(dir_ / "tmp", dir_ / "final").ok()) << "faults cleared by the reboot";
}

TEST_F(FaultInjectionFileSystemTest, WriteBudgetRunsOutMidWrite) {
  auto file = fs_.Open(dir_ / "f", OpenOptions::CreateTruncate());
  ASSERT_TRUE(file.ok());
  fs_.SetWriteBudget(6);
  EXPECT_TRUE((*file)->WriteAt(0, "abcd", 4).ok());
  const Status s = (*file)->WriteAt(4, "efgh", 4);
  EXPECT_TRUE(IsDiskFull(s)) << s.ToString();
  EXPECT_NE(s.message().find("disk full"), std::string::npos);
  EXPECT_EQ(ReadAll(dir_ / "f"), "abcdef") << "what fit was written";
  EXPECT_FALSE((*file)->WriteAt(6, "i", 1).ok());
}

TEST_F(FaultInjectionFileSystemTest, DiskSpaceOverride) {
  fs_.SetDiskSpace(DiskSpace{.available_bytes = 42, .total_bytes = 100});
  auto space = fs_.GetDiskSpace(dir_.path());
  ASSERT_TRUE(space.ok());
  EXPECT_EQ(space->available_bytes, 42u);
  fs_.SetDiskSpace(std::nullopt);
  EXPECT_NE(fs_.GetDiskSpace(dir_.path())->total_bytes, 100u);
}

TEST_F(FaultInjectionFileSystemTest, PathsAreNormalised) {
  auto file = fs_.Open(dir_.path() + "//./f", OpenOptions::CreateTruncate());
  ASSERT_TRUE(file.ok());
  ASSERT_TRUE(fs_.SyncDirectory(dir_.path() + "/").ok());
  EXPECT_TRUE(fs_.PendingEntries().empty());
}

TEST_F(FaultInjectionFileSystemTest, RenamingDirectoriesIsRefused) {
  ASSERT_TRUE(fs_.CreateDirectory(dir_ / "d").ok());
  EXPECT_EQ(fs_.Rename(dir_ / "d", dir_ / "e").kind(), ErrorKind::kUnsupported);
}

TEST_F(FaultInjectionFileSystemTest, ConcurrentWritersThenCrashKeepOnlySyncedHalf) {
  constexpr size_t kChunk = 4096;
  constexpr int kThreads = 4;
  const std::string data = testing_util::Pattern(kChunk * kThreads * 2);
  auto file = fs_.Open(dir_ / "f", OpenOptions::CreateTruncate());
  ASSERT_TRUE(file.ok());
  ASSERT_TRUE((*file)->Allocate(0, data.size()).ok());
  ASSERT_TRUE((*file)->Sync().ok());
  ASSERT_TRUE(fs_.SyncDirectory(dir_.path()).ok());
  auto write_half = [&](size_t half) {
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        const size_t off = half * kThreads * kChunk + t * kChunk;
        EXPECT_TRUE((*file)->WriteAt(off, data.data() + off, kChunk).ok());
      });
    }
    for (auto& th : threads) th.join();
  };
  write_half(0);
  ASSERT_TRUE((*file)->Sync().ok());
  write_half(1);
  ASSERT_TRUE(fs_.SimulateCrash().ok());
  const size_t half = data.size() / 2;
  EXPECT_EQ(ReadAll(dir_ / "f"), data.substr(0, half) + std::string(half, '\0'));
}

}  // namespace
}  // namespace s3m::engine
