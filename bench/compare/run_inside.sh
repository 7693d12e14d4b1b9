#!/usr/bin/env bash
# The body of bench/compare/run.sh, run while the servers are up (it needs the
# S3M_TEST_* variables scripts/with-test-servers.sh exports and the BENCH_*
# ones run.sh sets). Not meant to be started by hand.
set -euo pipefail
# shellcheck source=bench/lib.sh
source "$BENCH_ROOT/bench/lib.sh"

work="$BENCH_WORK"
mode="$BENCH_MODE"
s3migrate="$BENCH_BUILD/src/cli/s3migrate"
get_loop="$BENCH_BUILD/bench/compare/bench_compare_get_loop"
baseline="${BENCH_BASELINE:-}"
tools=(s3migrate rclone aws s3cmd)
[[ -n "$baseline" ]] && tools=(s3migrate baseline rclone aws s3cmd)
ceilings=(wrk get-loop disk)

# Every client reads only what this script gives it: no ~/.aws, no ~/.s3cfg.
export AWS_SHARED_CREDENTIALS_FILE=/dev/null AWS_EC2_METADATA_DISABLED=true
cat >"$work/aws.config" <<EOF
[default]
s3 =
  max_concurrent_requests = 32
  multipart_chunksize = 16MB
  multipart_threshold = 16MB
EOF
export AWS_CONFIG_FILE="$work/aws.config"

# use_server NAME: points the variables below at one server.
use_server() {
  server="$1"
  local up="${server^^}"
  local v="S3M_TEST_${up}_ENDPOINT"; endpoint="${!v}"
  v="S3M_TEST_${up}_ACCESS_KEY"; access="${!v}"
  v="S3M_TEST_${up}_SECRET_KEY"; secret="${!v}"
  v="S3M_TEST_${up}_REGION"; region="${!v}"
  port="${endpoint##*:}"
  export AWS_ACCESS_KEY_ID="$access" AWS_SECRET_ACCESS_KEY="$secret" AWS_REGION="$region"
  aws=(/usr/bin/aws --endpoint-url "$endpoint")
  local hostport="${endpoint#http://}"
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
}

# --- data sets ---------------------------------------------------------------

