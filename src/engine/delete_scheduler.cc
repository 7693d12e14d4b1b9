#include "engine/delete_scheduler.h"

#include <algorithm>
#include <iterator>

namespace s3m::engine {

void DeleteScheduler::Add(DeleteRequest request, Mono now) {
  if (pending_count_ == 0) oldest_ = now;
  const std::string bucket = request.bucket;
  pending_[bucket].push_back(std::move(request));
  ++pending_count_;
}

void DeleteScheduler::RetryAt(DeleteRequest request, Mono at) {
  retries_.emplace_back(at, std::move(request));
}

void DeleteScheduler::MoveDueRetries(Mono now) {
  for (auto it = retries_.begin(); it != retries_.end();) {
    if (it->first <= now) {
      Add(std::move(it->second), now);
      it = retries_.erase(it);
    } else {
      ++it;
    }
  }
}

std::vector<DeleteBatch> DeleteScheduler::TakeBatches(Mono now, bool no_more_coming) {
  MoveDueRetries(now);
  const bool waited = oldest_ && now - *oldest_ >= options_.max_wait;
  const bool flush_partial = no_more_coming || waited;
  std::vector<DeleteBatch> out;
  for (auto it = pending_.begin(); it != pending_.end() && in_flight_ < options_.max_batches_in_flight;) {
    std::vector<DeleteRequest>& queue = it->second;
    while (!queue.empty() && in_flight_ < options_.max_batches_in_flight &&
           (queue.size() >= options_.batch_size || flush_partial)) {
      const size_t n = std::min(options_.batch_size, queue.size());
      DeleteBatch batch{it->first, {}};
      batch.requests.assign(std::make_move_iterator(queue.begin()),
                            std::make_move_iterator(queue.begin() + static_cast<std::ptrdiff_t>(n)));
      queue.erase(queue.begin(), queue.begin() + static_cast<std::ptrdiff_t>(n));
      pending_count_ -= n;
      ++in_flight_;
      out.push_back(std::move(batch));
    }
    it = queue.empty() ? pending_.erase(it) : std::next(it);
  }
  // What stays waits from now on: a batch held back by the in-flight limit
  // must not count as having waited already.
  if (pending_count_ == 0) {
    oldest_.reset();
  } else if (!out.empty() || !oldest_) {
    oldest_ = now;
  }
  return out;
}

void DeleteScheduler::BatchDone() {
  if (in_flight_ > 0) --in_flight_;
}

bool DeleteScheduler::WantsMore() const {
  return pending_count_ < options_.max_batches_in_flight * options_.batch_size &&
         in_flight_ < options_.max_batches_in_flight;
}

std::optional<DeleteScheduler::Mono> DeleteScheduler::NextWake() const {
  // Nothing can leave before an answer frees a place, and an answer is an
  // event that wakes the run anyway: a timer here would only spin it.
  if (in_flight_ >= options_.max_batches_in_flight) return std::nullopt;
  std::optional<Mono> wake;
  if (oldest_) wake = *oldest_ + options_.max_wait;
  for (const auto& [at, request] : retries_) {
    if (!wake || at < *wake) wake = at;
  }
  return wake;
}

void DeleteScheduler::Clear() {
  pending_.clear();
  pending_count_ = 0;
  oldest_.reset();
  retries_.clear();
}

}  // namespace s3m::engine
