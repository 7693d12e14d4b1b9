#include "engine/file_system.h"

#include <fcntl.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <thread>

#include "engine_test_util.h"
#include "support/fault_injection_file_system.h"

namespace s3m::engine {
namespace {

using testing_util::Exists;
using testing_util::ReadAll;
using testing_util::ScratchDir;
using testing_util::WriteAll;

TEST(FileErrorTest, MapsErrnoToKindAndActionableMessage) {
  struct Case {
    int err;
    ErrorKind kind;
    const char* message_contains;
  };
  for (const Case& c : {Case{ENOSPC, ErrorKind::kFatal, "disk full"},
                        Case{EDQUOT, ErrorKind::kFatal, "disk full"},
                        Case{EACCES, ErrorKind::kFatal, "permission denied"},
                        Case{EPERM, ErrorKind::kFatal, "permission denied"},
                        Case{EROFS, ErrorKind::kFatal, "read-only"},
                        Case{ENOENT, ErrorKind::kNotFound, "No such file"},
                        Case{EEXIST, ErrorKind::kConflict, "exists"},
                        Case{ENAMETOOLONG, ErrorKind::kInvalidArgument, "too long"},
                        Case{EINTR, ErrorKind::kTransient, "Interrupted"},
                        Case{EAGAIN, ErrorKind::kTransient, "unavailable"},
                        Case{EIO, ErrorKind::kFatal, "written again"},
                        Case{EBADF, ErrorKind::kFatal, "Bad file"}}) {
    const Status s = FileError(c.err, "write", "/dest/b/key");
    EXPECT_EQ(s.kind(), c.kind) << c.err;
    EXPECT_NE(s.message().find(c.message_contains), std::string::npos) << s.message();
    EXPECT_EQ(s.context().operation, "write");
    EXPECT_EQ(s.context().path, "/dest/b/key");
    EXPECT_EQ(s.context().sys_errno, c.err);
    EXPECT_EQ(IsDiskFull(s), c.err == ENOSPC || c.err == EDQUOT) << c.err;
  }
  // The whole line names the operation, the path and what to do.
  const std::string line = FileError(ENOSPC, "write", "/dest/b/key").ToString();
  EXPECT_EQ(line.rfind("write /dest/b/key: disk full", 0), 0u) << line;
  EXPECT_NE(line.find("free space"), std::string::npos) << line;
  EXPECT_NE(FileError(EACCES, "open", "/dest/x").message().find("/dest/x"), std::string::npos);
  EXPECT_FALSE(IsDiskFull(Status::Ok()));
}

TEST(PathTest, DirNameBaseNameJoin) {
  struct Case {
    const char* path;
    const char* dir;
    const char* base;
  };
  for (const Case& c : {Case{"a/b/c", "a/b", "c"}, Case{"c", ".", "c"}, Case{"/c", "/", "c"},
                        Case{"/a/b/", "/a", "b"}, Case{"a//b", "a", "b"}, Case{"/", "/", "/"}}) {
    EXPECT_EQ(DirName(c.path), c.dir) << c.path;
    EXPECT_EQ(BaseName(c.path), c.base) << c.path;
  }
  EXPECT_EQ(JoinPath("a", "b"), "a/b");
  EXPECT_EQ(JoinPath("a/", "b"), "a/b");
  EXPECT_EQ(JoinPath("/", "b"), "/b");
  EXPECT_EQ(JoinPath("", "b"), "b");
}

class PosixFileSystemTest : public ::testing::Test {
 protected:
  ScratchDir dir_;
  PosixFileSystem& fs_ = PosixFileSystem::Default();
};

TEST_F(PosixFileSystemTest, WriteAtReadAtAnyOffset) {
  const std::string path = dir_ / "f";
  auto file = fs_.Open(path, OpenOptions::CreateTruncate());
  ASSERT_TRUE(file.ok()) << file.status().ToString();
  ASSERT_TRUE((*file)->WriteAt(5, "world", 5).ok());
  ASSERT_TRUE((*file)->WriteAt(0, "hello", 5).ok());
  char buf[16] = {};
  auto got = (*file)->ReadAt(0, buf, sizeof buf);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(std::string(buf, *got), "helloworld");  // short read only at end of file
  got = (*file)->ReadAt(100, buf, sizeof buf);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(*got, 0u);
  auto info = (*file)->Stat();
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->size, 10u);
  EXPECT_EQ(info->type, FileType::kRegular);
  EXPECT_TRUE((*file)->Sync().ok());
  EXPECT_TRUE((*file)->DataSync().ok());
  EXPECT_TRUE((*file)->Close().ok());
  EXPECT_TRUE((*file)->Close().ok()) << "Close is idempotent";
  EXPECT_FALSE((*file)->WriteAt(0, "x", 1).ok()) << "closed";
  EXPECT_EQ(ReadAll(path), "helloworld");
}

TEST_F(PosixFileSystemTest, OpenHonoursFlagsAndSetsCloexec) {
  const std::string path = dir_ / "f";
  EXPECT_EQ(fs_.Open(path, OpenOptions::Read()).status().kind(), ErrorKind::kNotFound);
  OpenOptions exclusive = OpenOptions::CreateTruncate();
  exclusive.exclusive = true;
  auto file = fs_.Open(path, exclusive);
  ASSERT_TRUE(file.ok());
  EXPECT_EQ(fs_.Open(path, exclusive).status().kind(), ErrorKind::kConflict);

  // Find our descriptor among the process's and check FD_CLOEXEC on it.
  bool found = false;
  for (const auto& entry : std::filesystem::directory_iterator("/proc/self/fd")) {
    std::error_code ec;
    if (std::filesystem::read_symlink(entry.path(), ec) != path) continue;
    const int fd = std::stoi(entry.path().filename().string());
    EXPECT_TRUE(::fcntl(fd, F_GETFD) & FD_CLOEXEC);
    found = true;
  }
  EXPECT_TRUE(found);

  ASSERT_TRUE((*file)->WriteAt(0, "abc", 3).ok());
  ASSERT_TRUE((*file)->Close().ok());
  auto read_only = fs_.Open(path, OpenOptions::Read());
  ASSERT_TRUE(read_only.ok());
  EXPECT_FALSE((*read_only)->WriteAt(0, "x", 1).ok());
  auto truncated = fs_.Open(path, OpenOptions::CreateTruncate());
  ASSERT_TRUE(truncated.ok());
  EXPECT_EQ(ReadAll(path), "");
}

TEST_F(PosixFileSystemTest, AllocateReservesAndExtends) {
  auto file = fs_.Open(dir_ / "f", OpenOptions::CreateTruncate());
  ASSERT_TRUE(file.ok());
  ASSERT_TRUE((*file)->Allocate(0, 1 << 20).ok());
  EXPECT_EQ((*file)->Stat()->size, 1u << 20);
  EXPECT_TRUE((*file)->Allocate(0, 0).ok()) << "empty objects need no blocks";
  ASSERT_TRUE((*file)->Truncate(10).ok());
  EXPECT_EQ((*file)->Stat()->size, 10u);
  char zeros[10] = {1};
  ASSERT_EQ(*(*file)->ReadAt(0, zeros, 10), 10u);
  EXPECT_EQ(std::string(zeros, 10), std::string(10, '\0'));
}

TEST_F(PosixFileSystemTest, ConcurrentWritesToDisjointRanges) {
  constexpr size_t kChunk = 64 << 10;
  constexpr int kThreads = 4;
  const std::string data = testing_util::Pattern(kChunk * kThreads * 4);
  auto file = fs_.Open(dir_ / "f", OpenOptions::CreateTruncate());
  ASSERT_TRUE(file.ok());
  ASSERT_TRUE((*file)->Allocate(0, data.size()).ok());
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (size_t off = t * kChunk; off < data.size(); off += kThreads * kChunk) {
        EXPECT_TRUE((*file)->WriteAt(off, data.data() + off, kChunk).ok());
      }
    });
  }
  for (auto& th : threads) th.join();
  ASSERT_TRUE((*file)->Sync().ok());
  EXPECT_EQ(ReadAll(dir_ / "f"), data);
}

