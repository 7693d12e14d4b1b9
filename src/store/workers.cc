#include "store/workers.h"

#include <unistd.h>

#include <fmt/format.h>

namespace s3m::store {

std::string ThisHostName() {
  char host[256] = {};
  if (::gethostname(host, sizeof host - 1) != 0 || host[0] == '\0') return "unknown";
  return host;
}

std::string ServerNowSql(const Database& db) {
  // Sample: 2026-12-05T14:20:01Z (the TIME ZONE of a PostgreSQL session is UTC).
  return db.postgres() ? "to_char(clock_timestamp(), 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"
                       : "strftime('%Y-%m-%dT%H:%M:%SZ', 'now')";
}

std::string LiveWorkerSql(const Database& db, const std::string& alias) {
  const std::string cutoff =
      db.postgres()
          ? fmt::format("to_char(clock_timestamp() - {}.lease_seconds * interval '1 second', "
                        "'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')",
                        alias)
          : fmt::format("strftime('%Y-%m-%dT%H:%M:%SZ', 'now', '-' || {}.lease_seconds || ' seconds')", alias);
  return fmt::format("({0}.stopped_at IS NULL AND {0}.heartbeat_at >= {1})", alias, cutoff);
}

std::string ClaimableBySql(const Database& db, const std::string& column, int64_t me) {
  return fmt::format("({0} IS NULL OR {0} = {1} OR NOT EXISTS (SELECT 1 FROM workers w_ WHERE w_.id = {0} AND {2}))",
                     column, me, LiveWorkerSql(db, "w_"));
}

Result<int64_t> RegisterWorker(Database& db, const std::string& host, int64_t pid, int64_t lease_seconds) {
  S3M_ASSIGN_OR_RETURN(Statement s, db.Prepare(fmt::format(
                                        "INSERT INTO workers (host, pid, started_at, heartbeat_at, lease_seconds) "
                                        "VALUES (?1, ?2, {0}, {0}, ?3) RETURNING id",
                                        ServerNowSql(db))));
  s.Bind(1, host).Bind(2, pid).Bind(3, lease_seconds);
  S3M_ASSIGN_OR_RETURN(bool row, s.Step());
  if (!row) return Status::Error(ErrorKind::kFatal, "registering this worker returned no id");
  const int64_t id = s.ColumnInt(0);
  s.Reset();
  return id;
}

Result<Renewal> RenewWorker(Database& db, int64_t id, bool idle, int64_t objects, int64_t bytes) {
  S3M_ASSIGN_OR_RETURN(Statement s, db.Prepare(fmt::format(
                                        "UPDATE workers SET heartbeat_at = {}, idle = ?2, objects = ?3, bytes = ?4 "
                                        "WHERE id = ?1 AND {}",
                                        ServerNowSql(db), LiveWorkerSql(db, "workers"))));
  S3M_RETURN_IF_ERROR(s.Bind(1, id).Bind(2, static_cast<int64_t>(idle)).Bind(3, objects).Bind(4, bytes).Run());
  if (db.Changes() == 1) return Renewal::kRenewed;
  S3M_ASSIGN_OR_RETURN(Statement row, db.Prepare("SELECT COUNT(*) FROM workers WHERE id = ?1 AND stopped_at IS NULL"));
  S3M_ASSIGN_OR_RETURN(bool found, row.Bind(1, id).Step());
  return found && row.ColumnInt(0) == 1 ? Renewal::kLapsed : Renewal::kStopped;
}

Status StopWorker(Database& db, int64_t id) {
  S3M_ASSIGN_OR_RETURN(Statement s, db.Prepare(fmt::format(
                                        "UPDATE workers SET stopped_at = {0}, heartbeat_at = {0} WHERE id = ?1 AND stopped_at IS NULL",
                                        ServerNowSql(db))));
  return s.Bind(1, id).Run();
}

Status RemoveWorker(Database& db, int64_t id) {
  S3M_ASSIGN_OR_RETURN(Statement s, db.Prepare("DELETE FROM workers WHERE id = ?1"));
  return s.Bind(1, id).Run();
}

Result<int64_t> CountLiveWorkers(Database& db) {
  return db.QueryInt(fmt::format("SELECT COUNT(*) FROM workers w WHERE {}", LiveWorkerSql(db, "w")));
}

Status UseTotalsShard(Database& db, int64_t id) {
  if (!db.postgres()) return Status::Ok();
  S3M_ASSIGN_OR_RETURN(Statement s, db.Prepare("SELECT set_config('s3migrate.shard', ?1, false)"));
  // 1 + id % (kTotalsShards - 1): never 0, the shard of scan and of psql.
  return s.Bind(1, std::to_string(1 + id % (kTotalsShards - 1))).Run();
}

Status StopOtherWorkers(Database& db, int64_t except) {
  S3M_ASSIGN_OR_RETURN(Statement s, db.Prepare(fmt::format(
                                        "UPDATE workers SET stopped_at = {} WHERE id <> ?1 AND stopped_at IS NULL",
                                        ServerNowSql(db))));
  return s.Bind(1, except).Run();
}

Result<std::vector<WorkerRecord>> ListWorkers(Database& db, int limit) {
  S3M_ASSIGN_OR_RETURN(
      Statement s,
      db.Prepare(fmt::format("SELECT id, host, pid, started_at, heartbeat_at, lease_seconds, idle, stopped_at, "
                             "objects, bytes, CASE WHEN {} THEN 1 ELSE 0 END AS alive FROM workers w "
                             "ORDER BY alive DESC, COALESCE(stopped_at, heartbeat_at) DESC, id DESC LIMIT ?1",
                             LiveWorkerSql(db, "w"))));
  s.Bind(1, static_cast<int64_t>(limit));
  std::vector<WorkerRecord> out;
  for (;;) {
    S3M_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) break;
    WorkerRecord w;
    w.id = s.ColumnInt(0);
    w.host = s.ColumnText(1);
    w.pid = s.ColumnInt(2);
    w.started_at = s.ColumnText(3);
    w.heartbeat_at = s.ColumnText(4);
    w.lease_seconds = s.ColumnInt(5);
    w.idle = s.ColumnInt(6) != 0;
    w.stopped_at = s.ColumnOptionalText(7);
    w.objects = s.ColumnInt(8);
    w.bytes = s.ColumnInt(9);
    w.alive = s.ColumnInt(10) != 0;
    out.push_back(std::move(w));
  }
  return out;
}

}  // namespace s3m::store
