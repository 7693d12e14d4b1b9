// A FileSystem for tests that compares names the way a case-insensitive or a
// Unicode-normalising filesystem does (APFS, SMB shares, ext4 casefold
// folders, ZFS normalization=formD), on top of a real directory:
//
//   fs.Open(".../Foo", create)   then   fs.Stat(".../FOO")   -> found
//   fs.RenameNoReplace(x, ".../foo")                          -> EEXIST
//
// Every name created through it is remembered under its identity
// (NameIdentity); a later path whose components have the identity of a
// remembered one is redirected to the spelling first created, as those
// filesystems keep the first spelling. Names that exist on the base but were
// not created through this object are only found as spelt. Directory renames
// are not modelled.
#pragma once

#include <cerrno>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/unicode.h"
#include "engine/file_system.h"

namespace s3m::engine::testing_util {

class NameFoldingFileSystem final : public FileSystem {
 public:
  NameFoldingFileSystem(FileSystem& base, NameEquivalence equivalence)
      : base_(base), equivalence_(equivalence) {}

  Result<std::unique_ptr<File>> Open(const std::string& path, const OpenOptions& options) override {
    std::lock_guard lock(mu_);
    const std::string actual = Resolve(path);
    auto file = base_.Open(actual, options);
    if (file.ok()) Remember(actual);
    return file;
  }
  Status Rename(const std::string& from, const std::string& to) override {
    std::lock_guard lock(mu_);
    return RenameLocked(Resolve(from), Resolve(to));
  }
  Status RenameNoReplace(const std::string& from, const std::string& to) override {
    std::lock_guard lock(mu_);
    const std::string actual_to = Resolve(to);
    if (names_.count(Identity(actual_to)) || base_.LinkStat(actual_to).ok()) {
      return FileError(EEXIST, "rename (no replace) to " + to, from);
    }
    return RenameLocked(Resolve(from), actual_to);
  }
  Status RemoveFile(const std::string& path) override {
    std::lock_guard lock(mu_);
    const std::string actual = Resolve(path);
    S3M_RETURN_IF_ERROR(base_.RemoveFile(actual));
    names_.erase(Identity(actual));
    return Status::Ok();
  }
  Status CreateDirectory(const std::string& path) override {
    std::lock_guard lock(mu_);
    const std::string actual = Resolve(path);
    S3M_RETURN_IF_ERROR(base_.CreateDirectory(actual));
    Remember(actual);
    return Status::Ok();
  }
  Status RemoveDirectory(const std::string& path) override {
    std::lock_guard lock(mu_);
    const std::string actual = Resolve(path);
    S3M_RETURN_IF_ERROR(base_.RemoveDirectory(actual));
    names_.erase(Identity(actual));
    return Status::Ok();
  }
  Status SyncDirectory(const std::string& path) override { return base_.SyncDirectory(Lookup(path)); }
  Status SyncFileSystem(const std::string& path) override { return base_.SyncFileSystem(Lookup(path)); }
  Result<FileInfo> Stat(const std::string& path) override { return base_.Stat(Lookup(path)); }
  Result<FileInfo> LinkStat(const std::string& path) override { return base_.LinkStat(Lookup(path)); }
  Result<DiskSpace> GetDiskSpace(const std::string& path) override {
    return base_.GetDiskSpace(Lookup(path));
  }
  Result<std::vector<DirEntry>> ListDirectory(const std::string& path) override {
    return base_.ListDirectory(Lookup(path));
  }

 private:
  std::string Identity(const std::string& path) const { return NameIdentity(path, equivalence_); }
  void Remember(const std::string& actual) { names_.emplace(Identity(actual), actual); }
  std::string Lookup(const std::string& path) {
    std::lock_guard lock(mu_);
    return Resolve(path);
  }
  // Each component, from the root down, is replaced by the remembered
  // spelling with the same identity, if any.
  std::string Resolve(const std::string& path) const {
    std::string out;
    size_t start = 0;
    if (!path.empty() && path.front() == '/') {
      out = "/";
      start = 1;
    }
    while (start <= path.size()) {
      size_t slash = path.find('/', start);
      if (slash == std::string::npos) slash = path.size();
      const std::string component = path.substr(start, slash - start);
      if (!component.empty()) {
        std::string candidate = out.empty() || out.back() == '/' ? out + component : out + "/" + component;
        auto it = names_.find(Identity(candidate));
        out = it != names_.end() ? it->second : candidate;
      }
      start = slash + 1;
    }
    return out;
  }
  Status RenameLocked(const std::string& from, const std::string& to) {
    S3M_RETURN_IF_ERROR(base_.Rename(from, to));
    names_.erase(Identity(from));
    Remember(to);
    return Status::Ok();
  }

  FileSystem& base_;
  const NameEquivalence equivalence_;
  std::mutex mu_;
  std::map<std::string, std::string> names_;  // identity -> spelling on disk; guarded by mu_
};

}  // namespace s3m::engine::testing_util
