// s3emu: an S3 emulator for tests, the demo and benchmarks. Every flag is
// documented in tools/s3emu/README.md and by `s3emu --help`.
//
// Prints one machine-readable line on stdout once it accepts connections:
//   s3emu listening on 127.0.0.1:PORT
// and serves until SIGINT or SIGTERM.
#include <signal.h>
#include <stdlib.h>

#include <cstdio>
#include <filesystem>
#include <iostream>
#include <thread>

#include <CLI/CLI.hpp>

#include "core/logging.h"
#include "s3emu/server.h"

namespace {

// Blocks SIGINT/SIGTERM in every thread (the pool inherits the mask) and
// stops the server from a thread that waits for them.
class SignalWatcher {
 public:
  SignalWatcher() {
    sigemptyset(&set_);
    sigaddset(&set_, SIGINT);
    sigaddset(&set_, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set_, nullptr);
    signal(SIGPIPE, SIG_IGN);
  }
  void Start(s3emu::Emulator* emulator) {
    thread_ = std::thread([this, emulator] {
      int sig = 0;
      sigwait(&set_, &sig);
      if (sig != 0) emulator->Stop();
    });
  }
  ~SignalWatcher() {
    if (thread_.joinable()) {
      pthread_kill(thread_.native_handle(), SIGTERM);
      thread_.join();
    }
  }

 private:
  sigset_t set_;
  std::thread thread_;
};

}  // namespace

