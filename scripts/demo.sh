#!/usr/bin/env bash
# The README's first command: installs what is missing, builds s3migrate,
# starts the local S3 emulator (tools/s3emu) with sample buckets — small files
# with awkward names, a multipart upload, GLACIER and DEEP_ARCHIVE objects —
# and runs the whole migration on it: scan, status, migrate (restores
# included), status again. At the end the buckets are empty and every object
# is on disk, verified; the output shows where.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

if [[ -z "${S3M_TEST_S3EMU_ENDPOINT:-}" ]]; then
  "$root/scripts/install-deps.sh"
  "$root/scripts/build.sh" "$root/build" >/dev/null
  # Re-run this script inside the emulator's lifetime.
  exec "$root/scripts/with-test-servers.sh" --s3emu -- "$0" "$@"
fi

export AWS_ACCESS_KEY_ID="$S3M_TEST_S3EMU_ACCESS_KEY"
export AWS_SECRET_ACCESS_KEY="$S3M_TEST_S3EMU_SECRET_KEY"
export AWS_REGION="$S3M_TEST_S3EMU_REGION"
endpoint="$S3M_TEST_S3EMU_ENDPOINT"

work="$(mktemp -d /tmp/s3migrate-demo-XXXXXX)"
cat >"$work/s3migrate.toml" <<EOF
# The demo's settings (PRODUCT.md §2): everything else keeps its default.
local_base_path = "$work/backup"
state_db = "$work/s3_migration_state.db"
endpoint_url = "$endpoint"
path_style = true
restore_poll_interval = 2        # the emulator restores in seconds, not hours
glacier_restore_tier = "Expedited"
progress_update_interval = 1
EOF
s3m=("$root/build/src/cli/s3migrate" --config "$work/s3migrate.toml")
aws=(/usr/bin/aws --endpoint-url "$endpoint")

# Sample data: awkward names on purpose (spaces, '+', unicode, deep folders).
sample="$work/sample"
mkdir -p "$sample/photos/2020/summer trip" "$sample/photos/unicode-日本" "$sample/logs/app"
for i in $(seq 1 40); do head -c $((i * 1000)) /dev/urandom >"$sample/photos/2020/summer trip/IMG_$i.jpg"; done
echo "hello" >"$sample/photos/unicode-日本/こんにちは.txt"
echo "plus" >"$sample/photos/a+b=c.txt"
for d in 01 02 03; do seq 1 5000 >"$sample/logs/app/2024-01-$d.log"; done
head -c $((20 << 20)) /dev/urandom >"$sample/logs/big-archive.bin"  # multipart: 8 MiB parts
head -c 300000 /dev/urandom >"$sample/tax-2019.pdf"
head -c 200000 /dev/urandom >"$sample/tax-2009.pdf"

for bucket in demo-photos demo-logs demo-cold; do "${aws[@]}" s3 mb "s3://$bucket" >/dev/null; done
"${aws[@]}" s3 cp --only-show-errors --recursive "$sample/photos" s3://demo-photos/
"${aws[@]}" s3 cp --only-show-errors --recursive "$sample/logs" s3://demo-logs/
"${aws[@]}" s3 cp --only-show-errors --storage-class GLACIER "$sample/tax-2019.pdf" s3://demo-cold/
"${aws[@]}" s3 cp --only-show-errors --storage-class DEEP_ARCHIVE "$sample/tax-2009.pdf" s3://demo-cold/

run() {
  echo
  echo "\$ s3migrate $*"
  "${s3m[@]}" "$@"
}
run scan
run status
run migrate
run status
echo
echo "\$ s3migrate ls -r demo-cold     # the buckets are empty now"
"${s3m[@]}" ls -r demo-cold
echo
echo "Local copies under $work/backup:"
(cd "$work/backup" && find . -type f | sort | head -n 12 && echo "  ... $(find . -type f | wc -l) files")
echo
echo "The state database, as users query it:"
echo "\$ sqlite3 $work/s3_migration_state.db \"SELECT state, COUNT(*) FROM files GROUP BY state;\""
sqlite3 "$work/s3_migration_state.db" "SELECT state, COUNT(*) FROM files GROUP BY state;"
rm -rf "$sample"
