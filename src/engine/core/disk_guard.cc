#include "engine/core/disk_guard.h"

#include <algorithm>
#include <cerrno>

#include <fmt/format.h>

#include "core/logging.h"

namespace s3m::engine {

namespace {
constexpr size_t kReportSample = 20;
}  // namespace

void DiskGuard::Preflight(int64_t bytes_needed) {
  auto space = fs_.GetDiskSpace(root_);
  if (!space.ok()) return;
  last_check_ = clock_.MonotonicNow();
  free_bytes_ = space->available_bytes;
  reserve_bytes_ = FreeSpaceReserve(min_free_, space->total_bytes);
  if (static_cast<uint64_t>(bytes_needed) + reserve_bytes_ > space->available_bytes) {
    S3M_LOG_WARN("the objects left to download need {} bytes and {} has {} bytes free (keeping "
                 "{} bytes free): objects that do not fit wait for space, smaller ones go on",
                 bytes_needed, root_, space->available_bytes, reserve_bytes_);
  }
}

SpaceCheck DiskGuard::Check(const store::WorkItem& item) {
  const Mono now = clock_.MonotonicNow();
  if (now - last_check_ >= kCheckInterval) {
    last_check_ = now;
    auto space = fs_.GetDiskSpace(root_);
    if (space.ok()) free_bytes_ = space->available_bytes;
  }
  const SpaceCheck check = CheckSpace(free_bytes_, reserve_bytes_, static_cast<uint64_t>(item.size));
  if (check == SpaceCheck::kPause) {
    if (paused_reason_.empty()) {
      paused_reason_ = fmt::format("free space on {} is {} bytes, below the {} bytes kept free",
                                   root_, free_bytes_, reserve_bytes_);
      S3M_LOG_WARN("downloads paused: {}", paused_reason_);
    }
    return check;
  }
  if (!paused_reason_.empty()) S3M_LOG_WARN("free space is back: downloads go on");
  paused_reason_.clear();
  // Count what this object will take until the next real reading.
  if (check == SpaceCheck::kGo && free_bytes_ != UINT64_MAX) {
    free_bytes_ -= std::min(free_bytes_, static_cast<uint64_t>(item.size));
  }
  return check;
}

SpaceCheck DiskGuard::Admit(const store::WorkItem& item) {
  const SpaceCheck space = Check(item);
  if (space == SpaceCheck::kSetAside) SetAside(item);
  return space;
}

int DiskGuard::OnDiskFull(const store::WorkItem& item) {
  last_check_ = {};
  SetAside(item);
  return ++full_in_a_row_;
}

void DiskGuard::SetAside(const store::WorkItem& item) {
  if (!set_aside_.insert(item.id).second) return;
  waiting_.files += 1;
  waiting_.bytes += item.size;
  largest_waiting_ = std::max(largest_waiting_, item.size);
  const std::string reason = fmt::format("needs {} bytes; {} has {} bytes free and keeps {} free",
                                         item.size, root_, free_bytes_, reserve_bytes_);
  if (waiting_sample_.size() < kReportSample) waiting_sample_.push_back({item.bucket, item.key, reason});
  S3M_LOG_WARN("s3://{}/{} does not fit on the disk ({}): it waits for space, smaller objects go on",
               item.bucket, item.key, reason);
}

Status DiskGuard::FullForGood() const {
  ErrorContext ctx;
  ctx.operation = "download";
  ctx.path = root_;
  ctx.sys_errno = ENOSPC;
  return Status::Error(ErrorKind::kFatal,
                       fmt::format("disk full: {}; free space (or lower min_free_space), then run "
                                   "migrate again",
                                   paused_reason_),
                       ctx);
}

void DiskGuard::FillReport(MigrationReport& r) const {
  r.waiting_for_space = waiting_;
  r.waiting_for_space_sample = waiting_sample_;
  r.largest_waiting = largest_waiting_;
  r.free_bytes = free_bytes_ == UINT64_MAX ? -1 : static_cast<int64_t>(free_bytes_);
  r.reserve_bytes = static_cast<int64_t>(reserve_bytes_);
}

}  // namespace s3m::engine