int main(int argc, char** argv) {
  SignalWatcher signals;

  CLI::App app{"s3emu: an S3 emulator with Glacier restores, versioning, checksums and fault injection"};
  s3emu::ServerOptions options;
  std::string data_dir;
  std::vector<std::string> access_keys, secret_keys, faults, synthetics, suffixes;
  std::string restore_delay, log_level = "warn", default_checksum = "none";
  bool no_fsync = false;
  uint64_t fault_seed = 1;
  app.add_option("--host", options.host, "address to listen on")->capture_default_str();
  app.add_option("--port", options.port, "port; 0 picks a free one (printed on stdout)")->capture_default_str();
  app.add_option("--data-dir", data_dir,
                 "directory for metadata and bodies, kept across restarts (default: a new temporary "
                 "directory, removed at exit)");
  app.add_option("--access-key", access_keys, "access key id (repeat with --secret-key for several pairs)");
  app.add_option("--secret-key", secret_keys, "secret access key, paired with --access-key by position");
  app.add_option("--region", options.region, "region of the server and of new buckets")->capture_default_str();
  app.add_option("--restore-delay", restore_delay,
                 "seconds a restore takes per tier, e.g. Expedited=1,Standard=3,Bulk=6 "
                 "(DEEP_ARCHIVE:Standard=10 for one storage class)");
  app.add_option("--seconds-per-day", options.timing.seconds_per_day,
                 "length of a restore 'day' in seconds (a restored copy lives Days x this)")
      ->capture_default_str();
  app.add_flag("--expedited-unavailable", options.timing.expedited_unavailable,
               "answer Expedited restores with 503 GlacierExpeditedRetrievalNotAvailable");
  app.add_option("--min-part-size", options.min_part_size, "smallest part but the last of a multipart upload")
      ->capture_default_str();
  app.add_option("--default-checksum", default_checksum,
                 "checksum added to uploads that carry none: none or CRC64NVME (AWS since Dec 2024)")
      ->capture_default_str();
  app.add_option("--fault", faults, "fault rule, e.g. kind=reset,op=GetObject,rate=0.1 (repeatable)");
  app.add_option("--fault-seed", fault_seed, "seed of the fault rate generator")->capture_default_str();
  app.add_option("--synthetic", synthetics,
                 "synthetic objects at start, e.g. bucket=bench,count=1000000,size=16384 (repeatable)");
  app.add_option("--threads", options.threads, "worker threads (one per open connection)")->capture_default_str();
  app.add_flag("--no-fsync", no_fsync, "do not fsync bodies (faster, not crash-safe)");
  app.add_option("--virtual-host-suffix", suffixes,
                 "host suffix for virtual-hosted requests (bucket.SUFFIX); default localhost");
  app.add_flag("--access-log", options.access_log, "one line per request on stderr");
  app.add_option("--log-level", log_level, "debug, info, warn, error or off")->capture_default_str();
  CLI11_PARSE(app, argc, argv);

  s3m::LogLevel level;
  if (!s3m::ParseLogLevel(log_level, &level)) {
    std::cerr << "s3emu: unknown --log-level " << log_level << "\n";
    return 2;
  }
  s3m::SetLogLevel(level);
  if (access_keys.empty() && secret_keys.empty()) {
    access_keys = {"s3emu"};
    secret_keys = {"s3emu-secret"};
  }
  if (access_keys.size() != secret_keys.size()) {
    std::cerr << "s3emu: give as many --secret-key as --access-key (they pair up by position)\n";
    return 2;
  }
  for (size_t i = 0; i < access_keys.size(); ++i) options.credentials[access_keys[i]] = secret_keys[i];
  if (!restore_delay.empty()) {
    std::string error;
    if (!s3emu::ParseRestoreDelays(restore_delay, &options.timing, &error)) {
      std::cerr << "s3emu: --restore-delay: " << error << "\n";
      return 2;
    }
  }
  if (options.timing.seconds_per_day <= 0) {
    std::cerr << "s3emu: --seconds-per-day must be positive\n";
    return 2;
  }
  if (default_checksum == "CRC64NVME") {
    options.default_checksum = default_checksum;
  } else if (default_checksum != "none") {
    std::cerr << "s3emu: --default-checksum must be none or CRC64NVME\n";
    return 2;
  }
  if (!suffixes.empty()) options.virtual_host_suffixes = suffixes;

  s3emu::FaultInjector injector(fault_seed);
  for (const auto& spec : faults) {
    auto rule = s3emu::ParseFaultRuleFlag(spec);
    if (!rule.ok()) {
      std::cerr << "s3emu: --fault " << spec << ": " << rule.error().message << "\n";
      return 2;
    }
    injector.AddRule(std::move(rule).value());
  }

  bool temporary = false;
  if (data_dir.empty()) {
    const char* tmp = std::getenv("TMPDIR");
    std::string pattern = std::string(tmp && *tmp ? tmp : "/tmp") + "/s3emu-XXXXXX";
    if (mkdtemp(pattern.data()) == nullptr) {
      std::perror("s3emu: mkdtemp");
      return 3;
    }
    data_dir = pattern;
    temporary = true;
  }
  int exit_code = 0;
  {
    auto store = s3emu::Store::Open({data_dir, !no_fsync});
    if (!store.ok()) {
      std::cerr << "s3emu: " << store.status().ToString() << "\n";
      return 3;
    }
    for (const auto& spec_text : synthetics) {
      auto spec = s3emu::ParseSyntheticFlag(spec_text);
      if (!spec.ok()) {
        std::cerr << "s3emu: --synthetic " << spec_text << ": " << spec.error().message << "\n";
        return 2;
      }
      auto created = store.value()->AddSynthetic(spec.value());
      if (!created.ok()) {
        std::cerr << "s3emu: --synthetic " << spec_text << ": " << created.error().message << "\n";
        return 3;
      }
    }
    s3emu::Emulator emulator(options, *store.value(), injector);
    const int port = emulator.Bind();
    if (port <= 0) {
      std::cerr << "s3emu: cannot listen on " << options.host << ":" << options.port << "\n";
      return 3;
    }
    signals.Start(&emulator);
    std::printf("s3emu listening on %s:%d\n", options.host.c_str(), port);
    std::fflush(stdout);
    std::fprintf(stderr, "s3emu: data in %s%s, region %s\n", data_dir.c_str(), temporary ? " (temporary)" : "",
                 options.region.c_str());
    if (!emulator.Run() && !emulator.stopping()) exit_code = 3;
  }
  if (temporary) {
    std::error_code ec;
    std::filesystem::remove_all(data_dir, ec);
  }
  return exit_code;
}
