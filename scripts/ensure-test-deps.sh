#!/usr/bin/env bash
# Installs the Debian packages the tests need, when they are missing.
# ffmpeg itself comes from npm (@ffmpeg-installer); a font is needed for the
# text the tests read back on the test pattern and the NO SIGNAL picture.
# The web viewer's tests drive Debian's chromium with playwright-core (which
# never downloads a browser of its own).
set -euo pipefail

need=()
[ -f /usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf ] || need+=(fonts-dejavu-core)
[ -x /usr/bin/chromium ] || need+=(chromium)

if [ "${#need[@]}" -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "tests need: ${need[*]} (run as root, or apt-get install them)" >&2
    exit 1
  fi
  echo "installing ${need[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" >&2
fi
