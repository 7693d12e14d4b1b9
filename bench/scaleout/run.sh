#!/usr/bin/env bash
# Several migrate workers on one PostgreSQL state (issue 20). Not a test: it
# prints figures.
#
#   bench/scaleout/run.sh [--objects N] [--size BYTES] [--reps R] [--workers "1 2 4"]
#                         [--concurrency C] [--build DIR]
#   (defaults: 3,000 objects of 16 KiB, 3 repetitions, 1, 2 and 4 workers,
#   8 transfers per worker)
#
# Starts s3emu and PostgreSQL through scripts/with-test-servers.sh. For each
# repetition and each worker count W, in turn: a bucket of N synthetic
# objects (s3emu's admin API), a fresh PostgreSQL database, `s3migrate scan`,
# then W `s3migrate migrate` processes started together on that database,
# timed from the first start to the last exit. Every run is checked before it
# counts: every object deleted from the bucket and every row `deleted`.
# Reported per W: objects/s (median and runs), the speed-up over one worker,
# and the database round trips per object — every statement the workers
# sent (pg_stat_statements' calls, BEGIN and COMMIT included), divided by N.
# A SQLite run (one worker, the default state) is measured alongside.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"

if [[ "${1:-}" != --inside ]]; then
  build="$root/build"
  args=("$@")
  for ((i = 0; i < ${#args[@]}; i++)); do
    [[ "${args[i]}" == --build ]] && build="${args[i + 1]}"
  done
  [[ -x "$build/src/cli/s3migrate" ]] || "$root/scripts/build.sh" "$build"
  export S3M_S3EMU_BIN="$build/tools/s3emu/s3emu"
  exec "$root/scripts/with-test-servers.sh" --s3emu --postgres -- "$0" --inside "$@"
fi
shift

objects=3000 size=16384 reps=3 worker_counts="1 2 4" concurrency=8 build="$root/build"
while (($#)); do
  case "$1" in
    --objects) objects="$2"; shift ;;
    --size) size="$2"; shift ;;
    --reps) reps="$2"; shift ;;
    --workers) worker_counts="$2"; shift ;;
    --concurrency) concurrency="$2"; shift ;;
    --build) build="$2"; shift ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
  shift
done
# shellcheck source=bench/lib.sh
source "$root/bench/lib.sh"
bin="$build/src/cli/s3migrate"
psql="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)/psql"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
export AWS_ACCESS_KEY_ID="$S3M_TEST_S3EMU_ACCESS_KEY" AWS_SECRET_ACCESS_KEY="$S3M_TEST_S3EMU_SECRET_KEY"
export AWS_REGION="$S3M_TEST_S3EMU_REGION" AWS_EC2_METADATA_DISABLED=true
export AWS_CONFIG_FILE="$work/none" AWS_SHARED_CREDENTIALS_FILE="$work/none"
admin_uri="$S3M_TEST_POSTGRES_ADMIN_URI"
base_uri="${admin_uri%/*}"

sql() { "$psql" -qtAX -v ON_ERROR_STOP=1 "$1" -c "$2"; }

