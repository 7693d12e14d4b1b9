#!/usr/bin/env bash
# Three migrate workers as three hosts (issue 20): each in a network
# namespace of its own, joined to the host by a veth pair on a bridge
# (169.254.77.0/24, link-local; the host is .1, the workers .11-.13), reaching
# s3emu and PostgreSQL only over that network. The destination is one
# directory all three see, as an NFS mount would be. One worker is killed
# with SIGKILL while it holds downloads; the other two take its objects over.
# Checked: every object deleted from the bucket and its row `deleted`, each
# key once in the workers' manifests, every file's bytes, GETs at most the
# objects plus the downloads the dead worker held, and the three database sessions
# came from the three addresses. Then a network cut: worker 1's link goes
# down for 60 s while it holds downloads; it must notice, rejoin once the
# link is back, and the objects end migrated as before.
#
#   tests/e2e/workers_netns_test.sh S3MIGRATE_BINARY S3EMU_BINARY
# Needs root (network namespaces); exits 77 (skipped) otherwise.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
bin="$1" s3emu="$2"
if [[ ${EUID:-$(id -u)} -ne 0 ]]; then
  echo "workers_netns_test: needs root for network namespaces; skipped"
  exit 77
fi

if [[ "${3:-}" != --inside ]]; then
  tag="s3m$$"
  bridge="${tag}b"
  cleanup() {
    for i in 1 2 3; do ip netns del "${tag}w$i" 2>/dev/null || true; done
    ip link del "$bridge" 2>/dev/null || true
  }
  trap cleanup EXIT
  ip link add "$bridge" type bridge
  ip addr add 169.254.77.1/24 dev "$bridge"
  ip link set "$bridge" up
  for i in 1 2 3; do
    ip netns add "${tag}w$i"
    ip link add "${tag}h$i" type veth peer name eth0 netns "${tag}w$i"
    ip link set "${tag}h$i" master "$bridge" up
    ip -n "${tag}w$i" addr add "169.254.77.1$i/24" dev eth0
    ip -n "${tag}w$i" link set eth0 up
    ip -n "${tag}w$i" link set lo up
  done
  export S3M_TEST_POSTGRES_LISTEN="127.0.0.1,169.254.77.1" S3M_TEST_POSTGRES_HBA_NET="169.254.77.0/24"
  "$root/scripts/with-test-servers.sh" --postgres -- "$0" "$bin" "$s3emu" --inside "$tag"
  exit
fi
tag="$4"

work="$(mktemp -d)"
emu_pid=""
trap '[[ -n "$emu_pid" ]] && kill "$emu_pid" 2>/dev/null; rm -rf "$work"' EXIT
fail() {
  echo "workers_netns_test: FAILED: $*" >&2
  exit 1
}
psql="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)/psql"
sql() { "$psql" -qtAX -v ON_ERROR_STOP=1 "$1" -c "$2"; }
held_by() { # PID STATES: the rows the worker of that pid holds in those states
  sql "$db" "SELECT COUNT(*) FROM files f JOIN workers w ON w.id = f.claimed_by WHERE w.pid = $1 AND f.state IN ($2)"
}
wait_holding() { # PID: until that worker holds a download (30 s at most)
  for _ in $(seq 600); do
    (($(held_by "$1" "'downloading'" 2>/dev/null || echo 0) > 0)) && return 0
    sleep 0.05
  done
  return 1
}
get_count() { curl -sf "$admin/counters" | grep -o '"GetObject": *[0-9]*' | grep -o '[0-9]*$'; }

# s3emu on the host's side of the bridge only.
mkdir -p "$work/emu"
"$s3emu" --host 169.254.77.1 --port 0 --data-dir "$work/emu" --access-key netns-test \
  --secret-key netns-test-secret --region us-east-1 --no-fsync >"$work/emu.log" 2>&1 &
emu_pid=$!
for _ in $(seq 100); do
  port="$(sed -n 's/^s3emu listening on 169\.254\.77\.1:\([0-9][0-9]*\)$/\1/p' "$work/emu.log" | head -n 1)"
  [[ -n "$port" ]] && break
  sleep 0.1
done
[[ -n "$port" ]] || fail "s3emu did not start: $(cat "$work/emu.log")"
endpoint="http://169.254.77.1:$port"
admin="$endpoint/_s3emu"

