// S3 Inventory reports, read instead of listing a bucket of 10^8+ objects
// (`scan --inventory s3://inventory-bucket/prefix/manifest.json`). The pure
// part: the manifest, CSV lines and their rows. inventory_scan.h fetches the
// files and records the rows.
//
// manifest.json (as S3 Inventory writes it next to manifest.checksum, the
// MD5 of this file in hex):
//   {"sourceBucket": "photos",
//    "destinationBucket": "arn:aws:s3:::inventory",
//    "version": "2016-11-30", "creationTimestamp": "1733356800000",
//    "fileFormat": "CSV",
//    "fileSchema": "Bucket, Key, VersionId, IsLatest, IsDeleteMarker, Size, LastModifiedDate, ETag, StorageClass, ChecksumAlgorithm",
//    "files": [{"key": "inv/photos/daily/data/5e0c....csv.gz", "size": 2147,
//               "MD5checksum": "f11166069f1990abeb9c97ace9cdfabc"}]}
//
// A data file is gzip'd CSV, one object per line, every field quoted, keys
// URL-encoded ('+' for a space):
//   "photos","2019/my+photo%281%29.jpg","","true","false","16384","2019-05-01T10:00:00.000Z","7ea9d6b395dc51c08234eeae136553aa","STANDARD",""
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/status.h"
#include "store/state_store.h"

namespace s3m::scan {

struct InventoryFile {
  std::string key;      // in the manifest's (destination) bucket
  int64_t size = 0;     // compressed bytes
  std::string md5_hex;  // of the compressed file
};

struct InventoryManifest {
  std::string source_bucket;
  std::string destination_bucket;  // the bucket name, from the ARN
  std::string file_format;         // only "CSV" is read
  std::vector<std::string> columns;  // fileSchema, in order
  std::vector<InventoryFile> files;
  std::string creation_timestamp;  // Unix milliseconds, as text
};

// kInvalidArgument naming what is wrong (not JSON, a field missing, a format
// other than CSV).
Result<InventoryManifest> ParseInventoryManifest(std::string_view json);

// "s3://bucket/key" -> (bucket, key); kInvalidArgument otherwise.
Result<std::pair<std::string, std::string>> ParseS3Url(std::string_view url);

// The fields of one CSV line (RFC 4180: quoted fields, "" for a quote inside
// one; no line breaks inside fields, which inventory never writes since keys
// are URL-encoded). kInvalidArgument for an unterminated quote.
Result<std::vector<std::string>> SplitCsvLine(std::string_view line);

struct InventoryRow {
  std::string bucket;  // the Bucket column
  store::ListedObject object;
  bool is_latest = true;       // IsLatest (true when the column is absent)
  bool delete_marker = false;  // IsDeleteMarker
};

// Where each needed column sits in a report's rows.
class InventorySchema {
 public:
  // Needs Bucket, Key and Size; ETag, LastModifiedDate, StorageClass,
  // VersionId, IsLatest, IsDeleteMarker, ChecksumAlgorithm are used when
  // present. kInvalidArgument naming a missing column.
  static Result<InventorySchema> From(const std::vector<std::string>& columns);

  // One row; kInvalidArgument when it has the wrong number of fields, a key
  // that does not decode, or a size that is not a number.
  Result<InventoryRow> Row(const std::vector<std::string>& fields) const;

 private:
  int columns_ = 0;
  int bucket_ = -1, key_ = -1, size_ = -1, etag_ = -1, last_modified_ = -1, storage_class_ = -1,
      version_id_ = -1, is_latest_ = -1, delete_marker_ = -1, checksum_ = -1;
};

}  // namespace s3m::scan