TEST_F(PosixFileSystemTest, NamespaceOperations) {
  const std::string a = dir_ / "a";
  const std::string b = dir_ / "b";
  WriteAll(a, "A");
  WriteAll(b, "B");
  ASSERT_TRUE(fs_.Rename(a, b).ok());  // replaces atomically
  EXPECT_FALSE(Exists(a));
  EXPECT_EQ(ReadAll(b), "A");
  const Status missing = fs_.Rename(a, b);
  EXPECT_EQ(missing.kind(), ErrorKind::kNotFound);
  EXPECT_NE(missing.ToString().find(a), std::string::npos) << missing.ToString();

  ASSERT_TRUE(fs_.CreateDirectory(dir_ / "d").ok());
  EXPECT_EQ(fs_.CreateDirectory(dir_ / "d").kind(), ErrorKind::kConflict);
  EXPECT_TRUE(fs_.SyncDirectory(dir_ / "d").ok());
  EXPECT_EQ(fs_.SyncDirectory(dir_ / "nope").kind(), ErrorKind::kNotFound);
  ASSERT_TRUE(fs_.RemoveDirectory(dir_ / "d").ok());
  ASSERT_TRUE(fs_.RemoveFile(b).ok());
  EXPECT_EQ(fs_.RemoveFile(b).kind(), ErrorKind::kNotFound);
}

