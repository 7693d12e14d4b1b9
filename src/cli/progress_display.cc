#include "cli/progress_display.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include <fmt/format.h>

#include "cli/format.h"
#include "core/bandwidth_schedule.h"
#include "cli/state_commands.h"

namespace s3m::cli {

namespace {

using store::FileState;

// The §6 labels are padded to 17 columns ("Elapsed Time:    2h 15m"); a
// longer label keeps one space.
std::string Field(std::string_view label, std::string_view value) {
  const size_t pad = label.size() < 17 ? 17 - label.size() : 1;
  return fmt::format("{}{:{}}{}\n", label, "", pad, value);
}

const engine::FilesBytes& InState(const engine::ProgressSnapshot& s, FileState state) {
  return s.by_state[static_cast<size_t>(state)];
}

// True when every object still to do waits for an archive restore that is
// not readable yet (objects in error are not "to do").
bool OnlyRestoresRemain(const engine::ProgressSnapshot& s) {
  const int64_t restoring = s.restores_waiting + s.restores_in_flight;
  const int64_t other = s.total.files - s.done.files - InState(s, FileState::kError).files - restoring;
  return restoring > 0 && other <= 0 && s.active_transfers == 0;
}

std::string ModeText(bool dry_run, bool keep_source) {
  if (dry_run && keep_source) return "DRY RUN, KEEP SOURCE (nothing is deleted from S3)";
  if (dry_run) return "DRY RUN (nothing is deleted from S3)";
  if (keep_source) return "KEEP SOURCE (objects stay in S3 after verification)";
  return "";
}

std::string RestoreCounts(const engine::ProgressSnapshot& s, std::string_view separator) {
  std::string out;
  auto add = [&](int64_t n, std::string_view what) {
    if (n == 0) return;
    if (!out.empty()) out += separator;
    out += FormatCount(n) + " " + std::string(what);
  };
  add(s.restores_in_flight, "in flight");
  add(s.restores_waiting, "waiting");
  add(s.restores_ready, "ready");
  return out;
}

std::string ThroughputText(std::optional<double> bytes_per_second) {
  return bytes_per_second ? FormatRate(*bytes_per_second) : "calculating...";
}

// A path for a shell command line: as is when it is plain, else in single
// quotes, a quote inside written as '"'"' so no backslash is needed (the
// terminal escaping of PrintableKey would double it).
std::string ShellWord(std::string_view word) {
  const bool plain = !word.empty() && std::all_of(word.begin(), word.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           std::string_view("_-./:@%+,").find(c) != std::string_view::npos;
  });
  if (plain) return std::string(word);
  std::string quoted = "'";
  for (char c : word) quoted += c == '\'' ? std::string("'\"'\"'") : std::string(1, c);
  return PrintableKey(quoted + "'");
}

// "  s3://bucket/key: reason" for each sampled object, then "... and N more".
std::string SampleLines(const std::vector<engine::LeftBehind>& sample, int64_t count) {
  std::string out;
  for (const auto& o : sample) {
    out += fmt::format("  {}: {}\n", ObjectUrl(o.bucket, o.key), PrintableKey(o.reason));
  }
  const int64_t more = count - static_cast<int64_t>(sample.size());
  if (more > 0) out += fmt::format("  ... and {} more\n", FormatCount(more));
  return out;
}

std::string Objects(int64_t n) { return fmt::format("{} object{}", FormatCount(n), n == 1 ? "" : "s"); }

std::string ObjectsAndBytes(const engine::FilesBytes& fb) {
  return Objects(fb.files) + ", " + FormatBytes(fb.bytes);
}

}  // namespace

void ThroughputWindow::Add(MonoTime at, int64_t bytes_received) {
  if (!samples_.empty() && (at < samples_.back().at || bytes_received < samples_.back().bytes)) {
    samples_.clear();
  }
  if (!samples_.empty() && at == samples_.back().at) {
    samples_.back().bytes = bytes_received;
  } else {
    samples_.push_back({at, bytes_received});
  }
  // Keep the newest sample at or before the window's start as the anchor.
  const MonoTime start = at - window_;
  while (samples_.size() >= 2 && samples_[1].at <= start) samples_.pop_front();
}

std::optional<double> ThroughputWindow::BytesPerSecond() const {
  if (samples_.size() < 2) return std::nullopt;
  const double seconds =
      std::chrono::duration<double>(samples_.back().at - samples_.front().at).count();
  return static_cast<double>(samples_.back().bytes - samples_.front().bytes) / seconds;
}

