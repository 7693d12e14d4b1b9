// Where objects go on disk (issue 14): natural names, and uniqueness from the
// recorded mapping, compared the way the destination compares names. Each
// case chooses paths the way the migrator does (Choose, then record the row
// as downloading at that path), then writes every object through
// AtomicFile into a filesystem that folds case or normalises Unicode, and
// checks that every object's own bytes are at its own recorded path.
#include "engine/local_layout.h"

#include <map>
#include <set>

#include <gtest/gtest.h>

#include "core/clock.h"
#include "engine/atomic_file.h"
#include "engine/key_path.h"
#include "engine_test_util.h"
#include "name_folding_file_system.h"
#include "store/migration_store.h"
#include "store/state_store.h"

namespace s3m::engine {
namespace {

using testing_util::NameFoldingFileSystem;
using testing_util::ScratchDir;

const std::string kCafeNfc = "caf\xc3\xa9";
const std::string kCafeNfd = "cafe\xcc\x81";

class LocalLayoutTest : public ::testing::TestWithParam<NameEquivalence> {
 protected:
  void SetUp() override {
    store::StoreOptions options;
    options.mode = store::OpenMode::kWrite;
    options.command = "test";
    options.clock = &clock_;
    auto opened = store::StateStore::Open(dir_ / "state.db", options);
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    state_ = std::move(*opened);
    db_ = std::make_unique<store::MigrationStore>(*state_, &clock_);
  }

  void List(const std::vector<std::string>& keys) {
    store::StartListingRequest start;
    start.bucket = "b";
    start.region = "us-east-1";
    start.listing_api = "ListObjectsV2";
    ASSERT_TRUE(state_->StartListing(start).ok());
    store::ListingPage page;
    page.bucket = "b";
    for (const std::string& key : keys) {
      store::ListedObject o;
      o.key = key;
      o.size = key.size();
      o.etag = "etag-" + std::to_string(page.objects.size());
      o.last_modified = "2026-01-01T00:00:00.000Z";
      page.objects.push_back(o);
    }
    page.last_page = true;
    auto applied = state_->ApplyPage(page);
    ASSERT_TRUE(applied.ok()) << applied.status().ToString();
  }

  // Chooses and records a path for every discovered object, in id order
  // (the order the migrator dispatches them), then writes each object's key
  // as its content through `fs`. Returns key -> chosen path.
  std::map<std::string, std::string> PlaceAll(FileSystem& fs, LocalLayout& layout) {
    std::map<std::string, std::string> chosen;
    auto items = db_->Next(store::WorkQueue::kDownloadable, 0, 1000);
    EXPECT_TRUE(items.ok());
    if (!items.ok()) return chosen;
    DirectoryMaker dirs(fs);
    for (const store::WorkItem& item : *items) {
      auto path = layout.Choose(*db_, item);
      EXPECT_TRUE(path.ok()) << item.key << ": " << path.status().ToString();
      if (!path.ok()) continue;
      store::FileChange change;
      change.id = item.id;
      change.from = store::FileState::kDiscovered;
      change.to = store::FileState::kDownloading;
      change.local_path = *path;
      auto applied = db_->Apply(change);
      EXPECT_TRUE(applied.ok() && *applied);
      chosen[item.key] = *path;
      AtomicFile::Options options;
      options.directories = &dirs;
      auto file = AtomicFile::Create(fs, *path, item.key.size(), options);
      EXPECT_TRUE(file.ok()) << file.status().ToString();
      if (!file.ok()) continue;
      EXPECT_TRUE((*file)->WriteAt(0, item.key.data(), item.key.size()).ok());
      const Status committed = (*file)->Commit({});
      EXPECT_TRUE(committed.ok()) << item.key << " at " << *path << ": " << committed.ToString();
    }
    return chosen;
  }

  std::string Natural(const std::string& key) const {
    return JoinPath(dir_ / "dest/b", MapKeyToLocalName(key).relative_path);
  }

