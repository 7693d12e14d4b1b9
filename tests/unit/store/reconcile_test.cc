// The rescan rules as a table: what a listing does to an existing row.
#include "store/reconcile.h"

#include <gtest/gtest.h>

#include "store/state_store.h"

namespace s3m::store {
namespace {

ExistingRow Row(FileState state, bool gone = false) {
  ExistingRow r;
  r.id = 7;
  r.etag = "e1";
  r.size = 10;
  r.state = state;
  r.storage_class = "STANDARD";
  r.last_modified = "2026-01-01T00:00:00.000Z";
  r.local_path = "/dest/b/k";
  r.gone = gone;
  return r;
}

ListedObject Listed(const std::string& etag = "e1", uint64_t size = 10, const std::string& version = "") {
  ListedObject o;
  o.key = "k";
  o.etag = etag;
  o.size = size;
  o.version_id = version;
  o.storage_class = "STANDARD";
  o.last_modified = "2026-01-01T00:00:00.000Z";
  return o;
}

TEST(ReconcileTest, Table) {
  struct Case {
    const char* name;
    ExistingRow row;
    ListedObject listed;
    ReconcileKind expected;
  };
  ListedObject glacier = Listed();
  glacier.storage_class = "GLACIER";
  ListedObject restored = Listed();
  restored.restore_expiry = "2026-02-01T00:00:00.000Z";
  const Case cases[] = {
      {"unchanged", Row(FileState::kDiscovered), Listed(), ReconcileKind::kTouch},
      {"unchanged verified", Row(FileState::kVerified), Listed(), ReconcileKind::kTouch},
      {"etag changed", Row(FileState::kDiscovered), Listed("e2"), ReconcileKind::kChanged},
      {"size changed", Row(FileState::kVerified), Listed("e1", 11), ReconcileKind::kChanged},
      {"version changed", Row(FileState::kDownloading), Listed("e1", 10, "v2"), ReconcileKind::kChanged},
      {"deleted and back", Row(FileState::kDeleted), Listed(), ReconcileKind::kChanged},
      {"gone and back", Row(FileState::kError, true), Listed(), ReconcileKind::kReappeared},
      {"lifecycle to glacier", Row(FileState::kDiscovered), glacier, ReconcileKind::kRefresh},
      {"restore expiry seen", Row(FileState::kGlacierRestoring), restored, ReconcileKind::kRefresh},
  };
  for (const Case& c : cases) EXPECT_EQ(Reconcile(c.row, c.listed), c.expected) << c.name;
}

TEST(ReconcileTest, PreviousCopyIsTheCompleteOneOnDisk) {
  // Only a complete copy becomes the previous one.
  EXPECT_FALSE(PreviousCopyAfterChange(Row(FileState::kDiscovered)).local_path);
  EXPECT_FALSE(PreviousCopyAfterChange(Row(FileState::kDownloading)).local_path);
  for (FileState s : {FileState::kDownloaded, FileState::kVerified, FileState::kDeleted}) {
    PreviousCopy p = PreviousCopyAfterChange(Row(s));
    EXPECT_EQ(p.local_path.value_or(""), "/dest/b/k");
    EXPECT_EQ(p.etag.value_or(""), "e1");
    EXPECT_EQ(p.size.value_or(0), 10);
  }
  // A second change before the first was resolved keeps the older copy.
  ExistingRow twice = Row(FileState::kDiscovered);
  twice.previous_etag = "e0";
  twice.previous_size = 9;
  twice.previous_local_path = "/dest/b/k";
  EXPECT_EQ(PreviousCopyAfterChange(twice).etag.value_or(""), "e0");
}

// Issue 14: a copy verified once stays complete in any later state: its
// delete failed (error), or the user put it back (reset/retry), or it is
// being downloaded again. A new version must not overwrite it.
TEST(ReconcileTest, AVerifiedCopyIsCompleteInEveryState) {
  for (FileState s : {FileState::kError, FileState::kDiscovered, FileState::kDownloading,
                      FileState::kGlacierRestoreRequested, FileState::kGlacierRestoring}) {
    ExistingRow row = Row(s);
    row.verified_copy = true;
    EXPECT_EQ(PreviousCopyAfterChange(row).local_path.value_or(""), "/dest/b/k") << FileStateName(s);
    row.verified_copy = false;
    EXPECT_FALSE(PreviousCopyAfterChange(row).local_path) << FileStateName(s);
  }
}

TEST(ReconcileTest, InitialState) {
  ListedObject o = Listed();
  EXPECT_EQ(InitialState(o), FileState::kDiscovered);
  o.storage_class = "GLACIER";
  EXPECT_EQ(InitialState(o), FileState::kDiscovered);
  o.restore_in_progress = true;
  EXPECT_EQ(InitialState(o), FileState::kGlacierRestoring);
  o.storage_class = "GLACIER_IR";
  EXPECT_EQ(InitialState(o), FileState::kDiscovered);
  EXPECT_FALSE(ListedArchived(o));
}

}  // namespace
}  // namespace s3m::store
