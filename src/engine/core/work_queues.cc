#include "engine/core/work_queues.h"

#include <algorithm>

namespace s3m::engine {

std::optional<store::WorkItem> WorkQueues::EndDownload(int64_t id) {
  auto it = downloading_.find(id);
  if (it == downloading_.end()) return std::nullopt;
  store::WorkItem item = std::move(it->second);
  downloading_.erase(it);
  publishing_.erase(id);
  return item;
}

void WorkQueues::Push(store::WorkItem item, Lane lane, bool front) {
  busy_.insert(item.id);
  auto& q = queue(lane);
  if (front) {
    q.push_front(std::move(item));
  } else {
    q.push_back(std::move(item));
  }
}

store::WorkItem WorkQueues::PopReady(Lane lane) {
  auto& q = queue(lane);
  store::WorkItem item = std::move(q.front());
  q.pop_front();
  busy_.erase(item.id);
  return item;
}

void WorkQueues::RetryAt(store::WorkItem item, Lane lane, Mono at) {
  retries_.push_back(Retry{at, std::move(item), lane});
}

void WorkQueues::ReleaseDue(Mono now) {
  for (auto it = retries_.begin(); it != retries_.end();) {
    if (it->at <= now) {
      Push(std::move(it->item), it->lane);
      it = retries_.erase(it);
    } else {
      ++it;
    }
  }
}

std::optional<WorkQueues::Mono> WorkQueues::NextRetry() const {
  std::optional<Mono> next;
  for (const Retry& r : retries_) next = next ? std::min(*next, r.at) : r.at;
  return next;
}

}  // namespace s3m::engine
