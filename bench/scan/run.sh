#!/usr/bin/env bash
# The scan benchmark (issue 4). Not a test: it prints figures.
#
#   bench/scan/run.sh [--objects N] [--reps R] [--build DIR]
#                     (defaults: N = 1,000,000, R = 3)
#
# 1. Ingest: bench_scan_store_ingest writes N synthetic listed objects into a
#    fresh state database through StateStore::ApplyPage (what the scanner's
#    writer does), then rescans them, then times `status`'s queries; it
#    reports rows/s (wall and per-core CPU), status time and peak RSS. Run
#    for N and N/4, R times each (medians).
#    Targets: ingest >= 200,000 rows/s, status < 0.5 s, peak RSS < 150 MiB.
# 2. Listing: s3emu serves two synthetic buckets, of N and N/4 objects. R
#    times, alternating: the bare paginated ListObjectsV2 loop
#    (bench_scan_list_loop, the server's ceiling), then `s3migrate scan`
#    into a fresh database (objects/s, peak RSS from the kernel). Then
#    `s3migrate status` on that database (R times), and a scan of the N/4
#    bucket to show peak RSS does not grow with N.
#    Targets: scan within 10% of the bare loop (ratio of the medians, same
#    run), peak RSS < 150 MiB and flat in N, status < 0.5 s.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
objects=1000000
reps=3
build="$root/build"
while (($# > 0)); do
  case "$1" in
    --objects) objects="$2"; shift ;;
    --reps) reps="$2"; shift ;;
    --build) build="$2"; shift ;;
    *) echo "usage: $0 [--objects N] [--reps R] [--build DIR]" >&2; exit 2 ;;
  esac
  shift
done
small=$((objects / 4))

if [[ ! -f "$build/CMakeCache.txt" ]]; then
  cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
fi
cmake --build "$build" --target bench_scan_store_ingest bench_scan_list_loop s3migrate s3emu >/dev/null

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
# shellcheck source=bench/lib.sh
source "$root/bench/lib.sh"

echo "== 1. state database ingest (bench_scan_store_ingest), $reps runs each"
for n in "$objects" "$small"; do
  for ((r = 1; r <= reps; r++)); do
    out="$("$build/bench/scan/bench_scan_store_ingest" --objects "$n" || true)"
    echo "$out" | sed "s/^/  [$n #$r] /"
    sed -n 's/^ingest: .* = \([0-9]*\) rows\/s (CPU .* = \([0-9]*\) rows\/s per core)/\1 \2/p' <<<"$out" |
      while read -r wall cpu; do echo "$wall" >>"$work/ingest-wall.$n"; echo "$cpu" >>"$work/ingest-cpu.$n"; done
    sed -n 's/^status: *\([0-9.]*\) s.*/\1/p' <<<"$out" >>"$work/ingest-status.$n"
    sed -n 's/^peak RSS: \([0-9.]*\) MiB/\1/p' <<<"$out" >>"$work/ingest-rss.$n"
  done
done