# make_files SET: the set's files under $work/src/SET (once; deterministic)
# and $work/SET.expected, "<sha256>  <path>" sorted by path.
make_files() {
  local set="$1" dir="$work/src/$1"
  [[ -d "$dir" ]] && return
  mkdir -p "$dir"
  python3 - "$set" "$dir" "$BENCH_QUICK" <<'PY'
import math, os, random, sys
set_name, out, quick = sys.argv[1], sys.argv[2], sys.argv[3] == "1"
rng = random.Random(18)
def write(path, size):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        left = size
        while left:
            n = min(left, 1 << 20)
            f.write(rng.randbytes(n))
            left -= n
if set_name == "small":
    for i in range(1000 if quick else 10000):
        write(f"{out}/photos/{i:08}.jpg", 16384)
elif set_name == "large":
    for i in range(2 if quick else 8):
        write(f"{out}/video-{i + 1}.mp4", 256 << 20)
else:  # mixed: log-uniform sizes in four bands
    bands = [(600, 1 << 10, 64 << 10), (300, 64 << 10, 1 << 20), (90, 1 << 20, 8 << 20),
             (10, 8 << 20, 64 << 20)]
    i = 0
    for count, low, high in bands:
        for _ in range(max(1, count // 10) if quick else count):
            size = int(math.exp(rng.uniform(math.log(low), math.log(high))))
            write(f"{out}/d{i % 7}/obj-{i:05}.bin", size)
            i += 1
PY
  (cd "$dir" && find . -type f -printf '%P\0' | sort -z | xargs -0 sha256sum --) >"$work/$set.expected"
  du -sb --apparent-size "$dir" | cut -f1 >"$work/$set.bytes"
}
set_objects() { wc -l <"$work/$1.expected"; }
set_bytes() { cat "$work/$1.bytes"; }

# seed SET: the bucket SET on the current server holds exactly the set.
seed() {
  local set="$1"
  "${aws[@]}" s3 rm --only-show-errors --recursive "s3://$set/" 2>/dev/null || true
  "${aws[@]}" s3api create-bucket --bucket "$set" >/dev/null 2>&1 || true
  "${aws[@]}" s3 cp --only-show-errors --recursive "$work/src/$set" "s3://$set/"
}

# check TOOL SET DIR: DIR/SET holds exactly the set, byte for byte; the bucket
# is untouched (copy) or empty (move).
check() {
  local tool="$1" set="$2" dir="$3" got left
  if [[ "$tool" != get-loop ]]; then
    got="$(cd "$dir/$set" && find . -type f -printf '%P\0' | sort -z | xargs -0 -r sha256sum --)"
    if [[ "$got" != "$(cat "$work/$set.expected")" ]]; then
      echo "$tool on $set ($server): the local tree differs from the source" >&2
      diff <(echo "$got") "$work/$set.expected" | head >&2
      exit 1
    fi
  fi
  # s3 ls pages through the whole listing.
  left="$("${aws[@]}" s3 ls "s3://$set" --recursive | wc -l)"
  local want=0
  [[ "$mode" == copy || "$tool" == get-loop ]] && want="$(set_objects "$set")"
  if [[ "$left" != "$want" ]]; then
    echo "$tool on $set ($server): $left objects in the bucket, $want expected" >&2
    exit 1
  fi
}

# --- the tools ---------------------------------------------------------------

# run_tool TOOL SET DEST: copies or moves bucket SET into DEST/SET.
run_tool() {
  local tool="$1" set="$2" dest="$3"
  case "$tool" in
    s3migrate | baseline)
      local bin="$s3migrate" keep=()
      [[ "$tool" == baseline ]] && bin="$baseline"
      [[ "$mode" == copy ]] && keep=(--keep-source)
      printf 'local_base_path = "%s"\nstate_db = "%s"\nendpoint_url = "%s"\npath_style = true\n' \
        "$dest" "$work/state.db" "$endpoint" >"$work/s3migrate.toml"
      rm -f "$work/state.db"*
      "$bin" --config "$work/s3migrate.toml" scan "$set" >/dev/null &&
        "$bin" --config "$work/s3migrate.toml" --no-progress migrate "${keep[@]}" >"$work/s3migrate.out"
      ;;
    rclone)
      local tuning=(--transfers 32 --checkers 32)
      [[ "$set" == large ]] && tuning=(--transfers 8 --multi-thread-streams 4)
      # rclone 1.60 refuses to start when AWS_CA_BUNDLE is set (LoadCustomCABundleError).
      env -u AWS_CA_BUNDLE RCLONE_CONFIG_EMU_TYPE=s3 RCLONE_CONFIG_EMU_PROVIDER=Other \
        RCLONE_CONFIG_EMU_ENDPOINT="$endpoint" RCLONE_CONFIG_EMU_REGION="$region" \
        RCLONE_CONFIG_EMU_ACCESS_KEY_ID="$access" RCLONE_CONFIG_EMU_SECRET_ACCESS_KEY="$secret" \
        RCLONE_CONFIG_EMU_FORCE_PATH_STYLE=true \
        rclone "$mode" --config /dev/null --checksum "${tuning[@]}" "emu:$set" "$dest/$set"
      ;;
    aws)
      local verb=cp
      [[ "$mode" == move ]] && verb=mv
      "${aws[@]}" s3 "$verb" --only-show-errors --recursive "s3://$set/" "$dest/$set/"
      ;;
    s3cmd)
      mkdir -p "$dest/$set"
      s3cmd -c "$work/s3cfg" --quiet get --recursive "s3://$set/" "$dest/$set/"
      [[ "$mode" == copy ]] || s3cmd -c "$work/s3cfg" --quiet del --recursive --force "s3://$set/"
      ;;
    get-loop) "$get_loop" "$endpoint" "$access" "$secret" "$region" "$set" 32 $((16 << 20)) >/dev/null ;;
  esac
}

# clear_dest: an empty $work/dest. The previous run's tree goes to a trash
# folder, emptied only when it holds 8 GB, then synced and left alone for 6 s:
# ext4 skips inodes freed in the last 5 s when it allocates new ones (300 s
# while their blocks are dirty), and deleting 10,000 files right before a run
# made whichever tool came next pay for that search (up to 1.7x its time).
clear_dest() {
  mkdir -p "$work/trash"
  [[ -d "$work/dest" ]] && mv "$work/dest" "$work/trash/$RANDOM$RANDOM"
  if (($(du -sb "$work/trash" | cut -f1) > 8000000000)); then empty_trash; fi
  mkdir -p "$work/dest"
}
empty_trash() {
  rm -rf "$work/trash" && mkdir -p "$work/trash"
  sync
  sleep 6
}

