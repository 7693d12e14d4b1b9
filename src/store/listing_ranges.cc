// StateStore: one bucket listed in key ranges by several listers (issue 20;
// core/key_range.h, docs/design/scale-out.md "Scan sharding").
//
// A listing starts as the bucket row's (one range, its position on the row).
// An idle lister splits it at a key between its lister's position and the
// last key: the first split moves the row's position into listing_ranges as
// the first range (start ''), ending at the split key, and adds the range
// above it. Every page of a range and every split lock the bucket row first
// (LockBucket), so a split sees the position of every page recorded before
// it, and a page recorded after it sees the range's new end. The listing is
// complete when its last unfinished range is done: objects not listed by
// then are gone, as for a listing in one piece.
#include <fmt/format.h>

#include "core/key_range.h"
#include "store/state_store.h"
#include "store/workers.h"

namespace s3m::store {

Status StateStore::RecordRangePage(const ListingPage& page, const BucketRecord& bucket, const std::string& now,
                                   PageOutcome& outcome) {
  S3M_ASSIGN_OR_RETURN(
      Statement position,
      db_->Prepare("UPDATE listing_ranges SET continuation_token = ?3, version_id_marker = ?4, "
                   "last_key = CASE WHEN ?5 = '' THEN last_key ELSE ?5 END, done = ?6, updated_at = ?7 "
                   "WHERE bucket = ?1 AND range_start = ?2" +
                   HeldBucketSql()));
  S3M_RETURN_IF_ERROR(position.Bind(1, page.bucket)
                          .Bind(2, page.range_start)
                          .Bind(3, page.next_token)
                          .Bind(4, page.next_version_id_marker)
                          .Bind(5, page.last_key)
                          .Bind(6, static_cast<int64_t>(outcome.range_done ? 1 : 0))
                          .Bind(7, now)
                          .Run());
  if (scan_worker_ != 0 && db_->Changes() != 1) return LostBucket(page.bucket);
  if (!outcome.range_done) return Status::Ok();
  S3M_ASSIGN_OR_RETURN(Statement left,
                       db_->Prepare("SELECT COUNT(*) FROM listing_ranges WHERE bucket = ?1 AND done = 0"));
  left.Bind(1, page.bucket);
  S3M_ASSIGN_OR_RETURN(bool row, left.Step());
  const bool last = row && left.ColumnInt(0) == 0;
  left.Reset();
  if (!last) return Status::Ok();
  return CompleteListing(page.bucket, bucket.scan_generation, page.detect_gone, now, outcome);
}

namespace {

// listing_ranges columns as ReadRange reads them.
constexpr const char* kRangeColumns =
    "r.bucket, b.listing_api, r.range_start, r.range_end, r.continuation_token, r.version_id_marker, r.last_key";

ListingRange ReadRange(const Statement& s, bool ranged) {
  ListingRange r;
  r.bucket = s.ColumnText(0);
  r.listing_api = s.ColumnText(1);
  r.start = s.ColumnText(2);
  r.end = s.ColumnText(3);
  r.continuation_token = s.ColumnText(4);
  r.version_id_marker = s.ColumnText(5);
  r.last_key = s.ColumnText(6);
  r.ranged = ranged;
  return r;
}

}  // namespace

Result<std::vector<ListingRange>> StateStore::RangesBeingListed() {
  // Only listings past their first page (a continuation position): one of
  // a single page is not worth the probes a split takes.
  S3M_ASSIGN_OR_RETURN(
      Statement s,
      db_->Prepare(fmt::format(
          "SELECT b.name, b.listing_api, '', '', b.continuation_token, b.version_id_marker, b.last_key, 0 "
          "FROM buckets b WHERE b.scan_state = 'listing' AND b.continuation_token <> '' AND NOT EXISTS "
          "(SELECT 1 FROM listing_ranges r WHERE r.bucket = b.name) "
          "UNION ALL SELECT {}, 1 FROM listing_ranges r JOIN buckets b ON b.name = r.bucket "
          "WHERE b.scan_state = 'listing' AND r.done = 0 AND r.continuation_token <> ''",
          kRangeColumns)));
  std::vector<ListingRange> out;
  for (;;) {
    S3M_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) break;
    out.push_back(ReadRange(s, s.ColumnInt(7) != 0));
  }
  return out;
}

