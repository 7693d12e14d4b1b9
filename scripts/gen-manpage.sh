#!/usr/bin/env bash
# Writes s3migrate(1) from the built binary's own --help and --version
# (help2man), with a section per command made of that command's --help: the
# manual and the help text come from the same source and cannot drift; the
# SETTINGS section is `s3migrate settings --reference` (the settings table).
#
#   scripts/gen-manpage.sh BINARY OUTPUT
set -euo pipefail
bin="$1" out="$2"
command -v help2man >/dev/null || { echo "gen-manpage: help2man is missing (scripts/install-deps.sh)" >&2; exit 1; }

# The commands, as the binary lists them under "Subcommands:".
mapfile -t commands < <("$bin" --help | awk '/^Subcommands:/ {on = 1; next} on && /^  [a-z]/ {print $1} on && /^$/ {exit}')
((${#commands[@]} > 0)) || { echo "gen-manpage: no commands in $bin --help" >&2; exit 1; }

include="$(mktemp)"
trap 'rm -f "$include"' EXIT
roff() { sed -e 's/\\/\\e/g' -e "s/^\\([.']\\)/\\\\\\&\\1/"; }
{
  echo "[COMMANDS]"
  for cmd in "${commands[@]}"; do
    echo ".SS $cmd"
    echo ".nf"
    "$bin" "$cmd" --help | roff
    echo ".fi"
  done
  # Every setting, from the same table as the parser and the flags.
  # Markdown tables become tagged paragraphs: key, then type, default and flag.
  echo "[SETTINGS]"
  (cd "$(mktemp -d)" && "$bin" settings --reference) | roff | awk -F' [|] ' '
    /^# |^<!--|^[|] key |^[|] ---/ { next }
    /^## / { sub(/^## /, ""); print ".SS " $0; next }
    /^[|] / {
      gsub(/`/, "", $0); n = split($0, c, / [|] /); sub(/^[|] /, "", c[1]); sub(/ [|]$/, "", c[n])
      print ".TP"; print ".B " c[1]
      line = c[2] "; default " c[3]; if (n >= 5 && c[4] != "") line = line "; flag \\fB" c[4] "\\fR"
      print line; print ".br"; print c[n]; next
    }
    /^$/ { print ".PP"; next }
    { gsub(/`/, ""); print }'
  cat <<'ROFF'
[FILES]
.TP
.I ./s3migrate.toml
Settings, when present (or \fB\-\-config\fR FILE); an example is in
/usr/share/doc/s3migrate/examples/s3migrate.toml.
.TP
.I ./s3_migration_state.db
The state database (SQLite, WAL mode; \fB\-\-db\fR). Query it with sqlite3:
SELECT state, COUNT(*) FROM files GROUP BY state;
[ENVIRONMENT]
AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, AWS_PROFILE, AWS_REGION,
AWS_DEFAULT_REGION, AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL, AWS_CA_BUNDLE,
AWS_SHARED_CREDENTIALS_FILE, AWS_CONFIG_FILE, as the AWS CLI reads them.
[EXIT STATUS]
0 done; 1 finished with objects in error or waiting for disk space; 2 usage or configuration
error; 3 fatal runtime error (credentials rejected, database unusable, disk full); 130
interrupted (state saved, resumable).
ROFF
} >"$include"

help2man --no-info --section=1 --source="s3migrate" \
  --name="move S3 objects to local disk, deleting each only after its copy is verified" \
  --include="$include" --output="$out" "$bin"
