#!/usr/bin/env bash
# `cmake --install` of a built tree into a temporary prefix: the binary, the
# manual page (generated from --help), the bash completion (also from
# --help, and it completes), the example settings and the docs are in place.
#
#   tests/cli_install_test.sh BUILD_DIR
set -euo pipefail
build="$1"
prefix="$(mktemp -d)"
trap 'rm -rf "$prefix"' EXIT
cmake --install "$build" --prefix "$prefix" >/dev/null

fail() { echo "not ok - $*"; exit 1; }
[[ -x "$prefix/bin/s3migrate" ]] || fail "no bin/s3migrate"
"$prefix/bin/s3migrate" --version | grep -q '^s3migrate [0-9]' || fail "--version"
man_page="$prefix/share/man/man1/s3migrate.1.gz"
[[ -f "$man_page" ]] || fail "no $man_page"
page="$(zcat "$man_page")"
grep -q '^\.SH NAME' <<<"$page" || fail "the manual page has no NAME"
for cmd in scan status migrate rescan reset retry ls; do
  grep -q "^\.SS $cmd\$" <<<"$page" || fail "the manual page lacks the command $cmd"
done
grep -q -- '--keep-source' <<<"$page" || fail "the manual page lacks migrate --keep-source"
completion="$prefix/share/bash-completion/completions/s3migrate"
[[ -f "$completion" ]] || fail "no bash completion"
complete_words() {  # completes the words given; prints the candidates
  bash -c 'source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _s3migrate; echo "${COMPREPLY[*]}"' \
    bash "$completion" "$@"
}
[[ "$(complete_words s3migrate mig)" == "migrate" ]] || fail "completing 'mig'"
[[ "$(complete_words s3migrate migrate --ke)" == "--keep-source" ]] || fail "completing 'migrate --ke'"
[[ "$(complete_words s3migrate --no-p)" == "--no-progress" ]] || fail "completing '--no-p'"
[[ -f "$prefix/share/doc/s3migrate/examples/s3migrate.toml" ]] || fail "no example settings"
[[ -f "$prefix/share/doc/s3migrate/PRODUCT.md" ]] || fail "no docs"
[[ -f "$prefix/share/doc/s3migrate/settings.md" && -f "$prefix/share/doc/s3migrate/guide.md" ]] || fail "no settings reference or guide"
echo "ok - installed: binary, s3migrate(1), bash completion, example settings, docs"
