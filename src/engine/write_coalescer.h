// Gathers the pieces of a body into fewer, larger writes.
//
// libcurl hands a body over in pieces of at most 16 KiB (CURL_MAX_WRITE_SIZE).
// Written as they came, a 256 MiB object cost 16,384 pwrite calls, and with
// ranged workers writing one file each call was also a turn at the inode's
// lock. Held here and written in pieces of up to `capacity` bytes, it costs
// 256 (1 MiB each); a 16 KiB object is one write instead of two or three.
//
//   WriteCoalescer buffer(1 << 20);
//   sink = [&](data, n) { return buffer.Add(data, n, write); };  // per piece
//   ... the GET returns (either way) ...
//   Status s = buffer.Drain(write);  // before the caller trusts its position
//
// `write(data, n)` receives the bytes in order, each exactly once; bytes held
// here are not written yet, so whatever tracks the written position must Drain
// before it reads that position (a retry resumes from it).
#pragma once

#include <cstddef>
#include <functional>
#include <vector>

#include "core/status.h"

namespace s3m::engine {

class WriteCoalescer {
 public:
  using Write = std::function<Status(const char* data, size_t n)>;

  // `capacity` > 0: the largest write made from held bytes.
  explicit WriteCoalescer(size_t capacity) : capacity_(capacity) {}

  // Holds the piece, first writing what is held when the piece would not
  // fit. A piece of `capacity` bytes or more goes straight to `write`.
  [[nodiscard]] Status Add(const char* data, size_t n, const Write& write);
  // Writes what is held; empty afterwards even when the write failed (the
  // caller retries from its position, which the failed bytes never reached).
  [[nodiscard]] Status Drain(const Write& write);
  size_t held() const { return held_.size(); }

 private:
  const size_t capacity_;
  std::vector<char> held_;
};

}  // namespace s3m::engine
