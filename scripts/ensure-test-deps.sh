#!/usr/bin/env bash
# Installs the Debian packages the tests need, when they are missing.
# ffmpeg itself comes from npm (@ffmpeg-installer); a font draws the clock on
# the test pattern and the NO SIGNAL text. The web viewer's tests drive Debian's
# chromium with playwright-core (which never downloads a browser of its own);
# the TLS tests make certificates with openssl; the relay's network tests build
# namespaces and shape links with ip and tc (iproute2). The metrics test checks
# /metrics with promtool (Debian's prometheus package carries /usr/bin/promtool).
# The RTSP source's tests serve a real camera with GStreamer's RTSP server
# (test/support/rtsp-server.py), run by Debian's /usr/bin/python3 and its GObject bindings.
set -euo pipefail

need=()
[ -f /usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf ] || need+=(fonts-dejavu-core)
[ -x /usr/bin/chromium ] || need+=(chromium)
command -v openssl >/dev/null || need+=(openssl)
{ command -v ip && command -v tc; } >/dev/null || need+=(iproute2)
# The systemd unit's test checks it with systemd-analyze verify.
[ -x /usr/bin/systemd-analyze ] || need+=(systemd)
command -v promtool >/dev/null || need+=(prometheus)
# The recording tests check every file they write with ffprobe (Debian's ffmpeg package carries it).
command -v ffprobe >/dev/null || need+=(ffmpeg)
# videotestsrc and audiotestsrc are in gstreamer1.0-plugins-base; rtph264pay, rtph265pay, alawenc,
# rtppcmapay and rtpmp4gpay (the cameras with a microphone) in -good; x264enc in -ugly; x265enc (the
# H.265 camera) and voaacenc (AAC) in -bad.
gst_check='import gi
gi.require_version("Gst", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import Gst, GstRtspServer
Gst.init(None)
raise SystemExit(not all(Gst.ElementFactory.find(e) for e in (
  "videotestsrc", "rtph264pay", "x264enc", "rtph265pay", "x265enc",
  "audiotestsrc", "voaacenc", "rtpmp4gpay", "alawenc", "rtppcmapay")))'
/usr/bin/python3 -c "$gst_check" 2>/dev/null ||
  need+=(python3-gi gir1.2-gst-rtsp-server-1.0 gstreamer1.0-plugins-base gstreamer1.0-plugins-good gstreamer1.0-plugins-ugly gstreamer1.0-plugins-bad)

# The events tests publish to a real MQTT broker (Mosquitto) and subscribe with mosquitto_sub; the
# cluster tests run a real NATS server with JetStream (Debian's nats-server 2.9).
command -v mosquitto >/dev/null || [ -x /usr/sbin/mosquitto ] || need+=(mosquitto)
command -v mosquitto_sub >/dev/null || need+=(mosquitto-clients)
command -v nats-server >/dev/null || [ -x /usr/sbin/nats-server ] || need+=(nats-server)
# The RTSP server's tests play its streams with clients nobody here wrote: ffmpeg, GStreamer's
# rtspsrc (above), VLC (cvlc) and mpv.
command -v cvlc >/dev/null || need+=(vlc-bin vlc-plugin-base)
command -v mpv >/dev/null || need+=(mpv)

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