# measure TOOL SET REP: runs TOOL under GNU time and strace (connects only),
# checks the result, appends "seconds cpu_seconds max_rss_kib connects" to
# $work/SERVER.SET.TOOL and prints the run's line.
measure() {
  local tool="$1" set="$2" rep="$3" dest="$work/dest"
  clear_dest
  [[ "$mode" == move ]] && seed "$set"
  sync
  if ! /usr/bin/time -f '%e %U %S %M' -o "$work/time" \
       strace --seccomp-bpf -f -qq -e trace=connect -o "$work/connects" \
       bash -c "$(declare -f run_tool); $(declare -p work endpoint region access secret s3migrate baseline \
                  get_loop aws mode); export AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_REGION AWS_CONFIG_FILE \
                  AWS_SHARED_CREDENTIALS_FILE AWS_EC2_METADATA_DISABLED; run_tool $tool $set $dest" \
       >"$work/tool.log" 2>&1; then
    echo "$tool on $set ($server) failed:" >&2
    tail -20 "$work/tool.log" >&2
    exit 1
  fi
  # What the tool left unsynced: rclone, the AWS CLI and s3cmd return while
  # their files are still only in the page cache; s3migrate's are on disk.
  local t0 t1
  t0="$(date +%s.%N)"
  sync -f "$dest"
  t1="$(date +%s.%N)"
  check "$tool" "$set" "$dest"
  local e u s m c y
  read -r e u s m <"$work/time"
  c="$(grep -c "htons($port)" "$work/connects" || true)"
  y="$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')"
  echo "$e $(awk -v u="$u" -v s="$s" 'BEGIN { print u + s }') $m $c $y" >>"$work/$server.$set.$tool"
  awk -v t="$tool" -v set="$set" -v srv="$server" -v rep="$rep" -v e="$e" -v u="$u" -v s="$s" -v m="$m" \
      -v c="$c" -v y="$y" -v b="$(set_bytes "$set")" -v n="$(set_objects "$set")" 'BEGIN {
    printf "rep %d %-6s %-5s %-9s %7.2f s (+%.2f s sync) %8.0f objects/s %7.1f MB/s %6.2f CPU s/GB %6.1f MiB RSS %5d connects\n",
      rep, srv, set, t, e, y, n / e, b / e / 1e6, (u + s) / (b / 1e9), m / 1024, c }'
}

# ceiling_wrk SET: wrk's GET rate on one object of the set, appended to
# $work/SERVER.SET.wrk as "objects/s MB/s"; nothing for mixed.
ceiling_wrk() {
  local set="$1" key conns rps mib
  case "$set" in
    small) conns=64 ;;
    large) conns=4 ;;
    *) return 0 ;;
  esac
  # The first object of the listing ("<sha256>  <path>"; no pipe into head:
  # under pipefail its SIGPIPE would end the script).
  key="$(awk 'NR == 1 { print substr($0, 67); exit }' "$work/$set.expected")"
  [[ "$mode" == move ]] && seed "$set"
  read -r rps mib < <(wrk_rate "$("${aws[@]}" s3 presign "s3://$set/$key" --expires-in 3600)" "$conns" 10)
  echo "$rps $(awk -v m="$mib" 'BEGIN { print m * 1048576 / 1e6 }')" >>"$work/$server.$set.wrk"
  echo "rep $rep $server $set wrk: $rps GETs/s, $mib MiB/s"
}

# ceiling_disk SET: MB/s of writing the set's bytes with dd conv=fdatasync
# next to where the tools write, appended to $work/SERVER.SET.disk.
ceiling_disk() {
  local set="$1" bytes out
  bytes="$(set_bytes "$set")"
  out="$(dd if=/dev/zero of="$work/dd.out" bs=1M count=$(((bytes + (1 << 20) - 1) >> 20)) conv=fdatasync 2>&1)"
  rm -f "$work/dd.out"
  awk -v b="$bytes" '/copied/ { for (i = 1; i <= NF; i++) if ($i == "s,") s = $(i - 1); print b / s / 1e6 }' \
    <<<"$out" >>"$work/$server.$set.disk"
  echo "rep $rep $server $set disk: $(tail -1 "$work/$server.$set.disk") MB/s (dd conv=fdatasync)"
}

