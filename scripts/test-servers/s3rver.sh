#!/usr/bin/env bash
# s3rver 3.7.1 (pinned in tools/test-servers/package-lock.json) on 127.0.0.1.
#
# Sourced by scripts/with-test-servers.sh, which provides the ts_* helpers and
# calls start_s3rver DIR in a subshell. Run directly, this file starts only
# s3rver through with-test-servers.sh: scripts/test-servers/s3rver.sh -- CMD...
#
# start_s3rver DIR: starts s3rver with its data under DIR/data and its log in
# DIR/s3rver.log, waits until it answers HTTP, and writes DIR/env with the
# S3M_TEST_S3RVER_* exports. Credentials are s3rver's built-in pair
# S3RVER/S3RVER. Beware: s3rver 3.7.1 checks SigV2 signatures but for SigV4
# only checks that the access key exists (a wrong secret is accepted), so
# signature tests need the Swift server. S3M_TEST_S3RVER_ARGS adds flags
# (a benchmark passes --silent: its per-request log costs throughput).

# repo_root, ts_timeout and the ts_* functions come from with-test-servers.sh.
# shellcheck disable=SC2154

if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
  set -euo pipefail
  [[ "${1:-}" == "--" ]] && shift
  exec "$(dirname "$0")/../with-test-servers.sh" --s3rver -- "$@"
fi

start_s3rver() {
  set -euo pipefail
  local dir="$1" port
  local s3rver_js="$repo_root/tools/test-servers/node_modules/s3rver/bin/s3rver.js"
  if [[ ! -f "$s3rver_js" ]]; then
    ts_log "s3rver: $s3rver_js missing; run scripts/install-deps.sh"
    return 1
  fi
  port="$(ts_free_ports 1)"
  mkdir -p "$dir/data"
  local extra=()
  # shellcheck disable=SC2206  # word splitting of the extra flags is wanted
  [[ -n "${S3M_TEST_S3RVER_ARGS:-}" ]] && extra=(${S3M_TEST_S3RVER_ARGS})

  # --openssl-legacy-provider: s3rver encrypts ListObjectsV2 continuation
  #   tokens with DES, which OpenSSL 3 only offers in its legacy provider;
  #   without it every listing that needs a second page answers 500.
  # -a 127.0.0.1: loopback only (its default "localhost" may resolve to ::1).
  # -d: a fresh data dir per run, removed with the temp dir.
  # No --silent (unless S3M_TEST_S3RVER_ARGS asks): its request log goes to
  # the log file for post-mortems.
  ts_spawn "$dir" "$dir/s3rver.log" \
    node --openssl-legacy-provider "$s3rver_js" \
    -a 127.0.0.1 -p "$port" -d "$dir/data" "${extra[@]}"

  # Any HTTP answer (an unsigned GET / gets an S3 error document) means ready.
  ts_wait_until "$ts_timeout" s3rver \
    curl -s -o /dev/null --max-time 2 "http://127.0.0.1:$port/"

  cat >"$dir/env" <<EOF
export S3M_TEST_S3RVER_ENDPOINT=http://127.0.0.1:$port
export S3M_TEST_S3RVER_ACCESS_KEY=S3RVER
export S3M_TEST_S3RVER_SECRET_KEY=S3RVER
export S3M_TEST_S3RVER_REGION=us-east-1
EOF
}
