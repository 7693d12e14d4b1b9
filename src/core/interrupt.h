// Ctrl+C (SIGINT/SIGTERM) for code that sleeps: a thread waiting on a
// condition variable learns of the interrupt at once, without waking up
// every second to poll a flag.
//
//   signal handler:  InterruptWatch::Instance().NotifyFromSignalHandler();
//   a command:       auto sub = InterruptWatch::Instance().Subscribe([&] { engine.Wake(); });
//
// The handler only write(2)s a byte to a pipe (async-signal-safe); a watcher
// thread, blocked in read(2) until then, runs the subscribed callbacks.
#pragma once

#include <functional>
#include <map>
#include <mutex>
#include <thread>

namespace s3m {

class InterruptWatch {
 public:
  // Unsubscribes on destruction.
  class Subscription {
   public:
    Subscription(Subscription&& other) noexcept : id_(other.id_) { other.id_ = 0; }
    Subscription& operator=(Subscription&&) = delete;
    ~Subscription();

   private:
    friend class InterruptWatch;
    explicit Subscription(int id) : id_(id) {}
    int id_;
  };

  static InterruptWatch& Instance();

  // Async-signal-safe.
  void NotifyFromSignalHandler();
  // `callback` runs on the watcher thread at every interrupt while the
  // subscription lives. It must not block.
  [[nodiscard]] Subscription Subscribe(std::function<void()> callback);

 private:
  InterruptWatch();
  ~InterruptWatch() = delete;  // lives until the process exits
  void Watch();
  void Unsubscribe(int id);

  int read_fd_ = -1;
  int write_fd_ = -1;
  std::mutex mu_;
  std::map<int, std::function<void()>> callbacks_;  // guarded by mu_
  int next_id_ = 1;                                 // guarded by mu_
  std::thread watcher_;
};

}  // namespace s3m
