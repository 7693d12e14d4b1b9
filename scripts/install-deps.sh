#!/usr/bin/env bash
# Installs everything s3migrate needs to build and to run its tests on a fresh
# Debian 12 (bookworm) machine: the C++ toolchain and libraries, the real S3
# test servers (OpenStack Swift 2.30 with s3api, s3rver via npm), and the AWS CLI
# and rclone used to cross-check them and the S3 emulator (tools/s3emu, built
# from this repository), and s3cmd for the benchmarks.
#
# Idempotent and fast when there is nothing to do: only packages that are not
# installed yet are passed to apt-get, `apt-get update` only runs when something
# is missing and the package lists are more than an hour old, and `npm ci` only
# runs when tools/test-servers/node_modules is missing or older than the lock.
#
# Runs as root, or through sudo for the apt steps when started as another user
# (npm ci then runs as that user, so node_modules stays theirs).
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

log() { printf 'install-deps: %s\n' "$*" >&2; }

if [[ ${EUID:-$(id -u)} -eq 0 ]]; then
  as_root=()
elif command -v sudo >/dev/null 2>&1; then
  as_root=(sudo)
else
  log "must run as root (or with sudo available) to install Debian packages"
  exit 1
fi

# --- Debian packages ---------------------------------------------------------
packages=(
  # toolchain (help2man writes the manual page from --help)
  build-essential cmake ninja-build pkg-config git curl ca-certificates help2man
  # libraries the C++ code links against
  libcurl4-openssl-dev libssl-dev libisal-dev libsqlite3-dev sqlite3
  libpugixml-dev libcli11-dev libtomlplusplus-dev libfmt-dev zlib1g-dev
  nlohmann-json3-dev libutf8proc-dev libgtest-dev libgmock-dev libcpp-httplib-dev
  # Swift test server. The s3api, tempauth, slo and versioned_writes middlewares
  # all ship in python3-swift (pulled in by swift-proxy) and need no extra
  # package: python3-keystonemiddleware is only for s3token/keystone auth,
  # which the test setup does not use. memcached is required by tempauth.
  # python3 is listed because scripts/test-servers/*.sh call /usr/bin/python3.
  python3 swift swift-proxy swift-account swift-container swift-object memcached
  # Debian's AWS CLI v2 (/usr/bin/aws), used to cross-check the test servers
  awscli
  # rclone, a second third-party client the S3 emulator's tests drive
  rclone
  # s3cmd, a third client the benchmarks (bench/) drive
  s3cmd
  # the benchmarks' load generator, connect counter and timer (bench/)
  wrk strace time
  # getfattr: the end-to-end tests read the copies' extended attributes
  attr
  # PostgreSQL: the shared state store of several workers (libpq), and the
  # server its tests start
  libpq-dev postgresql
  # the status page's test: headless Chromium renders it, promtool checks /metrics
  chromium prometheus
  # the Debian package and its check (scripts/package-deb.sh)
  dpkg-dev fakeroot lintian
  # clang and libFuzzer for the fuzz targets (scripts/fuzz.sh)
  clang-14 libclang-rt-14-dev
)

# Node.js runs s3rver. Machines that already have a node (e.g. NodeSource's,
# which bundles npm) keep it: installing Debian's npm on top would conflict.
# Debian's own nodejs 18 + npm are the fallback.
if ! command -v node >/dev/null 2>&1; then
  packages+=(nodejs npm)
elif ! command -v npm >/dev/null 2>&1; then
  packages+=(npm)
fi

missing=()
for pkg in "${packages[@]}"; do
  status="$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null || true)"
  [[ "$status" == installed ]] || missing+=("$pkg")
done

if ((${#missing[@]} > 0)); then
  export DEBIAN_FRONTEND=noninteractive
  # Refresh the package lists unless an update ran in the last hour (the
  # newest *_InRelease / Release file in the lists directory tells when).
  newest_list="$(find /var/lib/apt/lists -maxdepth 1 -type f \
    \( -name '*InRelease' -o -name '*_Release' \) -mmin -60 -print -quit 2>/dev/null || true)"
  if [[ -z "$newest_list" ]]; then
    log "apt-get update"
    "${as_root[@]}" apt-get update -qq
  fi
  log "installing: ${missing[*]}"
  "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  log "all Debian packages already installed"
fi

# Debian's nodejs names its binary `node` since bookworm; make sure it works.
node_major="$(node -p 'process.versions.node.split(".")[0]')"
if ((node_major < 18)); then
  log "node $(node --version) is too old: s3rver needs node >= 18 (--openssl-legacy-provider)"
  exit 1
fi

# --- npm test servers --------------------------------------------------------
servers_dir="$repo_root/tools/test-servers"
# npm ci writes node_modules/.package-lock.json; if it is newer than the
# committed lock, node_modules already matches the lock.
if [[ ! -f "$servers_dir/node_modules/.package-lock.json" ||
      "$servers_dir/package-lock.json" -nt "$servers_dir/node_modules/.package-lock.json" ]]; then
  log "npm ci in tools/test-servers"
  (cd "$servers_dir" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
else
  log "tools/test-servers/node_modules is up to date"
fi

# --- sanity checks -----------------------------------------------------------
for cmd in cmake ninja /usr/bin/aws rclone s3cmd wrk strace /usr/bin/time /usr/bin/python3 /usr/bin/memcached \
           swift-ring-builder swift-proxy-server swift-account-server \
           swift-container-server swift-object-server; do
  command -v "$cmd" >/dev/null 2>&1 || { log "missing after install: $cmd"; exit 1; }
done
[[ -f "$servers_dir/node_modules/s3rver/bin/s3rver.js" ]] ||
  { log "s3rver missing from tools/test-servers/node_modules"; exit 1; }
log "done"
