// The state database's schema and its versions (PRAGMA user_version).
//
//   version 0  an empty file: the current schema is created.
//   version 1  the earlier Python tool's table, as its guide documents it:
//              files(bucket, key, size, etag, storage_class, last_modified,
//              state, local_path, error_message, created_at, updated_at).
//              That tool never set user_version, so a version-0 file holding
//              such a `files` table is taken as version 1.
//   version 2  files, buckets, file_totals.
//   version 3  adds download_chunks, the finished ranges of resumable
//              downloads.
//   version 4  adds files.local_path_folded and its index, so that local
//              paths are unique under Unicode case folding and normalisation
//              (issue 14).
//   version 5  adds files.verified_checksum (what `verify` checks against).
//   version 6  adds progress_samples, the live page's and the report's
//              charts.
//   version 7  adds files.headers, files.tags and files.checksums, what S3
//              knew of each object beyond its bytes (issue 21).
//   version 8  adds the workers table,
//              files.claimed_by and file_totals.shard, several migrate
//              processes sharing one (PostgreSQL) state (issue 20).
//   version 9  adds shared_limits and workers.restores_pending, restore
//              limits that hold across workers, and buckets.claimed_by, the
//              scan worker listing a bucket (issue 20).
//   version 10 this schema (kSchemaVersion): adds listing_ranges, one
//              bucket listed in key ranges by several listers (issue 20).
//
// Older versions are upgraded in place, in one transaction, by the process
// holding the WriterLock. A newer version is refused: an older s3migrate must
// not write rows whose meaning it does not know.
#pragma once

#include <string_view>

#include "store/sqlite.h"

namespace s3m::store {

inline constexpr int kSchemaVersion = 10;

// Every CREATE statement of the current schema (also printed in README.md).
extern const std::string_view kCreateSchemaSql;

// Counts every row of `files` into an empty file_totals (after a bulk copy;
// see kCreateSchemaSql for who keeps the totals otherwise).
extern const std::string_view kCountAllFilesSql;

// Reads the database's version: 0 (empty), 1 (earlier tool), 2, or higher.
Result<int> DetectSchemaVersion(Database& db);

// Brings an open read-write database to kSchemaVersion. Fails with kFatal
// (naming both versions and what to do) when the file is newer than this
// program, or when a version-0 file holds tables that are not ours.
// The caller must hold the WriterLock.
Status UpgradeSchema(Database& db);

}  // namespace s3m::store
