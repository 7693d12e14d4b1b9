#!/usr/bin/env bash
# Installs what is missing, builds, and runs every test:
#   1. the regular build: unit tests and integration tests against real
#      s3rver and OpenStack Swift (s3api) servers started for this run;
#   2. the same suite built with AddressSanitizer + UndefinedBehaviorSanitizer;
#   3. each libFuzzer target (tests/fuzz) briefly over its seed corpus and
#      regressions (scripts/fuzz.sh; S3M_FUZZ_SECONDS each, default 15).
# Between 1 and 2, the unit tests run once more with the repository's parent
# folder emptied (scripts/check-standalone.sh).
# Ends with one line "N passed, N failed" over every run (a fuzz target is
# one test); exits non-zero if anything failed. `S3M_SKIP_SANITIZE=1` skips
# steps 2 and 3 for a quick local run.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

"$root/scripts/install-deps.sh"

logs="$(mktemp -d)"
trap 'rm -rf "$logs"' EXIT

# Runs ctest for one build dir with the test servers up; output is kept to
# count the results.
run_suite() {
  local build_dir="$1" name="$2"
  shift 2
  echo "=== $name: unit and integration tests ==="
  set +e
  "$root/scripts/with-test-servers.sh" -- \
    ctest --test-dir "$build_dir" --output-on-failure -j 2 --timeout 300 "$@" 2>&1 | tee "$logs/$name.log"
  local rc=${PIPESTATUS[0]}
  set -e
  return "$rc"
}

failed=0
"$root/scripts/build.sh" "$root/build"
run_suite "$root/build" regular || failed=1

# The unit tests again, with nothing beside the repository (issue 16): a test
# reading a file outside the clone fails here even on a machine that has one.
echo "=== standalone: unit tests with the repository's neighbours hidden ==="
"$root/scripts/check-standalone.sh" "$root/build" >"$logs/standalone.out" 2>&1 || {
  cat "$logs/standalone.out"
  echo "test.sh: the unit tests need something outside the repository" >&2
  failed=1
}
tail -n 3 "$logs/standalone.out"

if [[ "${S3M_SKIP_SANITIZE:-0}" != 1 ]]; then
  "$root/scripts/build.sh" "$root/build-asan" --sanitize
  # halt_on_error: a sanitizer finding fails the test that triggered it.
  export ASAN_OPTIONS="detect_leaks=1:halt_on_error=1:abort_on_error=0"
  export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
  # Left out here, run in the regular pass: tests that measure time (the
  # request and bandwidth limits) or drive a browser (the live page); their
  # code runs under the sanitizers in its unit tests, and together they
  # would add over a minute to a run that must stay under 30.
  run_suite "$root/build-asan" sanitized -E '^e2e\.(watch_page$|PacingTest\.|BandwidthTest\.)' || failed=1
fi

fuzz_passed=0 fuzz_failed=0
if [[ "${S3M_SKIP_SANITIZE:-0}" != 1 ]]; then
  echo "=== fuzz: each target for ${S3M_FUZZ_SECONDS:-15} s ==="
  "$root/scripts/fuzz.sh" --seconds "${S3M_FUZZ_SECONDS:-15}" | tee "$logs/fuzz.out" || failed=1
  fuzz_passed="$(awk 'NR > 1 && $4 == 0' "$logs/fuzz.out" | wc -l)"
  fuzz_failed="$(awk 'NR > 1 && $4 != 0' "$logs/fuzz.out" | wc -l)"
  ((fuzz_passed > 0)) || { echo "test.sh: the fuzz run did not complete" >&2; failed=1; }
fi

# Totals over every ctest run: "N tests failed out of M".
passed=$fuzz_passed failures=$fuzz_failed
for log in "$logs"/*.log; do
  line="$(grep -E 'tests passed, [0-9]+ tests failed out of [0-9]+' "$log" | tail -1 || true)"
  if [[ -z "$line" ]]; then
    echo "test.sh: no ctest summary in $(basename "$log"): the run did not complete" >&2
    failed=1
    continue
  fi
  f="$(sed -E 's/.* ([0-9]+) tests failed out of ([0-9]+).*/\1/' <<<"$line")"
  t="$(sed -E 's/.* ([0-9]+) tests failed out of ([0-9]+).*/\2/' <<<"$line")"
  passed=$((passed + t - f))
  failures=$((failures + f))
done
# The failed tests of every run again, last: CI shows only the output's tail.
for log in "$logs"/*.log; do
  if grep -q 'The following tests FAILED' "$log"; then
    echo "=== failed in the $(basename "$log" .log) run ==="
    sed -n '/The following tests FAILED/,/^$/p' "$log" | grep -E '^[[:space:]]+[0-9]+ - '
  fi
done
((failures == 0)) || failed=1
echo "${passed} passed, ${failures} failed"
exit "$failed"
