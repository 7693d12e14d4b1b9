#!/usr/bin/env bash
# Configures and builds s3migrate and its tests.
#
#   scripts/build.sh [BUILD_DIR] [--sanitize | --sanitize=thread]
#
# BUILD_DIR defaults to build/ (build-asan/ with --sanitize, build-tsan/ with
# --sanitize=thread). --sanitize builds with AddressSanitizer +
# UndefinedBehaviorSanitizer, --sanitize=thread with ThreadSanitizer. Uses
# every core the machine has unless S3M_JOBS says otherwise.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

build_dir="" sanitize=OFF
for arg in "$@"; do
  case "$arg" in
    --sanitize) sanitize=address ;;
    --sanitize=thread) sanitize=thread ;;
    -*) echo "build.sh: unknown option $arg" >&2; exit 2 ;;
    *) build_dir="$arg" ;;
  esac
done
if [[ -z "$build_dir" ]]; then
  build_dir="$root/build"
  [[ "$sanitize" == address ]] && build_dir="$root/build-asan"
  [[ "$sanitize" == thread ]] && build_dir="$root/build-tsan"
fi
jobs="${S3M_JOBS:-$(nproc)}"

generator=()
command -v ninja >/dev/null 2>&1 && generator=(-G Ninja)
# The sanitizer trees build what the tests need, not the benchmarks.
options=(-DS3M_SANITIZE="$sanitize" -DS3M_WERROR=ON)
[[ "$sanitize" != OFF ]] && options+=(-DS3M_BUILD_BENCH=OFF)
# Options are passed every time, so a tree configured earlier (or by hand)
# still builds with -Werror here.
[[ -f "$build_dir/CMakeCache.txt" ]] && generator=()
cmake -S "$root" -B "$build_dir" "${generator[@]}" "${options[@]}" >/dev/null
cmake --build "$build_dir" -j "$jobs"
