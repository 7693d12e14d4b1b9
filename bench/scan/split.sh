#!/usr/bin/env bash
# One large bucket listed with a server's page latency (issue 20: scan
# sharded by key range). Not a test: it prints figures.
#
#   bench/scan/split.sh [--objects N] [--latency MS] [--reps R] [--build DIR]
#                       (defaults: N = 200,000, MS = 100, R = 3)
#
# s3emu serves one synthetic bucket of N objects and holds every listing
# request (ListObjectsV2, V1 and versions; pages and one-key probes alike)
# MS milliseconds, as a remote S3 endpoint does (AWS: 100-300 ms for a page
# of 1,000). R times,
# rotating the order: `s3migrate scan` with scan_split_listings = false (one
# lister: the bucket's pages one after another), with it on (--parallel 4),
# and the listings of rclone (`lsf -R`), the AWS CLI (`s3 ls --recursive`)
# and s3cmd (`ls --recursive`), which also list one page after another.
# Prints seconds and objects/s (medians) and each one's time over s3migrate's
# split scan. The scans also write every object into a fresh SQLite state.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
objects=200000
latency=100
reps=3
build="$root/build"
while (($# > 0)); do
  case "$1" in
    --objects) objects="$2"; shift ;;
    --latency) latency="$2"; shift ;;
    --reps) reps="$2"; shift ;;
    --build) build="$2"; shift ;;
    *) echo "usage: $0 [--objects N] [--latency MS] [--reps R] [--build DIR]" >&2; exit 2 ;;
  esac
  shift
done
for tool in rclone /usr/bin/aws s3cmd; do
  command -v "$tool" >/dev/null || { echo "$tool is missing: scripts/install-deps.sh installs it" >&2; exit 2; }
done
if [[ ! -f "$build/CMakeCache.txt" ]]; then
  cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
fi
cmake --build "$build" --target s3migrate s3emu >/dev/null

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
export S3M_S3EMU_BIN="$build/tools/s3emu/s3emu"
export S3M_TEST_S3EMU_ARGS="--synthetic bucket=split-bench,count=$objects,size=1024,key_pattern=photos/{i:08}.jpg,seed=7 --fault kind=latency,op=ListObjectsV2,op=ListObjects,op=ListObjectVersions,ms=$latency"
export BENCH_BUILD="$build" BENCH_WORK="$work" BENCH_REPS="$reps" BENCH_N="$objects" BENCH_ROOT="$root"
echo "== one bucket of $objects objects, every listing request held $latency ms; $reps runs"
"$root/scripts/with-test-servers.sh" --s3emu -- bash -c '
  set -euo pipefail
  source "$BENCH_ROOT/bench/lib.sh"
  e="$S3M_TEST_S3EMU_ENDPOINT" a="$S3M_TEST_S3EMU_ACCESS_KEY" s="$S3M_TEST_S3EMU_SECRET_KEY" r="$S3M_TEST_S3EMU_REGION"
  export AWS_ACCESS_KEY_ID="$a" AWS_SECRET_ACCESS_KEY="$s" AWS_REGION="$r"
  hostport="${e#http://}"
  printf "[default]\naccess_key = %s\nsecret_key = %s\nhost_base = %s\nhost_bucket = %s\nuse_https = False\nsignature_v2 = False\nbucket_location = %s\n" \
    "$a" "$s" "$hostport" "$hostport" "$r" >"$BENCH_WORK/s3cfg"
  # run NAME CMD...: times CMD (its stdout counted as lines when NAME is a
  # listing tool) and appends the seconds to $BENCH_WORK/NAME.s.
  run() {
    local name="$1"; shift
    local t0 t1 lines
    t0=$(date +%s.%N)
    lines=$("$@" | wc -l)
    t1=$(date +%s.%N)
    awk -v a="$t0" -v b="$t1" "BEGIN { printf \"%.3f\n\", b - a }" >>"$BENCH_WORK/$name.s"
    printf "  %-14s %6.2f s  (%s lines out)\n" "$name" "$(tail -1 "$BENCH_WORK/$name.s")" "$lines"
  }
  scan() {  # a fresh state; every object must be recorded
    rm -f "$BENCH_WORK/state.db"*
    "$BENCH_BUILD/src/cli/s3migrate" --endpoint-url "$e" --path-style --no-progress --db "$BENCH_WORK/state.db" \
      --config /dev/null scan --parallel 4 split-bench
    local rows
    rows=$(sqlite3 "$BENCH_WORK/state.db" "SELECT COUNT(*) FROM files")
    [[ "$rows" == "$BENCH_N" ]] || { echo "scan recorded $rows objects, not $BENCH_N" >&2; exit 1; }
  }
  tools=(split one-lister rclone aws s3cmd)
  for ((rep = 0; rep < BENCH_REPS; rep++)); do
    echo " run $((rep + 1))"
    for ((k = 0; k < ${#tools[@]}; k++)); do
      tool="${tools[$(((k + rep) % ${#tools[@]}))]}"
      case "$tool" in
        split) run split scan ;;
        one-lister) printf "scan_split_listings = false\n" >"$BENCH_WORK/one.toml"
          run one-lister bash -c "rm -f \"$BENCH_WORK/state.db\"*; \"$BENCH_BUILD/src/cli/s3migrate\" --endpoint-url \"$e\" --path-style --no-progress --db \"$BENCH_WORK/state.db\" --config \"$BENCH_WORK/one.toml\" scan --parallel 4 split-bench" ;;
        rclone) run rclone env -u AWS_CA_BUNDLE RCLONE_CONFIG_EMU_TYPE=s3 RCLONE_CONFIG_EMU_PROVIDER=Other \
            RCLONE_CONFIG_EMU_ENDPOINT="$e" RCLONE_CONFIG_EMU_REGION="$r" RCLONE_CONFIG_EMU_ACCESS_KEY_ID="$a" \
            RCLONE_CONFIG_EMU_SECRET_ACCESS_KEY="$s" RCLONE_CONFIG_EMU_FORCE_PATH_STYLE=true \
            rclone lsf -R --files-only --config /dev/null emu:split-bench ;;
        aws) run aws /usr/bin/aws --endpoint-url "$e" s3 ls --recursive s3://split-bench/ ;;
        s3cmd) run s3cmd s3cmd -c "$BENCH_WORK/s3cfg" ls --recursive s3://split-bench/ ;;
      esac
    done
  done
  split=$(median "$BENCH_WORK/split.s")
  echo
  echo "| tool | seconds (median) | objects/s | time / s3migrate split scan |"
  echo "| --- | --- | --- | --- |"
  for tool in split one-lister rclone aws s3cmd; do
    m=$(median "$BENCH_WORK/$tool.s")
    label="$tool"
    [[ "$tool" == split ]] && label="s3migrate scan (split, 4 listers)"
    [[ "$tool" == one-lister ]] && label="s3migrate scan (scan_split_listings = false)"
    [[ "$tool" == rclone ]] && label="rclone lsf -R"
    [[ "$tool" == aws ]] && label="aws s3 ls --recursive"
    [[ "$tool" == s3cmd ]] && label="s3cmd ls --recursive"
    awk -v l="$label" -v m="$m" -v n="$BENCH_N" -v s="$split" \
      "BEGIN { printf \"| %s | %.2f | %.0f | %.2f |\n\", l, m, n / m, m / s }"
  done
'
