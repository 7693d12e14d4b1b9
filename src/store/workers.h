// The workers table (schema.cc): every migrate process that works on a state
// registers itself, renews its heartbeat, and says when it stops. Several
// workers share one PostgreSQL state (issue 20); on SQLite there is one at a
// time, recorded the same way so `status` shows it.
//
// Times are the database server's (PostgreSQL's clock_timestamp(), SQLite's
// 'now'), never the workers' own: hosts whose clocks disagree still agree
// on whose lease lapsed. A worker is alive while it has not stopped and its
// heartbeat is younger than its lease.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"
#include "store/sqlite.h"

namespace s3m::store {

struct WorkerRecord {
  int64_t id = 0;
  std::string host;
  int64_t pid = 0;
  std::string started_at;
  std::string heartbeat_at;
  int64_t lease_seconds = 0;
  bool idle = false;
  std::optional<std::string> stopped_at;
  int64_t objects = 0;  // deleted from S3 by it, as of its last heartbeat
  int64_t bytes = 0;    // received by it
  bool alive = false;   // not stopped, heartbeat within the lease (server time)
};

// This host's name (gethostname), "unknown" when it has none.
std::string ThisHostName();

// The server's current time as ISO 8601 UTC text, in SQL.
std::string ServerNowSql(const Database& db);
// SQL true for a live worker row aliased `alias`.
std::string LiveWorkerSql(const Database& db, const std::string& alias);
// SQL true when the row whose claim is in `column` (a files or buckets row)
// may be taken by worker `me`: unclaimed, its own, or held by a worker no
// longer alive.
std::string ClaimableBySql(const Database& db, const std::string& column, int64_t me);

// Registers this process; returns its id.
Result<int64_t> RegisterWorker(Database& db, const std::string& host, int64_t pid, int64_t lease_seconds);
// What a renewal found. Not renewed, the run must stop, not come back
// (other workers may have taken its objects): kLapsed when its lease lapsed
// first (a frozen process, a stalled database: it may rejoin as a new
// worker), kStopped when its row was marked stopped or removed (by a user in
// SQL, or a worker that took its place: it stops for good).
enum class Renewal { kRenewed, kLapsed, kStopped };
// Renews the heartbeat with the worker's figures.
Result<Renewal> RenewWorker(Database& db, int64_t id, bool idle, int64_t objects, int64_t bytes);
// Marks it stopped (a row stopped already keeps its time): its claims are free.
Status StopWorker(Database& db, int64_t id);
// Removes its row (a scan worker that ended normally; its claims go with it).
Status RemoveWorker(Database& db, int64_t id);
// How many workers are alive, the caller included.
Result<int64_t> CountLiveWorkers(Database& db);
// From now on, this connection counts its changes of `files` into the
// file_totals shard of worker `id` (schema.cc: workers never wait on each
// other's totals rows). PostgreSQL only: SQLite has one writer, shard 0.
inline constexpr int64_t kTotalsShards = 1024;
Status UseTotalsShard(Database& db, int64_t id);
// Marks every other running worker stopped: for a process that holds the
// state alone (SQLite's lock), they can only have been killed.
Status StopOtherWorkers(Database& db, int64_t except);
// Every worker, live ones first, then the most recently stopped; at most
// `limit`.
Result<std::vector<WorkerRecord>> ListWorkers(Database& db, int limit);

}  // namespace s3m::store