std::string FormatEta(const engine::ProgressSnapshot& s, std::optional<double> bytes_per_second) {
  if (OnlyRestoresRemain(s)) {
    if (!s.next_restore_check) return "waiting for restores";
    return fmt::format("waiting for restores (next check {})", FormatClockTime(*s.next_restore_check));
  }
  const int64_t remaining = s.total.bytes - s.done.bytes;
  if (remaining <= 0) return "0s";
  if (!bytes_per_second) return "calculating...";
  if (*bytes_per_second <= 0) return "stalled";
  // A trickle would give centuries, past what nanoseconds hold.
  const double seconds = static_cast<double>(remaining) / *bytes_per_second;
  if (seconds >= 1000.0 * 86400) return "> 999d";
  return FormatDuration(std::chrono::duration_cast<std::chrono::nanoseconds>(
      std::chrono::duration<double>(seconds)));
}

// The rate in force and the setting as typed: "2.00 MB/s (2M)"; with a
// timetable "off now (08:00,2M 19:00,off)".
static std::string BandwidthText(const engine::ProgressSnapshot& s) {
  return fmt::format("{}{} ({})", FormatBandwidth(s.bandwidth_limit), s.bandwidth_timetable ? " now" : "",
                     PrintableKey(s.bandwidth_schedule));
}

std::string RenderProgressBlock(const engine::ProgressSnapshot& s, const ThroughputWindow& window) {
  const std::optional<double> rate = window.BytesPerSecond();
  std::string out = kRule + "\nMIGRATION PROGRESS\n" + kRule + "\n";
  const std::string mode = ModeText(s.dry_run, s.keep_source);
  if (!mode.empty()) out += Field("Mode:", mode);
  out += Field("Elapsed Time:", FormatDuration(s.now - s.started_at));
  out += Field("ETA:", FormatEta(s, rate));
  out += "\n";
  out += Field("Files:", fmt::format("{} / {} ({})", FormatCount(s.done.files),
                                     FormatCount(s.total.files), FormatPercent(s.done.files, s.total.files)));
  out += Field("Data:", fmt::format("{} / {} ({})", FormatBytes(s.done.bytes), FormatBytes(s.total.bytes),
                                    FormatPercent(s.done.bytes, s.total.bytes)));
  out += Field("Throughput:", ThroughputText(rate));
  if (s.request_limit > 0) out += Field("Request limit:", fmt::format("{} requests/s", s.request_limit));
  if (!s.bandwidth_schedule.empty()) out += Field("Bandwidth limit:", BandwidthText(s));
  out += "\nStatus Breakdown:\n";
  for (FileState state : store::kAllFileStates) {
    const engine::FilesBytes& fb = InState(s, state);
    if (fb.files > 0) out += FormatTallyLine(StateLabel(state), fb.files, fb.bytes, 2, 37);
  }

  std::string extra;
  const std::string restores = RestoreCounts(s, ", ");
  if (!restores.empty()) extra += Field("Restores:", restores);
  if (s.next_restore_check) {
    extra += Field("Next restore check:",
                   fmt::format("{} (in {})", FormatClockTime(*s.next_restore_check),
                               FormatDuration(*s.next_restore_check - s.now)));
  }
  if (!s.paused_reason.empty()) extra += Field("Paused:", PrintableKey(s.paused_reason));
  if (s.errors_this_run > 0) extra += Field("Errors:", FormatCount(s.errors_this_run));
  if (!extra.empty()) out += "\n" + extra;
  out += kRule + "\n";
  return out;
}

std::string RenderProgressLine(const engine::ProgressSnapshot& s, const ThroughputWindow& window) {
  const std::optional<double> rate = window.BytesPerSecond();
  std::string out = fmt::format(
      "progress: {}/{} files ({}), {}/{}, {}, ETA {}, {} downloading", FormatCount(s.done.files),
      FormatCount(s.total.files), FormatPercent(s.done.files, s.total.files), FormatBytes(s.done.bytes),
      FormatBytes(s.total.bytes), ThroughputText(rate), FormatEta(s, rate), FormatCount(s.active_transfers));
  const std::string restores = RestoreCounts(s, "/");
  if (!restores.empty()) {
    out += ", restores " + restores;
    if (s.next_restore_check) out += fmt::format(" (next check {})", FormatClockTime(*s.next_restore_check));
  }
  if (!s.paused_reason.empty()) out += ", paused: " + PrintableKey(s.paused_reason);
  if (s.errors_this_run > 0) {
    out += fmt::format(", {} error{}", FormatCount(s.errors_this_run), s.errors_this_run == 1 ? "" : "s");
  }
  if (s.request_limit > 0) out += fmt::format(", limit {} requests/s", s.request_limit);
  if (!s.bandwidth_schedule.empty()) out += ", bwlimit " + FormatBandwidth(s.bandwidth_limit);
  if (s.dry_run) out += ", dry run";
  if (s.keep_source) out += ", keep source";
  return out;
}

