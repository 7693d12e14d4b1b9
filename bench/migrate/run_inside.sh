#!/usr/bin/env bash
# The body of bench/migrate/run.sh, run while the emulator is up (it needs
# the S3M_TEST_S3EMU_* variables scripts/with-test-servers.sh exports and the
# BENCH_* ones run.sh sets). Not meant to be started by hand.
set -euo pipefail
# shellcheck source=bench/lib.sh
source "$BENCH_ROOT/bench/lib.sh"

work="$BENCH_WORK"
endpoint="$S3M_TEST_S3EMU_ENDPOINT"
admin="$S3M_TEST_S3EMU_ADMIN"
access="$S3M_TEST_S3EMU_ACCESS_KEY" secret="$S3M_TEST_S3EMU_SECRET_KEY" region="$S3M_TEST_S3EMU_REGION"
s3migrate="$BENCH_BUILD/src/cli/s3migrate"
get_loop="$BENCH_BUILD/bench/migrate/bench_migrate_get_loop"
baseline="${BENCH_BASELINE:-}"
tools=(s3migrate rclone aws s3cmd get-loop)
[[ -n "$baseline" ]] && tools=(s3migrate baseline rclone aws s3cmd get-loop)

# Every client reads only what this script gives it: no ~/.aws, no ~/.s3cfg.
export AWS_ACCESS_KEY_ID="$access" AWS_SECRET_ACCESS_KEY="$secret" AWS_REGION="$region"
export AWS_SHARED_CREDENTIALS_FILE=/dev/null AWS_EC2_METADATA_DISABLED=true
cat >"$work/aws.config" <<EOF
[default]
s3 =
  max_concurrent_requests = 32
  multipart_chunksize = 16MB
  multipart_threshold = 16MB
EOF
export AWS_CONFIG_FILE="$work/aws.config"
aws=(/usr/bin/aws --endpoint-url "$endpoint")
hostport="${endpoint#http://}"
cat >"$work/s3cfg" <<EOF
[default]
access_key = $access
secret_key = $secret
host_base = $hostport
host_bucket = $hostport
use_https = False
signature_v2 = False
bucket_location = $region
EOF

# --- data sets ---------------------------------------------------------------

# make_small: 10,000 x 16 KiB synthetic objects in bucket "small" (the same
# seed every time, so the same bytes and ETags).
make_small() {
  curl -sf -X POST "$admin/synthetic" -d '{"bucket": "small", "count": 10000, "size": 16384,
    "key_pattern": "photos/{i:08}.jpg", "seed": 11, "create_bucket": true}' >/dev/null
}
# make_large: 8 x 256 MiB multipart objects in bucket "large", uploaded from
# the files made once in $work/large-src.
make_large() {
  "${aws[@]}" s3api create-bucket --bucket large >/dev/null 2>&1 || true
  "${aws[@]}" s3 cp --only-show-errors --recursive "$work/large-src" s3://large/
}
set_objects() { case "$1" in small) echo 10000 ;; large) echo 8 ;; esac; }
set_bytes() { case "$1" in small) echo $((10000 * 16384)) ;; large) echo $((8 * 256 << 20)) ;; esac; }

# expected SET: writes $work/SET.expected, "<md5 or sha256>  <key>" per object.
expected() {
  local set="$1"
  case "$set" in
    small)
      make_small
      "${aws[@]}" s3api list-objects-v2 --bucket small --query 'Contents[].[ETag,Key]' --output text |
        tr -d '"' | awk '{ print $1 "  " $2 }' | sort -k2 >"$work/small.expected"
      ;;
    large)
      mkdir -p "$work/large-src"
      for i in 1 2 3 4 5 6 7 8; do head -c $((256 << 20)) /dev/urandom >"$work/large-src/video-$i.mp4"; done
      (cd "$work/large-src" && sha256sum -- * | sort -k2) >"$work/large.expected"
      ;;
  esac
}

# check TOOL SET DIR: the local tree under DIR holds exactly the expected
# objects, byte for byte, and (except for get-loop) the bucket is empty.
check() {
  local tool="$1" set="$2" dir="$3" sum=md5sum got
  [[ "$set" == large ]] && sum=sha256sum
  if [[ "$tool" != get-loop ]]; then
    got="$(cd "$dir/$set" && find . -type f -printf '%P\0' | sort -z | xargs -0 -r "$sum" --)"
    if [[ "$got" != "$(cat "$work/$set.expected")" ]]; then
      echo "$tool on $set: the local tree differs from the source objects" >&2
      diff <(echo "$got") "$work/$set.expected" | head >&2
      exit 1
    fi
  fi
  local left
  # s3 ls pages through the whole listing; s3api --query would count per page.
  left="$("${aws[@]}" s3 ls "s3://$set" --recursive | wc -l)"
  if [[ "$tool" == get-loop ]]; then
    [[ "$left" == "$(set_objects "$set")" ]] || { echo "get-loop on $set: objects vanished" >&2; exit 1; }
  elif [[ "$left" != 0 ]]; then
    echo "$tool on $set: $left objects left in the bucket" >&2
    exit 1
  fi
}

# --- the tools ---------------------------------------------------------------

# run_tool TOOL SET DEST: moves bucket SET into DEST/SET (get-loop: reads it).
run_tool() {
  local tool="$1" set="$2" dest="$3"
  case "$tool" in
    s3migrate | baseline)
      local bin="$s3migrate"
      [[ "$tool" == baseline ]] && bin="$baseline"
      cat >"$work/s3migrate.toml" <<EOF
