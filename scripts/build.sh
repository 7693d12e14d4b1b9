#!/usr/bin/env bash
# Configures and builds s3migrate and its tests.
#
#   scripts/build.sh [BUILD_DIR] [--sanitize]
#
# BUILD_DIR defaults to build/ (build-asan/ with --sanitize). --sanitize builds
# with AddressSanitizer + UndefinedBehaviorSanitizer. Uses every core the
# machine has, at most 2 per the CI budget unless S3M_JOBS says otherwise.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

build_dir="" sanitize=OFF
for arg in "$@"; do
  case "$arg" in
    --sanitize) sanitize=ON ;;
    -*) echo "build.sh: unknown option $arg" >&2; exit 2 ;;
    *) build_dir="$arg" ;;
  esac
done
if [[ -z "$build_dir" ]]; then
  build_dir="$root/build"
  [[ "$sanitize" == ON ]] && build_dir="$root/build-asan"
fi
jobs="${S3M_JOBS:-$(nproc)}"

generator=()
command -v ninja >/dev/null 2>&1 && generator=(-G Ninja)
if [[ ! -f "$build_dir/CMakeCache.txt" ]]; then
  cmake -S "$root" -B "$build_dir" "${generator[@]}" -DS3M_SANITIZE="$sanitize" >/dev/null
fi
cmake --build "$build_dir" -j "$jobs"
