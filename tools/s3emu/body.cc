#include "s3emu/body.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "s3emu/synthetic.h"

namespace s3emu {

using s3m::Status;

s3m::Result<std::shared_ptr<FileBody>> FileBody::Open(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Status::FromErrno(errno, "open object body", path);
  return std::shared_ptr<FileBody>(new FileBody(fd, path));
}

FileBody::~FileBody() { ::close(fd_); }

Status FileBody::Read(uint64_t offset, char* buf, size_t size) const {
  while (size > 0) {
    const ssize_t n = ::pread(fd_, buf, size, static_cast<off_t>(offset));
    if (n < 0) {
      if (errno == EINTR) continue;
      return Status::FromErrno(errno, "read object body", path_);
    }
    if (n == 0) {
      return Status::Error(s3m::ErrorKind::kFatal,
                           fmt::format("object body {} is shorter than its recorded size", path_));
    }
    buf += n;
    size -= static_cast<size_t>(n);
    offset += static_cast<uint64_t>(n);
  }
  return Status::Ok();
}

Status StringBody::Read(uint64_t offset, char* buf, size_t size) const {
  std::memcpy(buf, data_.data() + offset, size);
  return Status::Ok();
}

SyntheticBody::SyntheticBody(uint64_t seed, std::string_view key, uint64_t size)
    : shared_seed_(seed), key_seed_(SyntheticKeySeed(seed, key)), shared_len_(SyntheticSharedLength(size)) {}

Status SyntheticBody::Read(uint64_t offset, char* buf, size_t size) const {
  if (offset < shared_len_) {
    const size_t n = static_cast<size_t>(std::min<uint64_t>(size, shared_len_ - offset));
    FillStream(shared_seed_, offset, buf, n);
    buf += n;
    size -= n;
    offset += n;
  }
  if (size > 0) FillStream(key_seed_, offset - shared_len_, buf, size);
  return Status::Ok();
}

s3m::Result<std::unique_ptr<AtomicFileWriter>> AtomicFileWriter::Create(const std::string& tmp_dir,
                                                                        bool fsync) {
  static std::atomic<uint64_t> counter{0};
  const std::string path =
      fmt::format("{}/{}-{}.tmp", tmp_dir, ::getpid(), counter.fetch_add(1, std::memory_order_relaxed));
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) return Status::FromErrno(errno, "create temporary file", path);
  return std::unique_ptr<AtomicFileWriter>(new AtomicFileWriter(fd, path, fsync));
}

AtomicFileWriter::~AtomicFileWriter() {
  if (fd_ >= 0) ::close(fd_);
  if (!committed_) ::unlink(tmp_path_.c_str());
}

Status AtomicFileWriter::Append(const char* data, size_t size) {
  while (size > 0) {
    const ssize_t n = ::write(fd_, data, size);
    if (n < 0) {
      if (errno == EINTR) continue;
      return Status::FromErrno(errno, "write", tmp_path_);
    }
    data += n;
    size -= static_cast<size_t>(n);
    size_ += static_cast<uint64_t>(n);
  }
  return Status::Ok();
}

Status AtomicFileWriter::Commit(const std::string& final_path) {
  // Data first, then the name: a crash leaves either no file or a whole one.
  if (fsync_ && ::fsync(fd_) != 0) return Status::FromErrno(errno, "fsync", tmp_path_);
  const int fd = fd_;
  fd_ = -1;
  if (::close(fd) != 0) return Status::FromErrno(errno, "close", tmp_path_);
  if (::rename(tmp_path_.c_str(), final_path.c_str()) != 0) {
    return Status::FromErrno(errno, "rename to " + final_path, tmp_path_);
  }
  committed_ = true;
  if (fsync_) return SyncDir(final_path.substr(0, final_path.rfind('/')));
  return Status::Ok();
}

Status MakeDirs(const std::string& path) {
  std::string partial;
  size_t pos = 0;
  while (pos != std::string::npos) {
    pos = path.find('/', pos + 1);
    partial = path.substr(0, pos);
    if (partial.empty()) continue;
    if (::mkdir(partial.c_str(), 0755) != 0 && errno != EEXIST) {
      return Status::FromErrno(errno, "create directory", partial);
    }
  }
  return Status::Ok();
}

Status SyncDir(const std::string& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return Status::FromErrno(errno, "open directory", dir);
  const int rc = ::fsync(fd);
  const int err = errno;
  ::close(fd);
  if (rc != 0) return Status::FromErrno(err, "fsync directory", dir);
  return Status::Ok();
}

}  // namespace s3emu
