// Digests and encodings used by signing and verification, over OpenSSL's EVP
// API. Incremental hashers feed on streamed bytes, so nothing is read twice.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace s3m {

enum class DigestAlgorithm { kMd5, kSha1, kSha256 };

// Incremental message digest. Not thread-safe; movable, not copyable.
class Digest {
 public:
  explicit Digest(DigestAlgorithm algorithm);
  ~Digest();
  Digest(Digest&&) noexcept;
  Digest& operator=(Digest&&) noexcept;
  Digest(const Digest&) = delete;
  Digest& operator=(const Digest&) = delete;

  void Update(const void* data, size_t size);
  void Update(std::string_view data) { Update(data.data(), data.size()); }
  // Raw digest bytes. The hasher is reset afterwards and can be reused.
  std::string Finish();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

std::string Sha256(std::string_view data);                     // raw bytes
std::string Sha256Hex(std::string_view data);                  // lowercase hex
std::string Md5(std::string_view data);                        // raw bytes
std::string HmacSha256(std::string_view key, std::string_view data);  // raw bytes

std::string HexEncode(std::string_view bytes);                 // lowercase
bool HexDecode(std::string_view hex, std::string* bytes);
std::string Base64Encode(std::string_view bytes);
bool Base64Decode(std::string_view text, std::string* bytes);

}  // namespace s3m
