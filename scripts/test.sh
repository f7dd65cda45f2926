#!/usr/bin/env bash
# The whole test suite: `npm test`. Installs what the tests need when missing,
# then runs every test file with Node's test runner (TypeScript through tsx).
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/ensure-test-deps.sh

# The process tests run bin/camrelay.js, which loads dist/: compile the server
# when it is missing or older than its sources (tsc rewrites every output, so
# dist/cli/main.js dates the last build).
stale_server() {
  [ -f dist/cli/main.js ] || return 0
  [ -n "$(find src tsconfig.json tsconfig.build.json -newer dist/cli/main.js -print -quit)" ]
}
if stale_server; then npx tsc -p tsconfig.build.json; fi
# The browser tests load web/dist/, not web/src/: build the viewer when it is
# missing or older than its sources.
stale_web() {
  [ -f web/dist/index.html ] && [ -f web/dist/player.js ] || return 0
  [ -n "$(find web -path web/dist -prune -o -type f -newer web/dist/player.js -print -quit)" ]
}
if stale_web; then npm run build:web --silent; fi

files=$(find test -name '*.test.ts' | sort)
if [ "$#" -gt 0 ]; then files="$*"; fi
# One file at a time: the tests run real ffmpeg and servers on a 2-core machine.
# The spec report goes to the terminal; a TAP copy gives the one-line summary at the end.
tap=$(mktemp)
status=0
node --import tsx --test --test-concurrency=1 --test-timeout=180000 \
  --test-reporter=spec --test-reporter-destination=stdout \
  --test-reporter=tap --test-reporter-destination="$tap" $files || status=$?
passed=$(sed -n 's/^# pass //p' "$tap" | tail -1)
failed=$(sed -n 's/^# fail //p' "$tap" | tail -1)
rm -f "$tap"
echo "tests: ${passed:-0} passed, ${failed:-0} failed"
exit "$status"
