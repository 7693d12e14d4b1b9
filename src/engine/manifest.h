// The per-bucket manifest: proof, kept beside the copies, of every object
// deleted from S3 and what its copy was verified against.
//
//   <dest>/.s3migrate/manifests/<bucket>.jsonl   (bucket names never start
//                                                  with a dot: no collision)
//
// One JSON object per line, appended as objects are deleted:
//   {"bucket":"photos","key":"2019/a.jpg","version_id":"","size":16384,
//    "etag":"7ea9d6b395dc51c08234eeae136553aa","verified_by":"md5-etag",
//    "verified_checksum":"7ea9d6b395dc51c08234eeae136553aa","part_size":0,
//    "local_path":"/data/photos/2019/a.jpg","verified_at":"2026-12-05T06:06:43Z",
//    "deleted_at":"2026-12-05T06:06:44Z","storage_class":"STANDARD",
//    "content_type":"image/jpeg","sse":"AES256","metadata":{"camera":"x100"},
//    "headers":{"Cache-Control":"max-age=3600"},"tags":{"project":"alpha"},
//    "checksums":{"CRC32C":"yZRlqg=="}}
// (the fields after deleted_at only when S3 gave them; see object_metadata.h)
// A key or path that is not valid UTF-8 is written with U+FFFD in place of
// the bad bytes and, exactly, as "key_base64" / "local_path_base64".
//
// Contract: Append() returns OK only once the lines are durable (fdatasync;
// a new file's directory entry fsynced too). The engine appends a step's
// deleted rows before that step commits, so every committed 'deleted' row
// has its line. A crash between the two leaves lines whose rows are still
// 'verified'; the next run deletes those objects again (already gone) and
// appends them again: a key may appear more than once, the last line wins.
// A line torn by a crash is cut off when the file is next opened.
//
// Several workers sharing one state (issue 20) may share one destination
// (NFS, CephFS): a file has one writer, so each such worker writes its own,
//   <dest>/.s3migrate/manifests/worker-<id>/<bucket>.jsonl
// (bucket names hold no '/': no collision), and readers take them all.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "engine/file_system.h"
#include "store/migration_store.h"

namespace s3m::engine {

// Parses one manifest line back into the record `verify` checks (bucket,
// key, version, size, ETag, verified_by/verified_checksum, part size, local
// path; the exact bytes from *_base64 where present). kInvalidArgument when
// the line is not such an object.
Result<store::FileRecord> ParseManifestLine(std::string_view line);

// The manifest files under `dest_root` ("<bucket>.jsonl"), sorted; those of
// `buckets` only when it is not empty (a bucket without one is an error:
// kInvalidArgument naming it).
Result<std::vector<std::string>> ManifestFiles(FileSystem& fs, const std::string& dest_root,
                                               const std::vector<std::string>& buckets);

class ManifestWriter {
 public:
  ManifestWriter(FileSystem& fs, std::string dest_root);
  ManifestWriter(const ManifestWriter&) = delete;
  ManifestWriter& operator=(const ManifestWriter&) = delete;

  static std::string PathFor(const std::string& dest_root, const std::string& bucket);
  // Writes under worker-<id>/ from now on (before the first Append).
  void SetWorker(int64_t id) { worker_dir_ = "worker-" + std::to_string(id); }
  // The line for one copy, without the newline.
  static std::string Line(const store::DeletedCopy& copy);

  // Appends one line per copy to its bucket's manifest; durable on OK.
  [[nodiscard]] Status Append(const std::vector<store::DeletedCopy>& copies);

 private:
  struct OpenManifest {
    std::unique_ptr<File> file;
    uint64_t size = 0;
  };
  Result<OpenManifest*> OpenFor(const std::string& bucket);
  Status MakeDirectories();

  FileSystem& fs_;
  const std::string root_;
  bool directories_made_ = false;
  std::string worker_dir_;  // "" = the top directory
  std::map<std::string, OpenManifest> open_;
};

}  // namespace s3m::engine
