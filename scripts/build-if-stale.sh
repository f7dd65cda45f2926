#!/usr/bin/env bash
# Builds what is stale, and only that: the server (src/ → dist/) when dist/ is missing or
# older than its sources, the web viewer (web/ → web/dist/) likewise. `npm start`,
# `npm pack` and `npm test` run it, so a fresh checkout builds once and later runs start at once.
set -euo pipefail
cd "$(dirname "$0")/.."

# tsc rewrites every output: dist/cli/main.js dates the last build.
stale_server() {
  [ -f dist/cli/main.js ] || return 0
  [ -n "$(find src tsconfig.json tsconfig.build.json -newer dist/cli/main.js -print -quit)" ]
}
# The viewer's second build writes web/dist/player.js last. The player imports the wire format from src/wire/
# and the fragmented MP4 writer (its MSE path) from src/codec/.
stale_web() {
  [ -f web/dist/index.html ] && [ -f web/dist/player.js ] || return 0
  [ -n "$(find web src/wire src/codec -path web/dist -prune -o -type f -newer web/dist/player.js -print -quit)" ]
}

# Without the dev tools (a production install: `npm ci --omit=dev`), an existing build is used
# as it is; with no build at all there is nothing to run.
build() { # what, output, tool, command...
  local what=$1 output=$2 tool=$3
  shift 3
  if [ -x "node_modules/.bin/$tool" ]; then
    echo "camrelay: building $what ($output)" >&2
    # Its output goes to stderr: stdout may be a caller's data (`npm pack --json`).
    "$@" >&2
  elif [ -e "$output" ]; then
    echo "camrelay: $output may be older than its sources, but $tool (a dev dependency) is not installed:" \
      "using it as it is" >&2
  else
    echo "camrelay: $output is missing and $tool is not installed: run \`npm install\` (with dev dependencies)" >&2
    exit 1
  fi
}

if stale_server; then build 'the server' dist/ tsc node_modules/.bin/tsc -p tsconfig.build.json; fi
if stale_web; then build 'the web viewer' web/dist/ vite npm run build:web --silent; fi
