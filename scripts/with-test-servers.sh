#!/usr/bin/env bash
# Runs a command with real S3-compatible test servers started on 127.0.0.1.
#
#   scripts/with-test-servers.sh [--s3rver] [--swift] [--s3emu] [--postgres] -- CMD [ARGS...]
#
# With no server flag every server is started (in parallel). For each started
# server the command sees (ports are picked free at start):
#
#   S3M_TEST_S3RVER_ENDPOINT=http://127.0.0.1:PORT   S3M_TEST_S3RVER_REGION=us-east-1
#   S3M_TEST_S3RVER_ACCESS_KEY=S3RVER                S3M_TEST_S3RVER_SECRET_KEY=S3RVER
#   S3M_TEST_SWIFT_ENDPOINT=http://127.0.0.1:PORT    S3M_TEST_SWIFT_REGION=us-east-1
#   S3M_TEST_SWIFT_ACCESS_KEY=test:tester            S3M_TEST_SWIFT_SECRET_KEY=testing
#   S3M_TEST_S3EMU_ENDPOINT=http://127.0.0.1:PORT    S3M_TEST_S3EMU_REGION=us-east-1
#   S3M_TEST_S3EMU_ACCESS_KEY=s3emu-test             S3M_TEST_S3EMU_SECRET_KEY=s3emu-test-secret
#   S3M_TEST_S3EMU_ADMIN=http://127.0.0.1:PORT/_s3emu (the emulator's admin API)
#   S3M_TEST_POSTGRES_URI=postgresql://s3m@127.0.0.1:PORT/s3m_test (and
#   S3M_TEST_POSTGRES_ADMIN_URI, the same server's `postgres` database)
#
# s3emu is this repository's emulator (tools/s3emu): it must be built first
# (scripts/build.sh), or named by S3M_S3EMU_BIN.
#
# plus S3M_TEST_SERVERS_DIR, the temp dir holding every server's data, config
# and log (<dir>/<server>/*.log). All servers are stopped and the dir removed
# when this script exits, whether CMD succeeded, failed or we were interrupted;
# the exit code is CMD's (or non-zero with the log tail if a server failed to
# start). Set S3M_TEST_SERVERS_KEEP=1 to keep the dir for post-mortems, and
# S3M_TEST_SERVERS_TIMEOUT (seconds, default 60) to change the start timeout.
#
# An interactive shell with servers running: scripts/with-test-servers.sh -- bash
#
# Server specifics live in scripts/test-servers/<server>.sh, which are sourced
# here and define start_<server> DIR; the helpers they use are defined below.
# Dependencies come from scripts/install-deps.sh.

# Functions below run from traps or from the sourced server scripts.
# shellcheck disable=SC2317
set -euo pipefail

scripts_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck disable=SC2034  # used by scripts/test-servers/*.sh
repo_root="$(cd "$scripts_dir/.." && pwd)"

usage() {
  echo "usage: $0 [--s3rver] [--swift] [--s3emu] [--postgres] -- CMD [ARGS...]" >&2
  exit 2
}

want_s3rver=0 want_swift=0 want_s3emu=0 want_postgres=0
while (($# > 0)); do
  case "$1" in
    --s3rver) want_s3rver=1 ;;
    --swift) want_swift=1 ;;
    --s3emu) want_s3emu=1 ;;
    --postgres) want_postgres=1 ;;
    --) shift; break ;;
    -h|--help) usage ;;
    *) echo "with-test-servers: unknown argument: $1" >&2; usage ;;
  esac
  shift
