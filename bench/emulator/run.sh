#!/usr/bin/env bash
# The emulator benchmark (issue 3). Not a test: it prints figures.
#
#   bench/emulator/run.sh [--duration S] [--reps N] [--build DIR]
#                         (defaults: 10 s per measurement, 5 repetitions)
#
# Starts s3emu (tools/s3emu, signature checking on, as always) and s3rver
# 3.7.1 side by side on free 127.0.0.1 ports (scripts/with-test-servers.sh),
# puts a 16 KiB and a 64 MiB object on each, and drives both with the same
# load generator, wrk:
#   16 KiB GETs, 64 connections  -> requests/s
#   64 MiB GETs,  4 connections  -> MiB/s
# wrk sends the same URL over and over and cannot sign each request, so it
# gets a presigned URL (query-string SigV4, made by the AWS CLI): s3emu
# verifies that signature on every request; s3rver ignores it.
#
# Each repetition measures s3emu then s3rver, so slow phases of a shared
# machine hit both; the table gives the median of each and the ratio of the
# medians. Any non-2xx answer or socket error aborts the run (an error page
# served fast must not count as throughput).
# Targets: s3emu >= 2x s3rver's requests/s (16 KiB), >= 1x its MiB/s (64 MiB).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
duration=10
reps=5
build="$root/build"
while (($# > 0)); do
  case "$1" in
    --duration) duration="$2"; shift ;;
    --reps) reps="$2"; shift ;;
    --build) build="$2"; shift ;;
    *) echo "usage: $0 [--duration S] [--reps N] [--build DIR]" >&2; exit 2 ;;
  esac
  shift
done
command -v wrk >/dev/null || { echo "wrk is not installed (apt-get install wrk)" >&2; exit 1; }
[[ -x /usr/bin/aws ]] || { echo "/usr/bin/aws (Debian's awscli) is needed to presign URLs" >&2; exit 1; }
if [[ ! -x "$build/tools/s3emu/s3emu" ]]; then
  cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  cmake --build "$build" --target s3emu >/dev/null
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
export S3M_S3EMU_BIN="$build/tools/s3emu/s3emu"
# s3rver at its best: its per-request log would cost it a quarter of its rate.
export S3M_TEST_S3RVER_ARGS=--silent
export BENCH_ROOT="$root" BENCH_WORK="$work" BENCH_DURATION="$duration" BENCH_REPS="$reps"
"$root/scripts/with-test-servers.sh" --s3rver --s3emu -- bash -c '
  set -euo pipefail
  head -c 16384 /dev/urandom >"$BENCH_WORK/16k.bin"
  head -c $((64 << 20)) /dev/urandom >"$BENCH_WORK/64m.bin"
  export AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null AWS_EC2_METADATA_DISABLED=true
  export AWS_REGION=us-east-1

  # setup SERVER ENDPOINT ACCESS SECRET: bucket, both objects (single PUTs),
  # then $BENCH_WORK/SERVER.{16k,64m}.url, presigned for an hour.
  setup() {
    local server="$1" endpoint="$2"
    export AWS_ACCESS_KEY_ID="$3" AWS_SECRET_ACCESS_KEY="$4"
    local aws=(/usr/bin/aws --endpoint-url "$endpoint")
    "${aws[@]}" s3api create-bucket --bucket bench >/dev/null
    for size in 16k 64m; do
      "${aws[@]}" s3api put-object --bucket bench --key "obj-$size" --body "$BENCH_WORK/$size.bin" >/dev/null
      "${aws[@]}" s3 presign "s3://bench/obj-$size" --expires-in 3600 >"$BENCH_WORK/$server.$size.url"
      # The URL must serve the object, byte for byte.
      curl -sf "$(cat "$BENCH_WORK/$server.$size.url")" | cmp -s - "$BENCH_WORK/$size.bin" ||
        { echo "$server: presigned GET of obj-$size does not return the object" >&2; exit 1; }
    done
  }
  setup s3emu "$S3M_TEST_S3EMU_ENDPOINT" "$S3M_TEST_S3EMU_ACCESS_KEY" "$S3M_TEST_S3EMU_SECRET_KEY"
  setup s3rver "$S3M_TEST_S3RVER_ENDPOINT" "$S3M_TEST_S3RVER_ACCESS_KEY" "$S3M_TEST_S3RVER_SECRET_KEY"
  # The emulator really checks the signature: a tampered one is refused.
  bad="$(sed "s/X-Amz-Signature=./X-Amz-Signature=x/" "$BENCH_WORK/s3emu.16k.url")"
  [[ "$(curl -s -o /dev/null -w "%{http_code}" "$bad")" == 403 ]] ||
    { echo "s3emu accepted a tampered presigned URL" >&2; exit 1; }

  # measure SERVER SIZE CONNECTIONS: one wrk run; prints "requests/s MiB/s".
  source "$BENCH_ROOT/bench/lib.sh"
  measure() { wrk_rate "$(cat "$BENCH_WORK/$1.$2.url")" "$3" "$BENCH_DURATION"; }
  for ((rep = 1; rep <= BENCH_REPS; rep++)); do
    for server in s3emu s3rver; do
      read -r rps _ < <(measure "$server" 16k 64)
      read -r _ mib < <(measure "$server" 64m 4)
      echo "$rps" >>"$BENCH_WORK/$server.rps"
      echo "$mib" >>"$BENCH_WORK/$server.mib"
      printf "rep %d %-6s  16 KiB: %6s req/s   64 MiB: %7s MiB/s\n" "$rep" "$server" "$rps" "$mib"
    done
  done
'

# shellcheck source=bench/lib.sh
source "$root/bench/lib.sh"
e_rps="$(median "$work/s3emu.rps")" r_rps="$(median "$work/s3rver.rps")"
e_mib="$(median "$work/s3emu.mib")" r_mib="$(median "$work/s3rver.mib")"
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
echo
echo "medians of $reps runs of $duration s, wrk -t2, presigned GETs:"
echo "| measure | s3emu | s3rver 3.7.1 | s3emu/s3rver | target |"
echo "| --- | --- | --- | --- | --- |"
echo "| 16 KiB GET, 64 connections, requests/s | $e_rps | $r_rps | $(ratio "$e_rps" "$r_rps") | >= 2 |"
echo "| 64 MiB GET, 4 connections, MiB/s | $e_mib | $r_mib | $(ratio "$e_mib" "$r_mib") | >= 1 |"
