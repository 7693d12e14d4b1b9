#include "store/writer_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <utility>

#include <fmt/format.h>

#include "core/clock.h"
#include "core/time_format.h"

namespace s3m::store {

namespace {

// Who holds the lock, as its holder wrote it:
//   pid=4242
//   command=scan
//   started=2026-11-24T06:06:43Z
std::string ReadHolder(int fd) {
  std::string text;
  char buf[512];
  ssize_t n;
  off_t offset = 0;
  while ((n = ::pread(fd, buf, sizeof buf, offset)) > 0 && text.size() < 4096) {
    text.append(buf, static_cast<size_t>(n));
    offset += n;
  }
  auto field = [&](const std::string& name) -> std::string {
    const std::string prefix = name + "=";
    size_t pos = 0;
    while (pos < text.size()) {
      size_t end = text.find('\n', pos);
      if (end == std::string::npos) end = text.size();
      if (text.compare(pos, prefix.size(), prefix) == 0) {
        return text.substr(pos + prefix.size(), end - pos - prefix.size());
      }
      pos = end + 1;
    }
    return {};
  };
  const std::string pid = field("pid");
  if (pid.empty()) return "another s3migrate process";
  std::string who = fmt::format("s3migrate pid {}", pid);
  const std::string command = field("command");
  const std::string started = field("started");
  if (!command.empty()) who += fmt::format(", `{}`", command);
  if (!started.empty()) who += fmt::format(", started {}", started);
  return who;
}

}  // namespace

std::string WriterLock::LockPathFor(const std::string& database_path) {
  return database_path + ".lock";
}

Result<WriterLock> WriterLock::Acquire(const std::string& database_path, const std::string& command) {
  const std::string path = LockPathFor(database_path);
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return Status::FromErrno(errno, "open the database lock file", path);
  WriterLock lock(fd, path);  // closes fd on every early return
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    const int err = errno;
    if (err != EWOULDBLOCK) return Status::FromErrno(err, "lock the state database", path);
    ErrorContext ctx;
    ctx.operation = "lock the state database";
    ctx.path = database_path;
    return Status::Error(
        ErrorKind::kConflict,
        fmt::format("the state database is in use by {}; only one command may change it at a "
                    "time. Wait for that one to finish (or stop it with Ctrl+C / kill -INT), "
                    "then run this again; `s3migrate status` works meanwhile",
                    ReadHolder(fd)),
        ctx);
  }
  // We hold the lock: record who we are for the next process's message.
  const std::string holder = fmt::format("pid={}\ncommand={}\nstarted={}\n", ::getpid(), command,
                                         FormatIso8601(Clock::Real().Now(), Iso8601Precision::kSeconds));
  if (::ftruncate(fd, 0) != 0 ||
      ::pwrite(fd, holder.data(), holder.size(), 0) != static_cast<ssize_t>(holder.size())) {
    // Only the message of a refused process would suffer; the lock holds.
  }
  return lock;
}

WriterLock::WriterLock(WriterLock&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)), path_(std::move(other.path_)) {}

WriterLock& WriterLock::operator=(WriterLock&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = std::exchange(other.fd_, -1);
    path_ = std::move(other.path_);
  }
  return *this;
}

WriterLock::~WriterLock() {
  // Closing the descriptor releases the flock.
  if (fd_ >= 0) ::close(fd_);
}

}  // namespace s3m::store