  ScratchDir dir_;
  FakeClock clock_{std::chrono::sys_days{std::chrono::year{2026} / 6 / 1}};
  std::unique_ptr<store::StateStore> state_;
  std::unique_ptr<store::MigrationStore> db_;
};

TEST_P(LocalLayoutTest, ProbesHowTheDestinationComparesNames) {
  NameFoldingFileSystem fs(PosixFileSystem::Default(), GetParam());
  LocalLayout layout(fs, dir_ / "dest");
  ASSERT_TRUE(layout.Prepare().ok());
  EXPECT_EQ(layout.equivalence(), GetParam());
  // The probe files are gone.
  auto entries = PosixFileSystem::Default().ListDirectory(dir_ / "dest");
  ASSERT_TRUE(entries.ok());
  EXPECT_TRUE(entries->empty());
}

TEST_P(LocalLayoutTest, NaturalNamesAndNoObjectOverwritesAnother) {
  const NameEquivalence eq = GetParam();
  NameFoldingFileSystem fs(PosixFileSystem::Default(), eq);
  LocalLayout layout(fs, dir_ / "dest");
  ASSERT_TRUE(layout.Prepare().ok());
  const std::vector<std::string> keys = {
      "100%/done 100%.txt", "percent%20x", "a+b #1 &c=d.txt", kCafeNfc, kCafeNfd,
      "\xc3\x84rger",      "\xc3\xa4rger", "Foo",              "foo",    ".",
      "%2E",               "dir/x",        "DIR/y"};
  ASSERT_NO_FATAL_FAILURE(List(keys));
  const std::map<std::string, std::string> chosen = PlaceAll(fs, layout);
  ASSERT_EQ(chosen.size(), keys.size());

  // Every object's own bytes at its own recorded path: nothing overwritten.
  std::set<std::string> identities;
  for (const auto& [key, path] : chosen) {
    auto file = fs.Open(path, OpenOptions::Read());
    ASSERT_TRUE(file.ok()) << key;
    std::string content(key.size() + 1, '\0');
    auto n = (*file)->ReadAt(0, content.data(), content.size());
    ASSERT_TRUE(n.ok());
    content.resize(*n);
    EXPECT_EQ(content, key) << path;
    EXPECT_TRUE(identities.insert(NameIdentity(path, eq)).second) << "two objects share " << path;
  }

  // Keys that are valid names keep them, in id order the first of a clash.
  for (const char* key : {"100%/done 100%.txt", "percent%20x", "a+b #1 &c=d.txt", "Foo", "."}) {
    EXPECT_EQ(chosen.at(key), Natural(key)) << key;
  }
  EXPECT_EQ(chosen.at(kCafeNfc), Natural(kCafeNfc));
  EXPECT_EQ(chosen.at("\xc3\x84rger"), Natural("\xc3\x84rger"));
  // "%2E" is the escape of "." on every filesystem: the second gets a
  // conflict name.
  EXPECT_NE(chosen.at("%2E"), Natural("%2E"));
  const bool folds = eq == NameEquivalence::kCaseFolded;
  const bool normalises = eq != NameEquivalence::kExact;
  EXPECT_EQ(chosen.at(kCafeNfd) == Natural(kCafeNfd), !normalises);
  EXPECT_EQ(chosen.at("\xc3\xa4rger") == Natural("\xc3\xa4rger"), !folds);
  EXPECT_EQ(chosen.at("foo") == Natural("foo"), !folds);
}

TEST_P(LocalLayoutTest, AnOlderCopyKeepsItsNameAcrossVersions) {
  NameFoldingFileSystem fs(PosixFileSystem::Default(), GetParam());
  LocalLayout layout(fs, dir_ / "dest");
  ASSERT_TRUE(layout.Prepare().ok());
  ASSERT_NO_FATAL_FAILURE(List({"k"}));
  auto items = db_->Next(store::WorkQueue::kDownloadable, 0, 10);
  ASSERT_TRUE(items.ok() && items->size() == 1u);
  // An older version's verified copy is kept at the natural name (rescan
  // recorded it as the previous copy).
  ASSERT_TRUE(state_->database()
                  .Exec("UPDATE files SET previous_local_path = '" + Natural("k") + "'")
                  .ok());
  auto path = layout.Choose(*db_, (*items)[0]);
  ASSERT_TRUE(path.ok());
  EXPECT_NE(*path, Natural("k"));
  EXPECT_EQ(BaseName(*path).substr(0, 3), "k%~");
}

// "a" was stored as a file; later keys below "a/" all go to one sibling
// folder, and keep their structure there.
TEST_P(LocalLayoutTest, KeysBelowAStoredFileShareOneSiblingFolder) {
  NameFoldingFileSystem fs(PosixFileSystem::Default(), GetParam());
  LocalLayout layout(fs, dir_ / "dest");
  ASSERT_TRUE(layout.Prepare().ok());
  ASSERT_NO_FATAL_FAILURE(List({"A"}));
  PlaceAll(fs, layout);
  ASSERT_NO_FATAL_FAILURE(List({"A", "A/b", "A/c/d"}));
  const auto chosen = PlaceAll(fs, layout);
  ASSERT_EQ(chosen.size(), 2u);
  const std::string folder = DirName(chosen.at("A/b"));
  EXPECT_EQ(BaseName(folder).substr(0, 3), "A%~");
  EXPECT_EQ(DirName(folder), dir_ / "dest/b");
  EXPECT_EQ(chosen.at("A/c/d"), folder + "/c/d");
}

INSTANTIATE_TEST_SUITE_P(Filesystems, LocalLayoutTest,
                         ::testing::Values(NameEquivalence::kExact, NameEquivalence::kNormalized,
                                           NameEquivalence::kCaseFolded),
                         [](const ::testing::TestParamInfo<NameEquivalence>& info) {
                           switch (info.param) {
                             case NameEquivalence::kExact: return std::string("Exact");
                             case NameEquivalence::kNormalized: return std::string("Normalized");
                             case NameEquivalence::kCaseFolded: return std::string("CaseFolded");
                           }
                           return std::string("Unknown");
                         });

}  // namespace
}  // namespace s3m::engine
