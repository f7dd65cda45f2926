#!/usr/bin/env bash
# Installs the Debian packages the tests need, when they are missing.
# ffmpeg itself comes from npm (@ffmpeg-installer); a font draws the clock on
# the test pattern and the NO SIGNAL text. The web viewer's tests drive Debian's
# chromium with playwright-core (which never downloads a browser of its own);
# the TLS tests make certificates with openssl; the relay's network tests build
# namespaces and shape links with ip and tc (iproute2). The metrics test checks
# /metrics with promtool (Debian's prometheus package carries /usr/bin/promtool).
set -euo pipefail

need=()
[ -f /usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf ] || need+=(fonts-dejavu-core)
[ -x /usr/bin/chromium ] || need+=(chromium)
command -v openssl >/dev/null || need+=(openssl)
{ command -v ip && command -v tc; } >/dev/null || need+=(iproute2)
# The systemd unit's test checks it with systemd-analyze verify.
[ -x /usr/bin/systemd-analyze ] || need+=(systemd)
command -v promtool >/dev/null || need+=(prometheus)

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
