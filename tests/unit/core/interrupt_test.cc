#include "core/interrupt.h"

#include <signal.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include <gtest/gtest.h>

namespace s3m {
namespace {

using namespace std::chrono_literals;

std::atomic<bool> g_flag{false};
extern "C" void Handler(int) {
  g_flag = true;
  InterruptWatch::Instance().NotifyFromSignalHandler();
}

// A thread asleep on a condition variable learns of a signal at once, with
// no polling; callbacks stop when their subscription ends.
TEST(InterruptWatchTest, ASignalWakesASleeperThroughItsSubscription) {
  InterruptWatch::Instance();
  struct sigaction action {}, old {};
  action.sa_handler = Handler;
  ASSERT_EQ(::sigaction(SIGUSR1, &action, &old), 0);
  std::mutex mu;
  std::condition_variable cv;
  int calls = 0;
  {
    auto subscription = InterruptWatch::Instance().Subscribe([&] {
      std::lock_guard lock(mu);
      ++calls;
      cv.notify_all();
    });
    const auto start = std::chrono::steady_clock::now();
    std::thread raiser([] {
      std::this_thread::sleep_for(100ms);
      ::kill(::getpid(), SIGUSR1);
    });
    {
      std::unique_lock lock(mu);
      cv.wait_for(lock, 30s, [&] { return calls > 0; });
    }
    raiser.join();
    EXPECT_EQ(calls, 1);
    EXPECT_TRUE(g_flag.load());
    EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
  }
  // Unsubscribed: a later interrupt calls nothing.
  ::kill(::getpid(), SIGUSR1);
  std::this_thread::sleep_for(200ms);
  std::lock_guard lock(mu);
  EXPECT_EQ(calls, 1);
  ::sigaction(SIGUSR1, &old, nullptr);
}

}  // namespace
}  // namespace s3m
