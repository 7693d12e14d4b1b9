// `scan --inventory s3://bucket/prefix/manifest.json`: records a bucket from
// its S3 Inventory report instead of listing it (for 10^8+ objects a
// listing takes days of LIST requests; the report is a few GETs).
//
//   manifest.json (checked against manifest.checksum when there is one)
//     -> each data file: fetched to a spool file while its MD5 is computed,
//        checked against the manifest's MD5checksum and size, then read
//        (gzip'd CSV) into pages of rows applied like listing pages
//
// What is recorded is what a full listing records: current versions (IsLatest,
// not delete markers) as rows; noncurrent versions and delete markers
// counted. A data file whose checksum does not match fails the bucket before
// any of its rows is applied, so no row of a damaged file is recorded, and
// the bucket is never marked complete. A report is days old by nature:
// objects it does not hold are not marked gone (`rescan` lists the bucket and
// catches what changed since), and a failed or interrupted report scan is
// started again from its first file.
#pragma once

#include <atomic>
#include <string>

#include "s3/object_store.h"
#include "scan/filter.h"
#include "scan/scanner.h"
#include "store/state_store.h"

namespace s3m::scan {

struct InventoryScanOptions {
  std::string manifest_url;  // s3://bucket/key/manifest.json
  std::string spool_dir;     // where data files wait while they are read (then removed)
  ScanFilter filter;
  const std::atomic<bool>* cancelled = nullptr;
};

// The result's outcome says what happened to the source bucket; an error
// status only when the database failed (nothing else stops other buckets).
Result<BucketScanResult> ScanFromInventory(s3::ObjectStore& objects, store::StateStore& state,
                                           const InventoryScanOptions& options,
                                           ScanObserver* observer = nullptr);

}  // namespace s3m::scan
