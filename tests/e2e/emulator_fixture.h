// The fixture of the end-to-end tests against the emulator: one s3emu per
// test, an s3migrate setup pointed at it, and helpers to fill buckets and to
// check the outcome the way a user would (local tree byte for byte, the
// bucket's contents, the database through plain SQL).
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "e2e_support.h"

namespace s3m::testing {

class EmulatorMigrateTest : public ::testing::Test {
 protected:
  void SetUp() override { StartEmulator(); }

  // (Re)starts the emulator with the fixture's flags plus `extra_flags`, and
  // a fresh s3migrate setup pointed at it. Call before putting anything.
  void StartEmulator(const std::vector<std::string>& extra_flags = {});
  // Kills the emulator (SIGKILL), waits `down`, and starts it again with the
  // same flags, data and port: a server that crashed and came back.
  void CrashAndRestartEmulator(std::chrono::milliseconds down);

  void CreateBucket(const std::string& bucket);
  // Puts an object and remembers its bytes and ETag as what S3 holds.
  void Put(const std::string& bucket, const std::string& key, const std::string& body,
           const std::string& storage_class = "",
           std::vector<std::pair<std::string, std::string>> headers = {},
           const std::string& checksum = "");
  // A multipart upload of `parts` parts of `part_size` bytes (the last one
  // `last` bytes), with an additional checksum when `checksum` is set.
  void PutMultipart(const std::string& bucket, const std::string& key, int parts, size_t part_size,
                    size_t last, const std::string& checksum = "", const std::string& type = "");

  // scan, then migrate with `args`; returns migrate's result. The scan must
  // succeed.
  ProcessResult ScanAndMigrate(const std::vector<std::string>& args = {});
  // "exit N" plus both outputs, for assertion messages.
  static std::string Describe(const ProcessResult& r);

  // Current keys of the bucket (ListObjectsV2, every page).
  std::vector<std::string> RemainingKeys(const std::string& bucket);
  // key -> ETag of the bucket's current objects.
  std::map<std::string, std::string> RemainingEtags(const std::string& bucket);

  // Every remembered object of `bucket` is on disk, inside dest/bucket, with
  // exactly the remembered bytes.
  void ExpectLocalCopies(const std::string& bucket);
  void ExpectLocalCopy(const std::string& bucket, const std::string& key);
  // Every row is in `state`; lists the others when not.
  void ExpectAllRowsIn(const std::string& state);
  // The bucket holds exactly what was put, with the same ETags.
  void ExpectBucketUntouched(const std::string& bucket);
  // After an interrupted run (PRODUCT.md §5.1, §5.4): every row `deleted`
  // names an object gone from S3 and a correct local copy; no object is gone
  // from S3 unless its row is verified or deleted with a correct local copy;
  // nothing that is not verified sits under its final name.
  // `published_unrecorded`: a power loss or a SIGKILL at a random moment
  // may land after a file was published whole but before its row said so;
  // such a file must then hold exactly the object.
  void ExpectConsistentAfterInterruption(const std::string& bucket, bool published_unrecorded = false);

  // Emulator admin API.
  void AddFault(const nlohmann::json& rule);
  int64_t RequestCount(const std::string& operation);
  int64_t InjectedCount(const std::string& kind);

  std::string Etag(const std::string& bucket, const std::string& key) { return etags_[bucket][key]; }

  TempDir emu_dir_;
  std::vector<std::string> emu_flags_;
  std::unique_ptr<S3emuProcess> emu_;
  std::unique_ptr<s3::S3Client> client_;
  std::unique_ptr<S3migrateRun> run_;
  // bucket -> key -> what S3 holds (as far as the test put it).
  std::map<std::string, std::map<std::string, std::string>> uploaded_;
  std::map<std::string, std::map<std::string, std::string>> etags_;
};

}  // namespace s3m::testing
