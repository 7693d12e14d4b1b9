#!/usr/bin/env bash
# Proves that the unit tests need nothing beside the repository: they run in
# a private mount namespace in which the repository's parent folder holds the
# repository and nothing else (a tmpfs over the parent, the repository bound
# back into it). A test that reads any file beside the clone fails.
#
#   scripts/check-standalone.sh [BUILD_DIR]      (default build/)
#
# Needs root and a private mount namespace; where either is missing it says
# so and exits 0.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${1:-$root/build}"
parent="$(dirname "$root")"

if [[ ${EUID:-$(id -u)} -ne 0 ]] || ! command -v unshare >/dev/null; then
  echo "check-standalone: skipped (needs root and unshare for a private mount namespace)"
  exit 0
fi
case "$parent" in
  / | /run | /run/*)
    echo "check-standalone: skipped (the repository's parent is $parent)"
    exit 0
    ;;
esac

# A bare chroot whose root is not a mount point cannot have a private mount
# namespace (a container, or a chroot bind-mounted onto itself, can).
if ! probe="$(unshare --mount --propagation private true 2>&1)"; then
  echo "check-standalone: skipped (no private mount namespace here: $probe; in a bare chroot," \
       "bind-mount its directory onto itself first)"
  exit 0
fi

stash="/run/s3m-standalone-$$"
mkdir -p "$stash"
trap 'rmdir "$stash" 2>/dev/null || true' EXIT
# shellcheck disable=SC2016  # expanded by the inner shell
unshare --mount --propagation private bash -c '
  set -euo pipefail
  root="$1" parent="$2" build="$3" stash="$4"
  mount --bind "$root" "$stash"
  mount -t tmpfs s3m-standalone "$parent"
  mkdir -p "$root"
  mount --bind "$stash" "$root"
  echo "check-standalone: $parent holds only $(ls -A "$parent")"
  ctest --test-dir "$build" -L unit --output-on-failure -j 2
' bash "$root" "$parent" "$build" "$stash"
