#!/usr/bin/env bash
# The README's first command: installs what is missing, builds s3migrate,
# starts a local S3 server (s3rver) with sample buckets, and shows s3migrate
# seeing them. It grows into the full demo migration as the engine lands.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

"$root/scripts/install-deps.sh"
"$root/scripts/build.sh" "$root/build" >/dev/null

if [[ -z "${S3M_TEST_S3RVER_ENDPOINT:-}" ]]; then
  # Re-run this script inside a server's lifetime.
  exec "$root/scripts/with-test-servers.sh" --s3rver -- "$0" "$@"
fi

export AWS_ACCESS_KEY_ID="$S3M_TEST_S3RVER_ACCESS_KEY"
export AWS_SECRET_ACCESS_KEY="$S3M_TEST_S3RVER_SECRET_KEY"
export AWS_REGION="$S3M_TEST_S3RVER_REGION"
endpoint="$S3M_TEST_S3RVER_ENDPOINT"
s3m=("$root/build/src/cli/s3migrate" --endpoint-url "$endpoint")

# Sample data: awkward names on purpose (spaces, '+', unicode, deep folders).
sample="$(mktemp -d)"
trap 'rm -rf "$sample"' EXIT
mkdir -p "$sample/photos/2020/summer trip" "$sample/photos/unicode-日本" "$sample/logs/app"
for i in $(seq 1 20); do head -c $((i * 1000)) /dev/urandom >"$sample/photos/2020/summer trip/IMG_$i.jpg"; done
echo "hello" >"$sample/photos/unicode-日本/こんにちは.txt"
echo "plus" >"$sample/photos/a+b=c.txt"
for d in 01 02 03; do seq 1 5000 >"$sample/logs/app/2024-01-$d.log"; done
head -c $((12 << 20)) /dev/urandom >"$sample/logs/big-archive.bin"

aws=(/usr/bin/aws --endpoint-url "$endpoint")
for bucket in demo-photos demo-logs; do "${aws[@]}" s3 mb "s3://$bucket" >/dev/null; done
"${aws[@]}" s3 cp --only-show-errors --recursive "$sample/photos" s3://demo-photos/
"${aws[@]}" s3 cp --only-show-errors --recursive "$sample/logs" s3://demo-logs/

echo "\$ s3migrate ls"
"${s3m[@]}" ls
echo
echo "\$ s3migrate ls -r demo-photos"
"${s3m[@]}" ls -r demo-photos
echo
echo "\$ s3migrate ls -r demo-logs"
"${s3m[@]}" ls -r demo-logs
