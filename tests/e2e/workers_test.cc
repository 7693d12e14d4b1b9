// Several migrate workers on one PostgreSQL state (issue 20): three
// s3migrate processes share the work through claims; one is killed with
// SIGKILL in the middle of its downloads; the other two take its objects
// over once its lease lapses. Every object ends deleted exactly once with its
// verified copy on disk, none was downloaded by two workers at once, and the
// workers table tells who did what.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <thread>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "emulator_fixture.h"
#include "store/postgres.h"

namespace s3m::testing {
namespace {

class WorkersTest : public EmulatorMigrateTest {
 protected:
  std::vector<std::string> PgRows(const std::string& sql) { return testing::PgRows(uri_, sql); }
  int64_t PgInt(const std::string& sql) {
    auto rows = PgRows(sql);
    return rows.size() == 1 ? std::stoll(rows[0]) : -1;
  }
  // Keys in the bucket's manifests (one per worker), with how many lines
  // each has.
  std::map<std::string, int> ManifestKeys(const std::string& bucket) {
    std::map<std::string, int> keys;
    for (const auto& dir : std::filesystem::directory_iterator(run_->dest() + "/.s3migrate/manifests")) {
      std::ifstream in(dir.path().string() + "/" + bucket + ".jsonl");
      for (std::string line; std::getline(in, line);) {
        if (!line.empty()) ++keys[nlohmann::json::parse(line).value("key", "")];
      }
    }
    return keys;
  }

  // The emulator's request counters, sampled while workers run.
  struct Sample {
    double sent, answered;  // seconds from the start: when asked, when answered
    int64_t restores, gets, all;
    int64_t registered;  // worker rows by then
  };
  // Runs two `migrate` workers (with `args` before the command) at once,
  // sampling the counters every 25 ms until both have ended.
  std::vector<Sample> RunTwoWorkersSampled(const std::vector<std::string>& args, ProcessResult (&results)[2]) {
    std::atomic<int> running = 2;
    std::vector<std::thread> workers;
    for (int w = 0; w < 2; ++w) {
      workers.emplace_back([&, w] {
        std::vector<std::string> argv = {"--db", uri_, "--log-level", "info"};
        argv.insert(argv.end(), args.begin(), args.end());
        argv.push_back("migrate");
        results[w] = run_->Run(argv);
        --running;
      });
    }
    std::vector<Sample> samples;
    const auto t0 = std::chrono::steady_clock::now();
    auto seconds = [&] { return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(); };
    while (running > 0 && seconds() < 120) {
      const double sent = seconds();
      const nlohmann::json requests = emu_->AdminGet("/counters")["requests"];
      Sample sample{sent, seconds(), requests.value("RestoreObject", int64_t{0}),
                    requests.value("GetObject", int64_t{0}), 0, PgInt("SELECT COUNT(*) FROM workers")};
      for (const auto& [op, n] : requests.items()) sample.all += n.get<int64_t>();
      samples.push_back(sample);
      std::this_thread::sleep_for(std::chrono::milliseconds(25));
    }
    for (auto& t : workers) t.join();
    return samples;
  }

  // Requests counted by `counter` between two samples a second or more
  // apart (the first taken at `from` s or later): at most `rate` over the
  // longest the window can have been, plus three (each worker's extra slot,
  // and a request sent a little late arrives close to the next one).
  static void ExpectRateHeld(const std::vector<Sample>& samples, int64_t Sample::*counter, double rate,
                             double from = 0) {
    for (size_t i = 0; i < samples.size(); ++i) {
      if (samples[i].sent < from) continue;
      for (size_t j = i + 1; j < samples.size(); ++j) {
        const double window = samples[j].answered - samples[i].sent;
        if (window < 1) continue;  // a busy machine may bunch a few late sends
        ASSERT_LE(samples[j].*counter - samples[i].*counter, rate * window + 3)
            << "between " << samples[i].sent << " s and " << samples[j].answered << " s";
      }
    }
  }

  // Refuses new sessions on the test's database and ends every session of
  // it (a restart or failover, as the workers see it), from a session of
  // the test's own opened before, which then counts the downloads the cut
  // may cost: rows `downloading` (transfers under way, or done and not yet
  // committed).
  int64_t CutDatabase() {
    auto watcher = store::PgConnection::Connect(uri_);
    EXPECT_TRUE(watcher.ok()) << watcher.status().ToString();
    if (!watcher.ok()) return 0;
    testing::PgRows(AdminUri(), fmt::format("ALTER DATABASE {} ALLOW_CONNECTIONS false", DatabaseName()));
    EXPECT_TRUE(watcher->Exec("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE "
                              "datname = current_database() AND pid <> pg_backend_pid()").ok());
    auto n = watcher->Query("SELECT COUNT(*) FROM files WHERE state = 'downloading'");
    EXPECT_TRUE(n.ok()) << n.status().ToString();
    return n.ok() ? n->Int(0, 0) : 0;
  }
  void ReopenDatabase() {
    testing::PgRows(AdminUri(), fmt::format("ALTER DATABASE {} ALLOW_CONNECTIONS true", DatabaseName()));
  }
  std::string DatabaseName() const { return uri_.substr(uri_.rfind('/') + 1); }
  static std::string AdminUri() { return std::getenv("S3M_TEST_POSTGRES_ADMIN_URI"); }
  // Until `at_least` rows are deleted (30 s at most).
  void WaitForDeleted(int64_t at_least) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (std::chrono::steady_clock::now() < deadline &&
           PgInt("SELECT COUNT(*) FROM files WHERE state = 'deleted'") < at_least) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }

  std::string uri_;
};

TEST_F(WorkersTest, ThreeWorkersOneKilledEveryObjectMigratedExactlyOnce) {
  constexpr int kObjects = 90;
  for (const char* bucket : {"alpha", "beta"}) {
    CreateBucket(bucket);
    for (int i = 0; i < kObjects / 2; ++i) Put(bucket, fmt::format("obj-{:03}", i), TestBytes(2000 + i, i));
  }
  // Every GET takes a while, so that work is in flight when one worker dies.
  AddFault({{"kind", "latency"}, {"operations", {"GetObject"}}, {"ms", 150}});
  uri_ = FreshPostgresDatabase();
  ASSERT_EQ(run_->Run({"--db", uri_, "scan"}).exit_code, 0);
  run_->SetConfig("worker_lease", "4");

  std::atomic<pid_t> pids[3] = {0, 0, 0};
  ProcessResult results[3];
  std::vector<std::thread> workers;
  for (int w = 0; w < 3; ++w) {
    workers.emplace_back([&, w] {
      results[w] = run_->Run({"--db", uri_, "--concurrency", "4", "--log-level", "info", "migrate"},
                             [&, w](pid_t pid) { pids[w] = pid; });
    });
  }
  // Worker 1 dies while it holds downloads: its rows are `downloading`,
  // claimed by it.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  int64_t held = 0;
  while (std::chrono::steady_clock::now() < deadline) {
    if (pids[1] != 0) {
      held = PgInt(fmt::format("SELECT COUNT(*) FROM files f JOIN workers w ON w.id = f.claimed_by "
                               "WHERE w.pid = {} AND f.state = 'downloading'",
                               pids[1].load()));
      if (held > 0) break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ASSERT_GT(held, 0) << "worker 1 never held a download";
  ASSERT_EQ(::kill(pids[1], SIGKILL), 0);
  // What it held then (its lease has not lapsed: nobody took a row over) is
  // all that may be downloaded twice: transfers under way, and GETs done
  // whose copies were not yet recorded.
  held = PgInt(fmt::format("SELECT COUNT(*) FROM files f JOIN workers w ON w.id = f.claimed_by "
                           "WHERE w.pid = {} AND f.state = 'downloading'",
                           pids[1].load()));
  for (auto& t : workers) t.join();

  EXPECT_EQ(results[1].exit_code, 128 + SIGKILL);
  EXPECT_EQ(results[0].exit_code, 0) << Describe(results[0]);
  EXPECT_EQ(results[2].exit_code, 0) << Describe(results[2]);
  // Every object deleted from S3, its copy intact, its row deleted, and the
  // manifests name it exactly once.
  for (const char* bucket : {"alpha", "beta"}) {
    EXPECT_TRUE(RemainingKeys(bucket).empty()) << bucket;
    for (const auto& [key, count] : ManifestKeys(bucket)) EXPECT_EQ(count, 1) << bucket << "/" << key;
    EXPECT_EQ(ManifestKeys(bucket).size(), static_cast<size_t>(kObjects / 2)) << bucket;
  }
  for (const std::string& row :
       PgRows("SELECT state || ' ' || COALESCE(local_path, '-') || ' ' || bucket || ' ' || key FROM files")) {
    std::istringstream in(row);
    std::string state, path, bucket, key;
    in >> state >> path >> bucket >> key;
    EXPECT_EQ(state, "deleted") << row;
    EXPECT_EQ(ReadFileOrDie(path), uploaded_[bucket][key]) << row;
  }
  // No object was downloaded twice but those the killed worker held,
  // taken over by the others.
  EXPECT_GE(RequestCount("GetObject"), kObjects);
  EXPECT_LE(RequestCount("GetObject"), kObjects + held);
  // The workers table: the two that finished stopped, the killed one not;
  // what the others took over from it is theirs now.
  const int64_t killed = PgInt(fmt::format("SELECT id FROM workers WHERE pid = {}", pids[1].load()));
  EXPECT_EQ(PgInt(fmt::format("SELECT COUNT(*) FROM workers WHERE stopped_at IS NOT NULL AND id <> {}", killed)), 2);
  EXPECT_EQ(PgInt(fmt::format("SELECT COUNT(*) FROM workers WHERE stopped_at IS NULL AND id = {}", killed)), 1);
  EXPECT_EQ(PgInt(fmt::format("SELECT COUNT(*) FROM files WHERE claimed_by = {} AND state <> 'deleted'", killed)), 0);
  // status shows each worker: the killed one lost, the others stopped.
  ProcessResult status = run_->Run({"--db", uri_, "status"});
  EXPECT_NE(status.out.find("Workers:         1 lost, 2 stopped"), std::string::npos) << status.out;
  EXPECT_NE(status.out.find(fmt::format("#{:<4} lost     ", killed)), std::string::npos) << status.out;
  nlohmann::json json = nlohmann::json::parse(run_->Run({"--db", uri_, "status", "--json"}).out);
  ASSERT_EQ(json["workers"].size(), 3u);
  int64_t reported = 0;
  for (const auto& w : json["workers"]) {
    EXPECT_EQ(w["state"], w["id"] == killed ? "lost" : "stopped") << w.dump();
    EXPECT_EQ(w["pid"], w["id"] == killed ? pids[1].load() : w["pid"].get<int64_t>());
    if (w["id"] != killed) reported += w["bytes"].get<int64_t>();
  }
  EXPECT_GT(reported, 0);
  // verify reads every worker's manifest.
  ProcessResult verify = run_->Run({"--db", uri_, "verify", "--manifests"});
  EXPECT_EQ(verify.exit_code, 0) << Describe(verify);
  EXPECT_NE(verify.out.find(fmt::format("checked {} local copies", kObjects)), std::string::npos) << verify.out;
  EXPECT_EQ(PgInt("SELECT SUM(objects) FROM workers WHERE stopped_at IS NOT NULL") +
                PgInt(fmt::format("SELECT COUNT(*) FROM files WHERE claimed_by = {}", killed)),
            kObjects)
      << "what the finished workers report plus what the killed one deleted";
}

// A worker frozen longer than its lease (SIGSTOP: a paused VM, a stalled
// host) loses its objects to the other worker, which finishes the work.
// When it runs again its run requests, writes and publishes nothing more and
// stops with a message that says why; then it rejoins as a new worker, which
// finds nothing left to do.
TEST_F(WorkersTest, AFrozenWorkerWakesToFindItsObjectsTakenOverAndRejoins) {
  constexpr int kObjects = 40;
  CreateBucket("gamma");
  for (int i = 0; i < kObjects; ++i) Put("gamma", fmt::format("obj-{:03}", i), TestBytes(3000 + i, i));
  AddFault({{"kind", "latency"}, {"operations", {"GetObject"}}, {"ms", 200}});
  uri_ = FreshPostgresDatabase();
  ASSERT_EQ(run_->Run({"--db", uri_, "scan"}).exit_code, 0);
  run_->SetConfig("worker_lease", "4");

  std::atomic<pid_t> pids[2] = {0, 0};
  ProcessResult results[2];
  std::vector<std::thread> workers;
  for (int w = 0; w < 2; ++w) {
    workers.emplace_back([&, w] {
      results[w] = run_->Run({"--db", uri_, "--concurrency", "4", "migrate"}, [&, w](pid_t pid) { pids[w] = pid; });
    });
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  int64_t held = 0;
  while (std::chrono::steady_clock::now() < deadline && held == 0) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    if (pids[1] != 0) {
      held = PgInt(fmt::format("SELECT COUNT(*) FROM files f JOIN workers w ON w.id = f.claimed_by "
                               "WHERE w.pid = {} AND f.state = 'downloading'",
                               pids[1].load()));
    }
  }
  ASSERT_GT(held, 0) << "worker 1 never held a download";
  ASSERT_EQ(::kill(pids[1], SIGSTOP), 0);
  workers[0].join();  // worker 0 takes everything over once the lease lapsed, and finishes
  EXPECT_EQ(results[0].exit_code, 0) << Describe(results[0]);
  EXPECT_TRUE(RemainingKeys("gamma").empty());
  const int64_t gets = RequestCount("GetObject");
  const int64_t deletes = RequestCount("DeleteObjects") + RequestCount("DeleteObject");
  // Every file as worker 0 left it, to the nanosecond.
  auto stamps = [&] {
    std::map<std::string, std::pair<std::filesystem::file_time_type, uintmax_t>> out;
    for (const auto& e : std::filesystem::recursive_directory_iterator(run_->dest() + "/gamma")) {
      if (e.is_regular_file()) out[e.path().string()] = {e.last_write_time(), e.file_size()};
    }
    return out;
  };
  const auto before = stamps();
  ASSERT_EQ(::kill(pids[1], SIGCONT), 0);
  workers[1].join();
  EXPECT_EQ(results[1].exit_code, 0) << Describe(results[1]);
  EXPECT_NE(results[1].err.find("could not renew its heartbeat for half its lease"), std::string::npos)
      << results[1].err;
  EXPECT_NE(results[1].err.find("rejoining as a new worker"), std::string::npos) << results[1].err;
  EXPECT_TRUE(stamps() == before) << "the woken worker wrote into a file";
  // At most the GETs it had begun before it was frozen reach the server
  // (their bytes are refused); it starts none.
  EXPECT_LE(RequestCount("GetObject") - gets, 4) << results[1].err;
  // Nor a delete: the delete gate asks the same fence.
  EXPECT_EQ(RequestCount("DeleteObjects") + RequestCount("DeleteObject"), deletes) << results[1].err;
  for (const auto& [key, count] : ManifestKeys("gamma")) EXPECT_EQ(count, 1) << key;
  EXPECT_EQ(ManifestKeys("gamma").size(), static_cast<size_t>(kObjects));
  for (const std::string& row : PgRows("SELECT state || ' ' || COALESCE(local_path, '-') || ' ' || key FROM files")) {
    std::istringstream in(row);
    std::string state, path, key;
    in >> state >> path >> key;
    EXPECT_EQ(state, "deleted") << row;
    EXPECT_EQ(ReadFileOrDie(path), uploaded_["gamma"][key]) << row;
  }
  // No partial file is left behind in the destination.
  for (const auto& entry : std::filesystem::recursive_directory_iterator(run_->dest() + "/gamma")) {
    EXPECT_EQ(entry.path().filename().string().find("%~partial"), std::string::npos) << entry.path();
  }
}

// A worker whose row is marked stopped in SQL (from psql, by a user who
// wants one host of a fleet to stop) stops at its next heartbeat, and does
// not rejoin: a run marked stopped is not a run that lost its state.
TEST_F(WorkersTest, AWorkerMarkedStoppedInSqlStopsAndDoesNotRejoin) {
  constexpr int kObjects = 40;
  CreateBucket("halted");
  for (int i = 0; i < kObjects; ++i) Put("halted", fmt::format("obj-{:03}", i), TestBytes(900 + i, i));
  AddFault({{"kind", "latency"}, {"operations", {"GetObject"}}, {"ms", 200}});
  uri_ = FreshPostgresDatabase();
  ASSERT_EQ(run_->Run({"--db", uri_, "scan"}).exit_code, 0);
  run_->SetConfig("worker_lease", "4");
  ProcessResult halted = run_->Run({"--db", uri_, "--concurrency", "2", "migrate"}, [&](pid_t) {
    WaitForDeleted(5);
    PgRows("UPDATE workers SET stopped_at = heartbeat_at WHERE stopped_at IS NULL");
  });
  EXPECT_EQ(halted.exit_code, 3) << Describe(halted);
  EXPECT_NE(halted.err.find("was marked stopped in the state database"), std::string::npos) << halted.err;
  EXPECT_EQ(halted.err.find("rejoining"), std::string::npos) << halted.err;
  EXPECT_LT(PgInt("SELECT COUNT(*) FROM files WHERE state = 'deleted'"), kObjects);
  EXPECT_EQ(PgInt("SELECT COUNT(*) FROM workers"), 1);
  ProcessResult rest = run_->Run({"--db", uri_, "migrate"});
  EXPECT_EQ(rest.exit_code, 0) << Describe(rest);
  EXPECT_TRUE(RemainingKeys("halted").empty());
}

// Global limits (issue 20): two workers on one state hold
// max_glacier_restores and restore_requests_per_second together, not each.
// Sampled from the emulator's counters while they run: restore requests
// sent minus GETs started never exceeds the limit (a restore holds its place
// until its download ends), and over any window no more requests arrive
// than the rate allows (each worker alone would stay within it, two at once
// send twice as many).
TEST_F(WorkersTest, TwoWorkersHoldTheRestoreLimitsTogether) {
  StartEmulator({"--restore-delay", "Expedited=0,Standard=0,Bulk=0"});
  constexpr int kObjects = 30;
  constexpr int kMaxRestores = 6;
  constexpr double kRate = 4;
  CreateBucket("cold");
  for (int i = 0; i < kObjects; ++i) Put("cold", fmt::format("g-{:03}", i), TestBytes(700 + i, i), "GLACIER");
  uri_ = FreshPostgresDatabase();
  ASSERT_EQ(run_->Run({"--db", uri_, "scan"}).exit_code, 0);
  run_->SetConfig("max_glacier_restores", std::to_string(kMaxRestores));
  run_->SetConfig("restore_requests_per_second", "4");
  run_->SetConfig("restore_poll_interval", "1");

  ProcessResult results[2];
  const std::vector<Sample> samples = RunTwoWorkersSampled({}, results);
  ASSERT_EQ(results[0].exit_code, 0) << Describe(results[0]);
  ASSERT_EQ(results[1].exit_code, 0) << Describe(results[1]);
  EXPECT_TRUE(RemainingKeys("cold").empty());
  EXPECT_EQ(PgInt("SELECT COUNT(*) FROM files WHERE state = 'deleted'"), kObjects);
  EXPECT_EQ(RequestCount("RestoreObject"), kObjects) << "an object's restore asked for twice";
  // Which worker restores what does not matter (the one that wakes first
  // for a free place takes it); each alone would have asked for
  // kMaxRestores at once at the start.
  EXPECT_EQ(PgInt("SELECT COUNT(*) FROM workers WHERE stopped_at IS NOT NULL"), 2);
  int64_t most_in_flight = 0;
  for (const Sample& s : samples) most_in_flight = std::max(most_in_flight, s.restores - s.gets);
  EXPECT_LE(most_in_flight, kMaxRestores);
  EXPECT_GT(most_in_flight, 0);
  ExpectRateHeld(samples, &Sample::restores, kRate);
}

// max_requests_per_second holds across the workers of a shared state: each
// takes 1/N of it, N the live workers as of its last heartbeat (every
// worker_lease / 4). Two workers at once send no more than one would.
TEST_F(WorkersTest, TwoWorkersShareMaxRequestsPerSecond) {
  constexpr int kObjects = 60;
  constexpr double kRate = 10;
  CreateBucket("paced");
  for (int i = 0; i < kObjects; ++i) Put("paced", fmt::format("p-{:03}", i), TestBytes(500 + i, i));
  uri_ = FreshPostgresDatabase();
  ASSERT_EQ(run_->Run({"--db", uri_, "scan"}).exit_code, 0);
  run_->SetConfig("max_requests_per_second", "10");
  run_->SetConfig("worker_lease", "4");
  const int64_t before = RequestCount("GetObject") + RequestCount("DeleteObjects") + RequestCount("HeadObject");

  ProcessResult results[2];
  const std::vector<Sample> samples = RunTwoWorkersSampled({"--concurrency", "4"}, results);
  ASSERT_EQ(results[0].exit_code, 0) << Describe(results[0]);
  ASSERT_EQ(results[1].exit_code, 0) << Describe(results[1]);
  EXPECT_TRUE(RemainingKeys("paced").empty());
  EXPECT_GT(RequestCount("GetObject") + RequestCount("DeleteObjects") + RequestCount("HeadObject") - before,
            kObjects);
  // Each says so once it knows of the other.
  for (int w = 0; w < 2; ++w) {
    EXPECT_NE(results[w].err.find("2 live workers share max_requests_per_second (5/s each)"), std::string::npos)
        << Describe(results[w]);
  }
  EXPECT_EQ(PgInt("SELECT COUNT(*) FROM workers WHERE objects > 0"), 2) << "both workers did part of the work";
  // From the first renewal after both registered on (lease / 4 = 1 s; before
  // it the worker that came first still had the whole rate), over any
  // window: at most the rate (ExpectRateHeld).
  double both = 1e9;
  for (const Sample& sample : samples) {
    if (sample.registered == 2) {
      both = sample.answered;
      break;
    }
  }
  ExpectRateHeld(samples, &Sample::all, kRate, both + 1.25);
}

// The PostgreSQL state lost under a running worker (its sessions ended by
// the server: a restart, a failover, an administrator), and unreachable for
// a while: the worker stops its run as for a fatal error, reconnects once the
// database answers and goes on as a new worker; nothing is lost or deleted
// twice. Gone for longer than state_reconnect_timeout: it stops (exit 3),
// and the next run finishes.
TEST_F(WorkersTest, AWorkerRejoinsAfterLosingTheDatabaseAndStopsWhenItStaysAway) {
  constexpr int kObjects = 80;
  CreateBucket("flaky");
  for (int i = 0; i < kObjects; ++i) Put("flaky", fmt::format("obj-{:03}", i), TestBytes(1500 + i, i));
  AddFault({{"kind", "latency"}, {"operations", {"GetObject"}}, {"ms", 100}});
  uri_ = FreshPostgresDatabase();
  ASSERT_EQ(run_->Run({"--db", uri_, "scan"}).exit_code, 0);
  run_->SetConfig("state_reconnect_timeout", "4");
  run_->SetConfig("worker_lease", "4");
  int64_t in_flight = 0;
  auto cut = [&] { in_flight += CutDatabase(); };
  auto reopen = [&] { ReopenDatabase(); };
  auto wait_for_deleted = [&](int64_t at_least) { WaitForDeleted(at_least); };

  // Away for 1.5 s: rejoined.
  int64_t before_cut = 0;
  ProcessResult rejoined = run_->Run({"--db", uri_, "--concurrency", "2", "migrate"}, [&](pid_t) {
    wait_for_deleted(10);
    before_cut = PgInt("SELECT COUNT(*) FROM files WHERE state = 'deleted'");
    cut();
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));
    reopen();
    wait_for_deleted(40);
    cut();  // away for good: longer than state_reconnect_timeout
  });
  EXPECT_EQ(rejoined.exit_code, 3) << Describe(rejoined);
  EXPECT_NE(rejoined.err.find("rejoining"), std::string::npos) << Describe(rejoined);
  EXPECT_NE(rejoined.err.find("could not reconnect to the PostgreSQL state within 4 s"), std::string::npos)
      << Describe(rejoined);
  reopen();
  const int64_t deleted = PgInt("SELECT COUNT(*) FROM files WHERE state = 'deleted'");
  EXPECT_GE(deleted, 40) << "the worker went on after the first cut (" << before_cut << " before it)";
  EXPECT_EQ(PgInt("SELECT COUNT(*) FROM workers"), 2) << "one worker row per run: the first, then the rejoined";
  EXPECT_EQ(PgInt("SELECT COUNT(*) FROM workers WHERE stopped_at IS NOT NULL"), 1)
      << "the rejoined worker marks the first stopped; the second never reconnected";

  ProcessResult last = run_->Run({"--db", uri_, "migrate"});
  ASSERT_EQ(last.exit_code, 0) << Describe(last);
  EXPECT_TRUE(RemainingKeys("flaky").empty());
  EXPECT_EQ(PgInt("SELECT COUNT(*) FROM files WHERE state = 'deleted'"), kObjects);
  // A delete S3 confirmed is in the manifest before its row commits
  // (manifest.h): a cut just then leaves the row verified, and the rejoined
  // worker deletes it again and names it again.
  for (const auto& [key, count] : ManifestKeys("flaky")) {
    EXPECT_GE(count, 1) << key;
    EXPECT_LE(count, 2) << key;
  }
  EXPECT_EQ(ManifestKeys("flaky").size(), static_cast<size_t>(kObjects));
  for (const std::string& row : PgRows("SELECT local_path || ' ' || key FROM files")) {
    const std::string path = row.substr(0, row.find(' '));
    EXPECT_EQ(ReadFileOrDie(path), uploaded_["flaky"][row.substr(row.find(' ') + 1)]) << row;
  }
  // Downloaded again: only what was in flight at the two cuts.
  EXPECT_GE(RequestCount("GetObject"), kObjects);
  EXPECT_LE(RequestCount("GetObject"), kObjects + in_flight);
}

// The summary of a `migrate` that rejoined counts what every run of it did,
// each object once: the counters of a run that lost the state are those of
// its last committed step (a step rolled back at the cut is done again, and
// counted, by the next run).
TEST_F(WorkersTest, TheSummaryOfARejoinedWorkerCountsEveryRun) {
  constexpr int kObjects = 60;
  CreateBucket("counted");
  for (int i = 0; i < kObjects; ++i) Put("counted", fmt::format("obj-{:03}", i), TestBytes(1200 + i, i));
  AddFault({{"kind", "latency"}, {"operations", {"GetObject"}}, {"ms", 100}});
  uri_ = FreshPostgresDatabase();
  ASSERT_EQ(run_->Run({"--db", uri_, "scan"}).exit_code, 0);
  run_->SetConfig("worker_lease", "4");
  int64_t before_cut = 0;
  ProcessResult result = run_->Run({"--db", uri_, "--concurrency", "2", "migrate"}, [&](pid_t) {
    WaitForDeleted(20);
    before_cut = PgInt("SELECT COUNT(*) FROM files WHERE state = 'deleted'");
    CutDatabase();
    std::this_thread::sleep_for(std::chrono::milliseconds(1000));
    ReopenDatabase();
  });
  ASSERT_EQ(result.exit_code, 0) << Describe(result);
  EXPECT_NE(result.err.find("rejoining"), std::string::npos) << Describe(result);
  EXPECT_GE(before_cut, 20);
  EXPECT_LT(before_cut, kObjects) << "the cut came after the end";
  EXPECT_TRUE(RemainingKeys("counted").empty());
  // "Deleted:         60 objects, 73.4 KiB"
  auto field = [&](const std::string& label) {
    const size_t at = result.out.find("\n" + label);
    if (at == std::string::npos) return std::string();
    const size_t start = result.out.find_first_not_of(' ', at + 1 + label.size());
    return result.out.substr(start, result.out.find('\n', start) - start);
  };
  EXPECT_TRUE(field("Deleted:").starts_with(fmt::format("{} objects,", kObjects))) << result.out;
  EXPECT_TRUE(field("Downloaded:").starts_with(fmt::format("{} objects,", kObjects))) << result.out;
}

// A scan worker whose PostgreSQL state ends its sessions mid-listing
// reconnects once the database answers and goes on as a new worker,
// resuming the listing from its last committed page: every object once, the
// bucket's count exact, no worker row left behind.
TEST_F(WorkersTest, AScanWorkerRejoinsAfterLosingTheDatabase) {
  constexpr int kObjects = 4500;  // five pages of 1,000
  nlohmann::json made = emu_->AdminPost("/synthetic", {{"bucket", "listed"}, {"count", kObjects}, {"size", 32},
                                                       {"key_pattern", "k/{i:06}"}, {"create_bucket", true}});
  ASSERT_EQ(made.value("created", 0), kObjects) << made.dump();
  AddFault({{"kind", "latency"}, {"operations", {"ListObjectsV2"}}, {"ms", 400}});
  uri_ = FreshPostgresDatabase();
  run_->SetConfig("worker_lease", "4");
  run_->SetConfig("scan_split_listings", "false");  // one lister: pages in order
  const std::string name = uri_.substr(uri_.rfind('/') + 1);
  const std::string admin = std::getenv("S3M_TEST_POSTGRES_ADMIN_URI");
  ProcessResult scan = run_->Run({"--db", uri_, "scan", "--parallel", "1"}, [&](pid_t) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    int64_t listed = 0;
    while (std::chrono::steady_clock::now() < deadline && listed < 1000) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      if (PgInt("SELECT COUNT(*) FROM information_schema.tables WHERE table_name = 's3migrate_meta'") != 1) continue;
      listed = PgInt("SELECT COALESCE(MAX(listed_objects), 0) FROM buckets WHERE scan_state = 'listing'");
    }
    ASSERT_GE(listed, 1000);
    testing::PgRows(admin, fmt::format("ALTER DATABASE {} ALLOW_CONNECTIONS false", name));
    testing::PgRows(admin, fmt::format("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{}'",
                                       name));
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));
    testing::PgRows(admin, fmt::format("ALTER DATABASE {} ALLOW_CONNECTIONS true", name));
  });
  EXPECT_EQ(scan.exit_code, 0) << Describe(scan);
  EXPECT_NE(scan.err.find("rejoining as a new worker"), std::string::npos) << Describe(scan);
  EXPECT_NE(scan.err.find("reconnected to the PostgreSQL state"), std::string::npos) << Describe(scan);
  EXPECT_EQ(PgInt("SELECT COUNT(*) FROM buckets WHERE name = 'listed' AND scan_state = 'complete'"), 1);
  EXPECT_EQ(PgInt("SELECT COUNT(*) FROM files"), kObjects);
  EXPECT_EQ(PgInt("SELECT listed_objects FROM buckets WHERE name = 'listed'"), kObjects) << "a page recorded twice";
  EXPECT_EQ(PgInt("SELECT COUNT(*) FROM files WHERE gone_at IS NOT NULL"), 0);
  EXPECT_EQ(PgInt("SELECT COUNT(*) FROM workers"), 0) << "the stopped worker's row is removed too";
}

