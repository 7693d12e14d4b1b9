#!/usr/bin/env bash
# s3migrate side by side with rclone, the AWS CLI and s3cmd (issue 18). Not a
# test: it prints figures.
#
#   bench/compare/run.sh [--reps N] [--sets small,large,mixed] [--servers s3emu,s3rver]
#                        [--mode copy|move] [--build DIR] [--baseline S3MIGRATE_BINARY]
#                        [--quick]
#   (defaults: 5 repetitions, every set, both servers, copy)
#
# Starts s3emu (tools/s3emu, signature checking on) and s3rver 3.7.1 through
# scripts/with-test-servers.sh, puts the same data sets on each, and moves
# them off with each tool in turn, in the same run:
#   s3migrate  `scan`, then `migrate --keep-source` (copy) or `migrate` (move),
#              timed together
#   rclone     `copy --checksum` / `move --checksum` (Debian's rclone 1.60)
#   aws        `/usr/bin/aws s3 cp|mv --recursive` (Debian's AWS CLI v2),
#              max_concurrent_requests 32
#   s3cmd      `get --recursive` (then `del --recursive` when moving)
#   baseline   with --baseline: another s3migrate binary, run like s3migrate
# and the ceilings, measured in the same run:
#   wrk        the server's raw GET rate: wrk -t2 on a presigned URL of one
#              object of the set (64 connections on a 16 KiB one for small,
#              4 on a 256 MiB one for large; none for mixed)
#   get-loop   s3migrate's own HTTP client in a bare parallel GET loop over
#              the bucket, bodies thrown away (bench_compare_get_loop)
#   disk       writing the set's bytes to the destination's disk with
#              `dd conv=fdatasync` (what a tool that keeps its files durable
#              cannot beat; rclone, aws and s3cmd do not fsync)
# Data sets (files made once, uploaded with the AWS CLI, 16 MiB multipart
# parts for objects over 16 MiB):
#   small   10,000 x 16 KiB
#   large   8 x 256 MiB (multipart)
#   mixed   1,000 objects from 1 KiB to 64 MiB (600 up to 64 KiB, 300 up to
#           1 MiB, 90 up to 8 MiB, 10 up to 64 MiB; log-uniform in each band)
# --quick shrinks them (1,000 small, 2 large, 100 mixed) to try the script.
#
# Each repetition runs every tool once, the order rotating by one from one
# repetition to the next; in copy mode the buckets stay as they are, in move
# mode each run gets its set uploaded again first. Every run is checked before
# its time counts: every file on disk with the source's SHA-256, and the
# bucket untouched (copy) or empty (move). A tool that fails aborts the run.
#
# Figures per tool (medians): objects/s, MB/s (10^6 bytes of object data per
# second of wall clock), client CPU seconds (user + sys) per GB and per 1,000
# objects, peak RSS (GNU time: the largest process), TCP connects to the
# server per 1,000 objects (strace --seccomp-bpf, which stops the process only
# at connect), and rclone's time / the tool's.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
reps=5
sets="small,large,mixed"
servers="s3emu,s3rver"
mode=copy
build="$root/build"
baseline=""
quick=0
while (($# > 0)); do
  case "$1" in
    --reps) reps="$2"; shift ;;
    --sets) sets="$2"; shift ;;
    --servers) servers="$2"; shift ;;
    --mode) mode="$2"; shift ;;
    --build) build="$2"; shift ;;
    --baseline) baseline="$(realpath "$2")"; shift ;;
    --quick) quick=1 ;;
    *)
      echo "usage: $0 [--reps N] [--sets small,large,mixed] [--servers s3emu,s3rver]" \
        "[--mode copy|move] [--build DIR] [--baseline BIN] [--quick]" >&2
      exit 2
      ;;
  esac
  shift
done
[[ "$mode" == copy || "$mode" == move ]] || { echo "--mode is copy or move" >&2; exit 2; }
for tool in /usr/bin/aws rclone s3cmd wrk strace /usr/bin/time; do
  command -v "$tool" >/dev/null || { echo "$tool is missing: run scripts/install-deps.sh" >&2; exit 1; }
done
if [[ ! -x "$build/src/cli/s3migrate" || ! -x "$build/bench/compare/bench_compare_get_loop" ]]; then
  cmake -S "$root" -B "$build" >/dev/null
  cmake --build "$build" --target s3migrate s3emu bench_compare_get_loop >/dev/null
fi

# The destination is on the machine's disk, not a tmpfs: s3migrate fsyncs
# every file (and its directory) before it records it, and that cost belongs
# in its figures.
work="$(mktemp -d /var/tmp/s3migrate-compare-XXXXXX)"
trap 'rm -rf "$work"' EXIT
export S3M_S3EMU_BIN="$build/tools/s3emu/s3emu"
export S3M_TEST_S3RVER_ARGS=--silent  # its per-request log would cost it a quarter of its rate
export BENCH_ROOT="$root" BENCH_BUILD="$build" BENCH_WORK="$work" BENCH_REPS="$reps"
export BENCH_SETS="$sets" BENCH_SERVERS="$servers" BENCH_MODE="$mode" BENCH_BASELINE="$baseline"
export BENCH_QUICK="$quick"
"$root/scripts/with-test-servers.sh" --s3emu --s3rver -- bash "$root/bench/compare/run_inside.sh"