std::string RenderFinalSummary(const engine::MigrationReport& r, std::string_view database) {
  std::string out = kRule + "\n";
  out += r.interrupted ? "MIGRATION INTERRUPTED\n" : r.dry_run ? "MIGRATION SUMMARY (DRY RUN)\n"
                                                               : "MIGRATION SUMMARY\n";
  out += kRule + "\n";
  out += Field("Duration:", FormatDuration(r.finished_at - r.started_at));
  out += Field("Downloaded:", fmt::format("{} ({} received from S3)", ObjectsAndBytes(r.downloaded),
                                          FormatBytes(r.bytes_received)));
  if (r.dry_run) {
    out += Field("Would delete:", ObjectsAndBytes(r.would_delete) + " (dry run: nothing was deleted)");
  } else {
    out += Field("Deleted:", ObjectsAndBytes(r.deleted));
  }
  if (r.restores_requested > 0) {
    out += Field("Restores:", FormatCount(r.restores_requested) + " requested");
  }
  if (!r.verified_by.empty()) {
    std::string methods;
    for (const auto& [method, count] : r.verified_by) {
      methods += fmt::format("{}{} {}", methods.empty() ? "" : ", ", PrintableKey(method), FormatCount(count));
    }
    out += Field("Verified by:", methods);
  }

  out += "\nFinal states:\n";
  for (FileState state : store::kAllFileStates) {
    const engine::FilesBytes& fb = r.final_states[static_cast<size_t>(state)];
    if (fb.files > 0) out += FormatTallyLine(StateLabel(state), fb.files, fb.bytes, 2, 37);
  }

  if (r.left_behind_count > 0) {
    out += '\n';
    out += Field("Left in S3:", Objects(r.left_behind_count));
    out += SampleLines(r.left_behind, r.left_behind_count);
  }
  if (r.error_count > 0) {
    out += '\n';
    out += Field("Errors:", Objects(r.error_count));
    out += SampleLines(r.errors, r.error_count);
    out += "  Retry them:  s3migrate retry\n";
    out += fmt::format(
        "  List them:   sqlite3 {} \"SELECT bucket, key, error_message FROM files WHERE state = 'error'\"\n",
        ShellWord(database));
  }
  if (r.waiting_for_space.files > 0) {
    out += '\n';
    out += Field("Waiting for disk space:", ObjectsAndBytes(r.waiting_for_space));
    out += SampleLines(r.waiting_for_space_sample, r.waiting_for_space.files);
    out += fmt::format("  The largest needs {}; {} free, {} kept free (min_free_space).\n",
                       FormatBytes(r.largest_waiting),
                       r.free_bytes < 0 ? std::string("unknown") : FormatBytes(r.free_bytes),
                       FormatBytes(r.reserve_bytes));
    out += "  They are still `discovered`: free space (or lower min_free_space), then run\n"
           "  `s3migrate migrate` again.\n";
  }
  if (r.interrupted) out += "\ninterrupted: run `s3migrate migrate` again to resume\n";
  out += kRule + "\n";
  return out;
}

ProgressDisplay::Mode ProgressDisplay::ChooseMode(bool no_progress, int fd) {
  if (no_progress) return Mode::kOff;
  return ::isatty(fd) == 1 ? Mode::kTerminal : Mode::kPlain;
}

ProgressDisplay::ProgressDisplay(int fd, Mode mode, Clock& clock, std::string database,
                                 Clock::Duration throughput_window)
    : fd_(fd), mode_(mode), clock_(clock), database_(std::move(database)), window_(throughput_window) {}

void ProgressDisplay::Update(const engine::ProgressSnapshot& snapshot) {
  std::lock_guard<std::mutex> lock(mu_);
  if (finished_ || mode_ == Mode::kOff) return;
  window_.Add(clock_.MonotonicNow(), snapshot.bytes_received);
  if (mode_ == Mode::kPlain) {
    WriteLocked(RenderProgressLine(snapshot, window_) + "\n");
    return;
  }
  // Back to the first line of the previous block (CUU, which every VT100
  // descendant knows), erase to the end of the screen, draw the new block.
  std::string out;
  if (lines_on_screen_ > 0) out = fmt::format("\r\x1b[{}A\x1b[J", lines_on_screen_);
  const std::string block = RenderProgressBlock(snapshot, window_);
  lines_on_screen_ = static_cast<int>(std::count(block.begin(), block.end(), '\n'));
  WriteLocked(out + block);
}

void ProgressDisplay::Finish(const engine::MigrationReport& report) {
  std::lock_guard<std::mutex> lock(mu_);
  if (finished_) return;
  finished_ = true;
  const bool drew = lines_on_screen_ > 0;
  WriteLocked(fmt::format("{}{}", drew ? "\n" : "", RenderFinalSummary(report, database_)));
}

void ProgressDisplay::WriteLocked(std::string_view text) {
  while (!text.empty()) {
    const ssize_t n = ::write(fd_, text.data(), text.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    text.remove_prefix(static_cast<size_t>(n));
  }
}

}  // namespace s3m::cli
