#include "engine/disk_space.h"

#include <algorithm>

namespace s3m::engine {

uint64_t FreeSpaceReserve(std::optional<uint64_t> configured, uint64_t destination_size) {
  if (configured) return *configured;
  return std::min(kMaxDefaultReserve, destination_size / 20);
}

SpaceCheck CheckSpace(uint64_t free_bytes, uint64_t reserve, uint64_t object_size) {
  if (free_bytes == UINT64_MAX) return SpaceCheck::kGo;
  if (free_bytes < reserve) return SpaceCheck::kPause;
  return object_size <= free_bytes - reserve ? SpaceCheck::kGo : SpaceCheck::kSetAside;
}

}  // namespace s3m::engine