objects=150
curl -sf -X POST "$admin/synthetic" -H 'Content-Type: application/json' \
  -d "{\"bucket\": \"netns\", \"count\": $objects, \"size\": 32768, \"create_bucket\": true}" >/dev/null
curl -sf -X POST "$admin/faults" -H 'Content-Type: application/json' \
  -d '{"kind": "latency", "operations": ["GetObject"], "ms": 150}' >/dev/null

# The database, reached at the bridge's address.
pg_port="${S3M_TEST_POSTGRES_ADMIN_URI##*:}"
pg_port="${pg_port%%/*}"
sql "$S3M_TEST_POSTGRES_ADMIN_URI" "CREATE DATABASE netns_$$"
db="postgresql://s3m@169.254.77.1:$pg_port/netns_$$"

cat >"$work/s3migrate.toml" <<TOML
local_base_path = "$work/dest"
state_db = "$db"
endpoint_url = "$endpoint"
path_style = true
min_free_space = 0
worker_lease = 4
concurrency = 4
TOML
export AWS_ACCESS_KEY_ID=netns-test AWS_SECRET_ACCESS_KEY=netns-test-secret AWS_REGION=us-east-1
export AWS_EC2_METADATA_DISABLED=true AWS_CONFIG_FILE="$work/none" AWS_SHARED_CREDENTIALS_FILE="$work/none"
"$bin" --config "$work/s3migrate.toml" --no-progress scan >"$work/scan.log" 2>&1 ||
  fail "scan: $(cat "$work/scan.log")"

pids=()
for i in 1 2 3; do
  ip netns exec "${tag}w$i" "$bin" --config "$work/s3migrate.toml" --no-progress migrate \
    >"$work/worker-$i.log" 2>&1 &
  pids+=($!)
done
# Worker 2 dies while it holds downloads; by then all three are connected.
wait_holding "${pids[1]}" || fail "worker 2 never held a download"
addresses="$(sql "$S3M_TEST_POSTGRES_ADMIN_URI" "SELECT string_agg(DISTINCT host(client_addr), ' ')
  FROM pg_stat_activity WHERE datname = 'netns_$$' AND application_name LIKE 's3migrate migrate%'")"
kill -9 "${pids[1]}"
# What it held then is all that may be downloaded twice (its lease has not
# lapsed yet: nobody took a row over): transfers under way, and GETs done
# whose copies were not yet recorded.
held="$(held_by "${pids[1]}" "'downloading'")"
status=0
wait "${pids[0]}" || status=$?
((status == 0)) || fail "worker 1 exited $status: $(cat "$work/worker-1.log")"
status=0
wait "${pids[2]}" || status=$?
((status == 0)) || fail "worker 3 exited $status: $(cat "$work/worker-3.log")"
wait "${pids[1]}" 2>/dev/null || true

[[ "$addresses" == "169.254.77.11 169.254.77.12 169.254.77.13" ]] ||
  fail "the workers' database sessions came from '$addresses', not from the three hosts"
deleted="$(sql "$db" "SELECT COUNT(*) FROM files WHERE state = 'deleted'")"
((deleted == objects)) || fail "$deleted of $objects rows deleted"
left="$(curl -sf "$endpoint/netns?list-type=2" \
  -H "x-amz-content-sha256: e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" \
  --aws-sigv4 "aws:amz:us-east-1:s3" --user "netns-test:netns-test-secret" |
  grep -o '<KeyCount>[0-9]*' | grep -o '[0-9]*$')"