// Scan sharded by bucket (issue 20): three `scan` processes on one state
// share the buckets, each listed by exactly one of them (the one that
// claimed it); the others wait for it and report it as listed elsewhere.
TEST_F(WorkersTest, ThreeScansShareTheBucketsEachListedOnce) {
  constexpr int kBuckets = 6;
  constexpr int kPerBucket = 40;
  for (int b = 0; b < kBuckets; ++b) {
    const std::string bucket = fmt::format("shard-{}", b);
    CreateBucket(bucket);
    for (int i = 0; i < kPerBucket; ++i) Put(bucket, fmt::format("k-{:03}", i), TestBytes(100 + i, i));
  }
  AddFault({{"kind", "latency"}, {"operations", {"ListObjectsV2"}}, {"ms", 800}});
  uri_ = FreshPostgresDatabase();
  run_->SetConfig("scan_split_listings", "false");  // requests are counted: no split probes
  const int64_t listings_before = RequestCount("ListObjectsV2");
  ProcessResult results[3];
  std::vector<std::thread> scans;
  for (int w = 0; w < 3; ++w) {
    scans.emplace_back([&, w] { results[w] = run_->Run({"--db", uri_, "--log-level", "info", "scan", "--parallel", "1"}); });
  }
  // While they list, a migrate worker (another group) is refused, naming them.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (std::chrono::steady_clock::now() < deadline &&
         !(PgInt("SELECT COUNT(*) FROM information_schema.tables WHERE table_name = 's3migrate_meta'") == 1 &&
           PgInt("SELECT COUNT(*) FROM workers WHERE stopped_at IS NULL") > 0)) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ProcessResult refused = run_->Run({"--db", uri_, "migrate"});
  EXPECT_EQ(refused.exit_code, 3) << Describe(refused);
  EXPECT_NE(refused.err.find("in use by s3migrate scan"), std::string::npos) << refused.err;
  for (auto& t : scans) t.join();
  std::string outputs;
  for (const ProcessResult& r : results) {
    EXPECT_EQ(r.exit_code, 0) << Describe(r);
    outputs += r.out;
  }
  EXPECT_EQ(PgInt("SELECT COUNT(*) FROM buckets WHERE scan_state = 'complete'"), kBuckets);
  EXPECT_EQ(PgInt("SELECT COUNT(*) FROM files"), kBuckets * kPerBucket);
  EXPECT_EQ(PgInt("SELECT SUM(listed_objects) FROM buckets"), kBuckets * kPerBucket);
  // Each bucket one page, listed once, by one of the three; the work was shared.
  EXPECT_EQ(RequestCount("ListObjectsV2") - listings_before, kBuckets);
  EXPECT_GE(PgInt("SELECT COUNT(DISTINCT claimed_by) FROM buckets"), 2);
  EXPECT_EQ(PgInt("SELECT COUNT(*) FROM workers"), 0) << "scan workers leave no row once done";
  EXPECT_NE(outputs.find("by another worker"), std::string::npos) << outputs;
  // Once they are done, migrate runs.
  ProcessResult migrate = run_->Run({"--db", uri_, "migrate"});
  EXPECT_EQ(migrate.exit_code, 0) << Describe(migrate);
  EXPECT_EQ(PgInt("SELECT COUNT(*) FROM files WHERE state = 'deleted'"), kBuckets * kPerBucket);
}

