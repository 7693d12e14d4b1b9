#!/usr/bin/env bash
# The live status page, /metrics, `serve` and `report`, end to end:
#
#   tests/e2e/watch_page_test.sh PATH/TO/s3migrate PATH/TO/s3emu ARTIFACT_DIR
#
# Starts s3emu (a STANDARD bucket, GLACIER and DEEP_ARCHIVE objects whose
# restores take 40 s, one object that answers 403), scans, and runs
# `migrate --http 127.0.0.1:0`. Once everything readable is done and only the
# restores are left (a state that holds still), it opens the page in headless
# Chromium (Debian's `chromium`), checks that every figure on it equals
# `status --json` taken right after, and saves screenshots; checks a /metrics
# scrape with `promtool check metrics` (Debian's `prometheus`); after the run,
# checks `report --json/--html` and `serve` (tokens, a second listener on the
# same port). Screenshots and the report go to ARTIFACT_DIR.
set -euo pipefail

s3migrate="${1:?usage: $0 S3MIGRATE S3EMU ARTIFACT_DIR}"
s3emu="${2:?usage: $0 S3MIGRATE S3EMU ARTIFACT_DIR}"
artifacts="${3:?usage: $0 S3MIGRATE S3EMU ARTIFACT_DIR}"
mkdir -p "$artifacts"
for tool in chromium promtool python3 curl; do
  command -v "$tool" >/dev/null || { echo "FAIL - $tool is not installed (scripts/install-deps.sh installs it)"; exit 1; }
done

work="$(mktemp -d "${TMPDIR:-/tmp}/s3m-watch.XXXXXX")"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

passed=0 failed=0
pass() { echo "ok   - $*"; passed=$((passed + 1)); }
fail() { echo "FAIL - $*"; failed=$((failed + 1)); }
# wait_for SECONDS CMD...: until CMD succeeds; false when it never did.
wait_for() {
  local deadline=$((SECONDS + $1))
  shift
  until "$@" >/dev/null 2>&1; do
    ((SECONDS < deadline)) || return 1
    sleep 0.5
  done
}
# The page after its script ran, as Chromium sees it.
dump_dom() {
  chromium --headless=new --no-sandbox --disable-gpu --virtual-time-budget=5000 --dump-dom "$1" 2>/dev/null
}
screenshot() {
  chromium --headless=new --no-sandbox --disable-gpu --hide-scrollbars --virtual-time-budget=5000 \
    --window-size=1280,"$3" --screenshot="$2" "$1" >/dev/null 2>&1
}

# --- the emulator and the migration ------------------------------------------
"$s3emu" --port 0 --no-fsync --restore-delay Standard=40 \
  --synthetic "bucket=photos,count=1500,size=65536,key_pattern=img/{i:05}.jpg,seed=1,storage_class=STANDARD" \
  --synthetic "bucket=archive,count=12,size=1048576,key_pattern=glacier/{i:03},seed=2,storage_class=GLACIER" \
  --synthetic "bucket=archive,count=6,size=2097152,key_pattern=deep/{i:03},seed=3,storage_class=DEEP_ARCHIVE" \
  --fault "kind=access_denied,op=GetObject,op=HeadObject,key=img/00042.jpg" >"$work/emu.out" 2>"$work/emu.err" &
pids+=($!)
wait_for 20 grep -q "listening on" "$work/emu.out" || { echo "FAIL - s3emu did not start"; cat "$work/emu.err"; exit 1; }
endpoint="http://$(sed -n 's/.*listening on //p' "$work/emu.out")"
cat >"$work/s3migrate.toml" <<TOML
local_base_path = "$work/dest"
state_db = "$work/state.db"
endpoint_url = "$endpoint"
region = "us-east-1"
path_style = true
progress_sample_interval = 1
restore_poll_interval = 5
max_attempts = 1
TOML
export AWS_ACCESS_KEY_ID=s3emu AWS_SECRET_ACCESS_KEY=s3emu-secret
s3m() { (cd "$work" && "$s3migrate" "$@"); }
s3m scan >"$work/scan.out" 2>&1 || { echo "FAIL - scan"; cat "$work/scan.out"; exit 1; }

s3m --http 127.0.0.1:0 --no-progress migrate >"$work/migrate.out" 2>"$work/migrate.err" &
migrate_pid=$!
pids+=($migrate_pid)
wait_for 20 grep -q "status page at" "$work/migrate.err" || { echo "FAIL - no status page"; cat "$work/migrate.err"; exit 1; }
url="$(sed -n 's/.*status page at \(http[^ ]*\) .*/\1/p' "$work/migrate.err")"
pass "migrate --http printed the page's address ($url)"