TEST_F(PosixFileSystemTest, RenameNoReplaceNeverReplaces) {
  const std::string a = dir_ / "a";
  const std::string b = dir_ / "b";
  WriteAll(a, "A");
  WriteAll(b, "B");
  const Status refused = fs_.RenameNoReplace(a, b);
  EXPECT_EQ(refused.kind(), ErrorKind::kConflict) << refused.ToString();
  EXPECT_EQ(refused.context().sys_errno, EEXIST);
  EXPECT_EQ(ReadAll(a), "A");
  EXPECT_EQ(ReadAll(b), "B");
  ASSERT_TRUE(fs_.CreateDirectory(dir_ / "d").ok());
  EXPECT_EQ(fs_.RenameNoReplace(a, dir_ / "d").context().sys_errno, EEXIST);
  ASSERT_TRUE(fs_.RenameNoReplace(a, dir_ / "c").ok());
  EXPECT_FALSE(Exists(a));
  EXPECT_EQ(ReadAll(dir_ / "c"), "A");
  EXPECT_EQ(fs_.RenameNoReplace(a, dir_ / "e").kind(), ErrorKind::kNotFound);
}

TEST_F(PosixFileSystemTest, SameFileContentComparesBytes) {
  WriteAll(dir_ / "a", "same bytes");
  WriteAll(dir_ / "b", "same bytes");
  WriteAll(dir_ / "c", "same bytez");
  WriteAll(dir_ / "d", "same");
  EXPECT_TRUE(*SameFileContent(fs_, dir_ / "a", dir_ / "b"));
  EXPECT_FALSE(*SameFileContent(fs_, dir_ / "a", dir_ / "c"));
  EXPECT_FALSE(*SameFileContent(fs_, dir_ / "a", dir_ / "d"));
  EXPECT_FALSE(*SameFileContent(fs_, dir_ / "a", dir_ / "missing"));
  ASSERT_TRUE(fs_.CreateDirectory(dir_ / "dir").ok());
  EXPECT_FALSE(*SameFileContent(fs_, dir_ / "a", dir_ / "dir"));
}

TEST_F(PosixFileSystemTest, StatLinkStatAndListing) {
  WriteAll(dir_ / "file", "12345");
  ASSERT_TRUE(fs_.CreateDirectory(dir_ / "sub").ok());
  ASSERT_EQ(::symlink("file", (dir_ / "link").c_str()), 0);

  auto st = fs_.Stat(dir_ / "link");
  ASSERT_TRUE(st.ok());
  EXPECT_EQ(st->type, FileType::kRegular);
  EXPECT_EQ(st->size, 5u);
  auto lst = fs_.LinkStat(dir_ / "link");
  ASSERT_TRUE(lst.ok());
  EXPECT_EQ(lst->type, FileType::kSymlink);
  EXPECT_EQ(fs_.Stat(dir_ / "none").status().kind(), ErrorKind::kNotFound);

  auto entries = fs_.ListDirectory(dir_.path());
  ASSERT_TRUE(entries.ok());
  std::vector<std::pair<std::string, FileType>> got;
  for (const DirEntry& e : *entries) got.emplace_back(e.name, e.type);
  std::sort(got.begin(), got.end());
  const std::vector<std::pair<std::string, FileType>> want = {
      {"file", FileType::kRegular}, {"link", FileType::kSymlink}, {"sub", FileType::kDirectory}};
  EXPECT_EQ(got, want);
  EXPECT_EQ(fs_.ListDirectory(dir_ / "none").status().kind(), ErrorKind::kNotFound);
}

TEST_F(PosixFileSystemTest, SetModificationTimeKeepsNanoseconds) {
  WriteAll(dir_ / "f", "x");
  // 2012-12-21T00:00:00.123456789Z
  const auto when = std::chrono::system_clock::time_point(
      std::chrono::duration_cast<std::chrono::system_clock::duration>(
          std::chrono::seconds(1356048000) + std::chrono::nanoseconds(123456789)));
  auto file = fs_.Open(dir_ / "f", OpenOptions::ReadWrite());
  ASSERT_TRUE(file.ok());
  ASSERT_TRUE((*file)->SetModificationTime(when).ok());
  ASSERT_TRUE((*file)->Close().ok());
  auto info = fs_.Stat(dir_ / "f");
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->mtime, when);
  EXPECT_FALSE((*file)->SetModificationTime(when).ok()) << "closed";
}

