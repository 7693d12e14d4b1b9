// Power loss inside real migrations (issue 17). The engine runs in process
// against s3emu, writing through the fault-injecting file system
// (tests/support): at a point chosen at random — the Nth write, sync,
// rename, directory sync or filesystem sync — the power goes: that call and
// every later one fail and change nothing, the run is abandoned, and
// everything the destination had not made durable is lost
// (FaultInjectionFileSystem::SimulateCrash). The state database keeps what
// it committed (SQLite with synchronous = FULL). Then, after every crash:
//
//   * no object is gone from S3 unless its row is verified or deleted and a
//     durable local copy with exactly its bytes is under its recorded path;
//   * no file under a final name holds anything but the whole object;
//
// and the next run resumes. After the last crash a run without faults must
// finish: every object deleted from S3 and on disk, byte for byte.
#include <gtest/gtest.h>

#include <atomic>
#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <set>
#include <string>
#include <thread>

#include <nlohmann/json.hpp>

#include "emulator_fixture.h"
#include "engine/file_system.h"
#include "engine/migrator.h"
#include "store/state_store.h"
#include "support/fault_injection_file_system.h"

namespace s3m::testing {
namespace {

using engine::FaultOp;

class PowerLossTest : public EmulatorMigrateTest {
 protected:
  void SetUp() override {
    EmulatorMigrateTest::SetUp();
    std::filesystem::create_directories(graveyard());
    std::filesystem::create_directories(run_->dest());
  }
  std::string graveyard() const { return run_->dir() + "/graveyard"; }

  // One migration over `fs`, in process. With `crash`, the power goes at
  // that call; the run is then abandoned at once (as a dead machine would).
  // Returns true when the crash happened.
  bool MigrateOnce(engine::FaultInjectionFileSystem& fs, std::optional<engine::Fault> crash) {
    auto state = store::StateStore::Open(run_->db(), {.mode = store::OpenMode::kWrite,
                                                      .synchronous = store::Synchronous::kFull});
    EXPECT_TRUE(state.ok()) << state.status().ToString();
    if (!state.ok()) return false;
    auto client = emu_->Client(8);
    if (crash) fs.InjectFault(*crash);
    std::atomic<bool> cancelled{false};
    engine::MigrateOptions options;
    options.dest_root = run_->dest();
    options.concurrency = 4;
    options.chunk_size = 1 << 20;
    options.min_free_bytes = 0;
    options.max_attempts = 1000;  // crashes are not the objects' fault
    options.retry_base_delay = std::chrono::milliseconds(20);
    options.retry_max_delay = std::chrono::milliseconds(200);
    options.cancelled = &cancelled;
    engine::Migrator migrator(**state, *client, fs, options);
    std::atomic<bool> done{false};
    std::thread watcher([&] {
      while (!done.load()) {
        if (fs.crashed() && !cancelled.exchange(true)) migrator.Wake();
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
      }
    });
    auto report = migrator.Run();
    done = true;
    watcher.join();
    const bool crashed = fs.crashed();
    if (!crashed) {
      EXPECT_TRUE(report.ok()) << report.status().ToString();
    }
    return crashed;
  }

  // Runs migrations that lose power at a random call until one finishes (at
  // most 20 rounds), checking the invariants after each loss. Returns the
  // number of power losses.
  int LosePowerUntilDone(engine::FaultInjectionFileSystem& fs, std::mt19937& random,
                         const std::vector<std::string>& buckets) {
    // Each kind of call, and about how many of it a whole run makes: the
    // power goes at a random one of them.
    const std::pair<FaultOp, int> ops[] = {{FaultOp::kWrite, 300},        {FaultOp::kRename, 200},
                                           {FaultOp::kSync, 8},           {FaultOp::kSyncDirectory, 20},
                                           {FaultOp::kCreateDirectory, 3}};
    int crashes = 0;
    for (int round = 0; round < 20; ++round) {
      engine::Fault fault;
      const auto& [op, calls] = ops[random() % std::size(ops)];
      fault.op = op;
      // Later rounds have less left to do: aim earlier.
      fault.skip = static_cast<int>(random() % static_cast<unsigned>(std::max(1, calls / (1 + round / 3))));
      if (round % 10 == 9) fault.skip = 0;  // now and then at the very first such call
      fault.crash = true;
      SCOPED_TRACE("round " + std::to_string(round) + ": power lost at call " +
                   std::to_string(fault.skip + 1) + " of op " + std::to_string(static_cast<int>(fault.op)));
      const bool crashed = MigrateOnce(fs, fault);
      EXPECT_TRUE(fs.SimulateCrash().ok());
      fs.ClearFaults();
      crashes += crashed;
      for (const std::string& bucket : buckets) {
        ExpectConsistentAfterInterruption(bucket, /*published_unrecorded=*/true);
        ExpectManifestCoversDeletedRows(bucket);
      }
      if (!crashed) break;  // the run finished before the chosen call
    }
    return crashes;
  }

