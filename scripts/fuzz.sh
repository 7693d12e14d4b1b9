#!/usr/bin/env bash
# Builds the libFuzzer targets (tests/fuzz, a clang tree in build-fuzz/) and
# runs each one over its seed corpus.
#
#   scripts/fuzz.sh [--seconds N] [TARGET ...]    (default: 30 s each, every target)
#
# Targets: xml, headers, settings, sigv4, key_path (tests/fuzz/<target>_fuzz.cc).
# Every run first replays tests/fuzz/corpus/<target>/ (seeds, and findings
# kept as regressions), then fuzzes; inputs that find new paths go to a
# scratch corpus, so the repository's files are only read. A finding (crash,
# sanitizer report, broken property, leak, timeout) is saved under
# build-fuzz/findings/<target>/ and the script exits 1: minimise it with
#   build-fuzz/tests/fuzz/fuzz_<target> -minimize_crash=1 -runs=10000 FILE
# fix the cause, and add the minimised input to tests/fuzz/corpus/<target>/.
# Prints one line per target: executions, seconds, findings.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
seconds=30
targets=()
while (($# > 0)); do
  case "$1" in
    --seconds) seconds="$2"; shift ;;
    -*) echo "usage: $0 [--seconds N] [TARGET ...]" >&2; exit 2 ;;
    *) targets+=("$1") ;;
  esac
  shift
done
((${#targets[@]} > 0)) || targets=(xml headers settings sigv4 key_path)
command -v clang++-14 >/dev/null || { echo "fuzz: clang++-14 is missing (scripts/install-deps.sh)" >&2; exit 1; }

build="$root/build-fuzz"
generator=()
command -v ninja >/dev/null 2>&1 && [[ ! -f "$build/CMakeCache.txt" ]] && generator=(-G Ninja)
# The build's output is kept and shown only when it fails, so a compile error
# is never swallowed (CI once ended with "the fuzz run did not complete" and
# nothing else).
buildlog="$(mktemp)"
if ! { CXX=clang++-14 cmake -S "$root" -B "$build" "${generator[@]}" -DS3M_FUZZ=ON -DS3M_BUILD_TESTS=OFF \
         -DS3M_BUILD_BENCH=OFF -DS3M_WERROR=ON &&
       cmake --build "$build" -j "${S3M_JOBS:-$(nproc)}" --target "${targets[@]/#/fuzz_}"; } >"$buildlog" 2>&1; then
  tail -n 60 "$buildlog" >&2
  echo "fuzz: building the fuzz targets failed (above)" >&2
  rm -f "$buildlog"
  exit 1
fi
rm -f "$buildlog"

scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
failed=0
printf '%-10s %12s %8s %9s\n' target executions seconds findings
for target in "${targets[@]}"; do
  findings="$build/findings/$target"
  mkdir -p "$scratch/$target" "$findings"
  log="$scratch/$target.log"
  # Findings of earlier runs stay for whoever is fixing them; this run counts
  # only its own.
  touch "$scratch/$target.start"
  status=0
  "$build/tests/fuzz/fuzz_$target" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
    -artifact_prefix="$findings/" -print_final_stats=1 \
    "$scratch/$target" "$root/tests/fuzz/corpus/$target" >"$log" 2>&1 || status=$?
  runs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)"
  found="$(find "$findings" -type f -newer "$scratch/$target.start" | wc -l)"
  printf '%-10s %12s %8s %9s\n' "$target" "${runs:-?}" "$seconds" "$found"
  if ((status != 0 || found > 0)); then
    failed=1
    echo "fuzz_$target found something (exit $status); its report:" >&2
    grep -E "ERROR|property broken|SUMMARY|Test unit written" "$log" | head -20 >&2
  fi
done
exit "$failed"