IFS=, read -r -a wanted_sets <<<"$BENCH_SETS"
IFS=, read -r -a wanted_servers <<<"$BENCH_SERVERS"
for set in "${wanted_sets[@]}"; do make_files "$set"; done
for server in "${wanted_servers[@]}"; do
  use_server "$server"
  for set in "${wanted_sets[@]}"; do
    [[ "$mode" == copy ]] && seed "$set"
    clear_dest
    empty_trash
    for ((rep = 1; rep <= BENCH_REPS; rep++)); do
      # The order rotates by one each repetition: no tool always runs first.
      order=("${tools[@]:$(((rep - 1) % ${#tools[@]}))}" "${tools[@]:0:$(((rep - 1) % ${#tools[@]}))}")
      for tool in "${order[@]}"; do measure "$tool" "$set" "$rep"; done
      measure get-loop "$set" "$rep"
      ceiling_wrk "$set"
      ceiling_disk "$set"
    done
  done
done

# --- the table -------------------------------------------------------------------

# col SERVER SET TOOL N: the median of column N of SERVER.SET.TOOL.
col() { awk -v n="$4" '{ print $n }' "$work/$1.$2.$3" >"$work/col" && median "$work/col"; }
echo
echo "$mode mode: medians of $BENCH_REPS runs on $(nproc) cores ($(lscpu | sed -n 's/^Model name: *//p')), $(date -u +%Y-%m-%d):"
echo "| server | data set | tool | objects/s | MB/s | CPU s/GB | CPU s/1,000 objects | peak RSS MiB | connects/1,000 objects | rclone's time / tool's | MB/s on disk (+ sync) | rclone's time on disk / tool's |"
echo "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"
for server in "${wanted_servers[@]}"; do
  for set in "${wanted_sets[@]}"; do
    bytes="$(set_bytes "$set")" objects="$(set_objects "$set")"
    rclone_s="$(col "$server" "$set" rclone 1)"
    # The median of the runs' (time + sync), not the sum of two medians.
    awk '{ print $1 + $5 }' "$work/$server.$set.rclone" >"$work/col"
    rclone_d="$(median "$work/col")"
    for tool in "${tools[@]}" get-loop; do
      s="$(col "$server" "$set" "$tool" 1)" cpu="$(col "$server" "$set" "$tool" 2)"
      rss="$(col "$server" "$set" "$tool" 3)" conn="$(col "$server" "$set" "$tool" 4)"
      awk '{ print $1 + $5 }' "$work/$server.$set.$tool" >"$work/col"
      d="$(median "$work/col")"
      awk -v srv="$server" -v set="$set" -v t="$tool" -v s="$s" -v cpu="$cpu" -v rss="$rss" -v c="$conn" \
          -v b="$bytes" -v n="$objects" -v r="$rclone_s" -v d="$d" -v rd="$rclone_d" 'BEGIN {
        printf "| %s | %s | %s | %.0f | %.1f | %.2f | %.3f | %.1f | %.1f | %.2f | %.1f | %.2f |\n", srv, set, t,
          n / s, b / s / 1e6, cpu / (b / 1e9), cpu / (n / 1000), rss / 1024, 1000 * c / n, r / s,
          b / d / 1e6, rd / d }'
    done
    if [[ -s "$work/$server.$set.wrk" ]]; then
      awk -v srv="$server" -v set="$set" -v o="$(col "$server" "$set" wrk 1)" -v m="$(col "$server" "$set" wrk 2)" \
        'BEGIN { printf "| %s | %s | wrk (raw GET ceiling, one object) | %.0f | %.1f | | | | | | | |\n", srv, set, o, m }'
    fi
    awk -v srv="$server" -v set="$set" -v m="$(col "$server" "$set" disk 1)" -v b="$bytes" -v n="$objects" \
      'BEGIN { printf "| %s | %s | disk (dd conv=fdatasync) | | %.1f | | | | | | | |\n", srv, set, m }'
  done
done