  // Every committed 'deleted' row has its durable line in the bucket's
  // manifest (manifest.h); a line torn by the crash does not count.
  void ExpectManifestCoversDeletedRows(const std::string& bucket) {
    std::set<std::pair<std::string, std::string>> listed;
    std::ifstream in(run_->dest() + "/.s3migrate/manifests/" + bucket + ".jsonl");
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    for (size_t at = 0, end; (end = text.find('\n', at)) != std::string::npos; at = end + 1) {
      const nlohmann::json j = nlohmann::json::parse(text.substr(at, end - at));
      listed.emplace(j["key"], j["version_id"]);
    }
    const auto rows = Sql(run_->db(), "SELECT key || char(9) || version_id FROM files WHERE bucket = '" +
                                          bucket + "' AND state = 'deleted'");
    for (const std::string& row : rows) {
      const size_t tab = row.find('\t');
      EXPECT_TRUE(listed.count({row.substr(0, tab), row.substr(tab + 1)}))
          << bucket << "/" << row.substr(0, tab) << " is deleted but not in the manifest";
    }
  }

  void PutMixedSet(const std::string& bucket, uint32_t seed) {
    for (int i = 0; i < 200; ++i) {
      Put(bucket, "small/" + std::to_string(i), TestBytes(100 + 97 * i, seed + i));
    }
    PutMultipart(bucket, "multi/a", 3, 1 << 20, 4321);
    Put(bucket, "large/b", TestBytes((2 << 20) + 17, seed + 99));
  }
};

// One episode per S3M_RELIABILITY_SCALE (fresh buckets each time): about
// ten power losses each, then a run without faults that must finish.
TEST_F(PowerLossTest, PowerLostAtRandomPointsLosesNothingAndTheRunFinishes) {
  engine::FaultInjectionFileSystem fs(engine::PosixFileSystem::Default(), graveyard());
  std::mt19937 random(20261205);
  int crashes = 0;
  for (int episode = 0; episode < ReliabilityScale(); ++episode) {
    SCOPED_TRACE("episode " + std::to_string(episode));
    const std::string plain = "plain" + std::to_string(episode);
    const std::string ver = "ver" + std::to_string(episode);
    CreateBucket(plain);
    PutMixedSet(plain, 1 + 1000 * episode);
    CreateBucket(ver);
    ASSERT_TRUE(client_->PutBucketVersioning(ver, true).ok());
    Put(ver, "doc", "the only version");
    PutMixedSet(ver, 500 + 1000 * episode);
    ASSERT_EQ(run_->Run({"scan"}).exit_code, 0);
    crashes += LosePowerUntilDone(fs, random, {plain, ver});
    EXPECT_FALSE(MigrateOnce(fs, std::nullopt));
    ExpectAllRowsIn("deleted");
    for (const std::string& bucket : {plain, ver}) {
      ExpectLocalCopies(bucket);
      EXPECT_TRUE(RemainingKeys(bucket).empty());
      ExpectManifestCoversDeletedRows(bucket);
    }
  }
  RecordProperty("power_losses", crashes);
  EXPECT_GT(crashes, 3 * ReliabilityScale()) << "the crash points should land inside the runs";
}

}  // namespace
}  // namespace s3m::testing
