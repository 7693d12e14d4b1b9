#include "cli/version.h"

#include <curl/curl.h>
#include <isa-l.h>
#include <openssl/crypto.h>
#include <sqlite3.h>
#include <utf8proc.h>

#include <CLI/Version.hpp>
#include <fmt/format.h>
#include <pugixml.hpp>
#include <toml++/toml.h>

#include "s3m_version.h"

namespace s3m::cli {

namespace {

std::string Compiler() {
#if defined(__clang__)
  return fmt::format("clang {}.{}.{}", __clang_major__, __clang_minor__, __clang_patchlevel__);
#elif defined(__GNUC__)
  return fmt::format("GCC {}.{}.{}", __GNUC__, __GNUC_MINOR__, __GNUC_PATCHLEVEL__);
#else
  return "an unknown compiler";
#endif
}

}  // namespace

std::string VersionText() {
  const curl_version_info_data* curl = curl_version_info(CURLVERSION_NOW);
  return fmt::format(
      "s3migrate {} (commit {}, {} build, {})\n"
      "libraries: libcurl {} ({}), SQLite {}, {}, utf8proc {}, ISA-L {}.{}.{}, pugixml {}.{}, "
      "toml++ {}.{}.{}, fmt {}.{}.{}, CLI11 {}",
      S3M_VERSION, S3M_GIT_COMMIT, S3M_BUILD_TYPE, Compiler(), curl->version,
      curl->ssl_version ? curl->ssl_version : "no TLS", sqlite3_libversion(),
      OpenSSL_version(OPENSSL_VERSION), utf8proc_version(), ISAL_MAJOR_VERSION, ISAL_MINOR_VERSION,
      ISAL_PATCH_VERSION, PUGIXML_VERSION / 1000, PUGIXML_VERSION % 1000 / 10, TOML_LIB_MAJOR,
      TOML_LIB_MINOR, TOML_LIB_PATCH, FMT_VERSION / 10000, FMT_VERSION / 100 % 100,
      FMT_VERSION % 100, CLI11_VERSION);
}

}  // namespace s3m::cli