done
(($# > 0)) || usage
if ((want_s3rver == 0 && want_swift == 0 && want_s3emu == 0 && want_postgres == 0)); then
  want_s3rver=1 want_swift=1 want_s3emu=1 want_postgres=1
fi

# ---------------------------------------------------------------------------
# Helpers shared by scripts/test-servers/*.sh
# ---------------------------------------------------------------------------
ts_log() { printf 'with-test-servers: %s\n' "$*" >&2; }

# Prints N distinct free TCP ports on 127.0.0.1, one per line. All sockets are
# held open together so the ports are distinct; another process could still
# take one before our server binds it, which the start timeout then reports.
ts_free_ports() {
  /usr/bin/python3 - "$1" <<'PY'
import socket, sys
socks = []
for _ in range(int(sys.argv[1])):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    socks.append(s)
print("\n".join(str(s.getsockname()[1]) for s in socks))
PY
}

# ts_spawn SERVER_DIR LOG CMD [ARGS...]: starts CMD in the background in a new
# session (so it has its own process group and the terminal's Ctrl-C does not
# reach it directly), with stdio on LOG, and records its pid (== its process
# group id) in SERVER_DIR/pids for ts_stop_all.
ts_spawn() {
  local server_dir="$1" log="$2"
  shift 2
  setsid "$@" </dev/null >>"$log" 2>&1 &
  echo "$!" >>"$server_dir/pids"
}

# True while PID runs. A server that exited but is not yet reaped (its parent,
# the start subshell, is gone, so init reaps it, sometimes a second later)
# is a zombie: dead for our purposes, though `kill -0` still succeeds.
ts_alive() {
  local stat
  stat="$(cat "/proc/$1/stat" 2>/dev/null)" || return 1
  stat="${stat##*) }"          # drop "pid (comm) ", comm may hold spaces
  [[ "${stat%% *}" != Z ]]
}

# ts_wait_until TIMEOUT_S DESCRIPTION CMD [ARGS...]: retries CMD every 0.1 s
# until it succeeds; returns 1 after TIMEOUT_S seconds. Also gives up early
# if a process recorded in $TS_WATCH_PIDS_FILE has died.
ts_wait_until() {
  local timeout="$1" what="$2"
  shift 2
  local deadline=$((SECONDS + timeout)) pid
  until "$@" >/dev/null 2>&1; do
    if [[ -n "${TS_WATCH_PIDS_FILE:-}" && -f "$TS_WATCH_PIDS_FILE" ]]; then
      while read -r pid; do
        if ! ts_alive "$pid"; then
          ts_log "$what: process $pid exited during start-up"
          return 1
        fi
      done <"$TS_WATCH_PIDS_FILE"
    fi
    if ((SECONDS >= deadline)); then
      ts_log "$what: not ready after ${timeout}s; last attempt said:"
      "$@" >&2 || true
      return 1
    fi
    sleep 0.1
  done
}

# True when something accepts TCP connections on 127.0.0.1:PORT.
ts_port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# Prints the last lines of every log file under DIR, for start-up failures.
ts_dump_logs() {
  local f
  for f in "$1"/*.log; do
    [[ -s "$f" ]] || continue
    echo "----- tail of $f -----" >&2
    tail -n 40 "$f" >&2
  done
}

# shellcheck disable=SC2034  # used by scripts/test-servers/*.sh
ts_timeout="${S3M_TEST_SERVERS_TIMEOUT:-60}"

# ---------------------------------------------------------------------------
# Clean-up: always stop every spawned process group and remove the temp dir.
# ---------------------------------------------------------------------------
state_dir=""
cmd_pid=""
start_jobs=()   # the start_<server> subshells, while they run
ts_stop_all() {
  local pids=() pid f i alive
  # First stop start-ups still under way, so none spawns a server after we
  # have read the pid files.
  for pid in "${start_jobs[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${start_jobs[@]}"; do wait "$pid" 2>/dev/null || true; done
  start_jobs=()
  [[ -n "$state_dir" && -d "$state_dir" ]] || return 0
  for f in "$state_dir"/*/pids; do
    [[ -f "$f" ]] || continue
    while read -r pid; do pids+=("$pid"); done <"$f"
  done
  for pid in "${pids[@]}"; do
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
  done
  # Give servers up to 5 s to exit cleanly, then kill what is left.
  for ((i = 0; i < 50; i++)); do
    alive=0
    for pid in "${pids[@]}"; do ts_alive "$pid" && alive=1; done
    ((alive)) || break
    sleep 0.1
  done
  for pid in "${pids[@]}"; do
    kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
  done
  if [[ "${S3M_TEST_SERVERS_KEEP:-0}" == 1 ]]; then
    ts_log "kept $state_dir" 2>/dev/null || true
  else
    rm -rf "$state_dir"
  fi
  state_dir=""
}
on_signal() {
  local sig="$1" code="$2"
  # Clean up even when stderr is a closed pipe (e.g. `... | head`): ignore
  # SIGPIPE from here on, so a failed write cannot kill us half-way.
  trap '' PIPE
  trap - INT TERM HUP
  if [[ -n "$cmd_pid" ]]; then kill -"$sig" "$cmd_pid" 2>/dev/null || true; fi
  ts_log "caught SIG$sig, stopping test servers" 2>/dev/null || true
  exit "$code"   # runs the EXIT trap
}
trap ts_stop_all EXIT
trap 'on_signal INT 130' INT
trap 'on_signal TERM 143' TERM
trap 'on_signal HUP 129' HUP
trap 'on_signal PIPE 141' PIPE

# ---------------------------------------------------------------------------
# Temp dir: Swift's object server stores metadata in extended attributes, so
# the dir must be on a filesystem with user xattrs (tmpfs only has them since
# Linux 6.6). Try $S3M_TEST_SERVERS_TMPDIR, then $TMPDIR or /tmp, then
# /var/tmp (on disk on Debian), and take the first that supports them.
# ---------------------------------------------------------------------------
supports_xattrs() {
  /usr/bin/python3 -c 'import os, sys; os.setxattr(sys.argv[1], "user.s3m_probe", b"1")' "$1" 2>/dev/null
}
for base in ${S3M_TEST_SERVERS_TMPDIR:-} "${TMPDIR:-/tmp}" /var/tmp; do
  [[ -d "$base" && -w "$base" ]] || continue
  state_dir="$(mktemp -d "$base/s3m-test-servers.XXXXXX")"
  if ((want_swift == 0)) || supports_xattrs "$state_dir"; then break; fi
  rm -rf "$state_dir"
  state_dir=""
done
if [[ -z "$state_dir" ]]; then
  ts_log "no temp dir with user xattr support (needed by Swift); set S3M_TEST_SERVERS_TMPDIR to one on ext4/xfs/btrfs"
  exit 1
fi
export S3M_TEST_SERVERS_DIR="$state_dir"

# ---------------------------------------------------------------------------
# Start the requested servers in parallel; each writes <dir>/<server>/env.
# ---------------------------------------------------------------------------
servers=()
((want_s3rver)) && servers+=(s3rver)
((want_swift)) && servers+=(swift)
((want_s3emu)) && servers+=(s3emu)
((want_postgres)) && servers+=(postgres)

start_us="${EPOCHREALTIME//[.,]/}"
for server in "${servers[@]}"; do
  # shellcheck disable=SC1090
  source "$scripts_dir/test-servers/$server.sh"
  mkdir -p "$state_dir/$server"
  : >"$state_dir/$server/pids"
  ( TS_WATCH_PIDS_FILE="$state_dir/$server/pids" "start_$server" "$state_dir/$server" ) &
  start_jobs+=("$!")
done
failed=()
for i in "${!servers[@]}"; do
  wait "${start_jobs[$i]}" || failed+=("${servers[$i]}")
done
start_jobs=()
if ((${#failed[@]} > 0)); then
  for server in "${failed[@]}"; do ts_dump_logs "$state_dir/$server"; done
  ts_log "failed to start: ${failed[*]} (logs above)"
  exit 1
fi
for server in "${servers[@]}"; do
  # shellcheck disable=SC1090
  source "$state_dir/$server/env"
done
elapsed_ds=$(((${EPOCHREALTIME//[.,]/} - start_us) / 100000))
ts_log "${servers[*]} ready in $((elapsed_ds / 10)).$((elapsed_ds % 10))s"

# ---------------------------------------------------------------------------
# Run CMD. Without a terminal it runs in the background and we `wait` for it,
# so a TERM sent to this script (e.g. by a CI timeout) is handled at once
# rather than after CMD ends; with a terminal it runs in the foreground so
# interactive programs keep working (Ctrl-C reaches both anyway).
# ---------------------------------------------------------------------------
set +e
if [[ -t 0 ]]; then
  "$@"
  rc=$?
else
  "$@" <&0 &
  cmd_pid=$!
  wait "$cmd_pid"
  rc=$?
  cmd_pid=""
fi
set -e
exit "$rc"