TEST_F(PosixFileSystemTest, DiskSpace) {
  auto space = fs_.GetDiskSpace(dir_.path());
  ASSERT_TRUE(space.ok());
  EXPECT_GT(space->total_bytes, 0u);
  EXPECT_LE(space->available_bytes, space->total_bytes);
  EXPECT_EQ(fs_.GetDiskSpace(dir_ / "none").status().kind(), ErrorKind::kNotFound);
}

TEST_F(PosixFileSystemTest, PermissionDeniedNamesThePath) {
  if (::geteuid() == 0) GTEST_SKIP() << "root ignores permissions";
  ASSERT_TRUE(fs_.CreateDirectory(dir_ / "ro").ok());
  ASSERT_EQ(::chmod((dir_ / "ro").c_str(), 0500), 0);
  const Status s = fs_.Open(dir_ / "ro/f", OpenOptions::CreateTruncate()).status();
  EXPECT_EQ(s.kind(), ErrorKind::kFatal);
  EXPECT_NE(s.message().find("permission denied"), std::string::npos);
  EXPECT_NE(s.ToString().find(dir_ / "ro/f"), std::string::npos);
}

// DirectoryMaker is tested through the fault-injecting filesystem, which
// tells whether each directory it made would survive a crash.
class DirectoryMakerTest : public ::testing::Test {
 protected:
  ScratchDir dir_;
  FaultInjectionFileSystem fs_{PosixFileSystem::Default(), dir_ / "graveyard"};
  DirectoryMaker maker_{fs_};
};

TEST_F(DirectoryMakerTest, CreatesEveryLevelDurably) {
  const std::string deep = dir_ / "a/b/c";
  ASSERT_TRUE(maker_.MakeDirectories(deep).ok());
  EXPECT_TRUE(fs_.PendingEntries().empty()) << "every mkdir was followed by a parent sync";
  ASSERT_TRUE(fs_.SimulateCrash().ok());
  EXPECT_TRUE(std::filesystem::is_directory(deep));
  EXPECT_TRUE(maker_.MakeDirectories(deep).ok()) << "idempotent";
  EXPECT_TRUE(maker_.MakeDirectories(deep + "/").ok());
}

TEST_F(DirectoryMakerTest, PlainMkdirWithoutParentSyncIsLostInACrash) {
  // The contrast that shows why MakeDirectories syncs parents.
  ASSERT_TRUE(fs_.CreateDirectory(dir_ / "lost").ok());
  ASSERT_TRUE(fs_.SimulateCrash().ok());
  EXPECT_FALSE(Exists(dir_ / "lost"));
}

TEST_F(DirectoryMakerTest, SyncsTheParentOfADirectoryItDidNotCreate) {
  // Another thread (or a run killed before its parent sync) made "x" but its
  // entry is not durable yet; MakeDirectories must not trust it blindly.
  ASSERT_TRUE(fs_.CreateDirectory(dir_ / "x").ok());
  ASSERT_EQ(fs_.PendingEntries().size(), 1u);
  ASSERT_TRUE(maker_.MakeDirectories(dir_ / "x/y").ok());
  EXPECT_TRUE(fs_.PendingEntries().empty());
  ASSERT_TRUE(fs_.SimulateCrash().ok());
  EXPECT_TRUE(std::filesystem::is_directory(dir_ / "x/y"));
}

TEST_F(DirectoryMakerTest, RefusesAFileInThePath) {
  WriteAll(dir_ / "file", "x");
  const Status s = maker_.MakeDirectories(dir_ / "file/sub");
  EXPECT_EQ(s.kind(), ErrorKind::kConflict);
  EXPECT_NE(s.ToString().find(dir_ / "file"), std::string::npos) << s.ToString();
}

TEST_F(DirectoryMakerTest, ReportsSyncFailure) {
  fs_.InjectFault({.op = FaultOp::kSyncDirectory, .error = EIO});
  EXPECT_FALSE(maker_.MakeDirectories(dir_ / "p/q").ok());
  // The failed level is not remembered: the next call syncs again.
  EXPECT_TRUE(maker_.MakeDirectories(dir_ / "p/q").ok());
  EXPECT_TRUE(fs_.PendingEntries().empty());
}

TEST_F(DirectoryMakerTest, ConcurrentCallersAllSucceed) {
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 20; ++i) {
        EXPECT_TRUE(maker_.MakeDirectories(dir_ / ("shared/d" + std::to_string(i % 5) + "/t" +
                                                   std::to_string(t)))
                        .ok());
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_TRUE(fs_.PendingEntries().empty());
}

}  // namespace
}  // namespace s3m::engine