[[ "$left" == 0 ]] || fail "$left objects left in the bucket"
# Each key exactly once over every worker's manifest.
dups="$(cat "$work"/dest/.s3migrate/manifests/worker-*/netns.jsonl | grep -o '"key":"[^"]*"' | sort | uniq -d)"
[[ -z "$dups" ]] || fail "keys in the manifests more than once: $dups"
lines="$(cat "$work"/dest/.s3migrate/manifests/worker-*/netns.jsonl | wc -l)"
((lines == objects)) || fail "$lines manifest lines for $objects objects"
# Every file has its object's bytes: `verify` checks each against the
# checksum it was verified with, from the database alone.
"$bin" --config "$work/s3migrate.toml" --no-progress verify >"$work/verify.log" 2>&1 ||
  fail "verify: $(cat "$work/verify.log")"
grep -q "checked $objects local copies" "$work/verify.log" || fail "verify: $(cat "$work/verify.log")"
gets="$(get_count)"
((gets >= objects && gets <= objects + held)) || fail "$gets GETs for $objects objects ($held held by the killed worker)"
echo "workers_netns_test: 3 workers on 169.254.77.11-13 ($addresses), one killed holding $held downloads:" \
  "$objects objects migrated once each, $gets GETs"

# A network cut: worker 1's host drops off the network while it holds
# downloads (its link goes down: no reset ever reaches either side), for 60 s.
# It must notice within that time (libpq's keepalives and TCP user timeout,
# 30 s, then its stalled transfers abandoned after stall_timeout), stop its
# run, and rejoin once its link is back; worker 3 takes its objects over
# when its lease lapses. Without the probes the session would simply resume
# after the cut, the worker none the wiser, or wait for hours on a server
# that never comes back.
cut=60
curl -sf -X POST "$admin/synthetic" -H 'Content-Type: application/json' \
  -d "{\"bucket\": \"cut\", \"count\": $cut, \"size\": 32768, \"create_bucket\": true}" >/dev/null
printf 'stall_timeout = 5\n' >>"$work/s3migrate.toml"
"$bin" --config "$work/s3migrate.toml" --no-progress scan >"$work/scan-cut.log" 2>&1 ||
  fail "scan: $(cat "$work/scan-cut.log")"
gets_before="$(get_count)"
pids=()
for i in 1 3; do
  ip netns exec "${tag}w$i" "$bin" --config "$work/s3migrate.toml" --no-progress --log-level info migrate \
    >"$work/cut-$i.log" 2>&1 &
  pids+=($!)
done
wait_holding "${pids[0]}" || fail "worker 1 never held a download"
ip link set "${tag}h1" down
held="$(held_by "${pids[0]}" "'downloading', 'downloaded', 'verified'")"
noticed=""
for second in $(seq 60); do
  if grep -q "lost the PostgreSQL state" "$work/cut-1.log"; then
    noticed="$second"
    break
  fi
  sleep 1
done
[[ -n "$noticed" ]] || fail "worker 1 did not notice in 60 s that its network was cut: $(cat "$work/cut-1.log")"
sleep $((60 - noticed))
ip link set "${tag}h1" up
for i in 0 1; do
  status=0
  wait "${pids[$i]}" || status=$?
  ((status == 0)) || fail "worker $((i * 2 + 1)) exited $status: $(cat "$work/cut-$((i * 2 + 1)).log")"
done
grep -q "reconnected to the PostgreSQL state" "$work/cut-1.log" ||
  fail "worker 1 did not rejoin: $(cat "$work/cut-1.log")"
deleted="$(sql "$db" "SELECT COUNT(*) FROM files WHERE bucket = 'cut' AND state = 'deleted'")"
((deleted == cut)) || fail "$deleted of $cut rows of the cut bucket deleted"
# Once each, or twice when S3 confirmed a delete whose row the cut kept
# from committing (the manifest line comes first, by design).
keys="$(cat "$work"/dest/.s3migrate/manifests/worker-*/cut.jsonl | grep -o '"key":"[^"]*"' | sort)"
[[ "$(uniq <<<"$keys" | wc -l)" == "$cut" ]] || fail "not every key of the cut bucket in the manifests"
[[ -z "$(uniq -c <<<"$keys" | awk '$1 > 2')" ]] || fail "keys in the manifests more than twice"
"$bin" --config "$work/s3migrate.toml" --no-progress verify >"$work/verify.log" 2>&1 ||
  fail "verify: $(cat "$work/verify.log")"
grep -q "checked $((objects + cut)) local copies" "$work/verify.log" || fail "verify: $(cat "$work/verify.log")"
gets=$(($(get_count) - gets_before))
((gets >= cut && gets <= cut + held)) || fail "$gets GETs for $cut objects ($held held by the cut worker)"
echo "workers_netns_test: worker 1 cut off for 60 s holding $held objects noticed it after ${noticed} s," \
  "rejoined; $cut objects migrated, $gets GETs"
