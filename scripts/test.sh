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
# One file at a time: the tests run real ffmpeg and servers on a 2-core machine.
# The spec report goes to the terminal; a TAP copy gives the one-line summary at the end.
tap=$(mktemp)
status=0
node --import tsx --test --test-concurrency=1 --test-timeout=180000 \
  --test-reporter=spec --test-reporter-destination=stdout \
  --test-reporter=tap --test-reporter-destination="$tap" $files || status=$?
count() { sed -n "s/^# $1 //p" "$tap" | tail -1; }
passed=$(count pass)
failed=$(count fail)
cancelled=$(count cancelled)
skipped=$(count skipped)
rm -f "$tap"
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
