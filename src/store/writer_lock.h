// One writer per state database, across processes.
//
// Every command that changes the database (scan, rescan, reset, retry, and the
// migration engine) holds a WriterLock for as long as it runs: an exclusive
// flock(2) on "<database>.lock" beside the database. A second writer is
// refused at once with a message naming the holder (pid, command, start
// time), never left to interleave batches with the first. Readers (`status`)
// take no lock: SQLite's WAL lets them read while the writer commits.
//
// Why a lock file and not only SQLite's own locking: SQLite serializes
// transactions, not runs. Two `migrate` processes would each commit valid
// transactions while deciding from stale reads (both downloading the same
// object, one deleting what the other just reset). The lock makes the whole
// run exclusive. The kernel drops an flock when its holder dies, even by
// kill -9, so a stale lock file never blocks the next run; the file itself is
// never deleted (deleting it would let two processes lock two different files).
//
// Caveat: flock is advisory and may not work across hosts on network file
// systems; keep the database on a local disk.
#pragma once

#include <string>

#include "core/status.h"

namespace s3m::store {

class WriterLock {
 public:
  // Takes the lock for `database_path` or fails at once (kConflict) naming
  // the process that holds it. `command` ("scan", "migrate") is recorded in
  // the lock file for that message.
  static Result<WriterLock> Acquire(const std::string& database_path, const std::string& command);

  // "<database>.lock"
  static std::string LockPathFor(const std::string& database_path);

  WriterLock(WriterLock&& other) noexcept;
  WriterLock& operator=(WriterLock&& other) noexcept;
  WriterLock(const WriterLock&) = delete;
  WriterLock& operator=(const WriterLock&) = delete;
  ~WriterLock();  // releases the lock

  const std::string& path() const { return path_; }

 private:
  WriterLock(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
  int fd_ = -1;
  std::string path_;
};

}  // namespace s3m::store
