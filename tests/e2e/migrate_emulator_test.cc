// `s3migrate scan` + `migrate` end to end against the emulator: the local tree
// is compared byte for byte with what was uploaded, the bucket is listed
// afterwards, and the database is read with plain SQL.
#include <gtest/gtest.h>

#include <signal.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <thread>

#include "core/checksum.h"
#include "core/hash.h"
#include "emulator_fixture.h"

namespace s3m::testing {
namespace {

using namespace std::chrono_literals;

using MigrateEmulatorTest = EmulatorMigrateTest;

TEST_F(MigrateEmulatorTest, MovesSmallMultipartAndHostileKeysAndEmptiesTheBucket) {
  CreateBucket("mixed");
  for (int i = 0; i < 300; ++i) {
    Put("mixed", "small/obj-" + std::to_string(i), TestBytes(static_cast<size_t>(i * 37 % 20000), i));
  }
  Put("mixed", "empty", "");
  Put("mixed", "crc/full", TestBytes(70000, 9), "", {}, "CRC64NVME");
  Put("mixed", "sha/obj", TestBytes(3000, 10), "", {}, "SHA256");
  PutMultipart("mixed", "mp/plain", 3, 1 << 20, 300000);
  PutMultipart("mixed", "mp/composite-crc32c", 3, 1 << 20, 1000, "CRC32C", "COMPOSITE");
  PutMultipart("mixed", "mp/full-crc64", 4, 1 << 20, 77777, "CRC64NVME", "FULL_OBJECT");
  // Hostile keys (PRODUCT.md §5.5).
  for (const std::string& key : std::vector<std::string>{"../x", "/abs", "a", "a/b", "dir/", "dot/./x", "x//y",
                                "ctl\x01\x1b[2Jname", "%25literal", std::string(300, 'n')}) {
    Put("mixed", key, key == "dir/" ? "" : "content of " + key);
  }

  ProcessResult scan = run_->Run({"scan"});
  ASSERT_EQ(scan.exit_code, 0) << scan.out << scan.err;
  ProcessResult migrate = run_->Run({"migrate"});
  ASSERT_EQ(migrate.exit_code, 0) << migrate.out << migrate.err;

  EXPECT_EQ(SqlInt(run_->db(), "SELECT COUNT(*) FROM files WHERE state != 'deleted'"), 0)
      << ::testing::PrintToString(Sql(run_->db(), "SELECT key, state, error_message FROM files "
                                                  "WHERE state != 'deleted'"));
  ExpectLocalCopies("mixed");
  EXPECT_TRUE(RemainingKeys("mixed").empty());
  // How each was verified, as recorded.
  EXPECT_EQ(Sql(run_->db(), "SELECT verified_by FROM files WHERE key = 'crc/full'"),
            std::vector<std::string>{"crc64nvme"});
  EXPECT_EQ(Sql(run_->db(), "SELECT verified_by FROM files WHERE key = 'small/obj-5'"),
            std::vector<std::string>{"md5-etag"});
  auto mp = Sql(run_->db(), "SELECT verified_by FROM files WHERE key = 'mp/plain'");
  ASSERT_EQ(mp.size(), 1u);
  EXPECT_EQ(mp[0].rfind("multipart-etag", 0), 0u) << mp[0];
  auto composite = Sql(run_->db(), "SELECT verified_by FROM files WHERE key = 'mp/composite-crc32c'");
  ASSERT_EQ(composite.size(), 1u);
  EXPECT_NE(composite[0].find("crc32c"), std::string::npos) << composite[0];
  // Nothing but our files and directories under dest: no partial files left.
  ProcessResult find = RunProcess({"/usr/bin/find", run_->dest(), "-name", "*%~partial"}, {});
  EXPECT_EQ(find.out, "");
  // A second run has nothing to do.
  ProcessResult again = run_->Run({"migrate"});
  EXPECT_EQ(again.exit_code, 0) << again.out << again.err;
}

TEST_F(MigrateEmulatorTest, RestoresGlacierAndDeepArchiveThenMigrates) {
  CreateBucket("cold");
  Put("cold", "g1", TestBytes(5000, 1), "GLACIER");
  Put("cold", "g2", TestBytes(6000, 2), "GLACIER");
  Put("cold", "deep", TestBytes(7000, 3), "DEEP_ARCHIVE");
  Put("cold", "hot", TestBytes(8000, 4), "STANDARD");
  Put("cold", "ir", TestBytes(9000, 5), "GLACIER_IR");
  run_->AddConfig("glacier_restore_tier = \"Expedited\"");
  ASSERT_EQ(run_->Run({"scan"}).exit_code, 0);
  ProcessResult migrate = run_->Run({"migrate"});
  ASSERT_EQ(migrate.exit_code, 0) << migrate.out << migrate.err;
  EXPECT_EQ(SqlInt(run_->db(), "SELECT COUNT(*) FROM files WHERE state = 'deleted'"), 5);
  // Deep Archive has no Expedited tier: Standard was asked for.
  EXPECT_EQ(Sql(run_->db(), "SELECT restore_tier FROM files WHERE key = 'deep'"),
            std::vector<std::string>{"Standard"});
  EXPECT_EQ(Sql(run_->db(), "SELECT restore_tier FROM files WHERE key = 'g1'"),
            std::vector<std::string>{"Expedited"});
  EXPECT_EQ(Sql(run_->db(), "SELECT restore_tier FROM files WHERE key = 'hot'"),
            std::vector<std::string>{"NULL"});
  ExpectLocalCopies("cold");
  EXPECT_TRUE(RemainingKeys("cold").empty());
}


TEST_F(MigrateEmulatorTest, MovesThousandsOfSmallObjects) {
  constexpr int kObjects = 3000;
  CreateBucket("many");
  for (int i = 0; i < kObjects; ++i) {
    Put("many", "d" + std::to_string(i % 7) + "/o" + std::to_string(i),
        TestBytes(static_cast<size_t>(i * 131 % 4096), i));
  }
  ProcessResult migrate = ScanAndMigrate();
  ASSERT_EQ(migrate.exit_code, 0) << Describe(migrate);
  EXPECT_EQ(SqlInt(run_->db(), "SELECT COUNT(*) FROM files WHERE state = 'deleted'"), kObjects);
  ExpectAllRowsIn("deleted");
  ExpectLocalCopies("many");
  EXPECT_TRUE(RemainingKeys("many").empty());
  // Deletes were batched (DeleteObjects, up to 1,000 keys), not one request
  // per object. The engine sends what is pending whenever no batch is in
  // flight, so batches stay small while downloads outpace deletes.
  EXPECT_LE(RequestCount("DeleteObjects"), kObjects / 5);
  EXPECT_EQ(RequestCount("DeleteObject"), 0);
}

TEST_F(MigrateEmulatorTest, VerifiesMultipartObjectsWithAndWithoutAdditionalChecksums) {
  CreateBucket("multipart");
  PutMultipart("multipart", "plain", 3, 1 << 20, 4321);
  PutMultipart("multipart", "plain-uneven", 2, (1 << 20) + 12345, 99);  // parts not on chunk boundaries
  PutMultipart("multipart", "composite-crc32", 3, 1 << 20, 5000, "CRC32", "COMPOSITE");
  PutMultipart("multipart", "composite-sha256", 2, 1 << 20, 777, "SHA256", "COMPOSITE");
  PutMultipart("multipart", "composite-sha1", 2, 1 << 20, 778, "SHA1", "COMPOSITE");
  PutMultipart("multipart", "full-crc32c", 3, 1 << 20, 1, "CRC32C", "FULL_OBJECT");
  PutMultipart("multipart", "full-crc64nvme", 2, 1 << 20, 65536, "CRC64NVME", "FULL_OBJECT");
  Put("multipart", "single-large", TestBytes(3 * (1 << 20) + 17, 77));  // ranged, MD5 ETag
  ProcessResult migrate = ScanAndMigrate();
  ASSERT_EQ(migrate.exit_code, 0) << Describe(migrate);
  ExpectAllRowsIn("deleted");
  ExpectLocalCopies("multipart");
  EXPECT_TRUE(RemainingKeys("multipart").empty());
  auto verified_by = [&](const std::string& key) {
    auto rows = Sql(run_->db(), "SELECT verified_by FROM files WHERE key = '" + key + "'");
    return rows.size() == 1 ? rows[0] : std::string("<no row>");
  };
  // Each by the strongest evidence S3 offers for it (PRODUCT.md §5.3).
  EXPECT_EQ(verified_by("plain").rfind("multipart-etag", 0), 0u) << verified_by("plain");
  EXPECT_EQ(verified_by("plain-uneven").rfind("multipart-etag", 0), 0u) << verified_by("plain-uneven");
  EXPECT_NE(verified_by("composite-crc32").find("crc32"), std::string::npos) << verified_by("composite-crc32");
  EXPECT_NE(verified_by("composite-sha256").find("sha256"), std::string::npos) << verified_by("composite-sha256");
  EXPECT_NE(verified_by("composite-sha1").find("sha1"), std::string::npos) << verified_by("composite-sha1");
  EXPECT_NE(verified_by("full-crc32c").find("crc32c"), std::string::npos) << verified_by("full-crc32c");
  EXPECT_NE(verified_by("full-crc64nvme").find("crc64nvme"), std::string::npos) << verified_by("full-crc64nvme");
  EXPECT_EQ(verified_by("single-large"), "md5-etag");
  EXPECT_EQ(SqlInt(run_->db(), "SELECT COUNT(*) FROM files WHERE verified_by = 'size-only'"), 0);
}

TEST_F(MigrateEmulatorTest, SseKmsObjectsWithoutChecksumsAreKeptUnlessSizeOnlyDeletesAreAllowed) {
  CreateBucket("kms");
  const std::vector<std::pair<std::string, std::string>> kms = {
      {"x-amz-server-side-encryption", "aws:kms"}};
  Put("kms", "kms/small", TestBytes(5000, 1), "", kms);
  Put("kms", "kms/large", TestBytes(2 * (1 << 20) + 5, 2), "", kms);  // ranged GETs
  Put("kms", "kms/with-crc", TestBytes(6000, 3), "", kms, "CRC32");   // a checksum: verified
  Put("kms", "aes/sse-s3", TestBytes(7000, 4), "", {{"x-amz-server-side-encryption", "AES256"}});
  Put("kms", "plain", TestBytes(8000, 5));

  ProcessResult first = ScanAndMigrate();
  // Kept on purpose is not an error.
  ASSERT_EQ(first.exit_code, 0) << Describe(first);
  ExpectLocalCopies("kms");
  EXPECT_EQ(Sql(run_->db(), "SELECT key, state, verified_by FROM files WHERE verified_by = "
                            "'size-only' ORDER BY key"),
            (std::vector<std::string>{"kms/large|verified|size-only", "kms/small|verified|size-only"}));
  EXPECT_EQ(Sql(run_->db(), "SELECT key FROM files WHERE state = 'deleted' ORDER BY key"),
            (std::vector<std::string>{"aes/sse-s3", "kms/with-crc", "plain"}));
  EXPECT_EQ(RemainingKeys("kms"), (std::vector<std::string>{"kms/large", "kms/small"}));
  EXPECT_EQ(Sql(run_->db(), "SELECT verified_by FROM files WHERE key = 'aes/sse-s3'"),
            std::vector<std::string>{"md5-etag"});

  // A second run without the opt-in still keeps them.
  ProcessResult again = run_->Run({"migrate"});
  ASSERT_EQ(again.exit_code, 0) << Describe(again);
  EXPECT_EQ(RemainingKeys("kms"), (std::vector<std::string>{"kms/large", "kms/small"}));

  ProcessResult opted_in = run_->Run({"migrate", "--delete-size-only-verified"});
  ASSERT_EQ(opted_in.exit_code, 0) << Describe(opted_in);
  ExpectAllRowsIn("deleted");
  EXPECT_TRUE(RemainingKeys("kms").empty());
  ExpectLocalCopies("kms");
}

TEST_F(MigrateEmulatorTest, RestoresIntelligentTieringArchiveObjectsThenMigrates) {
  CreateBucket("tiers");
  Put("tiers", "it/archive", TestBytes(5000, 1), "INTELLIGENT_TIERING",
      {{"x-s3emu-archive-status", "ARCHIVE_ACCESS"}});
  Put("tiers", "it/deep-archive", TestBytes(6000, 2), "INTELLIGENT_TIERING",
      {{"x-s3emu-archive-status", "DEEP_ARCHIVE_ACCESS"}});
  Put("tiers", "it/frequent", TestBytes(7000, 3), "INTELLIGENT_TIERING");
  // Archived through the admin API rather than the upload header.
  Put("tiers", "it/large-archived", TestBytes(2 * (1 << 20) + 3, 4), "INTELLIGENT_TIERING");
  emu_->AdminPost("/archive", {{"bucket", "tiers"}, {"key", "it/large-archived"},
                               {"archive_status", "ARCHIVE_ACCESS"}});
  // The archived ones cannot be read before their restore.
  s3::GetObjectRequest get;
  get.bucket = "tiers";
  get.key = "it/archive";
  auto blocked = client_->GetObject(get, [](const char*, size_t) { return Status::Ok(); });
  ASSERT_FALSE(blocked.ok());

  ProcessResult migrate = ScanAndMigrate();
  ASSERT_EQ(migrate.exit_code, 0) << Describe(migrate);
  ExpectAllRowsIn("deleted");
  ExpectLocalCopies("tiers");
  EXPECT_TRUE(RemainingKeys("tiers").empty());
  // One restore per archived object; none for the object in a frequent tier.
  EXPECT_EQ(RequestCount("RestoreObject"), 3);
  EXPECT_EQ(Sql(run_->db(), "SELECT key FROM files WHERE restore_tier IS NOT NULL ORDER BY key"),
            (std::vector<std::string>{"it/archive", "it/deep-archive", "it/large-archived"}));
}

TEST_F(MigrateEmulatorTest, RestoreThatExpiresBeforeTheDownloadIsRequestedAgain) {
  CreateBucket("cold");
  Put("cold", "expires", TestBytes(9000, 1), "GLACIER");
  Put("cold", "stays", TestBytes(9100, 2), "GLACIER");
  // The first GET of the restored copy is held for 3 s; meanwhile the test
  // expires the restore, so that GET finds the object archived again.
  AddFault({{"kind", "latency"}, {"operations", {"GetObject"}}, {"keys", {"expires"}}, {"ms", 3000},
            {"count", 1}});
  ASSERT_EQ(run_->Run({"scan"}).exit_code, 0);
  bool expired = false;
  ProcessResult migrate = run_->Run({"migrate"}, [&](pid_t) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (std::chrono::steady_clock::now() < deadline) {
      auto rules = emu_->AdminGet("/faults");
      if (!rules.empty() && rules[0].value("fired", 0) >= 1) {
        auto after = emu_->AdminPost("/restore", {{"bucket", "cold"}, {"key", "expires"}, {"action", "expire"}});
        expired = true;
        break;
      }
      std::this_thread::sleep_for(20ms);
    }
  });
  ASSERT_TRUE(expired) << "the restored copy was never fetched\n" << Describe(migrate);
  ASSERT_EQ(migrate.exit_code, 0) << Describe(migrate);
  ExpectAllRowsIn("deleted");
  ExpectLocalCopies("cold");
  EXPECT_TRUE(RemainingKeys("cold").empty());
  // "stays" once; "expires" twice: the expired restore was asked again.
  EXPECT_EQ(RequestCount("RestoreObject"), 3);
}

TEST_F(MigrateEmulatorTest, VersionedBucketDeletesExactlyTheDownloadedVersion) {
  CreateBucket("ver");
  ASSERT_TRUE(client_->PutBucketVersioning("ver", true).ok());
  Put("ver", "doc", "version one");
  const std::string v1_etag = Etag("ver", "doc");
  Put("ver", "doc", "version two, the current one");
  Put("ver", "solo", TestBytes(2 * (1 << 20) + 1, 3));
  Put("ver", "removed", "deleted before the migration");
  s3::DeleteObjectRequest del;
  del.bucket = "ver";
  del.key = "removed";
  ASSERT_TRUE(client_->DeleteObject(del).ok());  // a delete marker over it
  uploaded_["ver"].erase("removed");

  ProcessResult migrate = ScanAndMigrate();
  ASSERT_EQ(migrate.exit_code, 0) << Describe(migrate);
  ExpectAllRowsIn("deleted");
  ExpectLocalCopies("ver");  // "doc" holds version two

  // Every version as S3 holds it now.
  s3::ListObjectVersionsRequest req;
  req.bucket = "ver";
  auto versions = client_->ListObjectVersions(req);
  ASSERT_TRUE(versions.ok()) << versions.status().ToString();
  std::vector<std::string> left;
  for (const auto& v : versions->versions) {
    left.push_back(v.key + (v.is_delete_marker ? " marker" : " " + v.etag));
  }
  // Version one of "doc" (now current again), and "removed" with its old
  // delete marker; no delete marker was added by the migration.
  std::sort(left.begin(), left.end());
  ASSERT_EQ(left.size(), 3u) << ::testing::PrintToString(left);
  EXPECT_EQ(left[0], "doc " + v1_etag);
  EXPECT_EQ(left[1].rfind("removed ", 0), 0u);
  EXPECT_EQ(left[2].rfind("removed ", 0), 0u);
  EXPECT_EQ(std::count_if(left.begin(), left.end(),
                          [](const std::string& l) { return l.find(" marker") != std::string::npos; }),
            1);
  // Older versions and delete markers are reported.
  EXPECT_EQ(Sql(run_->db(), "SELECT noncurrent_versions, delete_markers FROM buckets WHERE name = 'ver'"),
            std::vector<std::string>{"2|1"});
  EXPECT_EQ(RequestCount("DeleteObject"), 1);  // the test's own, above
}

TEST_F(MigrateEmulatorTest, HostileKeysStayInsideTheBucketFolderAndNoneIsLost) {
  CreateBucket("hostile");
  const std::vector<std::string> keys = {
      "..", ".", "../../etc/passwd", "/", "//double", "/abs/path", "a", "a/b", "a/b/c",
      "dir/", "dir/inside", "marker-with-content/", "tab\there", "new\nline", "del\x7f",
      "bad-utf8-\xff\xfe", "evil%~partial", ".evil%~partial", "%~conflicts/x", "back\\slash",
      "trailing/..", "./lead", std::string(300, 'n'), "deep/" + std::string(300, 'm'),
      std::string(150, '\xc3') /* invalid alone */, [] {
        std::string s;
        for (int i = 0; i < 150; ++i) s += "\xc3\xa9";  // 300 bytes of valid UTF-8
        return s;
      }()};
  for (const auto& key : keys) {
    const bool folder = key.back() == '/' && key != "marker-with-content/";
    Put("hostile", key, folder ? "" : "content of " + key);
  }
  ProcessResult migrate = ScanAndMigrate();
  ASSERT_EQ(migrate.exit_code, 0) << Describe(migrate);
  ExpectAllRowsIn("deleted");
  ExpectLocalCopies("hostile");
  EXPECT_TRUE(RemainingKeys("hostile").empty());
  // Distinct keys, distinct files.
  EXPECT_EQ(SqlInt(run_->db(), "SELECT COUNT(DISTINCT local_path) FROM files"),
            static_cast<int64_t>(keys.size()));
  // Nothing at all was written outside dest/hostile but the manifest
  // (dest/.s3migrate/manifests/hostile.jsonl).
  ProcessResult outside = RunProcess({"/usr/bin/find", run_->dir(), "-mindepth", "1", "-not", "-path",
                                      run_->dest() + "/hostile*", "-not", "-path", run_->dest(),
                                      "-not", "-path", run_->dest() + "/.s3migrate*",
                                      "-not", "-name", "state.db*", "-not", "-name", "s3migrate.toml",
                                      "-not", "-name", ".s3migrate*"},
                                     {});
  EXPECT_EQ(outside.out, "");
  ProcessResult partial = RunProcess({"/usr/bin/find", run_->dest(), "-name", ".*%~partial"}, {});
  EXPECT_EQ(partial.out, "");
}

// Issue 14: keys that are valid file names keep their spelling on disk. The
// local tree, walked byte for byte, is exactly the key structure.
TEST_F(MigrateEmulatorTest, AwkwardButLegalNamesKeepTheirSpellingOnDisk) {
  CreateBucket("awkward");
  const std::vector<std::string> keys = {
      "100%/done 100%.txt", "percent%20x", "%", "%2F", "%25", "50% off/%7E",
      "a+b", "with space/and  more ", "hash#tag", "amp&er", "eq=uals", "q?mark", "semi;colon",
      "~tilde", "(paren)[brack]{brace}", "comma,at@dollar$", "quote'dq\"", "star*", "back\\slash",
      "unicode/\xe6\x97\xa5\xe6\x9c\xac/\xf0\x9f\x98\x80", "caf\xc3\xa9", "cafe\xcc\x81",
      "\xc3\x84rger", "\xc3\xa4rger", "Foo", "foo", ".hidden", "x%~partial", "ends-with-dot."};
  for (const auto& key : keys) Put("awkward", key, "content of " + key);
  ProcessResult migrate = ScanAndMigrate();
  ASSERT_EQ(migrate.exit_code, 0) << Describe(migrate);
  ExpectAllRowsIn("deleted");
  EXPECT_TRUE(RemainingKeys("awkward").empty());

  const std::filesystem::path root = run_->dest() + "/awkward";
  std::map<std::string, std::string> tree;  // relative path -> content
  for (const auto& entry : std::filesystem::recursive_directory_iterator(root)) {
    if (!entry.is_regular_file()) continue;
    tree[entry.path().lexically_relative(root).generic_string()] = ReadFileOrDie(entry.path());
  }
  std::map<std::string, std::string> expected;
  for (const auto& key : keys) expected[key] = "content of " + key;
  EXPECT_EQ(tree, expected);
  // The database records each at exactly that path.
  for (const auto& key : keys) {
    EXPECT_EQ(Sql(run_->db(), "SELECT local_path FROM files WHERE key = " + SqlQuote(key)),
              std::vector<std::string>{root.string() + "/" + key});
  }
}

// Issue 14: a bucket folder on another filesystem (here a symlink into
// /dev/shm, a tmpfs; a ZFS dataset per bucket or a bind mount alike) gets
// its files synced on its own filesystem, and the run is the same.
TEST_F(MigrateEmulatorTest, BucketFolderOnAnotherFilesystem) {
  CreateBucket("elsewhere");
  for (int i = 0; i < 50; ++i) Put("elsewhere", "d" + std::to_string(i % 5) + "/f" + std::to_string(i), TestBytes(1000 + i, i));
  char tmpl[] = "/dev/shm/s3m-e2e-XXXXXX";
  ASSERT_NE(::mkdtemp(tmpl), nullptr);
  const std::string other = tmpl;
  std::filesystem::create_directories(run_->dest());
  std::filesystem::create_directory_symlink(other, run_->dest() + "/elsewhere");
  struct stat dest_stat {}, other_stat {};
  ASSERT_EQ(::stat(run_->dest().c_str(), &dest_stat), 0);
  ASSERT_EQ(::stat(other.c_str(), &other_stat), 0);
  EXPECT_NE(dest_stat.st_dev, other_stat.st_dev) << "/dev/shm is not another filesystem here";
  ProcessResult migrate = ScanAndMigrate();
  EXPECT_EQ(migrate.exit_code, 0) << Describe(migrate);
  ExpectAllRowsIn("deleted");
  ExpectLocalCopies("elsewhere");
  EXPECT_TRUE(RemainingKeys("elsewhere").empty());
  std::filesystem::remove_all(other);
}

// Issue 14: a key whose name becomes a folder after it was stored ("a" on
// disk, then "a/b" appears), and the reverse ("x/y" on disk, then "x"),
// both end stored and recorded, neither in error, neither overwritten.
TEST_F(MigrateEmulatorTest, KeyThatBecomesAFolderLaterAndTheReverse) {
  CreateBucket("grow");
  Put("grow", "a", "the file a");
  Put("grow", "x/y", "the file x/y");
  ProcessResult first = ScanAndMigrate();
  ASSERT_EQ(first.exit_code, 0) << Describe(first);
  Put("grow", "a/b", "the file a/b, under a folder named like a file");
  Put("grow", "a/c/d", "a deeper one");
  Put("grow", "x", "the file x, named like a folder");
  ProcessResult rescan = run_->Run({"rescan", "grow"});
  ASSERT_EQ(rescan.exit_code, 0) << Describe(rescan);
  ProcessResult second = run_->Run({"migrate"});
  EXPECT_EQ(second.exit_code, 0) << Describe(second);
  ExpectAllRowsIn("deleted");
  EXPECT_TRUE(RemainingKeys("grow").empty());
  // Every object's bytes at its recorded path, the first ones where they were.
  std::set<std::string> paths;
  for (const auto& [key, body] : std::map<std::string, std::string>{
           {"a", "the file a"}, {"x/y", "the file x/y"},
           {"a/b", "the file a/b, under a folder named like a file"}, {"a/c/d", "a deeper one"},
           {"x", "the file x, named like a folder"}}) {
    const auto path = Sql(run_->db(), "SELECT local_path FROM files WHERE key = " + SqlQuote(key));
    ASSERT_EQ(path.size(), 1u) << key;
    EXPECT_EQ(ReadFileOrDie(path[0]), body) << key << " at " << path[0];
    EXPECT_TRUE(paths.insert(path[0]).second) << path[0];
  }
  EXPECT_EQ(Sql(run_->db(), "SELECT local_path FROM files WHERE key IN ('a', 'x/y') ORDER BY key"),
            (std::vector<std::string>{run_->dest() + "/grow/a", run_->dest() + "/grow/x/y"}));
}

// Issue 14: a file the database knows nothing about (the user's own, or
// another tool's) at an object's name is never overwritten: the object is
// stored under a recorded conflict name and the run goes on.
TEST_F(MigrateEmulatorTest, UnknownFileAtTheNameIsNeverOverwritten) {
  CreateBucket("clash");
  Put("clash", "taken", "the object");
  Put("clash", "dir/taken", "another object");
  Put("clash", "free", "a third");
  std::filesystem::create_directories(run_->dest() + "/clash/dir");
  for (const char* name : {"/clash/taken", "/clash/dir/taken"}) {
    std::ofstream(run_->dest() + name) << "someone else's only copy";
  }
  ProcessResult migrate = ScanAndMigrate();
  EXPECT_EQ(migrate.exit_code, 0) << Describe(migrate);
  ExpectAllRowsIn("deleted");
  ExpectLocalCopies("clash");
  for (const char* name : {"/clash/taken", "/clash/dir/taken"}) {
    EXPECT_EQ(ReadFileOrDie(run_->dest() + name), "someone else's only copy");
  }
  const auto path = Sql(run_->db(), "SELECT local_path FROM files WHERE key = 'taken'");
  ASSERT_EQ(path.size(), 1u);
  EXPECT_EQ(path[0].rfind(run_->dest() + "/clash/%~conflicts/taken%~", 0), 0u) << path[0];
  EXPECT_NE(migrate.err.find("taken"), std::string::npos) << "the warning names the object";
}

// Issue 14: on a small destination (a real 100 MiB tmpfs), the default
// reserve is 5% of it, not 1 GiB; an object larger than the free space is set
// aside while the others migrate, and the report says what waits for space
// (exit 1). A run where nothing fits stops with exit 3.
TEST_F(MigrateEmulatorTest, ObjectLargerThanTheFreeSpaceWaitsWhileSmallerOnesMigrate) {
  std::filesystem::create_directories(run_->dest());
  if (::mount("s3m-e2e", run_->dest().c_str(), "tmpfs", 0, "size=100m") != 0) {
    GTEST_SKIP() << "cannot mount a tmpfs (needs root): " << std::strerror(errno);
  }
  struct Unmount {
    std::string path;
    ~Unmount() { ::umount2(path.c_str(), MNT_DETACH); }
  } unmount{run_->dest()};
  run_->UseDefaultMinFreeSpace();
  CreateBucket("tight");
  Put("tight", "forty-mib", TestBytes(40 << 20, 1));
  for (int i = 0; i < 5; ++i) Put("tight", "small-" + std::to_string(i), TestBytes(100000 + i, i));
  Put("tight", "too-big", TestBytes(110 << 20, 2));
  ProcessResult migrate = ScanAndMigrate();
  EXPECT_EQ(migrate.exit_code, 1) << Describe(migrate);
  EXPECT_EQ(SqlInt(run_->db(), "SELECT COUNT(*) FROM files WHERE state = 'deleted'"), 6)
      << ::testing::PrintToString(Sql(run_->db(), "SELECT key, state, error_message FROM files"));
  EXPECT_EQ(Sql(run_->db(), "SELECT state FROM files WHERE key = 'too-big'"),
            std::vector<std::string>{"discovered"});
  for (const char* key : {"forty-mib", "small-0", "small-4"}) ExpectLocalCopy("tight", key);
  EXPECT_EQ(RemainingKeys("tight"), std::vector<std::string>{"too-big"});
  EXPECT_NE(migrate.out.find("Waiting for disk space:"), std::string::npos) << migrate.out;
  EXPECT_NE(migrate.out.find("too-big"), std::string::npos) << migrate.out;

  // Again: only the object that cannot fit is left, nothing can proceed.
  ProcessResult again = run_->Run({"migrate"});
  EXPECT_EQ(again.exit_code, 3) << Describe(again);
  EXPECT_NE(again.err.find("too-big"), std::string::npos) << again.err;
  EXPECT_NE(again.err.find("disk full"), std::string::npos) << again.err;
  EXPECT_EQ(Sql(run_->db(), "SELECT state FROM files WHERE key = 'too-big'"),
            std::vector<std::string>{"discovered"});
  if (::getenv("S3M_SHOW_OUTPUT") != nullptr) std::cerr << Describe(migrate) << Describe(again);
}

// Issue 14: a copy verified once is never overwritten by another version,
// whatever state its row is in later (here put back by `reset`): rescan
// records it as the previous copy and the new version gets its own name.
TEST_F(MigrateEmulatorTest, VerifiedCopyOfAResetObjectIsNotOverwrittenByANewVersion) {
  CreateBucket("versions");
  Put("versions", "doc", "version one");
  ASSERT_EQ(run_->Run({"scan"}).exit_code, 0);
  ProcessResult first = run_->Run({"migrate", "--keep-source"});
  ASSERT_EQ(first.exit_code, 0) << Describe(first);
  const std::string old_path = run_->dest() + "/versions/doc";
  ASSERT_EQ(Sql(run_->db(), "SELECT state, local_path FROM files WHERE key = 'doc'"),
            std::vector<std::string>{"verified|" + old_path});
  ProcessResult reset = run_->Run({"reset", "versions", "doc"});
  ASSERT_EQ(reset.exit_code, 0) << Describe(reset);
  Put("versions", "doc", "version two, written after the reset");
  ProcessResult rescan = run_->Run({"rescan", "versions"});
  ASSERT_EQ(rescan.exit_code, 0) << Describe(rescan);
  ProcessResult second = run_->Run({"migrate"});
  ASSERT_EQ(second.exit_code, 0) << Describe(second);
  ExpectAllRowsIn("deleted");
  EXPECT_EQ(ReadFileOrDie(old_path), "version one");
  ExpectLocalCopy("versions", "doc");  // version two, at its recorded path
  const auto now = Sql(run_->db(), "SELECT local_path FROM files WHERE key = 'doc'");
  ASSERT_EQ(now.size(), 1u);
  EXPECT_NE(now[0], old_path);
}

TEST_F(MigrateEmulatorTest, KeepSourceVerifiesEverythingAndLeavesTheBucketAlone) {
  CreateBucket("keep");
  for (int i = 0; i < 20; ++i) Put("keep", "s/" + std::to_string(i), TestBytes(1000 + i, i));
  Put("keep", "large", TestBytes(3 * (1 << 20) + 1, 50));
  PutMultipart("keep", "multipart", 2, 1 << 20, 10, "CRC32C", "COMPOSITE");
  Put("keep", "cold", TestBytes(4000, 51), "GLACIER");
  Put("keep", "kms", TestBytes(4001, 52), "", {{"x-amz-server-side-encryption", "aws:kms"}});
  ProcessResult migrate = ScanAndMigrate({"--keep-source"});
  ASSERT_EQ(migrate.exit_code, 0) << Describe(migrate);
  ExpectAllRowsIn("verified");
  ExpectLocalCopies("keep");
  ExpectBucketUntouched("keep");
  EXPECT_EQ(RequestCount("DeleteObjects") + RequestCount("DeleteObject"), 0);
  // Run again: nothing to do, still nothing deleted.
  ProcessResult again = run_->Run({"migrate", "--keep-source"});
  ASSERT_EQ(again.exit_code, 0) << Describe(again);
  ExpectBucketUntouched("keep");
  EXPECT_EQ(RequestCount("DeleteObjects") + RequestCount("DeleteObject"), 0);
}

TEST_F(MigrateEmulatorTest, DryRunDeletesNothingAndRequestsNoRestores) {
  CreateBucket("dry");
  for (int i = 0; i < 20; ++i) Put("dry", "s/" + std::to_string(i), TestBytes(1000 + i, i));
  Put("dry", "large", TestBytes(3 * (1 << 20) + 1, 50));
  Put("dry", "cold", TestBytes(4000, 51), "GLACIER");
  ProcessResult migrate = ScanAndMigrate({"--dry-run"});
  ASSERT_EQ(migrate.exit_code, 0) << Describe(migrate);
  ExpectBucketUntouched("dry");
  EXPECT_EQ(RequestCount("DeleteObjects") + RequestCount("DeleteObject"), 0);
  EXPECT_EQ(RequestCount("RestoreObject"), 0);
  EXPECT_EQ(SqlInt(run_->db(), "SELECT COUNT(*) FROM files WHERE state = 'deleted'"), 0);
  EXPECT_EQ(Sql(run_->db(), "SELECT state, restore_requested_at FROM files WHERE key = 'cold'"),
            std::vector<std::string>{"discovered|NULL"});
  // What could be read was downloaded and verified.
  EXPECT_EQ(SqlInt(run_->db(), "SELECT COUNT(*) FROM files WHERE state = 'verified'"), 21);
  uploaded_["dry"].erase("cold");
  ExpectLocalCopies("dry");
}

TEST_F(MigrateEmulatorTest, ObjectOverwrittenBetweenScanAndDownloadIsDownloadedAgain) {
  CreateBucket("race");
  Put("race", "small", "the scanned content");
  Put("race", "large", TestBytes(2 * (1 << 20) + 10, 1));
  Put("race", "other", "unchanged");
  ASSERT_EQ(run_->Run({"scan"}).exit_code, 0);
  const std::string scanned_small = Etag("race", "small");
  Put("race", "small", "new content, written after the scan");
  Put("race", "large", TestBytes(3 * (1 << 20) + 99, 2));
  ASSERT_NE(Etag("race", "small"), scanned_small);

  ProcessResult migrate = run_->Run({"migrate"});
  ASSERT_EQ(migrate.exit_code, 0) << Describe(migrate);
  ExpectAllRowsIn("deleted");
  ExpectLocalCopies("race");  // the new content
  EXPECT_TRUE(RemainingKeys("race").empty());
  auto strip = [](std::string e) {
    std::erase(e, '"');
    return e;
  };
  EXPECT_EQ(Sql(run_->db(), "SELECT etag, size FROM files WHERE key = 'large'"),
            std::vector<std::string>{strip(Etag("race", "large")) + "|" +
                                     std::to_string(3 * (1 << 20) + 99)});
  // Nothing older was on disk, so no previous copy is recorded.
  EXPECT_EQ(SqlInt(run_->db(), "SELECT COUNT(*) FROM files WHERE previous_local_path IS NOT NULL"), 0);
}

TEST_F(MigrateEmulatorTest, ObjectOverwrittenBetweenVerifyAndDeleteIsDownloadedAgainNotDeleted) {
  CreateBucket("race");
  // First in the delete batch, unchanged: the delete gate learns on it that
  // the server honours ETag conditions, and then relies on them.
  Put("race", "0-unchanged", "unchanged too");
  Put("race", "small", "the first content");
  Put("race", "large", TestBytes(2 * (1 << 20) + 10, 1));
  Put("race", "other", "unchanged");
  ProcessResult copy = ScanAndMigrate({"--keep-source"});
  ASSERT_EQ(copy.exit_code, 0) << Describe(copy);
  ExpectAllRowsIn("verified");
  const std::string old_small = uploaded_["race"]["small"], old_large = uploaded_["race"]["large"];
  const auto old_small_path = run_->LocalPath("race", "small");
  const auto old_large_path = run_->LocalPath("race", "large");
  ASSERT_TRUE(old_small_path && old_large_path);
  // Overwritten after the copy was verified, before the delete; same sizes,
  // so only the ETag tells the versions apart.
  Put("race", "small", "the other content");
  Put("race", "large", TestBytes(2 * (1 << 20) + 10, 2));
  const auto changed = RemainingEtags("race");

  ProcessResult migrate = run_->Run({"migrate"});
  ASSERT_EQ(migrate.exit_code, 0) << Describe(migrate);
  ExpectAllRowsIn("deleted");
  // The new content was downloaded and verified before its delete ...
  ExpectLocalCopies("race");
  EXPECT_TRUE(RemainingKeys("race").empty());
  // ... and the old copy, the only one left of that content, is kept.
  for (const auto& [key, old_body, old_path] :
       {std::tuple{"small", old_small, *old_small_path}, std::tuple{"large", old_large, *old_large_path}}) {
    SCOPED_TRACE(key);
    EXPECT_EQ(Sql(run_->db(), std::string("SELECT previous_local_path FROM files WHERE key = '") + key + "'"),
              std::vector<std::string>{old_path});
    EXPECT_EQ(ReadFileOrDie(old_path), old_body);
    EXPECT_NE(run_->LocalPath("race", key), old_path);
  }
  // The conditional delete was refused once per changed object and nothing
  // was deleted unseen: the only deletes were of verified content.
  EXPECT_GE(RequestCount("HeadObject"), 2);
}

// The same, live: the overwrite lands while the run's first delete request
// is held at the server, after the object was verified.
TEST_F(MigrateEmulatorTest, ObjectOverwrittenWhileItsDeleteIsPendingIsDownloadedAgain) {
  CreateBucket("live");
  Put("live", "a-first", "first");
  Put("live", "b-changes", "the content the run verifies first!");
  Put("live", "c-other", "other");
  const std::string old_body = uploaded_["live"]["b-changes"];
  AddFault({{"kind", "latency"}, {"operations", {"DeleteObjects"}}, {"ms", 2000}, {"count", 1}});
  ASSERT_EQ(run_->Run({"scan"}).exit_code, 0);
  bool overwritten = false;
  ProcessResult migrate = run_->Run({"migrate"}, [&](pid_t) {
    const auto deadline = std::chrono::steady_clock::now() + 30s;
    while (std::chrono::steady_clock::now() < deadline) {
      auto rules = emu_->AdminGet("/faults");
      if (!rules.empty() && rules[0].value("fired", 0) >= 1 &&
          Sql(run_->db(), "SELECT state FROM files WHERE key = 'b-changes'") ==
              std::vector<std::string>{"verified"}) {
        Put("live", "b-changes", "the content written meanwhile: same");
        overwritten = true;
        return;
      }
      std::this_thread::sleep_for(10ms);
    }
  });
  ASSERT_TRUE(overwritten) << Describe(migrate);
  ASSERT_EQ(migrate.exit_code, 0) << Describe(migrate);
  ExpectAllRowsIn("deleted");
  ExpectLocalCopies("live");  // b-changes: the new content
  EXPECT_TRUE(RemainingKeys("live").empty());
  auto previous = Sql(run_->db(), "SELECT previous_local_path FROM files WHERE key = 'b-changes'");
  ASSERT_EQ(previous.size(), 1u);
  EXPECT_EQ(ReadFileOrDie(previous[0]), old_body);
}

// Overwritten between two ranged GETs of a large object: the pinned GET
// (If-Match) notices, the partial download of the old content is dropped,
// and the new content is downloaded whole.
TEST_F(MigrateEmulatorTest, LargeObjectOverwrittenMidDownloadIsDownloadedAgain) {
  CreateBucket("mid");
  Put("mid", "large", TestBytes(4 * (1 << 20), 1));
  AddFault({{"kind", "latency"}, {"operations", {"GetObject"}}, {"keys", {"large"}}, {"ms", 400}, {"count", 4}});
  run_->AddConfig("concurrency = 2");
  ASSERT_EQ(run_->Run({"scan"}).exit_code, 0);
  bool overwritten = false;
  std::vector<std::string> state_at_overwrite;
  ProcessResult migrate = run_->Run({"migrate"}, [&](pid_t) {
    const auto deadline = std::chrono::steady_clock::now() + 30s;
    while (std::chrono::steady_clock::now() < deadline) {
      if (SqlInt(run_->db(), "SELECT COUNT(*) FROM download_chunks") >= 1) {
        Put("mid", "large", TestBytes(4 * (1 << 20) + 4096, 2));
        state_at_overwrite = Sql(run_->db(), "SELECT state FROM files WHERE key = 'large'");
        overwritten = true;
        return;
      }
      std::this_thread::sleep_for(10ms);
    }
  });
  ASSERT_TRUE(overwritten) << Describe(migrate);
  EXPECT_EQ(state_at_overwrite, std::vector<std::string>{"downloading"});
  ASSERT_EQ(migrate.exit_code, 0) << Describe(migrate);
  ExpectAllRowsIn("deleted");
  ExpectLocalCopies("mid");  // the new content, whole
  EXPECT_TRUE(RemainingKeys("mid").empty());
  EXPECT_EQ(SqlInt(run_->db(), "SELECT size FROM files WHERE key = 'large'"), 4 * (1 << 20) + 4096);
}

}  // namespace
}  // namespace s3m::testing