# Only restores left: nothing discovered readable, downloading or verified,
# and every restore seen running (its first check flips it from requested to
# restoring; after that nothing changes until the restores end, 40 s on, so
# the page and status --json below read the same figures).
restores_only() {
  s3m status --json | python3 -c '
import json, sys
s = json.load(sys.stdin)["states"]
busy = sum(s[k]["files"] for k in ("discovered", "downloading", "downloaded", "verified"))
sys.exit(0 if busy == 0 and s["glacier_restore_requested"]["files"] == 0 and s["glacier_restoring"]["files"] == 18 else 1)'
}
if wait_for 60 restores_only; then pass "the readable objects are done; 18 restores are under way"; else fail "never reached the restores-only state"; fi

# --- the page's figures equal status --json ----------------------------------
dump_dom "$url" >"$work/page.html"
s3m status --json --by-bucket >"$work/status.json"
compare='
import json, sys
from html.parser import HTMLParser
class Figures(HTMLParser):
    def __init__(self):
        super().__init__(); self.figures = {}; self.body = {}
    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "body": self.body = a
        if "data-metric" in a: self.figures.setdefault(a["data-metric"], set()).add(a["data-value"])
page = Figures(); page.feed(open(sys.argv[1]).read())
status = json.load(open(sys.argv[2]))
def lookup(metric):
    if metric.startswith("buckets."):
        _, name, what = metric.split(".", 2)
        b = next(b for b in status["buckets"] if b["name"] == name)
        if what in ("files", "bytes"): return sum(t[what] for t in b["states"].values())
        return b["states"][what]["files"]
    node = status
    for part in metric.split("."): node = node[part]
    return node
if page.body.get("data-ready") != "1": sys.exit("the page never rendered (no data-ready)")
checked = 0
for metric, values in sorted(page.figures.items()):
    if metric.split(".")[0] not in ("states", "totals", "glacier", "buckets"): continue
    want = str(lookup(metric))
    if values != {want}: sys.exit(f"{metric}: page {sorted(values)} != status --json {want}")
    checked += 1
if checked < 20: sys.exit(f"only {checked} figures found on the page")
print(f"{checked} figures equal")'
if out="$(python3 -c "$compare" "$work/page.html" "$work/status.json" 2>&1)"; then
  pass "page figures equal status --json ($out)"
else
  fail "page figures: $out"
fi
if grep -q 'live: migrate is running' "$work/page.html" && grep -q 'MIGRATION PROGRESS' "$work/page.html"; then
  pass "the page shows the live progress block"
else
  fail "no live progress block on the page"
fi
if grep -q '<polyline class="series" data-series="deleted"' "$work/page.html"; then
  pass "the charts are drawn from the stored samples"
else
  fail "no chart lines on the page"
fi
if grep -q "s3migrate reset 'photos' 'img/00042.jpg'" "$work/page.html" && grep -q 'AccessDenied' "$work/page.html"; then
  pass "the error is listed with its cause and the command that retries it"
else
  fail "the 403 object is not listed among the errors"
fi
if grep -q '>Standard<' "$work/page.html" && grep -q 'glacier_restor' "$work/page.html"; then
  pass "restores are listed by tier"
else
  fail "no restores table"
fi
screenshot "$url" "$artifacts/status-page.png" 2300 && pass "screenshot $artifacts/status-page.png" || fail "screenshot"

# --- /metrics, mid-run ---------------------------------------------------------
curl -fsS "${url}metrics" >"$work/metrics.txt"
if promtool check metrics <"$work/metrics.txt" >"$work/promtool.out" 2>&1; then
  pass "promtool check metrics accepts a scrape taken mid-run"
else
  fail "promtool check metrics: $(cat "$work/promtool.out")"
fi
if grep -q '^s3migrate_errors_total{kind="AccessDenied"} 1$' "$work/metrics.txt" &&
   grep -q '^s3migrate_objects{state="glacier_restoring"} 18$\|^s3migrate_objects{state="glacier_restore_requested"} 18$' "$work/metrics.txt"; then
  pass "/metrics counts the error by kind and the restores"
else
  fail "/metrics figures: $(grep -E 'errors_total|objects\{' "$work/metrics.txt" | tr '\n' ' ')"
fi

