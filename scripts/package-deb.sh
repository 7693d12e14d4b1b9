#!/usr/bin/env bash
# Builds the Debian package (CPack, cmake/packaging.cmake) from a Release tree
# built with Debian's hardening flags, then checks it with lintian.
#
#   scripts/package-deb.sh [BUILD_DIR]     (default: build-deb/)
#
# Prints the .deb's path and lintian's output; exits non-zero when lintian
# reports an error. Install it with `apt install ./s3migrate_*.deb`.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build_dir="${1:-$root/build-deb}"
for tool in dpkg-buildflags dpkg-shlibdeps lintian fakeroot; do
  command -v "$tool" >/dev/null || { echo "package-deb: $tool is missing (scripts/install-deps.sh)" >&2; exit 1; }
done
# Every hardening feature Debian has (PIE, RELRO and BINDNOW included).
export DEB_BUILD_MAINT_OPTIONS=hardening=+all
generator=()
command -v ninja >/dev/null 2>&1 && [[ ! -f "$build_dir/CMakeCache.txt" ]] && generator=(-G Ninja)
# Flags given as cache values (not CXXFLAGS), so a tree configured before
# is built with them too.
cmake -S "$root" -B "$build_dir" "${generator[@]}" -DCMAKE_BUILD_TYPE=Release \
      -DCMAKE_CXX_FLAGS="$(dpkg-buildflags --get CXXFLAGS) $(dpkg-buildflags --get CPPFLAGS)" \
      -DCMAKE_EXE_LINKER_FLAGS="$(dpkg-buildflags --get LDFLAGS)" \
      -DS3M_BUILD_TESTS=OFF -DS3M_BUILD_BENCH=OFF >/dev/null
cmake --build "$build_dir" -j "${S3M_JOBS:-$(nproc)}"
(cd "$build_dir" && rm -f s3migrate_*.deb && fakeroot cpack -G DEB >/dev/null)
deb="$(ls "$build_dir"/s3migrate_*.deb)"
echo "$deb"
dpkg-deb --field "$deb"
echo "lintian:"
# As root lintian warns that it should not run as root; it checks the same.
lintian --fail-on error "$deb" 2>&1 | grep -v "running with root privileges is not recommended" || true
lintian --fail-on error "$deb" >/dev/null 2>&1 && echo "lintian: no errors"
