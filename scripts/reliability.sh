#!/usr/bin/env bash
# The reliability proof in one command (issue 17): kills, power losses, a
# crashing server, the network-fault mix, the fuzzers and (long profile) the
# ThreadSanitizer run of every suite, with one table.
#
#   scripts/reliability.sh --short    # CI: a few minutes
#   scripts/reliability.sh --long     # >= 30 SIGKILLs, >= 200 power losses,
#                                     # 10 minutes per fuzz target, and
#                                     # scripts/tsan.sh (about 10 minutes)
#
# The end-to-end tests start their own emulator (tools/s3emu) and scale with
# S3M_RELIABILITY_SCALE (1 short, 25 long):
#   KilledAgainAndAgainLosesNothing        scale episodes of up to 5 SIGKILLs at random moments
#   PowerLostAtRandomPoints...             ~10 power losses per episode, scale episodes
#   TheServerCrashingMidRun...             the emulator SIGKILLed and restarted, scale times
#   SurvivesTheNetworkFaultMix             5% 500/503 SlowDown, 1% resets, 1% truncations,
#                                          1% flipped bytes over 200 x scale objects
#   ASlowOrStalledServer...                latency, short stalls waited out, long ones
#                                          abandoned after stall_timeout
# Each checks after every blow that nothing is gone from S3 without a durable
# verified copy, and ends with every object on disk byte for byte and
# deleted: a test passes only when no object was lost. Then scripts/fuzz.sh,
# and in the long profile scripts/tsan.sh (unit, integration, emulator and
# end-to-end suites under ThreadSanitizer; it does not fit test.sh's CI budget).
# Exits non-zero when any test failed or any fuzzer found something.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
profile="${1:---short}"
case "$profile" in
  --short) scale=1 fuzz_seconds=30 tsan=0 ;;
  --long) scale=25 fuzz_seconds=600 tsan=1 ;;
  *) echo "usage: $0 --short | --long" >&2; exit 2 ;;
esac

"$root/scripts/build.sh" "$root/build" >/dev/null
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
tests='MigrateInterruptTest.KilledAgainAndAgainLosesNothing:PowerLossTest.*'
tests+=':MigrateFaultsTest.TheServerCrashingMidRunAndComingBackLosesNothing'
tests+=':MigrateFaultsTest.SurvivesTheNetworkFaultMix'
tests+=':MigrateFaultsTest.ASlowOrStalledServerIsWaitedForOrAbandonedAndTheRunFinishes'
status=0
S3M_RELIABILITY_SCALE="$scale" "$root/build/tests/e2e_tests" --gtest_filter="$tests" \
  --gtest_output="xml:$work/e2e.xml" >"$work/e2e.log" 2>&1 || status=1
"$root/scripts/fuzz.sh" --seconds "$fuzz_seconds" >"$work/fuzz.out" 2>"$work/fuzz.err" || status=1
: >"$work/tsan.out"
if ((tsan)); then
  "$root/scripts/tsan.sh" >"$work/tsan.out" 2>&1 || status=1
fi

python3 - "$work/e2e.xml" "$work/fuzz.out" "$profile" "$work/tsan.out" <<'PY'
import re
import sys
import xml.etree.ElementTree as ET

xml_path, fuzz_path, profile, tsan_path = sys.argv[1:5]
props, failed, ran = {}, [], 0
try:
    for case in ET.parse(xml_path).iter("testcase"):
        ran += 1
        if case.find("failure") is not None:
            failed.append(case.get("classname") + "." + case.get("name"))
        found = [(p.get("name"), p.get("value")) for p in case.iter("property")]
        found += [(k, v) for k, v in case.attrib.items() if k not in
                  ("name", "status", "result", "time", "timestamp", "classname", "file", "line")]
        for name, value in found:
            try:
                props[name] = props.get(name, 0) + int(value)
            except (TypeError, ValueError):
                pass
except (OSError, ET.ParseError) as e:
    failed.append(f"no test report ({e})")
fuzz_runs = fuzz_findings = 0
targets = 0
for line in open(fuzz_path).read().splitlines()[1:]:
    cols = line.split()
    if len(cols) == 4 and cols[1].isdigit():
        targets += 1
        fuzz_runs += int(cols[1])
        fuzz_findings += int(cols[3])
rows = [
    ("SIGKILLs of s3migrate survived", props.get("kills", 0)),
    ("power losses survived (unsynced data and renames lost)", props.get("power_losses", 0)),
    ("server crashes survived (SIGKILL, restart)", props.get("server_crashes", 0)),
    ("objects moved under the network-fault mix", props.get("objects", 0)),
]
for kind in ("internal_error", "slow_down", "reset", "truncate", "corrupt", "latency", "stall"):
    rows.append((f"  faults injected and recovered: {kind}", props.get("injected_" + kind, 0)))
rows += [
    (f"hostile inputs tried (fuzz executions, {targets} targets)", fuzz_runs),
    ("fuzz findings", fuzz_findings),
    ("objects lost", 0 if not failed and ran == 5 else "see the failures below"),
]
if profile == "--long":
    m = re.search(r"(\d+) tests failed out of (\d+)", open(tsan_path).read())
    if m:
        rows.append(("ThreadSanitizer: tests run clean (unit, integration, emulator, e2e)",
                     f"{int(m[2]) - int(m[1])} of {m[2]}"))
        if m[1] != "0":
            failed.append(f"ThreadSanitizer: {m[1]} tests failed")
    else:
        failed.append("ThreadSanitizer: the run did not complete")
print(f"reliability {profile}")
print("| what | count |\n| --- | --- |")
for what, count in rows:
    print(f"| {what} | {count} |")
for name in failed:
    print(f"FAILED: {name}")
if ran != 5:
    print(f"FAILED: {ran} of 5 reliability tests ran")
PY
if ((status != 0)); then
  echo "reliability: something failed; the test log:" >&2
  grep -E ": Failure$|\[  FAILED  \]|property broken|SUMMARY: |\*\*\*Failed|tests failed out of" \
    "$work/e2e.log" "$work/fuzz.err" "$work/tsan.out" | head -30 >&2
fi
exit "$status"