Result<std::optional<ListingRange>> StateStore::SplitListing(const ListingRange& range, const std::string& at) {
  const std::string now = Now();
  std::optional<ListingRange> none;
  S3M_ASSIGN_OR_RETURN(Transaction txn, Transaction::Begin(*db_));
  S3M_ASSIGN_OR_RETURN(std::optional<BucketRecord> bucket, LockBucket(range.bucket));
  if (!bucket || bucket->scan_state != "listing" || bucket->ranged != range.ranged) return none;
  std::string end;
  std::string reached;  // the last key its lister recorded
  if (!bucket->ranged) {
    reached = bucket->last_key;
  } else {
    S3M_ASSIGN_OR_RETURN(Statement current, db_->Prepare("SELECT range_end, done, last_key FROM listing_ranges "
                                                         "WHERE bucket = ?1 AND range_start = ?2"));
    current.Bind(1, range.bucket).Bind(2, range.start);
    S3M_ASSIGN_OR_RETURN(bool found, current.Step());
    if (!found || current.ColumnInt(1) != 0) return none;
    end = current.ColumnText(0);
    reached = current.ColumnText(2);
    current.Reset();
  }
  // The split key must lie inside what is left of the range.
  if (!KeyInRange(at, std::max(range.start, reached), end) || at == end) return none;
  if (!bucket->ranged) {
    // The bucket row's listing becomes the first range.
    S3M_ASSIGN_OR_RETURN(
        Statement first,
        db_->Prepare("INSERT INTO listing_ranges (bucket, range_start, range_end, continuation_token, "
                     "version_id_marker, last_key, claimed_by, updated_at) SELECT name, '', ?2, "
                     "continuation_token, version_id_marker, last_key, claimed_by, ?3 FROM buckets WHERE name = ?1"));
    S3M_RETURN_IF_ERROR(first.Bind(1, range.bucket).Bind(2, at).Bind(3, now).Run());
  } else {
    S3M_ASSIGN_OR_RETURN(Statement shorten, db_->Prepare("UPDATE listing_ranges SET range_end = ?3, updated_at = ?4 "
                                                         "WHERE bucket = ?1 AND range_start = ?2"));
    S3M_RETURN_IF_ERROR(shorten.Bind(1, range.bucket).Bind(2, range.start).Bind(3, at).Bind(4, now).Run());
  }
  S3M_ASSIGN_OR_RETURN(Statement above,
                       db_->Prepare("INSERT INTO listing_ranges (bucket, range_start, range_end, claimed_by, "
                                    "updated_at) VALUES (?1, ?2, ?3, ?4, ?5)"));
  above.Bind(1, range.bucket).Bind(2, at).Bind(3, end).Bind(5, now);
  if (scan_worker_ != 0) above.Bind(4, scan_worker_);
  S3M_RETURN_IF_ERROR(above.Run());
  S3M_RETURN_IF_ERROR(txn.Commit());
  if (!freshness_noted_.count(range.bucket)) S3M_RETURN_IF_ERROR(NoteFreshness(range.bucket, bucket->scan_generation));
  ListingRange split;
  split.bucket = range.bucket;
  split.start = at;
  split.end = end;
  split.listing_api = bucket->listing_api;
  split.ranged = true;
  return std::optional<ListingRange>(std::move(split));
}

Result<std::vector<ListingRange>> StateStore::ClaimRanges(const std::string& bucket) {
  S3M_ASSIGN_OR_RETURN(Transaction txn, Transaction::Begin(*db_));
  S3M_ASSIGN_OR_RETURN(std::optional<BucketRecord> record, LockBucket(bucket));
  std::vector<ListingRange> out;
  if (!record || record->scan_state == "complete") return out;
  if (scan_worker_ != 0) {
    S3M_ASSIGN_OR_RETURN(Statement claim, db_->Prepare(fmt::format(
                                              "UPDATE listing_ranges SET claimed_by = {} WHERE bucket = ?1 AND "
                                              "done = 0 AND {}",
                                              scan_worker_,
                                              ClaimableBySql(*db_, "listing_ranges.claimed_by", scan_worker_))));
    S3M_RETURN_IF_ERROR(claim.Bind(1, bucket).Run());
  }
  S3M_ASSIGN_OR_RETURN(Statement read,
                       db_->Prepare(fmt::format("SELECT {} FROM listing_ranges r JOIN buckets b ON b.name = r.bucket "
                                                "WHERE r.bucket = ?1 AND r.done = 0{}",
                                                kRangeColumns,
                                                scan_worker_ != 0 ? fmt::format(" AND r.claimed_by = {}", scan_worker_)
                                                                  : std::string())));
  read.Bind(1, bucket);
  for (;;) {
    S3M_ASSIGN_OR_RETURN(bool row, read.Step());
    if (!row) break;
    out.push_back(ReadRange(read, true));
  }
  read.Reset();
  S3M_RETURN_IF_ERROR(txn.Commit());
  if (!freshness_noted_.count(bucket)) S3M_RETURN_IF_ERROR(NoteFreshness(bucket, record->scan_generation));
  return out;
}

}  // namespace s3m::store