# --- the end of the run; report and serve -----------------------------------
if wait_for 150 bash -c "! kill -0 $migrate_pid"; then pass "migrate finished"; else fail "migrate did not finish"; fi
wait "$migrate_pid" && rc=0 || rc=$?
[[ $rc == 1 ]] && pass "migrate exit 1 (one object in error)" || fail "migrate exit $rc, expected 1"

s3m report --json "$work/report.json" --html "$artifacts/report.html"
check_report='
import json, sys
r = json.load(open(sys.argv[1]))
assert r["states"]["deleted"]["files"] == 1517, r["states"]["deleted"]
assert r["states"]["error"]["files"] == 1
methods = {m["method"]: m["files"] for m in r["verified_by"]}
assert sum(methods.values()) == 1517, methods
left = [l for l in r["left_in_s3"] if l["files"]]
assert len(left) == 1 and left[0]["state"] == "error" and "retry" in left[0]["reason"], left
restored = {(x["storage_class"], x["tier"]): x["files"] for x in r["costs_spent"]["restores_requested"]}
assert restored == {("GLACIER", "Standard"): 12, ("DEEP_ARCHIVE", "Standard"): 6}, restored
assert r["costs_spent"]["restores"] > 0 and r["costs_spent"]["total"] > r["costs_spent"]["restores"]
assert len(r["timings"]["runs"]) == 1 and r["timings"]["runs"][0]["bytes_received"] > 0
print("ok")'
if out="$(python3 -c "$check_report" "$work/report.json" 2>&1)"; then
  pass "report --json: what moved, how verified, what stays and why, restores paid for, the run"
else
  fail "report --json: $out"
fi
if grep -q '<svg' "$artifacts/report.html" && ! grep -qi '<script\|src="http\|href="http' "$artifacts/report.html"; then
  pass "report --html is one self-contained file with inline charts"
else
  fail "report --html is not self-contained"
fi
screenshot "file://$artifacts/report.html" "$artifacts/report.png" 2600 && pass "screenshot $artifacts/report.png" || fail "report screenshot"

s3m --http 127.0.0.1:0 serve >"$work/serve.out" 2>"$work/serve.err" &
pids+=($!)
wait_for 20 grep -q "status page at" "$work/serve.err" || fail "serve printed no address"
serve_url="$(sed -n 's/.*status page at \(http[^ ]*\) .*/\1/p' "$work/serve.err")"
dump_dom "$serve_url" >"$work/serve.html"
if grep -q 'from the state database' "$work/serve.html" && grep -q 'data-metric="states.deleted.files" data-value="1517"' "$work/serve.html" &&
   grep -q 'No migrate run is storing progress samples now' "$work/serve.html" && grep -q 'MIGRATION PROGRESS' "$work/serve.html"; then
  pass "serve shows the finished migration from the database, with the last stored progress block"
else
  fail "serve page"
fi
port="${serve_url##*:}"; port="${port%/}"
if s3m --http "127.0.0.1:$port" serve >"$work/serve2.out" 2>&1; then
  fail "a second serve on port $port started"
else
  grep -q "cannot listen on 127.0.0.1:$port" "$work/serve2.out" && pass "a second serve on the same port is refused" || fail "second serve: $(cat "$work/serve2.out")"
fi
if s3m --http 0.0.0.0:0 serve >"$work/serve3.out" 2>&1; then
  fail "serve on 0.0.0.0 without a token started"
else
  rc=$?
  [[ $rc == 2 ]] && grep -q "needs a bearer token" "$work/serve3.out" && pass "a non-loopback address without a token: exit 2" ||
    fail "non-loopback without token: exit $rc $(cat "$work/serve3.out")"
fi
echo "tok-$$-secret" >"$work/token"
s3m --http 0.0.0.0:0 --http-token-file "$work/token" serve >"$work/serve4.out" 2>"$work/serve4.err" &
pids+=($!)
wait_for 20 grep -q "status page at" "$work/serve4.err" || fail "serve with a token printed no address"
tport="$(sed -n 's/.*status page at http:\/\/[^ ]*:\([0-9]*\)\/ .*/\1/p' "$work/serve4.err")"
code_without="$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$tport/metrics")"
code_with="$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer tok-$$-secret" "http://127.0.0.1:$tport/metrics")"
[[ $code_without == 401 && $code_with == 200 ]] && pass "with a token: 401 without it, 200 with it" ||
  fail "token: $code_without without, $code_with with"
if grep -rq "tok-$$-secret" "$work"/serve4.* "$work/state.db"; then fail "the token reached the output or the database"; else pass "the token is never printed or stored"; fi

echo "$passed passed, $failed failed"
[[ $failed == 0 ]]
