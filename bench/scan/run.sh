#!/usr/bin/env bash
# The scan benchmark (issue 4). Not a test: it prints figures.
#
#   bench/scan/run.sh [--objects N] [--build DIR]      (N default 1,000,000)
#
# 1. Ingest: bench_scan_store_ingest writes N synthetic listed objects into a
#    fresh state database through StateStore::ApplyPage (what the scanner's
#    writer does), then rescans them, then times `status`'s queries; it
#    reports rows/s (wall and per-core CPU), status time and peak RSS.
#    Targets: ingest >= 200,000 rows/s, status < 0.5 s, peak RSS < 150 MiB.
# 2. Listing, when the S3 emulator is built (tools/s3emu): s3emu serves N
#    synthetic objects; a bare paginated listing loop (bench_scan_list_loop)
#    gives the server's ceiling, then `s3migrate scan` lists the same bucket
#    into a database (objects/s, peak RSS), then `s3migrate status` is timed.
#    Target: scan within 10% of the bare loop, peak RSS < 150 MiB and flat in N.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
objects=1000000
build="$root/build"
while (($# > 0)); do
  case "$1" in
    --objects) objects="$2"; shift ;;
    --build) build="$2"; shift ;;
    *) echo "usage: $0 [--objects N] [--build DIR]" >&2; exit 2 ;;
  esac
  shift
done

if [[ ! -f "$build/build.ninja" ]]; then
  cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
fi
targets=(bench_scan_store_ingest bench_scan_list_loop s3migrate)
if grep -q '^build tools/s3emu/s3emu:' "$build/build.ninja" 2>/dev/null; then targets+=(s3emu); fi
ninja -C "$build" "${targets[@]}" >/dev/null

echo "== 1. state database ingest, $objects rows"
"$build/bench/scan/bench_scan_store_ingest" --objects "$objects" || true

emu="$build/tools/s3emu/s3emu"
if [[ ! -x "$emu" ]]; then
  echo "== 2. listing from the emulator: skipped ($emu not built yet)"
  exit 0
fi

echo "== 2. listing $objects synthetic objects from s3emu"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
export S3M_S3EMU_BIN="$emu"
export S3M_TEST_S3EMU_ARGS="--synthetic bucket=scan-bench,count=$objects,size=16384,key_pattern=photos/{i:08}.jpg,seed=7"
export BENCH_BUILD="$build" BENCH_WORK="$work"
"$root/scripts/with-test-servers.sh" --s3emu -- bash -c '
  set -euo pipefail
  e="$S3M_TEST_S3EMU_ENDPOINT" a="$S3M_TEST_S3EMU_ACCESS_KEY" s="$S3M_TEST_S3EMU_SECRET_KEY" r="$S3M_TEST_S3EMU_REGION"
  "$BENCH_BUILD/bench/scan/bench_scan_list_loop" "$e" "$a" "$s" "$r" scan-bench
  # Peak RSS of a child, from the kernel (ru_maxrss is in KiB on Linux).
  measure() {
    /usr/bin/python3 - "$@" <<PY
import resource, subprocess, sys, time
t = time.monotonic()
rc = subprocess.call(sys.argv[1:], stdout=subprocess.DEVNULL)
s = time.monotonic() - t
kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
print(f"{s:.2f} s, peak RSS {kib / 1024:.1f} MiB, exit {rc}")
PY
  }
  export AWS_ACCESS_KEY_ID="$a" AWS_SECRET_ACCESS_KEY="$s" AWS_REGION="$r"
  export AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null AWS_EC2_METADATA_DISABLED=true
  cli=("$BENCH_BUILD/src/cli/s3migrate" --endpoint-url "$e" --path-style --no-progress --db "$BENCH_WORK/state.db")
  echo -n "s3migrate scan: "; measure "${cli[@]}" scan scan-bench
  "${cli[@]}" status --json | /usr/bin/python3 -c "import json,sys; print(\"objects in the database:\", json.load(sys.stdin)[\"totals\"][\"files\"])"
  echo -n "s3migrate status: "; measure "${cli[@]}" status
'
