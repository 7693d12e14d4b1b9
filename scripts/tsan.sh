#!/usr/bin/env bash
# The unit, integration, emulator and end-to-end suites built with
# ThreadSanitizer (build-tsan/) and run against the real test servers.
#
#   scripts/tsan.sh [CTEST_ARGS...]     # e.g. -R 'e2e\.' to run one suite
#
# A finding fails the test that triggered it (halt_on_error); the only
# suppressions are tests/sanitizers/tsan.supp, each with its reason. Ends with
# ctest's "N% tests passed, N tests failed out of N" line and exits non-zero
# when a test failed. Part of `scripts/reliability.sh --long`, not of
# scripts/test.sh: a cold TSan build and run takes longer than the CI budget
# leaves after the regular, standalone, ASan+UBSan and fuzz stages.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

"$root/scripts/build.sh" "$root/build-tsan" --sanitize=thread >/dev/null
export TSAN_OPTIONS="suppressions=$root/tests/sanitizers/tsan.supp:halt_on_error=1:second_deadlock_stack=1"
# The emulator the integration tests share runs under TSan too.
export S3M_S3EMU_BIN="$root/build-tsan/tools/s3emu/s3emu"
"$root/scripts/with-test-servers.sh" -- \
  ctest --test-dir "$root/build-tsan" --output-on-failure -j 2 --timeout 600 "$@"
