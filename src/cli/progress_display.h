// The migrate command's progress display (PRODUCT.md §6): the engine's
// ProgressSnapshot rendered as the 70-column block the earlier tool printed,
// redrawn in place on a terminal, as one plain line per update otherwise, and
// the run's MigrationReport as a final summary.
//
// The Render* functions are pure (a snapshot and a throughput window in, text
// out) so tests compare whole strings; ProgressDisplay adds the clock, the
// window's state and the terminal handling.
#pragma once

#include <chrono>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "core/clock.h"
#include "engine/progress.h"

namespace s3m::cli {

// Download rate over a moving window of (monotonic time, bytes received)
// samples. The rate spans from the newest sample at or before the window's
// start to the newest sample, so it stays defined when samples come less often
// than the window is long. A sample older than the previous one (a clock that
// went back) or with fewer bytes (a counter that restarted) starts the window
// afresh rather than producing a negative or inflated rate. Holds one sample
// per Add inside the window (16 at the default 2 s progress interval). Not
// thread-safe: ProgressDisplay guards it.
class ThroughputWindow {
 public:
  using MonoTime = Clock::MonoTime;
  static constexpr std::chrono::seconds kDefaultWindow{30};

  explicit ThroughputWindow(Clock::Duration window = kDefaultWindow) : window_(window) {}

  void Add(MonoTime at, int64_t bytes_received);
  // Bytes per second, 0 when nothing arrived in the window; nullopt until two
  // samples at different times exist.
  std::optional<double> BytesPerSecond() const;

 private:
  struct Sample {
    MonoTime at;
    int64_t bytes;
  };
  Clock::Duration window_;
  std::deque<Sample> samples_;
};

// "45m 30s": the bytes still to migrate (total.bytes - done.bytes) at the
// window's rate. Deliberately simple: the remainder also counts archived
// bytes still waiting for a restore, objects in error and objects already
// downloaded but not yet deleted, so on such runs it overestimates.
//   "calculating..."  no rate yet (fewer than two samples)
//   "stalled"         nothing received in the window while bytes remain
//   "> 999d"          a trickle that would take longer
//   "waiting for restores (next check 10:42:00)"
//                     every object left is an archive restore not yet readable
//   "0s"              nothing left
std::string FormatEta(const engine::ProgressSnapshot& s, std::optional<double> bytes_per_second);

// PRODUCT.md §6's block, every line ending in '\n':
//   ======================================================================
//   MIGRATION PROGRESS
//   ======================================================================
//   Elapsed Time:    2h 15m
//   ETA:             45m 30s
//
//   Files:           1,234 / 5,678 (21.7%)
//   Data:            156.78 GB / 723.45 GB (21.7%)
//   Throughput:      19.45 MB/s
//
//   Status Breakdown:
//     Discovered                    3,210 files    421.34 GB
//     ...                           (one line per state that has files)
//   ======================================================================
// with, when they apply, a "Mode:" line (DRY RUN / KEEP SOURCE) under the
// title, and after the breakdown a blank line and lines for restores, the
// next restore check, why downloads are paused, and the errors of this run.
std::string RenderProgressBlock(const engine::ProgressSnapshot& s, const ThroughputWindow& window);

// The same figures as one line, for logs and pipes:
//   progress: 1,234/5,678 files (21.7%), 156.78 GB/723.45 GB, 19.45 MB/s,
//   ETA 45m 30s, 3 downloading, restores 12 in flight (next check 10:42:00)
// (one line, no '\n'), with "paused: ...", "N errors", "dry run" and
// "keep source" appended when they apply.
std::string RenderProgressLine(const engine::ProgressSnapshot& s, const ThroughputWindow& window);

// The run's summary: what was downloaded and deleted (or would be, on a dry
// run), how objects were verified, the states left in the database, the
// objects left in S3 and the errors (a sample each, keys escaped), and how to
// resume or retry. `database` names the state database in the sqlite3 hint.
std::string RenderFinalSummary(const engine::MigrationReport& r,
                               std::string_view database = "s3_migration_state.db");

// Draws the progress of a running migration on one output.
//
// Thread-safe: the engine calls Update from its progress thread while the
// command thread may call Finish. Each redraw is one write(2) call, so a block
// is never interleaved with itself. Other output to the same terminal between
// two redraws is overwritten by the next one (log to another fd, or a file,
// while the block is shown); a terminal narrower than 70 columns or shorter
// than the block leaves stale lines behind, since lines are counted, not rows.
class ProgressDisplay {
 public:
  enum class Mode {
    kTerminal,  // the block, redrawn in place with ANSI cursor movement
    kPlain,     // one RenderProgressLine per update
    kOff,       // --no-progress: nothing but the final summary
  };

  // kOff when `no_progress`, kTerminal when `fd` is a terminal, else kPlain.
  static Mode ChooseMode(bool no_progress, int fd);

  // `fd` stays owned by the caller and must outlive this object; `clock`
  // times the throughput window.
  ProgressDisplay(int fd, Mode mode, Clock& clock,
                  std::string database = "s3_migration_state.db",
                  Clock::Duration throughput_window = ThroughputWindow::kDefaultWindow);

  ProgressDisplay(const ProgressDisplay&) = delete;
  ProgressDisplay& operator=(const ProgressDisplay&) = delete;

  // Records the snapshot's bytes in the throughput window and draws it.
  // Ignored after Finish.
  void Update(const engine::ProgressSnapshot& snapshot);
  // Prints the final summary (below the last block on a terminal, which
  // stays on screen). Later Update and Finish calls do nothing.
  void Finish(const engine::MigrationReport& report);

 private:
  // Writes all of `text`, retrying on EINTR and short writes; output errors
  // are ignored (a closed terminal must not stop the migration).
  void WriteLocked(std::string_view text);

  const int fd_;
  const Mode mode_;
  Clock& clock_;
  const std::string database_;

  std::mutex mu_;
  // Guarded by mu_:
  ThroughputWindow window_;
  int lines_on_screen_ = 0;  // lines of the last block drawn in kTerminal mode
  bool finished_ = false;
};

}  // namespace s3m::cli