local_base_path = "$dest"
state_db = "$work/state.db"
endpoint_url = "$endpoint"
path_style = true
EOF
      rm -f "$work/state.db"*
      "$bin" --config "$work/s3migrate.toml" scan "$set" >/dev/null &&
        "$bin" --config "$work/s3migrate.toml" --no-progress migrate >"$work/s3migrate.out"
      ;;
    rclone)
      local tuning=(--transfers 32 --checkers 32)
      [[ "$set" == large ]] && tuning=(--transfers 8 --multi-thread-streams 4)
      # rclone 1.60 refuses to start when AWS_CA_BUNDLE is set (LoadCustomCABundleError).
      env -u AWS_CA_BUNDLE RCLONE_CONFIG_EMU_TYPE=s3 RCLONE_CONFIG_EMU_PROVIDER=Other \
        RCLONE_CONFIG_EMU_ENDPOINT="$endpoint" RCLONE_CONFIG_EMU_REGION="$region" \
        RCLONE_CONFIG_EMU_ACCESS_KEY_ID="$access" RCLONE_CONFIG_EMU_SECRET_ACCESS_KEY="$secret" \
        RCLONE_CONFIG_EMU_FORCE_PATH_STYLE=true \
        rclone move --config /dev/null --checksum "${tuning[@]}" "emu:$set" "$dest/$set"
      ;;
    aws) "${aws[@]}" s3 mv --only-show-errors --recursive "s3://$set/" "$dest/$set/" ;;
    s3cmd)
      mkdir -p "$dest/$set"
      s3cmd -c "$work/s3cfg" --quiet get --recursive "s3://$set/" "$dest/$set/" &&
        s3cmd -c "$work/s3cfg" --quiet del --recursive --force "s3://$set/"
      ;;
    get-loop) "$get_loop" "$endpoint" "$access" "$secret" "$region" "$set" 32 $((16 << 20)) >/dev/null ;;
  esac
}

# measure TOOL SET REP: recreates SET, runs TOOL under GNU time, checks the
# result, and appends "seconds cpu_seconds max_rss_kib" to $work/SET.TOOL.
measure() {
  local tool="$1" set="$2" rep="$3" dest="$work/dest"
  rm -rf "$dest" && mkdir -p "$dest"
  "${aws[@]}" s3 rm --only-show-errors --recursive "s3://$set/" 2>/dev/null || true
  "make_$set"
  sync
  if ! /usr/bin/time -f '%e %U %S %M' -o "$work/time" \
       bash -c "$(declare -f run_tool); $(declare -p work endpoint region access secret s3migrate baseline get_loop aws); \
                export AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_REGION AWS_CONFIG_FILE; \
                run_tool $tool $set $dest" >"$work/tool.log" 2>&1; then
    echo "$tool on $set failed:" >&2
    tail -20 "$work/tool.log" >&2
    exit 1
  fi
  check "$tool" "$set" "$dest"
  local e u s m
  read -r e u s m <"$work/time"
  echo "$e $(awk -v u="$u" -v s="$s" 'BEGIN { print u + s }') $m" >>"$work/$set.$tool"
  local bytes objects
  bytes="$(set_bytes "$set")" objects="$(set_objects "$set")"
  awk -v t="$tool" -v set="$set" -v rep="$rep" -v e="$e" -v u="$u" -v s="$s" -v m="$m" \
      -v b="$bytes" -v n="$objects" 'BEGIN {
    printf "rep %d %-5s %-9s %7.2f s  %8.0f objects/s  %7.1f MB/s  %6.2f CPU s/GB  %6.1f MiB RSS\n",
      rep, set, t, e, n / e, b / e / 1e6, (u + s) / (b / 1e9), m / 1024 }'
}

IFS=, read -r -a wanted <<<"$BENCH_SETS"
for set in "${wanted[@]}"; do
  expected "$set"
  for ((rep = 1; rep <= BENCH_REPS; rep++)); do
    for tool in "${tools[@]}"; do measure "$tool" "$set" "$rep"; done
  done
done

# --- the table -------------------------------------------------------------------

# col SET TOOL N: the median of column N of SET.TOOL.
col() { awk -v n="$3" '{ print $n }' "$work/$1.$2" >"$work/col" && median "$work/col"; }
echo
echo "medians of $BENCH_REPS runs on $(nproc) cores, $(date -u +%Y-%m-%d):"
echo "| data set | tool | objects/s | MB/s | CPU s/GB | peak RSS MiB | vs rclone (objects/s, MB/s) |"
echo "| --- | --- | --- | --- | --- | --- | --- |"
for set in "${wanted[@]}"; do
  bytes="$(set_bytes "$set")" objects="$(set_objects "$set")"
  rclone_s="$(col "$set" rclone 1)"
  for tool in "${tools[@]}"; do
    s="$(col "$set" "$tool" 1)" cpu="$(col "$set" "$tool" 2)" rss="$(col "$set" "$tool" 3)"
    awk -v set="$set" -v t="$tool" -v s="$s" -v cpu="$cpu" -v rss="$rss" -v b="$bytes" -v n="$objects" \
        -v r="$rclone_s" 'BEGIN {
      printf "| %s | %s | %.0f | %.1f | %.2f | %.1f | %.2f |\n", set, t, n / s, b / s / 1e6,
        cpu / (b / 1e9), rss / 1024, r / s }'
  done
  awk -v a="$(col "$set" get-loop 1)" -v m="$(col "$set" s3migrate 1)" -v set="$set" \
    'BEGIN { printf "%s: s3migrate reaches %.0f%% of the raw GET ceiling\n", set, 100 * a / m }' >>"$work/notes"
done
cat "$work/notes"
