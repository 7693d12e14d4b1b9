// Disk space policy (PRODUCT.md §5.6, issue 14), as pure functions.
//
// The destination keeps a reserve free: `min_free_space` when set, else the
// smaller of 1 GiB and 5% of the destination's size, so a small destination
// (a 200 MiB volume keeps 10 MiB) is still usable, a large one keeps 1 GiB.
//
// Before each download:
//   free unknown (statvfs failed)                  -> kGo
//   free below the reserve: nothing fits now       -> kPause (the run waits for
//                                                     downloads in flight, then
//                                                     stops with exit 3)
//   size <= free - reserve                         -> kGo
//   otherwise: this object does not fit            -> kSetAside (it stays
//                                                     `discovered`; smaller ones go
//                                                     on; the report lists it)
#pragma once

#include <cstdint>
#include <optional>

namespace s3m::engine {

inline constexpr uint64_t kMaxDefaultReserve = 1ull << 30;

uint64_t FreeSpaceReserve(std::optional<uint64_t> configured, uint64_t destination_size);

enum class SpaceCheck { kGo, kPause, kSetAside };

// `free_bytes` is UINT64_MAX when unknown.
SpaceCheck CheckSpace(uint64_t free_bytes, uint64_t reserve, uint64_t object_size);

}  // namespace s3m::engine
