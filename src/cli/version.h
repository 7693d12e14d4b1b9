// What `s3migrate --version` prints: the version, the commit it was built
// from, the compiler and build type, and the libraries it runs with (read at
// run time where the library can say, so a distribution's upgrade shows).
//
//   s3migrate 0.1.0 (commit 1a2b3c4d5e6f, RelWithDebInfo build, GCC 12.2.0)
//   libraries: libcurl 7.88.1 (OpenSSL/3.0.11), SQLite 3.40.1, OpenSSL 3.0.11 ...
#pragma once

#include <string>

namespace s3m::cli {

std::string VersionText();

}  // namespace s3m::cli