// A scan worker killed in the middle of a bucket's listing: its claim lapses
// with its lease, another scan takes the bucket over and resumes from the
// last page it committed; no page is listed twice but the one in flight.
TEST_F(WorkersTest, AScanWorkerKilledMidListingIsTakenOverAndResumed) {
  constexpr int kBig = 2500;  // three pages of 1,000
  nlohmann::json made = emu_->AdminPost("/synthetic", {{"bucket", "big"}, {"count", kBig}, {"size", 64},
                                                       {"key_pattern", "obj/{i:06}"}, {"create_bucket", true}});
  ASSERT_EQ(made.value("created", 0), kBig) << made.dump();
  CreateBucket("small");
  for (int i = 0; i < 10; ++i) Put("small", fmt::format("k-{}", i), TestBytes(50, i));
  AddFault({{"kind", "latency"}, {"operations", {"ListObjectsV2"}}, {"ms", 700}});
  uri_ = FreshPostgresDatabase();
  run_->SetConfig("worker_lease", "4");
  run_->SetConfig("scan_split_listings", "false");  // requests are counted: no split probes
  std::atomic<pid_t> first_pid = 0;
  ProcessResult first;
  std::thread scan_a([&] {
    first = run_->Run({"--db", uri_, "scan", "--parallel", "1", "big"}, [&](pid_t pid) { first_pid = pid; });
  });
  // Killed once its first page of `big` is committed.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  int64_t listed = 0;
  while (std::chrono::steady_clock::now() < deadline && listed < 1000) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    if (PgInt("SELECT COUNT(*) FROM information_schema.tables WHERE table_name = 's3migrate_meta'") != 1) continue;
    listed = PgInt("SELECT COALESCE(MAX(listed_objects), 0) FROM buckets WHERE name = 'big' AND scan_state = 'listing'");
  }
  ASSERT_GE(listed, 1000);
  ASSERT_EQ(::kill(first_pid, SIGKILL), 0);
  scan_a.join();
  EXPECT_EQ(first.exit_code, 128 + SIGKILL);
  const int64_t listings_before = RequestCount("ListObjectsV2");
  ProcessResult second = run_->Run({"--db", uri_, "--log-level", "info", "scan", "--parallel", "1"});
  EXPECT_EQ(second.exit_code, 0) << Describe(second);
  EXPECT_NE(second.out.find("complete (resumed)"), std::string::npos) << second.out;
  EXPECT_EQ(PgInt("SELECT COUNT(*) FROM buckets WHERE scan_state = 'complete'"), 2);
  EXPECT_EQ(PgInt("SELECT COUNT(*) FROM files WHERE bucket = 'big'"), kBig);
  EXPECT_EQ(PgInt("SELECT COUNT(*) FROM files WHERE bucket = 'small'"), 10);
  EXPECT_EQ(PgInt("SELECT listed_objects FROM buckets WHERE name = 'big'"), kBig);
  // The second scan listed only what was left of `big` (two pages at most)
  // and `small` (one).
  EXPECT_LE(RequestCount("ListObjectsV2") - listings_before, 3);
}

}  // namespace
// Scan sharded by key range within one bucket (issue 20): three scan
// workers on one large bucket split its listing between them; one is killed
// mid-listing and the ranges it held are taken over when its lease lapses.
// Every object is recorded once, the bucket's count is exact, none is gone.
TEST_F(WorkersTest, ThreeScansSplitOneBucketAndSurviveAKilledWorker) {
  constexpr int kObjects = 60000;
  nlohmann::json made = emu_->AdminPost("/synthetic", {{"bucket", "huge"}, {"count", kObjects}, {"size", 16},
                                                       {"key_pattern", "data/{i:07}.bin"}, {"create_bucket", true}});
  ASSERT_EQ(made.value("created", 0), kObjects) << made.dump();
  // Each page (and each probe) takes 80 ms: the listing outlasts the splits.
  AddFault({{"kind", "latency"}, {"operations", {"ListObjectsV2"}}, {"ms", 80}});
  uri_ = FreshPostgresDatabase();
  run_->SetConfig("worker_lease", "4");
  std::atomic<pid_t> pids[3] = {0, 0, 0};
  ProcessResult results[3];
  std::vector<std::thread> scans;
  for (int w = 0; w < 3; ++w) {
    scans.emplace_back([&, w] {
      // One lister each: the worker that starts the bucket lists it, the
      // other two split it.
      results[w] = run_->Run({"--db", uri_, "--log-level", "info", "scan", "--parallel", "1"},
                             [&, w](pid_t pid) { pids[w] = pid; });
    });
  }
  // Once the listing is split between at least two workers, the worker
  // holding the first range (the one that started the bucket) is killed.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  int64_t holders = 0;
  while (std::chrono::steady_clock::now() < deadline && holders < 2) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    if (PgInt("SELECT COUNT(*) FROM information_schema.tables WHERE table_name = 's3migrate_meta'") != 1) continue;
    holders = PgInt("SELECT COUNT(DISTINCT claimed_by) FROM listing_ranges WHERE done = 0");
  }
  const int64_t victim_worker =
      holders >= 2 ? PgInt("SELECT claimed_by FROM listing_ranges WHERE range_start = '' AND done = 0") : 0;
  const int64_t victim_pid =
      victim_worker > 0 ? PgInt(fmt::format("SELECT pid FROM workers WHERE id = {}", victim_worker)) : 0;
  int victim = -1;
  for (int w = 0; w < 3; ++w) {
    if (victim_pid > 0 && pids[w] == victim_pid) victim = w;
  }
  if (victim < 0) {
    for (auto& pid : pids) ::kill(pid, SIGKILL);
    for (auto& t : scans) t.join();
    FAIL() << "the listing was not split between workers (" << holders << " held ranges)";
  }
  ASSERT_EQ(::kill(static_cast<pid_t>(victim_pid), SIGKILL), 0);
  for (auto& t : scans) t.join();
  std::string splits;
  for (int w = 0; w < 3; ++w) {
    if (w == victim) {
      EXPECT_EQ(results[w].exit_code, 128 + SIGKILL);
      continue;
    }
    EXPECT_EQ(results[w].exit_code, 0) << Describe(results[w]);
    splits += results[w].err;
  }
  EXPECT_NE(splits.find("listing split at key"), std::string::npos) << splits;
  EXPECT_EQ(PgInt("SELECT COUNT(*) FROM buckets WHERE name = 'huge' AND scan_state = 'complete'"), 1);
  EXPECT_EQ(PgInt("SELECT COUNT(*) FROM files WHERE bucket = 'huge'"), kObjects);
  EXPECT_EQ(PgInt("SELECT COUNT(DISTINCT key) FROM files WHERE bucket = 'huge'"), kObjects);
  EXPECT_EQ(PgInt("SELECT listed_objects FROM buckets WHERE name = 'huge'"), kObjects) << "a page recorded twice";
  EXPECT_EQ(PgInt("SELECT COUNT(*) FROM files WHERE gone_at IS NOT NULL OR state <> 'discovered'"), 0);
  EXPECT_EQ(PgInt("SELECT COUNT(*) FROM listing_ranges"), 0);
}

}  // namespace s3m::testing
