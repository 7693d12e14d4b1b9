#!/usr/bin/env bash
# s3emu, this repository's S3 emulator (tools/s3emu), on 127.0.0.1.
#
# Sourced by scripts/with-test-servers.sh, which provides the ts_* helpers and
# calls start_s3emu DIR in a subshell. Run directly, this file starts only
# s3emu through with-test-servers.sh: scripts/test-servers/s3emu.sh -- CMD...
#
# start_s3emu DIR: starts s3emu on a free port (--port 0; the port is read
# from its "s3emu listening on 127.0.0.1:PORT" line) with its data under
# DIR/data and its log in DIR/s3emu.log, and writes DIR/env with the
# S3M_TEST_S3EMU_* exports, S3M_TEST_S3EMU_ADMIN being the base URL of its
# admin API (tools/s3emu/README.md). Unlike s3rver it verifies every
# signature.
#
# The binary is $S3M_S3EMU_BIN, else the one scripts/build.sh made in build/.
# Restores take 1-4 s and a restore "day" lasts 60 s, so tests can run the
# whole Glacier lifecycle; S3M_TEST_S3EMU_ARGS adds (or overrides) flags.

# repo_root, ts_timeout and the ts_* functions come from with-test-servers.sh.
# shellcheck disable=SC2154

if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
  set -euo pipefail
  [[ "${1:-}" == "--" ]] && shift
  exec "$(dirname "$0")/../with-test-servers.sh" --s3emu -- "$@"
fi

# The port s3emu printed in LOG, or nothing yet.
s3emu_port() {
  sed -n 's/^s3emu listening on 127\.0\.0\.1:\([0-9][0-9]*\)$/\1/p' "$1" | head -n 1
}
s3emu_has_port() { [[ -n "$(s3emu_port "$1")" ]]; }

start_s3emu() {
  set -euo pipefail
  local dir="$1" port
  local bin="${S3M_S3EMU_BIN:-$repo_root/build/tools/s3emu/s3emu}"
  if [[ ! -x "$bin" ]]; then
    ts_log "s3emu: $bin missing; run scripts/build.sh (or set S3M_S3EMU_BIN)"
    return 1
  fi
  mkdir -p "$dir/data"
  local extra=()
  # shellcheck disable=SC2206  # word splitting of the extra flags is wanted
  [[ -n "${S3M_TEST_S3EMU_ARGS:-}" ]] && extra=(${S3M_TEST_S3EMU_ARGS})

  # --no-fsync: the data dir is thrown away after the run.
  ts_spawn "$dir" "$dir/s3emu.log" \
    "$bin" --port 0 --data-dir "$dir/data" \
    --access-key s3emu-test --secret-key s3emu-test-secret --region us-east-1 \
    --restore-delay Expedited=1,Standard=2,Bulk=4 --seconds-per-day 60 --no-fsync \
    "${extra[@]}"

  ts_wait_until "$ts_timeout" "s3emu port line" s3emu_has_port "$dir/s3emu.log"
  port="$(s3emu_port "$dir/s3emu.log")"
  ts_wait_until "$ts_timeout" s3emu \
    curl -sf -o /dev/null --max-time 2 "http://127.0.0.1:$port/_s3emu/health"

  cat >"$dir/env" <<ENV
export S3M_TEST_S3EMU_ENDPOINT=http://127.0.0.1:$port
export S3M_TEST_S3EMU_ACCESS_KEY=s3emu-test
export S3M_TEST_S3EMU_SECRET_KEY=s3emu-test-secret
export S3M_TEST_S3EMU_REGION=us-east-1
export S3M_TEST_S3EMU_ADMIN=http://127.0.0.1:$port/_s3emu
ENV
}
