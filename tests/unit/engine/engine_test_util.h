// Helpers shared by the engine's unit tests: a scratch directory removed on
// destruction, deterministic data, and whole-file reads that bypass the
// FileSystem under test.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "engine/file_system.h"

namespace s3m::engine::testing_util {

class ScratchDir {
 public:
  ScratchDir() {
    std::string templ = ::testing::TempDir() + "s3m_engine_XXXXXX";
    if (::mkdtemp(templ.data()) == nullptr) std::abort();
    path_ = templ;
  }
  ~ScratchDir() {
    std::error_code ignored;
    std::filesystem::permissions(path_, std::filesystem::perms::owner_all,
                                 std::filesystem::perm_options::add, ignored);
    std::filesystem::remove_all(path_, ignored);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;

  const std::string& path() const { return path_; }
  std::string operator/(std::string_view name) const { return JoinPath(path_, name); }

 private:
  std::string path_;
};

// The same bytes the Python cross-check script generates:
// byte i = (i * 131 + (i >> 10) * 7 + 3) mod 256.
inline std::string Pattern(size_t size) {
  std::string out(size, '\0');
  for (size_t i = 0; i < size; ++i) out[i] = static_cast<char>((i * 131 + (i >> 10) * 7 + 3) & 0xff);
  return out;
}

inline bool Exists(const std::string& path) {
  std::error_code ec;
  return std::filesystem::exists(std::filesystem::symlink_status(path, ec));
}

// The file's bytes, read with std::ifstream; "<missing>" when absent.
inline std::string ReadAll(const std::string& path) {
  if (!Exists(path)) return "<missing>";
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

inline void WriteAll(const std::string& path, std::string_view data) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(data.data(), static_cast<std::streamsize>(data.size()));
}

}  // namespace s3m::engine::testing_util
