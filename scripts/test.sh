#!/usr/bin/env bash
# The whole test suite: `npm test`. Installs what the tests need when missing,
# then runs every test file with Node's test runner (TypeScript through tsx).
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/ensure-test-deps.sh

[ -d dist ] || npm run build --silent

files=$(find test -name '*.test.ts' | sort)
if [ "$#" -gt 0 ]; then files="$*"; fi
# One file at a time: the tests run real ffmpeg and servers on a 2-core machine.
exec node --import tsx --test --test-concurrency=1 --test-timeout=180000 --test-reporter=spec $files
