#include "cli/settings_reload.h"

#include <sys/stat.h>

#include <atomic>
#include <chrono>
#include <csignal>

#include "core/logging.h"

namespace s3m::cli {
namespace {

std::atomic<bool> g_hangup{false};
static_assert(std::atomic<bool>::is_always_lock_free, "set from a signal handler");

extern "C" void OnHangup(int) { g_hangup.store(true); }

bool SameTime(const struct timespec& a, const struct timespec& b) {
  return a.tv_sec == b.tv_sec && a.tv_nsec == b.tv_nsec;
}

}  // namespace

void SettingsReloader::InstallHangupHandler() {
  struct sigaction action {};
  action.sa_handler = OnHangup;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESTART;
  ::sigaction(SIGHUP, &action, nullptr);
}

SettingsReloader::SettingsReloader(GlobalFlags flags, BandwidthLimit& bandwidth)
    : flags_(std::move(flags)), config_path_(ConfigPathFor(flags_)), bandwidth_(bandwidth) {
  mtime_ = ConfigMtime();
  g_hangup.store(false);
  thread_ = std::thread([this] { Watch(); });
}

SettingsReloader::~SettingsReloader() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

struct timespec SettingsReloader::ConfigMtime() const {
  struct stat st {};
  if (config_path_.empty() || ::stat(config_path_.c_str(), &st) != 0) return {};
  return st.st_mtim;
}

void SettingsReloader::Watch() {
  std::unique_lock lock(mu_);
  while (!wake_.wait_for(lock, std::chrono::seconds(1), [this] { return stopping_; })) {
    if (g_hangup.exchange(false)) {
      mtime_ = ConfigMtime();
      Reload("SIGHUP");
    } else if (const struct timespec now = ConfigMtime(); !SameTime(now, mtime_)) {
      mtime_ = now;
      Reload("the config file changed");
    }
  }
}

void SettingsReloader::Reload(const char* why) {
  auto settings = ResolveSettings(flags_);
  const std::string before = bandwidth_.schedule().text();
  if (!settings.ok()) {
    S3M_LOG_WARN("settings not reloaded ({}): {}; bwlimit stays {}", why, settings.status().ToString(),
                 before.empty() ? "off" : before);
    return;
  }
  auto schedule = BandwidthSchedule::Parse(settings->bwlimit);  // validated: parses
  if (!schedule.ok() || schedule->text() == before) {
    S3M_LOG_INFO("settings reloaded ({}): bwlimit unchanged ({})", why, before.empty() ? "off" : before);
    return;
  }
  bandwidth_.SetSchedule(*schedule);
  S3M_LOG_WARN("settings reloaded ({}): bwlimit now {}, {} in force", why,
               schedule->text().empty() ? "off" : schedule->text(), FormatBandwidth(bandwidth_.rate()));
}

}  // namespace s3m::cli
