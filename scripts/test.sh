#!/usr/bin/env bash
# The whole test suite: `npm test`. Installs what the tests need when missing,
# then runs every test file with Node's test runner (TypeScript through tsx).
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/ensure-test-deps.sh

# The process tests run bin/camrelay.js, which loads dist/, and the browser tests load
# web/dist/: build either when it is missing or older than its sources.
bash scripts/build-if-stale.sh

# The spec report goes to the terminal; a TAP copy of each run gives the one-line summary at the end.
tap=$(mktemp)
status=0
# run NAME CONCURRENCY FILES...: one test runner; its spec report to stdout.
run() {
  local name=$1 concurrency=$2
  shift 2
  [ "$#" -gt 0 ] || return 0
  node --import tsx --test --test-concurrency="$concurrency" --test-timeout=180000 \
    --test-reporter=spec --test-reporter-destination=stdout \
    --test-reporter=tap --test-reporter-destination="$tap.$name" "$@" || return $?
}
if [ "$#" -gt 0 ]; then
  run files 1 "$@" || status=$?
else
  # The tests run real ffmpeg, servers and Chromium on a 2-core machine: two files at a time, except
  # those that drive Chromium, which run one at a time (a page starved of CPU shows fewer frames than
  # the camera sends, which is not what they test). Beside both, one at a time too, run the files that
  # mostly wait on real time (recording segments, shaped links, timeouts) and use little CPU: those
  # whose first line is `// test lane: waiting`.
  mapfile -t all < <(find test -name '*.test.ts' | sort)
  mapfile -t browser < <(grep -l 'launchBrowser(' "${all[@]}" || true)
  # A file says it belongs to the waiting lane on its first line.
  mapfile -t waiting < <(grep -l '^// test lane: waiting' "${all[@]}" || true)
  others=()
  for f in "${all[@]}"; do
    [[ " ${browser[*]} ${waiting[*]} " == *" $f "* ]] || others+=("$f")
  done
  # The waiting files run beside both other lanes from the start (they mostly sleep); their report is
  # shown at the end, not interleaved with the others'.
  waiting_out=$(mktemp)
  run waiting 1 "${waiting[@]}" >"$waiting_out" 2>&1 &
  waiting_pid=$!
  run others 2 "${others[@]}" || status=$?
  run browser 1 "${browser[@]}" || status=$?
  wait "$waiting_pid" || status=$?
  cat "$waiting_out"
  rm -f "$waiting_out"
fi
cat "$tap".* >"$tap" 2>/dev/null || true
rm -f "$tap".*
# Each run ends its TAP report with its counts: add them up.
count() { sed -n "s/^# $1 //p" "$tap" | awk '{ n += $1 } END { print n + 0 }'; }
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
