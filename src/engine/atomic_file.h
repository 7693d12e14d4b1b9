// The local write protocol of PRODUCT.md §5.4: an object's bytes go to a
// temporary ("partial") file in the destination directory, are fsynced, and
// only then renamed to the final name, and the directory is fsynced. No
// partial file ever sits under a final name.
//
//   auto file = AtomicFile::Open(fs, "/dest/bucket/a/b.bin", size, {.resumable = true});
//   ... workers: file->WriteAt(offset, data, n) on disjoint ranges, concurrently
//   file->Sync(); then record the completed ranges in the database
//   file->Commit({.mtime = last_modified});   // now, and only now, record "downloaded"
//
// The partial file is "<dir>/.<final name>%~partial": hidden, deterministic,
// so a restarted run finds it and resumes, and recognisably ours
// (IsPartialName): key_path.h never produces "%~" from a key, so no object's
// file can be taken for a partial one or be overwritten by one. A final name
// too long for the affixes gets ".<sha256 hex of the name>%~partial".
//
// Resuming. The caller remembers which byte ranges are complete, in its
// database; this class only keeps the bytes. The ordering rule:
//
//   A range may be recorded as done only after a Sync() that was called
//   after the range's last WriteAt returned, has returned OK.
//
// Recording first would let a crash leave the database claiming bytes that
// never reached the disk: the resumed download would skip them and the file
// would hold zeros where data belongs. Batch it: write many ranges, Sync()
// once, record them all in one transaction.
//
// For the recorded ranges to outlive a crash, the partial file itself must,
// so Options::resumable makes its name and full size durable when it is
// created (one extra file and directory sync). Without it (small objects,
// fetched whole, never resumed) a crash may lose the partial file, which is
// fine because nothing was recorded about it.
//
// On restart, Open() (or Resume()) reopens a partial file whose size is the
// object size: resumed() is true and the recorded ranges are trustworthy.
// When it creates a fresh file instead, resumed() is false and the caller
// must forget any ranges it had recorded for this object.
//
// Thread safety: WriteAt, ReadAt and Sync may be called concurrently from
// many threads (WriteAt on disjoint ranges). Commit and Abandon must be
// called once, after every writer has finished.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/status.h"
#include "engine/file_system.h"

namespace s3m::engine {

class AtomicFile {
 public:
  struct Options {
    // Make the partial file's name and size durable at creation, so ranges
    // recorded after Sync() survive a crash (see above).
    bool resumable = false;
    // Reserve the blocks up front (fallocate), so a full disk fails here, not
    // halfway through the download. Without it a resumable file is still
    // extended to its size (sparse); another grows with its writes.
    bool preallocate = true;
    // When set, creates missing parent directories durably first; otherwise
    // the directory must exist.
    DirectoryMaker* directories = nullptr;
  };

  struct CommitOptions {
    // The file's mtime (S3's LastModified); set before the final fsync so
    // that fsync persists it.
    std::optional<std::chrono::system_clock::time_point> mtime{};
    // Extended attributes to set, like the mtime before the final fsync. One
    // the filesystem cannot keep (no xattr support, or too large) is skipped
    // and said in attribute_note(); any other failure fails the commit.
    std::vector<std::pair<std::string, std::string>> attributes{};
  };

  static std::string PartialPath(std::string_view final_path);
  // True for names PartialPath() produces (the last path component only).
  static bool IsPartialName(std::string_view name);

  // Starts a new partial file of `size` bytes, replacing any left over.
  static Result<std::unique_ptr<AtomicFile>> Create(FileSystem& fs, std::string final_path,
                                                    uint64_t size, const Options& options);
  // Reopens the partial file an earlier run left. kNotFound when there is
  // none; kConflict when its size is not `size` (it is not the file the
  // caller's records describe: Create a new one).
  static Result<std::unique_ptr<AtomicFile>> Resume(FileSystem& fs, std::string final_path,
                                                    uint64_t size, const Options& options);
  // Resume() when possible, else Create(); resumed() tells which.
  static Result<std::unique_ptr<AtomicFile>> Open(FileSystem& fs, std::string final_path,
                                                  uint64_t size, const Options& options);

  // Closes the partial file if still open and leaves it on disk, so a later
  // run can resume it. Never throws.
  ~AtomicFile();
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  // Writes [offset, offset + size), which must lie within the object.
  Status WriteAt(uint64_t offset, const void* data, size_t size);
  Result<size_t> ReadAt(uint64_t offset, void* buffer, size_t size);
  // Makes every byte whose WriteAt returned before this call durable.
  Status Sync();

  // fsync, close, rename to the final name, fsync the directory. The rename
  // never replaces another file: when the final name exists and holds other
  // bytes (or is a directory), it fails with kConflict (sys_errno EEXIST)
  // and the partial file stays; a file with exactly these bytes (this object,
  // renamed by a run that crashed before recording it) is replaced. Returns OK only when all of that is done:
  // until then a crash may lose the rename, so record the object as
  // downloaded only after Commit() returns OK. On failure the caller should
  // Abandon() and download again.
  Status Commit(const CommitOptions& options);
  // Commit in two halves for a batch of small files, with one
  // FileSystem::SyncFileSystem() standing in for every file's fsync and
  // every directory's:
  //
  //   for each file: file->Seal(options)     // size check, mtime, close
  //   fs.SyncFileSystem(root)                // all their bytes durable
  //   for each file: file->Publish()         // rename to the final name
  //   fs.SyncFileSystem(root)                // all the renames durable
  //   ... only now record them as downloaded
  //
  // The ordering rule is Commit's: the final name only ever points at bytes
  // that are already durable.
  Status Seal(const CommitOptions& options);
  Status Publish();

  // Deletes the partial file (if Commit did not rename it yet). No directory
  // sync: a partial file that comes back after a crash is harmless, it is
  // truncated or resumed by the next Open.
  Status Abandon();

  bool resumed() const { return resumed_; }
  // After Commit/Seal: why some attributes were not set ("" when all were).
  const std::string& attribute_note() const { return attribute_note_; }
  uint64_t size() const { return size_; }
  const std::string& final_path() const { return final_path_; }
  const std::string& partial_path() const { return partial_path_; }
  // The open partial file, for readers (e.g. a verifier re-reading ranges).
  File& file() { return *file_; }

 private:
  enum class State { kOpen, kSealed, kCommitted, kAbandoned, kFailed };

  AtomicFile(FileSystem& fs, std::string final_path, std::unique_ptr<File> file, uint64_t size,
             bool resumed);
  Status CheckOpen(std::string_view operation) const;
  // RenameNoReplace, or a plain rename over a file with the same content.
  Status RenameIntoPlace();
  Status SetAttributes(const std::vector<std::pair<std::string, std::string>>& attributes);
  ErrorContext Context(std::string_view operation) const;

  FileSystem& fs_;
  const std::string final_path_;
  const std::string partial_path_;
  std::unique_ptr<File> file_;
  const uint64_t size_;
  const bool resumed_;
  State state_ = State::kOpen;  // changed only by Commit/Abandon, which run alone
  std::string attribute_note_;
  bool renamed_ = false;
  std::mutex write_mu_;  // WriteAt
};

}  // namespace s3m::engine
