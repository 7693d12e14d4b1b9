#include "engine/write_coalescer.h"

namespace s3m::engine {

Status WriteCoalescer::Add(const char* data, size_t n, const Write& write) {
  if (held_.size() + n > capacity_) S3M_RETURN_IF_ERROR(Drain(write));
  if (n >= capacity_) return write(data, n);
  if (held_.capacity() < capacity_) held_.reserve(capacity_);
  held_.insert(held_.end(), data, data + n);
  return Status::Ok();
}

Status WriteCoalescer::Drain(const Write& write) {
  if (held_.empty()) return Status::Ok();
  Status s = write(held_.data(), held_.size());
  held_.clear();
  return s;
}

}  // namespace s3m::engine
