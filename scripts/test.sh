#!/usr/bin/env bash
# The whole test suite: `npm test`. Installs what the tests need when missing,
# then runs every test file with Node's test runner (TypeScript through tsx).
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/ensure-test-deps.sh

# The process tests run bin/camrelay.js, which loads dist/, and the browser tests load
# web/dist/: build either when it is missing or older than its sources.
bash scripts/build-if-stale.sh

files=$(find test -name '*.test.ts' | sort)
if [ "$#" -gt 0 ]; then files="$*"; fi
# Two lanes, one file at a time in each (the tests run real ffmpeg, servers and Chromium on a
# 2-core machine): the browser and network-namespace tests in one, the rest in the other. The
# second lane's spec report goes to the terminal as it runs, the first's after it; TAP copies give
# the one-line summary at the end.
lane1=$(printf '%s\n' $files | grep -E '^test/web/|netns' || true)
lane2=$(printf '%s\n' $files | grep -vE '^test/web/|netns' || true)
run_lane() { # files, spec destination, tap file
  [ -n "$1" ] || return 0
  node --import tsx --test --test-concurrency=1 --test-timeout=180000 \
    --test-reporter=spec --test-reporter-destination="$2" \
    --test-reporter=tap --test-reporter-destination="$3" $1
}
tap1=$(mktemp)
tap2=$(mktemp)
spec1=$(mktemp)
status=0
run_lane "$lane1" "$spec1" "$tap1" &
lane1_pid=$!
run_lane "$lane2" stdout "$tap2" || status=$?
wait "$lane1_pid" || status=$?
cat "$spec1"
sum() { local n=0 v; for f in "$tap1" "$tap2"; do v=$(sed -n "s/^# $1 //p" "$f" | tail -1); n=$((n + ${v:-0})); done; echo "$n"; }
passed=$(sum pass)
failed=$(sum fail)
cancelled=$(sum cancelled)
skipped=$(sum skipped)
rm -f "$tap1" "$tap2" "$spec1"
# A cancelled test (timed out, or its file ended before it ran) is a failure, counted as one.
passed=${passed:-0} cancelled=${cancelled:-0} skipped=${skipped:-0}
failed=$((${failed:-0} + cancelled))
line="tests: $passed passed, $failed failed, $skipped skipped"
if [ "$cancelled" -gt 0 ]; then line="$line ($cancelled of the failed cancelled: timed out or never ran)"; fi
echo "$line"
if [ "$cancelled" -gt 0 ] && [ "$status" -eq 0 ]; then status=1; fi
# In CI every test must run: a skip there hides a missing fixture or a missing privilege.
if [ "${CI:-}" = "true" ] && [ "$skipped" -gt 0 ]; then
  echo "tests: $skipped skipped with CI=true; every test must run in CI (see the reasons above)" >&2
  if [ "$status" -eq 0 ]; then status=1; fi
fi
exit "$status"
