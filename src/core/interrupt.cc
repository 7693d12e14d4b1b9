#include "core/interrupt.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <vector>

namespace s3m {

InterruptWatch& InterruptWatch::Instance() {
  // Never destroyed: the watcher thread may be blocked in read(2) at exit.
  static InterruptWatch* const instance = new InterruptWatch();
  return *instance;
}

InterruptWatch::InterruptWatch() {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return;  // no pipe: callers fall back to their own polling
  read_fd_ = fds[0];
  write_fd_ = fds[1];
  watcher_ = std::thread([this] { Watch(); });
  watcher_.detach();
}

void InterruptWatch::NotifyFromSignalHandler() {
  if (write_fd_ < 0) return;
  const int saved = errno;
  const char byte = 1;
  (void)!::write(write_fd_, &byte, 1);
  errno = saved;
}

InterruptWatch::Subscription InterruptWatch::Subscribe(std::function<void()> callback) {
  std::lock_guard lock(mu_);
  const int id = next_id_++;
  callbacks_[id] = std::move(callback);
  return Subscription(id);
}

void InterruptWatch::Unsubscribe(int id) {
  std::lock_guard lock(mu_);
  callbacks_.erase(id);
}

InterruptWatch::Subscription::~Subscription() {
  if (id_ != 0) InterruptWatch::Instance().Unsubscribe(id_);
}

void InterruptWatch::Watch() {
  char byte;
  for (;;) {
    const ssize_t n = ::read(read_fd_, &byte, 1);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    std::lock_guard lock(mu_);
    for (auto& [id, callback] : callbacks_) callback();
  }
}

}  // namespace s3m