# One run: prints "seconds round_trips_per_object" (round trips: - for SQLite).
run_once() {
  local workers="$1" engine="$2" tag="$3"
  local bucket="scale-$tag" dir="$work/$tag"
  mkdir -p "$dir/dest"
  curl -sf -X POST "$S3M_TEST_S3EMU_ADMIN/synthetic" -H 'Content-Type: application/json' \
    -d "{\"bucket\": \"$bucket\", \"count\": $objects, \"size\": $size, \"create_bucket\": true}" >/dev/null
  local db="$dir/state.db"
  if [[ "$engine" == postgres ]]; then
    local name="scale_${tag//-/_}"
    sql "$admin_uri" "CREATE DATABASE $name"
    db="$base_uri/$name"
  fi
  cat >"$dir/s3migrate.toml" <<TOML
local_base_path = "$dir/dest"
state_db = "$db"
endpoint_url = "$S3M_TEST_S3EMU_ENDPOINT"
path_style = true
min_free_space = 0
include = ["$bucket"]
concurrency = $concurrency
TOML
  "$bin" --config "$dir/s3migrate.toml" --no-progress scan >/dev/null
  if [[ "$engine" == postgres ]]; then
    sql "$db" "CREATE EXTENSION IF NOT EXISTS pg_stat_statements; SELECT pg_stat_statements_reset()" >/dev/null
  fi
  local start end pids=() w
  start="$(date +%s.%N)"
  for ((w = 0; w < workers; w++)); do
    "$bin" --config "$dir/s3migrate.toml" --no-progress migrate >"$dir/worker-$w.log" 2>&1 &
    pids+=($!)
  done
  for w in "${pids[@]}"; do
    wait "$w" || { echo "a worker failed (tag $tag):" >&2; cat "$dir"/worker-*.log >&2; return 1; }
  done
  end="$(date +%s.%N)"
  # Checked before it counts: the bucket empty, every row deleted.
  local left rows
  left="$(curl -sf "$S3M_TEST_S3EMU_ENDPOINT/$bucket?list-type=2" \
    -H "x-amz-content-sha256: e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" --aws-sigv4 "aws:amz:$AWS_REGION:s3" --user "$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY" |
    grep -o '<KeyCount>[0-9]*' | grep -o '[0-9]*$')"
  if [[ "$engine" == postgres ]]; then
    rows="$(sql "$db" "SELECT COUNT(*) FROM files WHERE state = 'deleted'")"
  else
    rows="$(sqlite3 "$db" "SELECT COUNT(*) FROM files WHERE state = 'deleted'")"
  fi
  if [[ "$left" != 0 || "$rows" != "$objects" ]]; then
    echo "run $tag: $left objects left in the bucket, $rows of $objects rows deleted" >&2
    return 1
  fi
  local trips=-
  if [[ "$engine" == postgres ]]; then
    local calls
    calls="$(sql "$db" "SELECT SUM(calls) FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database
             WHERE datname = current_database()) AND query NOT LIKE '%pg_stat_statements%'")"
    trips="$(awk -v c="$calls" -v n="$objects" 'BEGIN { printf "%.1f", c / n }')"
  fi
  rm -rf "$dir/dest"
  awk -v s="$start" -v e="$end" -v t="$trips" 'BEGIN { printf "%.3f %s\n", e - s, t }'
}

echo "scale-out: $objects objects of $size bytes, $reps repetitions, workers: $worker_counts," \
  "$concurrency transfers each; $(nproc) cores"
configs=("1:sqlite")
for w in $worker_counts; do configs+=("$w:postgres"); done
for ((r = 1; r <= reps; r++)); do
  for c in "${configs[@]}"; do
    w="${c%%:*}" engine="${c#*:}"
    read -r secs trips < <(run_once "$w" "$engine" "$engine-$w-$r")
    rate="$(awk -v s="$secs" -v n="$objects" 'BEGIN { printf "%.0f", n / s }')"
    echo "$rate" >>"$work/rate-$c"
    echo "$trips" >>"$work/trips-$c"
    echo "  rep $r, $engine, $w worker(s): $secs s, $rate objects/s, $trips round trips/object"
  done
done

base="$(median "$work/rate-1:postgres" 2>/dev/null || echo 0)"
echo
echo "| state | workers | objects/s (median) | runs | vs 1 worker | DB round trips per object |"
echo "| --- | --- | --- | --- | --- | --- |"
for c in "${configs[@]}"; do
  w="${c%%:*}" engine="${c#*:}"
  m="$(median "$work/rate-$c")"
  runs="$(paste -sd/ "$work/rate-$c" | sed 's|/| / |g')"
  ratio="$(awk -v m="$m" -v b="$base" 'BEGIN { printf (b > 0 ? "%.2f" : "-"), m / b }')"
  [[ "$engine" == sqlite ]] && ratio="-"
  trips="$(sort -g "$work/trips-$c" | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }')"
  echo "| $engine | $w | $m | $runs | $ratio | $trips |"
done
