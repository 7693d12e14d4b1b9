// What a scan's listers and its writer pass each other (scanner.cc).
//
//   listers (threads, one listing job each)        writer (the thread calling Scanner::Run)
//     ── kCall: "claim this bucket", "split" ──▶     runs it on the state, answers
//     ── kPage: rows + the position after them ─▶     one transaction per page
//     ── kEnd: how the job ended ──────────────▶     the bucket's outcome
//
// The queue is a bounded FIFO (memory stays independent of object count),
// handled strictly in order, so a job's end always follows its last page.
// The state store is used only by the writer; listers reach it through
// kCall (CallWriter), which waits for the writer's answer.
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <future>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <utility>

#include "core/status.h"
#include "scan/scanner.h"
#include "store/state_store.h"

namespace s3m::scan {

struct Message {
  enum class Kind { kCall, kPage, kEnd } kind = Kind::kPage;
  std::string bucket;
  // kCall: run on the writer (true), or abandoned because the writer
  // stopped (false). A non-OK return stops the run (the database failed).
  std::function<Status(bool run)> call;
  // kPage
  store::ListingPage page;
  // kEnd
  BucketOutcome outcome = BucketOutcome::kComplete;
  Status error;
  bool listed = false;  // the job listed a range (not only found the bucket held elsewhere)
};

class MessageQueue {
 public:
  MessageQueue(size_t capacity, int producers) : capacity_(capacity), producers_(producers) {}

  // False when the writer stopped and nobody will read the message.
  bool Push(Message message);
  // The next message; nullopt once every producer finished and all is read.
  std::optional<Message> Pop();
  // The next message if it is a page of `bucket` already waiting; nullopt
  // otherwise (never blocks).
  std::optional<Message> TryPopPage(const std::string& bucket);
  void ProducerDone();
  // The writer gives up: producers' pushes fail from now on.
  void Close();

 private:
  const size_t capacity_;
  std::mutex mu_;
  // Guarded by mu_:
  std::deque<Message> queue_;
  int producers_;
  bool closed_ = false;
  std::condition_variable not_full_;
  std::condition_variable not_empty_;
};

// Runs `fn` on the writer and returns its result. An error result stops
// the run (fn returns errors only for a failed database); kCancelled when
// the writer stopped first.
template <typename T>
Result<T> CallWriter(MessageQueue& queue, const std::string& bucket, const std::function<Result<T>()>& fn) {
  std::promise<Result<T>> reply;
  auto answer = reply.get_future();
  Message m;
  m.kind = Message::Kind::kCall;
  m.bucket = bucket;
  m.call = [&](bool run) -> Status {
    if (!run) {
      reply.set_value(Status::Error(ErrorKind::kCancelled, "the scan stopped"));
      return Status::Ok();
    }
    Result<T> result = fn();
    Status status = result.ok() ? Status::Ok() : result.status();
    reply.set_value(std::move(result));
    return status;
  };
  if (!queue.Push(std::move(m))) return Status::Error(ErrorKind::kCancelled, "the scan stopped");
  return answer.get();
}

// One lister's unit of work.
struct ListingJob {
  enum class Kind {
    kBucket,       // start (or resume) the bucket's listing
    kClaimRanges,  // take the unfinished ranges of a split listing no live worker holds
    kRange,        // list this range (already held)
  } kind = Kind::kBucket;
  std::string bucket;
  store::ListingRange range;  // kRange
};

// The jobs waiting for a lister, which listers are busy, and the ranges
// whose end the writer saw a page reach (their listers stop).
class JobBoard {
 public:
  void Add(ListingJob job);
  // A waiting job, counted busy until Finished; nullopt when none.
  std::optional<ListingJob> Take();
  // Counts the caller busy (it looks for a range to split) until Finished.
  void Busy();
  void Finished();
  // Waits up to `timeout` for a job, a listing started (Changed) or the
  // last busy lister to finish; false when nothing is waiting and no lister
  // is busy (no job can come).
  // `since`: Changes() before the caller last looked for work.
  bool WaitForWork(int64_t since, std::chrono::milliseconds timeout);
  // A listing started: listers waiting may find it to split.
  void Changed();
  int64_t Changes();

  // The last key a lister of this process listed in a range (its pages may
  // wait in the queue, not yet committed): a split must lie above it.
  void Listed(const std::string& bucket, const std::string& range_start, const std::string& key);
  std::string ListedPosition(const std::string& bucket, const std::string& range_start);

  void MarkDone(const std::string& bucket, const std::string& range_start);
  bool Done(const std::string& bucket, const std::string& range_start);
  // Whether to probe this range (bucket, start, end) for a split: at most
  // kSplitTries times (a split is refused when the range's lister passed
  // the key meanwhile), never again after GiveUp (no key to split at).
  // One lister probes a range at a time (TryDone ends it): the others
  // split other ranges, or wait for the pieces this one makes.
  static constexpr int kSplitTries = 3;
  bool ShouldTry(const store::ListingRange& range);
  void TryDone(const store::ListingRange& range);
  void GiveUp(const store::ListingRange& range);

 private:
  std::mutex mu_;
  std::condition_variable changed_;
  // Guarded by mu_:
  std::deque<ListingJob> jobs_;
  int busy_ = 0;
  int64_t changes_ = 0;
  std::set<std::pair<std::string, std::string>> done_;
  std::map<std::pair<std::string, std::string>, std::string> listed_;
  std::map<std::tuple<std::string, std::string, std::string>, int> tries_;
  std::set<std::pair<std::string, std::string>> probing_;  // (bucket, start)
};

}  // namespace s3m::scan