echo "== 2. listing from s3emu: $objects and $small synthetic objects, $reps runs"
export S3M_S3EMU_BIN="$build/tools/s3emu/s3emu"
synthetic="size=16384,key_pattern=photos/{i:08}.jpg,seed=7"
export S3M_TEST_S3EMU_ARGS="--synthetic bucket=scan-bench,count=$objects,$synthetic --synthetic bucket=scan-small,count=$small,$synthetic"
export BENCH_BUILD="$build" BENCH_WORK="$work" BENCH_REPS="$reps" BENCH_N="$objects" BENCH_SMALL="$small"
"$root/scripts/with-test-servers.sh" --s3emu -- bash -c '
  set -euo pipefail
  e="$S3M_TEST_S3EMU_ENDPOINT" a="$S3M_TEST_S3EMU_ACCESS_KEY" s="$S3M_TEST_S3EMU_SECRET_KEY" r="$S3M_TEST_S3EMU_REGION"
  # measure NAME CMD...: runs CMD (stdout discarded); appends its seconds
  # and peak RSS (MiB, from the kernel: ru_maxrss is in KiB) to
  # $BENCH_WORK/NAME.{s,rss}, and prints them.
  measure() {
    local name="$1"; shift
    /usr/bin/python3 - "$BENCH_WORK/$name" "$@" <<PY
import resource, subprocess, sys, time
t = time.monotonic()
rc = subprocess.call(sys.argv[2:], stdout=subprocess.DEVNULL)
s = time.monotonic() - t
mib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
if rc != 0: sys.exit(f"{sys.argv[2]} exited with {rc}")
open(sys.argv[1] + ".s", "a").write(f"{s:.3f}\n")
open(sys.argv[1] + ".rss", "a").write(f"{mib:.1f}\n")
print(f"{s:.2f} s, peak RSS {mib:.1f} MiB")
PY
  }
  export AWS_ACCESS_KEY_ID="$a" AWS_SECRET_ACCESS_KEY="$s" AWS_REGION="$r"
  export AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null AWS_EC2_METADATA_DISABLED=true
  cli=("$BENCH_BUILD/src/cli/s3migrate" --endpoint-url "$e" --path-style --no-progress)
  for ((i = 1; i <= BENCH_REPS; i++)); do
    echo -n "  [#$i] list loop:      "; measure loop "$BENCH_BUILD/bench/scan/bench_scan_list_loop" "$e" "$a" "$s" "$r" scan-bench
    rm -f "$BENCH_WORK"/state.db*
    echo -n "  [#$i] s3migrate scan: "; measure scan "${cli[@]}" --db "$BENCH_WORK/state.db" scan scan-bench
  done
  files="$("${cli[@]}" --db "$BENCH_WORK/state.db" status --json |
    /usr/bin/python3 -c "import json,sys; print(json.load(sys.stdin)[\"totals\"][\"files\"])")"
  [[ "$files" == "$BENCH_N" ]] || { echo "the database holds $files objects, not $BENCH_N" >&2; exit 1; }
  for ((i = 1; i <= BENCH_REPS; i++)); do
    echo -n "  [#$i] s3migrate status ($files objects): "; measure status "${cli[@]}" --db "$BENCH_WORK/state.db" status
  done
  for ((i = 1; i <= BENCH_REPS; i++)); do
    rm -f "$BENCH_WORK"/small.db*
    echo -n "  [#$i] s3migrate scan of $BENCH_SMALL: "; measure scan-small "${cli[@]}" --db "$BENCH_WORK/small.db" scan scan-small
  done
'

m() { median "$work/$1"; }
rate() { awk -v n="$1" -v s="$2" 'BEGIN { printf "%.0f", n / s }'; }
loop_rate="$(rate "$objects" "$(m loop.s)")" scan_rate="$(rate "$objects" "$(m scan.s)")"
echo
echo "medians of $reps runs ($objects objects; N/4 = $small):"
echo "| figure | value | target |"
echo "| --- | --- | --- |"
echo "| ingest, wall ($objects rows) | $(m "ingest-wall.$objects") rows/s | >= 200,000 |"
echo "| ingest, CPU per core ($objects rows) | $(m "ingest-cpu.$objects") rows/s | |"
echo "| ingest, wall / CPU ($small rows) | $(m "ingest-wall.$small") / $(m "ingest-cpu.$small") rows/s | |"
echo "| ingest peak RSS ($objects / $small rows) | $(m "ingest-rss.$objects") / $(m "ingest-rss.$small") MiB | < 150, flat |"
echo "| bare ListObjectsV2 loop | $loop_rate objects/s | |"
echo "| s3migrate scan | $scan_rate objects/s | |"
echo "| scan / loop | $(awk -v a="$scan_rate" -v b="$loop_rate" 'BEGIN { printf "%.2f", a / b }') | >= 0.90 |"
echo "| scan peak RSS ($objects / $small objects) | $(m scan.rss) / $(m scan-small.rss) MiB | < 150, flat |"
echo "| s3migrate status ($objects objects) | $(m status.s) s | < 0.5 |"
echo "| status queries in-process ($objects rows) | $(m "ingest-status.$objects") s | < 0.5 |"
