// The migrate progress display: PRODUCT.md §6's block compared whole against
// hand-written goldens, the throughput window and ETA, the number and
// duration formats at their edges, the final summary with hostile key names,
// and the bytes ProgressDisplay writes in each mode. Frozen clock, TZ=UTC.
#include "cli/progress_display.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <ctime>
#include <thread>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "cli/format.h"
#include "core/time_format.h"

namespace s3m::cli {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;
using ::testing::Not;
using store::FileState;

// Clock times print in the local zone; the goldens are written in UTC.
const bool kUtc = [] {
  ::setenv("TZ", "UTC", 1);
  ::tzset();
  return true;
}();

std::chrono::system_clock::time_point At(const char* iso) {
  auto t = ParseIso8601(iso);
  EXPECT_TRUE(t.has_value()) << iso;
  return t.value_or(std::chrono::system_clock::time_point{});
}

int64_t GiB(double n) { return std::llround(n * (1ll << 30)); }

engine::FilesBytes& In(engine::StateBreakdown& b, FileState state) {
  return b[static_cast<size_t>(state)];
}

// The figures of PRODUCT.md §6's example (the guide's own numbers).
engine::ProgressSnapshot GuideSnapshot() {
  engine::ProgressSnapshot s;
  s.now = At("2026-11-24T10:37:50Z");
  s.started_at = s.now - (2h + 15min + 20s);
  s.total = {5678, GiB(723.45)};
  s.done = {1234, GiB(156.78)};
  In(s.by_state, FileState::kDiscovered) = {3210, GiB(421.34)};
  In(s.by_state, FileState::kDownloading) = {1, GiB(0.15)};
  In(s.by_state, FileState::kDownloaded) = {12, GiB(1.23)};
  In(s.by_state, FileState::kVerified) = {221, GiB(45.67)};
  In(s.by_state, FileState::kDeleted) = {1234, GiB(156.78)};
  s.bytes_received = GiB(160);
  s.active_transfers = 3;
  return s;
}

// 19.45 MB/s (decimal) over the 30 s window.
ThroughputWindow WindowAt19_45() {
  ThroughputWindow w;
  const Clock::MonoTime t0{};
  w.Add(t0, 1'000'000'000);
  w.Add(t0 + 30s, 1'000'000'000 + 583'500'000);
  return w;
}

// ---------------------------------------------------------------- formats

TEST(FormatDurationTest, TwoLargestUnitsTruncated) {
  EXPECT_EQ(FormatDuration(0s), "0s");
  EXPECT_EQ(FormatDuration(-5s), "0s");
  EXPECT_EQ(FormatDuration(1ns), "<1s");
  EXPECT_EQ(FormatDuration(999ms), "<1s");
  EXPECT_EQ(FormatDuration(1s), "1s");
  EXPECT_EQ(FormatDuration(12s + 900ms), "12s");
  EXPECT_EQ(FormatDuration(59s), "59s");
  EXPECT_EQ(FormatDuration(60s), "1m 0s");
  EXPECT_EQ(FormatDuration(45min + 30s), "45m 30s");
  EXPECT_EQ(FormatDuration(59min + 59s), "59m 59s");
  EXPECT_EQ(FormatDuration(1h), "1h 0m");
  EXPECT_EQ(FormatDuration(2h + 15min + 59s), "2h 15m");
  EXPECT_EQ(FormatDuration(23h + 59min + 59s), "23h 59m");
  EXPECT_EQ(FormatDuration(24h), "1d 0h");
  EXPECT_EQ(FormatDuration(3 * 24h + 4h + 5min), "3d 4h");
  EXPECT_EQ(FormatDuration(400 * 24h), "400d 0h");
}

TEST(FormatTest, RatesPercentsSizesAndClockTimes) {
  EXPECT_EQ(FormatRate(0), "0.00 MB/s");
  EXPECT_EQ(FormatRate(-5), "0.00 MB/s");
  EXPECT_EQ(FormatRate(19.45e6), "19.45 MB/s");
  EXPECT_EQ(FormatRate(1'234'567'890), "1234.57 MB/s");

  EXPECT_EQ(FormatPercent(1234, 5678), "21.7%");
  EXPECT_EQ(FormatPercent(0, 10), "0.0%");
  EXPECT_EQ(FormatPercent(5677, 5678), "99.9%");  // 99.98 must not read as done
  EXPECT_EQ(FormatPercent(5678, 5678), "100.0%");
  EXPECT_EQ(FormatPercent(0, 0), "100.0%");

  EXPECT_EQ(FormatBytes(0), "0 B");
  EXPECT_EQ(FormatBytes(1023), "1023 B");
  EXPECT_EQ(FormatBytes(1024), "1.00 KB");
  EXPECT_EQ(FormatBytes(GiB(0.15)), "153.60 MB");
  EXPECT_EQ(FormatBytes(1ll << 50), "1.00 PB");

  EXPECT_EQ(FormatClockTime(At("2026-11-24T10:42:00.900Z")), "10:42:00");
  EXPECT_EQ(FormatClockTime(At("2026-11-24T00:00:00Z")), "00:00:00");
}

TEST(FormatTest, TallyLineKeepsTheGuideColumnsAndASpaceAfterLongLabels) {
  EXPECT_EQ(FormatTallyLine("Discovered", 3210, GiB(421.34), 2, 37),
            "  Discovered                    3,210 files    421.34 GB\n");
  EXPECT_EQ(FormatTallyLine("Glacier restore requested", 1'234'567'890, 5, 2, 37),
            "  Glacier restore requested 1,234,567,890 files          5 B\n");
}

TEST(PrintableKeyTest, EscapesWhatATerminalWouldActOn) {
  struct Case {
    std::string key;
    std::string printed;
  };
  const std::vector<Case> cases = {
      {"photos/2020/a.jpg", "photos/2020/a.jpg"},
      {"a\nb", "a\\x0ab"},
      {"\x1b[2Jgone", "\\x1b[2Jgone"},
      {"tab\there\r", "tab\\x09here\\x0d"},
      {"del\x7f", "del\\x7f"},
      {"back\\slash", "back\\x5cslash"},
      {"csi\xc2\x9b" "31m", "csi\\xc2\\x9b31m"},                   // U+009B, a one-byte CSI
      {"evil\xe2\x80\xaegpj.exe", "evil\\xe2\\x80\\xaegpj.exe"},  // U+202E right-to-left override
      {"iso\xe2\x81\xa6x", "iso\\xe2\\x81\\xa6x"},                // U+2066 isolate
      {"caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x98\x80", "caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x98\x80"},
      {"bad\xff", "bad\\xff"},
      {"overlong\xc0\x8a", "overlong\\xc0\\x8a"},     // "\n" in two bytes
      {"surrogate\xed\xa0\x80", "surrogate\\xed\\xa0\\x80"},
      {"cut\xe6\x97", "cut\\xe6\\x97"},
      {"big\xf4\x90\x80\x80", "big\\xf4\\x90\\x80\\x80"},  // above U+10FFFF
  };
  for (const auto& c : cases) EXPECT_EQ(PrintableKey(c.key), c.printed) << c.printed;
}

// ---------------------------------------------------------------- throughput

TEST(ThroughputWindowTest, NeedsTwoSamplesAtDifferentTimes) {
  ThroughputWindow w;
  EXPECT_EQ(w.BytesPerSecond(), std::nullopt);
  const Clock::MonoTime t0{};
  w.Add(t0, 100);
  EXPECT_EQ(w.BytesPerSecond(), std::nullopt);
  w.Add(t0, 200);  // same instant: still no span
  EXPECT_EQ(w.BytesPerSecond(), std::nullopt);
  w.Add(t0 + 2s, 1200);
  EXPECT_DOUBLE_EQ(*w.BytesPerSecond(), 500.0);
}

TEST(ThroughputWindowTest, ForgetsWhatFellOutOfTheWindow) {
  ThroughputWindow w(10s);
  const Clock::MonoTime t0{};
  // 1,000 B/s for 20 s, then 100 B/s: after 10 s more only the slow part counts.
  int64_t bytes = 0;
  for (int t = 0; t <= 20; t += 2) {
    w.Add(t0 + std::chrono::seconds(t), bytes);
    bytes += 2000;
  }
  bytes -= 2000;
  EXPECT_DOUBLE_EQ(*w.BytesPerSecond(), 1000.0);
  for (int t = 22; t <= 30; t += 2) {
    bytes += 200;
    w.Add(t0 + std::chrono::seconds(t), bytes);
  }
  EXPECT_DOUBLE_EQ(*w.BytesPerSecond(), 100.0);
}

TEST(ThroughputWindowTest, SamplesSparserThanTheWindowStillGiveARate) {
  ThroughputWindow w(30s);
  const Clock::MonoTime t0{};
  w.Add(t0, 0);
  w.Add(t0 + 60s, 6000);
  w.Add(t0 + 120s, 18000);
  EXPECT_DOUBLE_EQ(*w.BytesPerSecond(), 200.0);  // the last 60 s
}

TEST(ThroughputWindowTest, NothingReceivedIsZeroNotUnknown) {
  ThroughputWindow w;
  const Clock::MonoTime t0{};
  w.Add(t0, 5000);
  w.Add(t0 + 10s, 5000);
  EXPECT_DOUBLE_EQ(*w.BytesPerSecond(), 0.0);
}

TEST(ThroughputWindowTest, ClockGoingBackOrCounterRestartingStartsAfresh) {
  ThroughputWindow w;
  const Clock::MonoTime t0 = Clock::MonoTime{} + 100s;
  w.Add(t0, 0);
  w.Add(t0 + 10s, 10'000);
  w.Add(t0 + 5s, 20'000);  // earlier than the last sample
  EXPECT_EQ(w.BytesPerSecond(), std::nullopt);
  w.Add(t0 + 7s, 22'000);
  EXPECT_DOUBLE_EQ(*w.BytesPerSecond(), 1000.0);
  w.Add(t0 + 8s, 500);  // fewer bytes than before
  EXPECT_EQ(w.BytesPerSecond(), std::nullopt);
  w.Add(t0 + 9s, 1500);
  EXPECT_DOUBLE_EQ(*w.BytesPerSecond(), 1000.0);
}

// ---------------------------------------------------------------- ETA

TEST(EtaTest, RemainingBytesOverTheRate) {
  engine::ProgressSnapshot s;
  s.total = {10, 1'000'000'000};
  s.done = {5, 454'000'000};
  EXPECT_EQ(FormatEta(s, 200'000.0), "45m 30s");  // 546,000,000 B / 200,000 B/s = 2,730 s
  EXPECT_EQ(FormatEta(s, std::nullopt), "calculating...");
  EXPECT_EQ(FormatEta(s, 0.0), "stalled");
  EXPECT_EQ(FormatEta(s, 546'000'000.0 / (999 * 86400 + 3600)), "999d 1h");
  EXPECT_EQ(FormatEta(s, 1e-9), "> 999d");  // 5.46e17 s would overflow nanoseconds
  s.done = s.total;
  EXPECT_EQ(FormatEta(s, std::nullopt), "0s");
}

TEST(EtaTest, WaitingForRestoresWhenNothingElseRemains) {
  engine::ProgressSnapshot s;
  s.now = At("2026-11-24T10:37:50Z");
  s.total = {20, 20'000};
  s.done = {10, 10'000};
  In(s.by_state, FileState::kError) = {2, 2000};
  s.restores_in_flight = 6;
  s.restores_waiting = 2;
  EXPECT_EQ(FormatEta(s, 0.0), "waiting for restores");
  s.next_restore_check = At("2026-11-24T10:42:00Z");
  EXPECT_EQ(FormatEta(s, 0.0), "waiting for restores (next check 10:42:00)");
  // One object that can be downloaded now: back to a byte-based ETA.
  s.restores_waiting = 1;
  EXPECT_EQ(FormatEta(s, 0.0), "stalled");
  // A download still running is not waiting either.
  s.restores_waiting = 2;
  s.active_transfers = 1;
  EXPECT_EQ(FormatEta(s, 1000.0), "10s");
}

// ---------------------------------------------------------------- block

TEST(ProgressBlockTest, GuideFiguresGiveTheGuideBlock) {
  // The guide's example, with an ETA consistent with its own figures:
  // (723.45 GB - 156.78 GB) = 608,457,279,406 B at 19,450,000 B/s = 31,283 s.
  // 0.15 GB prints as 153.60 MB, as in `status`.
  const std::string expected =
      "======================================================================\n"
      "MIGRATION PROGRESS\n"
      "======================================================================\n"
      "Elapsed Time:    2h 15m\n"
      "ETA:             8h 41m\n"
      "\n"
      "Files:           1,234 / 5,678 (21.7%)\n"
      "Data:            156.78 GB / 723.45 GB (21.7%)\n"
      "Throughput:      19.45 MB/s\n"
      "\n"
      "Status Breakdown:\n"
      "  Discovered                    3,210 files    421.34 GB\n"
      "  Downloading                       1 files    153.60 MB\n"
      "  Downloaded                       12 files      1.23 GB\n"
      "  Verified                        221 files     45.67 GB\n"
      "  Deleted                       1,234 files    156.78 GB\n"
      "======================================================================\n";
  EXPECT_EQ(RenderProgressBlock(GuideSnapshot(), WindowAt19_45()), expected);
}

TEST(ProgressBlockTest, RestoresPauseErrorsAndModeAddTheirLines) {
  engine::ProgressSnapshot s;
  s.now = At("2026-11-24T10:37:50Z");
  s.started_at = s.now - (3 * 24h + 4h + 59min);
  s.total = {40, GiB(40)};
  s.done = {20, GiB(20)};
  In(s.by_state, FileState::kDeleted) = {20, GiB(20)};
  In(s.by_state, FileState::kGlacierRestoreRequested) = {5, GiB(5)};
  In(s.by_state, FileState::kGlacierRestoring) = {7, GiB(7)};
  In(s.by_state, FileState::kDiscovered) = {6, GiB(6)};
  In(s.by_state, FileState::kError) = {2, 2048};
  s.restores_in_flight = 12;
  s.restores_waiting = 6;
  s.next_restore_check = At("2026-11-24T10:42:00Z");
  s.paused_reason = "free space on /data\x1b[2J is 1.2 GB, below the 5 GB reserve";
  s.errors_this_run = 2;
  s.dry_run = true;
  const std::string expected =
      "======================================================================\n"
      "MIGRATION PROGRESS\n"
      "======================================================================\n"
      "Mode:            DRY RUN (nothing is deleted from S3)\n"
      "Elapsed Time:    3d 4h\n"
      "ETA:             waiting for restores (next check 10:42:00)\n"
      "\n"
      "Files:           20 / 40 (50.0%)\n"
      "Data:            20.00 GB / 40.00 GB (50.0%)\n"
      "Throughput:      calculating...\n"
      "\n"
      "Status Breakdown:\n"
      "  Discovered                        6 files      6.00 GB\n"
      "  Deleted                          20 files     20.00 GB\n"
      "  Glacier restore requested         5 files      5.00 GB\n"
      "  Glacier restoring                 7 files      7.00 GB\n"
      "  Error                             2 files      2.00 KB\n"
      "\n"
      "Restores:        12 in flight, 6 waiting\n"
      "Next restore check: 10:42:00 (in 4m 10s)\n"
      "Paused:          free space on /data\\x1b[2J is 1.2 GB, below the 5 GB reserve\n"
      "Errors:          2\n"
      "======================================================================\n";
  EXPECT_EQ(RenderProgressBlock(s, ThroughputWindow()), expected);
}

TEST(ProgressBlockTest, KeepSourceIsMarkedAndEmptyRunsDoNotDivideByZero) {
  engine::ProgressSnapshot s;
  s.keep_source = true;
  const std::string block = RenderProgressBlock(s, ThroughputWindow());
  EXPECT_THAT(block, HasSubstr("\nMode:            KEEP SOURCE (objects stay in S3 after verification)\n"));
  EXPECT_THAT(block, HasSubstr("\nFiles:           0 / 0 (100.0%)\n"));
  EXPECT_THAT(block, HasSubstr("\nElapsed Time:    0s\nETA:             0s\n"));
  EXPECT_THAT(block, HasSubstr("Status Breakdown:\n====="));
}

TEST(ProgressBlockTest, TheLimitsInForceAreShown) {
  engine::ProgressSnapshot s;
  s.request_limit = 20;
  s.bandwidth_limit = 2 << 20;
  s.bandwidth_schedule = "2M";
  std::string block = RenderProgressBlock(s, ThroughputWindow());
  EXPECT_THAT(block, HasSubstr("\nRequest limit:   20 requests/s\n"));
  EXPECT_THAT(block, HasSubstr("\nBandwidth limit: 2.00 MB/s (2M)\n"));
  EXPECT_THAT(RenderProgressLine(s, ThroughputWindow()), HasSubstr(", limit 20 requests/s, bwlimit 2.00 MB/s"));
  s.bandwidth_limit.reset();
  s.bandwidth_schedule = "08:00,2M 19:00,off";
  s.bandwidth_timetable = true;
  block = RenderProgressBlock(s, ThroughputWindow());
  EXPECT_THAT(block, HasSubstr("\nBandwidth limit: off now (08:00,2M 19:00,off)\n"));
  s.bandwidth_schedule.clear();
  EXPECT_THAT(RenderProgressBlock(s, ThroughputWindow()), Not(HasSubstr("Bandwidth")));
}

TEST(ProgressLineTest, OneLineWithTheSameFigures) {
  engine::ProgressSnapshot s = GuideSnapshot();
  EXPECT_EQ(RenderProgressLine(s, WindowAt19_45()),
            "progress: 1,234/5,678 files (21.7%), 156.78 GB/723.45 GB, 19.45 MB/s, ETA 8h 41m, "
            "3 downloading");
  s.restores_in_flight = 12;
  s.restores_ready = 1;
  s.next_restore_check = At("2026-11-24T10:42:00Z");
  s.paused_reason = "disk\nfull";
  s.errors_this_run = 1;
  s.dry_run = true;
  s.keep_source = true;
  EXPECT_EQ(RenderProgressLine(s, ThroughputWindow()),
            "progress: 1,234/5,678 files (21.7%), 156.78 GB/723.45 GB, calculating..., "
            "ETA calculating..., 3 downloading, restores 12 in flight/1 ready (next check 10:42:00), "
            "paused: disk\\x0afull, 1 error, dry run, keep source");
}

// ---------------------------------------------------------------- summary

engine::MigrationReport HostileReport() {
  engine::MigrationReport r;
  r.started_at = At("2026-11-24T08:00:00Z");
  r.finished_at = At("2026-11-24T10:15:42Z");
  r.downloaded = {1234, GiB(156.78)};
  r.deleted = {1200, GiB(150)};
  r.bytes_received = GiB(157);
  r.restores_requested = 12;
  r.verified_by = {{"crc64nvme", 1000}, {"md5-etag", 200}, {"size-only", 34}};
  In(r.final_states, FileState::kDeleted) = {1200, GiB(150)};
  In(r.final_states, FileState::kVerified) = {34, GiB(6.78)};
  In(r.final_states, FileState::kError) = {5, 5000};
  r.left_behind_count = 34;
  r.left_behind = {{"photos", "a\nb.jpg", "verified by size only (SSE-KMS without checksums): kept in S3"},
                   {"photos", "\x1b]0;owned\x07title", "verified by size only: kept in S3"}};
  r.error_count = 5;
  r.errors = {{"logs", "evil\xe2\x80\xaegpj.exe", "GetObject: HTTP 403 AccessDenied"},
              {"logs", "x\xc2\x9b" "2J", "rename: No space left on device\n\x1b[31mred"}};
  return r;
}

TEST(FinalSummaryTest, FiguresSamplesAndHintsWithKeysEscaped) {
  const std::string expected =
      "======================================================================\n"
      "MIGRATION SUMMARY\n"
      "======================================================================\n"
      "Duration:        2h 15m\n"
      "Downloaded:      1,234 objects, 156.78 GB (157.00 GB received from S3)\n"
      "Deleted:         1,200 objects, 150.00 GB\n"
      "Restores:        12 requested\n"
      "Verified by:     crc64nvme 1,000, md5-etag 200, size-only 34\n"
      "\n"
      "Final states:\n"
      "  Verified                         34 files      6.78 GB\n"
      "  Deleted                       1,200 files    150.00 GB\n"
      "  Error                             5 files      4.88 KB\n"
      "\n"
      "Left in S3:      34 objects\n"
      "  s3://photos/a\\x0ab.jpg: verified by size only (SSE-KMS without checksums): kept in S3\n"
      "  s3://photos/\\x1b]0;owned\\x07title: verified by size only: kept in S3\n"
      "  ... and 32 more\n"
      "\n"
      "Errors:          5 objects\n"
      "  s3://logs/evil\\xe2\\x80\\xaegpj.exe: GetObject: HTTP 403 AccessDenied\n"
      "  s3://logs/x\\xc2\\x9b2J: rename: No space left on device\\x0a\\x1b[31mred\n"
      "  ... and 3 more\n"
      "  Retry them:  s3migrate retry\n"
      "  List them:   sqlite3 s3_migration_state.db \"SELECT bucket, key, error_message FROM files "
      "WHERE state = 'error'\"\n"
      "======================================================================\n";
  const std::string summary = RenderFinalSummary(HostileReport());
  EXPECT_EQ(summary, expected);
  // Whatever the keys, the only control character written is the newline.
  for (size_t i = 0; i < summary.size(); ++i) {
    const auto c = static_cast<unsigned char>(summary[i]);
    EXPECT_TRUE(c >= 0x20 || c == '\n') << "control byte " << int(c) << " at " << i;
    EXPECT_FALSE(c == 0xc2 && i + 1 < summary.size() && static_cast<unsigned char>(summary[i + 1]) < 0xa0)
        << "C1 control at " << i;
  }
}

TEST(FinalSummaryTest, InterruptedDryRunSaysHowToResume) {
  engine::MigrationReport r;
  r.interrupted = true;
  r.dry_run = true;
  r.would_delete = {1, 10};
  r.downloaded = {1, 10};
  const std::string summary = RenderFinalSummary(r);
  EXPECT_THAT(summary, HasSubstr("\nMIGRATION INTERRUPTED\n"));
  EXPECT_THAT(summary, HasSubstr("\nWould delete:    1 object, 10 B (dry run: nothing was deleted)\n"));
  EXPECT_THAT(summary, Not(HasSubstr("Deleted:")));
  EXPECT_THAT(summary, HasSubstr("\n\ninterrupted: run `s3migrate migrate` again to resume\n=====") );
  EXPECT_THAT(summary, Not(HasSubstr("Errors:")));
  EXPECT_THAT(summary, Not(HasSubstr("Left in S3:")));

  r.interrupted = false;
  EXPECT_THAT(RenderFinalSummary(r), HasSubstr("\nMIGRATION SUMMARY (DRY RUN)\n"));
  EXPECT_THAT(RenderFinalSummary(r), Not(HasSubstr("interrupted")));
}

TEST(FinalSummaryTest, DatabasePathIsQuotedForTheShell) {
  engine::MigrationReport r;
  r.error_count = 1;
  EXPECT_THAT(RenderFinalSummary(r, "/var/lib/s3m/state.db"), HasSubstr("sqlite3 /var/lib/s3m/state.db \""));
  EXPECT_THAT(RenderFinalSummary(r, "my db's.db"), HasSubstr("sqlite3 'my db'\"'\"'s.db' \""));
}

// ---------------------------------------------------------------- display

// An in-memory file the display writes to, read back whole.
class Output {
 public:
  Output() : fd_(::memfd_create("progress", 0)) { EXPECT_GE(fd_, 0); }
  ~Output() { ::close(fd_); }
  int fd() const { return fd_; }
  std::string Read() const {
    std::string out(static_cast<size_t>(::lseek(fd_, 0, SEEK_END)), '\0');
    EXPECT_EQ(::pread(fd_, out.data(), out.size(), 0), static_cast<ssize_t>(out.size()));
    return out;
  }

 private:
  int fd_;
};

size_t Lines(std::string_view s) { return static_cast<size_t>(std::count(s.begin(), s.end(), '\n')); }

TEST(ProgressDisplayTest, TerminalRedrawsTheBlockInPlace) {
  FakeClock clock;
  Output out;
  ProgressDisplay display(out.fd(), ProgressDisplay::Mode::kTerminal, clock);
  engine::ProgressSnapshot s = GuideSnapshot();

  display.Update(s);
  const std::string first = out.Read();
  EXPECT_EQ(first, RenderProgressBlock(s, ThroughputWindow()));  // nothing to erase yet
  EXPECT_EQ(Lines(first), 17u);
  EXPECT_THAT(first, HasSubstr("Throughput:      calculating...\n"));

  clock.Advance(30s);
  s.bytes_received += 583'500'000;
  display.Update(s);
  const std::string second = out.Read().substr(first.size());
  EXPECT_EQ(second, "\r\x1b[17A\x1b[J" + RenderProgressBlock(s, WindowAt19_45()));

  // A taller block (errors appeared) is erased by its own height next time.
  clock.Advance(2s);
  s.errors_this_run = 3;
  display.Update(s);
  std::string third = out.Read().substr(first.size() + second.size());
  EXPECT_EQ(third.substr(0, 9), "\r\x1b[17A\x1b[J");
  EXPECT_EQ(Lines(third), 19u);
  clock.Advance(2s);
  display.Update(s);
  const std::string fourth = out.Read().substr(first.size() + second.size() + third.size());
  EXPECT_EQ(fourth.substr(0, 9), "\r\x1b[19A\x1b[J");

  display.Finish(HostileReport());
  const std::string all = out.Read();
  const std::string tail = all.substr(first.size() + second.size() + third.size() + fourth.size());
  EXPECT_EQ(tail, "\n" + RenderFinalSummary(HostileReport()));  // below the last block, not over it

  display.Update(s);
  display.Finish(HostileReport());
  EXPECT_EQ(out.Read(), all);
}

TEST(ProgressDisplayTest, PlainModePrintsOneLinePerUpdate) {
  FakeClock clock;
  Output out;
  ProgressDisplay display(out.fd(), ProgressDisplay::Mode::kPlain, clock, "/tmp/x.db");
  engine::ProgressSnapshot s = GuideSnapshot();
  display.Update(s);
  clock.Advance(30s);
  s.bytes_received += 583'500'000;
  display.Update(s);
  const std::string text = out.Read();
  EXPECT_EQ(text, RenderProgressLine(s, ThroughputWindow()) + "\n" + RenderProgressLine(s, WindowAt19_45()) +
                      "\n");
  EXPECT_EQ(text.find('\x1b'), std::string::npos);

  engine::MigrationReport r;
  r.error_count = 1;
  display.Finish(r);
  EXPECT_EQ(out.Read(), text + RenderFinalSummary(r, "/tmp/x.db"));
}

TEST(ProgressDisplayTest, OffPrintsOnlyTheSummary) {
  FakeClock clock;
  Output out;
  ProgressDisplay display(out.fd(), ProgressDisplay::Mode::kOff, clock);
  display.Update(GuideSnapshot());
  EXPECT_EQ(out.Read(), "");
  display.Finish(engine::MigrationReport{});
  EXPECT_EQ(out.Read(), RenderFinalSummary(engine::MigrationReport{}));
}

TEST(ProgressDisplayTest, ChooseModeFollowsTheFlagAndTheTerminal) {
  Output file;
  EXPECT_EQ(ProgressDisplay::ChooseMode(false, file.fd()), ProgressDisplay::Mode::kPlain);
  EXPECT_EQ(ProgressDisplay::ChooseMode(true, file.fd()), ProgressDisplay::Mode::kOff);

  const int master = ::posix_openpt(O_RDWR | O_NOCTTY);
  ASSERT_GE(master, 0);
  ASSERT_EQ(::grantpt(master), 0);
  ASSERT_EQ(::unlockpt(master), 0);
  const int terminal = ::open(::ptsname(master), O_RDWR | O_NOCTTY);
  ASSERT_GE(terminal, 0);
  EXPECT_EQ(ProgressDisplay::ChooseMode(false, terminal), ProgressDisplay::Mode::kTerminal);
  EXPECT_EQ(ProgressDisplay::ChooseMode(true, terminal), ProgressDisplay::Mode::kOff);
  ::close(terminal);
  ::close(master);
}

// Four threads redrawing at once must still produce, byte for byte, one block
// and then erase-and-redraw pairs: the erase count and the window are read and
// written under the display's lock, and each redraw is one write. (A missing
// lock shows here as a doubled first block or a torn sequence only by chance;
// TSan builds, -DS3M_SANITIZE=thread, catch it every time.)
TEST(ProgressDisplayTest, ConcurrentUpdatesRedrawWholeBlocks) {
  FakeClock clock;
  Output out;
  ProgressDisplay display(out.fd(), ProgressDisplay::Mode::kTerminal, clock);
  const engine::ProgressSnapshot s = GuideSnapshot();
  constexpr int kThreads = 4, kUpdates = 200;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kUpdates; ++i) {
        clock.Advance(1s);
        display.Update(s);
      }
    });
  }
  for (auto& t : threads) t.join();
  const std::string text = out.Read();
  const std::string erase = "\r\x1b[17A\x1b[J";
  const std::string block_start = kRule + "\nMIGRATION PROGRESS\n";
  // Every block is the guide block with its ETA and throughput lines; check
  // the structure: the first has no erase, every later one has exactly one.
  size_t blocks = 0, erases = 0;
  for (size_t at = text.find(block_start); at != std::string::npos; at = text.find(block_start, at + 1)) {
    ++blocks;
    if (at >= erase.size() && text.compare(at - erase.size(), erase.size(), erase) == 0) ++erases;
  }
  EXPECT_EQ(blocks, static_cast<size_t>(kThreads * kUpdates));
  EXPECT_EQ(erases, blocks - 1);
  EXPECT_EQ(text.compare(0, block_start.size(), block_start), 0);
  EXPECT_EQ(Lines(text), 17u * blocks);
}

}  // namespace
}  // namespace s3m::cli
