// Object bodies: where their bytes come from when served, and how uploaded
// bytes reach the disk.
//
// A served body is a BodySource, read at any offset by any thread, so a GET
// streams it in chunks without ever holding the whole object in memory and
// ranges cost nothing extra. Bodies of uploaded objects are files written
// atomically (temp file, fsync, rename, fsync directory); bodies of synthetic
// objects are generated from (key, size, seed) on every read.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "core/status.h"

namespace s3emu {

class BodySource {
 public:
  virtual ~BodySource() = default;
  // Fills buf with `size` bytes starting at `offset` (the caller stays within
  // the object). Thread-safe.
  virtual s3m::Status Read(uint64_t offset, char* buf, size_t size) const = 0;
};

// An open file; the descriptor is closed when the last reader lets go of it,
// so an object deleted while it is being served keeps serving its old bytes.
class FileBody final : public BodySource {
 public:
  static s3m::Result<std::shared_ptr<FileBody>> Open(const std::string& path);
  ~FileBody() override;
  FileBody(const FileBody&) = delete;
  FileBody& operator=(const FileBody&) = delete;
  s3m::Status Read(uint64_t offset, char* buf, size_t size) const override;

 private:
  FileBody(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
  int fd_;
  std::string path_;
};

// A body held in memory (error documents and listings served with faults).
class StringBody final : public BodySource {
 public:
  explicit StringBody(std::string data) : data_(std::move(data)) {}
  s3m::Status Read(uint64_t offset, char* buf, size_t size) const override;

 private:
  std::string data_;
};

// Synthetic content: see synthetic.h for the layout.
class SyntheticBody final : public BodySource {
 public:
  SyntheticBody(uint64_t seed, std::string_view key, uint64_t size);
  s3m::Status Read(uint64_t offset, char* buf, size_t size) const override;

 private:
  uint64_t shared_seed_;
  uint64_t key_seed_;
  uint64_t shared_len_;
};

// Writes a new file in `dir` under a temporary name, then Commit() makes it
// durable and moves it to its final path. A writer destroyed without a
// successful Commit() removes its temporary file.
class AtomicFileWriter {
 public:
  static s3m::Result<std::unique_ptr<AtomicFileWriter>> Create(const std::string& tmp_dir, bool fsync);
  ~AtomicFileWriter();
  AtomicFileWriter(const AtomicFileWriter&) = delete;
  AtomicFileWriter& operator=(const AtomicFileWriter&) = delete;

  s3m::Status Append(const char* data, size_t size);
  // fsync (when enabled), rename to `final_path`, fsync its directory.
  s3m::Status Commit(const std::string& final_path);
  uint64_t size() const { return size_; }

 private:
  AtomicFileWriter(int fd, std::string tmp_path, bool fsync)
      : fd_(fd), tmp_path_(std::move(tmp_path)), fsync_(fsync) {}
  int fd_;
  std::string tmp_path_;
  bool fsync_;
  uint64_t size_ = 0;
  bool committed_ = false;
};

// mkdir -p, as a Status.
s3m::Status MakeDirs(const std::string& path);
// fsync of a directory, so a rename in it is durable.
s3m::Status SyncDir(const std::string& dir);

}  // namespace s3emu
