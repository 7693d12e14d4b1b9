// Settings that may change while migrate runs, re-read without a restart
// (issue 21): on SIGHUP, and when the config file's modification time
// changes (looked at every second). Today that is bwlimit: the new rate or
// timetable takes effect at the next received block. The flags given on the
// command line still win over the file, as at start. A file that no longer
// parses is reported and the settings in force are kept.
#pragma once

#include <sys/types.h>

#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

#include "cli/context.h"
#include "core/bandwidth_limit.h"

namespace s3m::cli {

class SettingsReloader {
 public:
  SettingsReloader(GlobalFlags flags, BandwidthLimit& bandwidth);
  ~SettingsReloader();  // stops watching
  SettingsReloader(const SettingsReloader&) = delete;
  SettingsReloader& operator=(const SettingsReloader&) = delete;

  // Installs the SIGHUP handler (once per process); async-signal-safe flag.
  static void InstallHangupHandler();

 private:
  void Watch();
  void Reload(const char* why);
  struct timespec ConfigMtime() const;

  const GlobalFlags flags_;
  const std::string config_path_;
  BandwidthLimit& bandwidth_;
  struct timespec mtime_ {};
  std::mutex mu_;
  std::condition_variable wake_;
  bool stopping_ = false;  // guarded by mu_
  std::thread thread_;
};

}  // namespace s3m::cli
