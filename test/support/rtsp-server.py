"""A real RTSP camera for the tests: GStreamer's RTSP server on 127.0.0.1 serving a moving ball in H.264.

/usr/bin/python3 rtsp-server.py [--codec=h264|h265] [--audio=aac|pcma|pcmu|opus] [--bframes=N] [--sync] PORT PATH WIDTH HEIGHT FPS KEYINT [USER PASSWORD]

--codec=h265 serves H.265 (x265enc, rtph265pay) instead. --audio adds a second stream, a tone, as most
IP cameras with a microphone send it: AAC (voaacenc, rtpmp4gpay: MPEG4-GENERIC, 16 kHz mono) or G.711
A-law (alawenc, rtppcmapay: PCMA, 8 kHz mono) or µ-law (mulawenc, rtppcmupay: PCMU). --bframes=N (H.264 only) lets x264 use N B-frames, as
some cameras do (decode order differs from presentation order). --sync makes the picture black with a
short white flash (3 frames) and the sound a short beep, both once a second at the same instant, at FPS
with a zero-latency encoder (A/V sync measurements).
Options may stand anywhere.

With USER and PASSWORD, clients must log in with them (basic auth). Prints "ready" once it listens;
exits on SIGTERM or SIGINT, and when its stdin closes (the test process that started it is gone).
"""
import signal
import sys

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import GLib, Gst, GstRtspServer  # noqa: E402

codec = "h264"
audio = None
bframes = 0
sync = False
args = []
for arg in sys.argv[1:]:
    if arg.startswith("--codec="):
        codec = arg.split("=", 1)[1]
    elif arg.startswith("--audio="):
        audio = arg.split("=", 1)[1]
    elif arg == "--sync":
        sync = True
    elif arg.startswith("--bframes="):
        bframes = int(arg.split("=", 1)[1])
    else:
        args.append(arg)
port, path, width, height, fps, keyint, *login = args
# zerolatency turns B-frames off: with B-frames the tuning is left out (and the lookahead kept short).
H264_TUNING = f"bframes={bframes} rc-lookahead=4" if bframes else "tune=zerolatency bframes=0"
ENCODERS = {
    "h264": f"x264enc {H264_TUNING} speed-preset=ultrafast key-int-max={keyint}"
    # B-frames need the Main profile (the payloader would settle on Constrained Baseline, which has none).
    + (" ! video/x-h264,profile=main" if bframes else "")
    + " ! rtph264pay",
    "h265": f"videoconvert ! video/x-raw,format=I420 ! x265enc tune=zerolatency speed-preset=ultrafast key-int-max={keyint} ! rtph265pay",
}
RATES = {"aac": 16000, "pcma": 8000, "pcmu": 8000, "opus": 48000}
AUDIO = {
    "aac": "audio/x-raw,rate=16000,channels=1 ! voaacenc bitrate=32000 ! rtpmp4gpay",
    "pcma": "audio/x-raw,rate=8000,channels=1 ! alawenc ! rtppcmapay",
    "pcmu": "audio/x-raw,rate=8000,channels=1 ! mulawenc ! rtppcmupay",
    # --audio=opus: Opus (opusenc, rtpopuspay), 48 kHz mono in 20 ms packets (RTP declares it stereo, RFC 7587).
    "opus": "audio/x-raw,rate=48000,channels=1 ! opusenc bitrate=32000 frame-size=20 ! rtpopuspay",
}
if codec not in ENCODERS:
    sys.exit(f"unknown codec {codec}: h264 or h265")
if audio is not None and audio not in AUDIO:
    sys.exit(f"unknown audio {audio}: aac, pcma, pcmu or opus")
if bframes and codec != "h264":
    sys.exit("--bframes is for H.264")
Gst.init(None)
server = GstRtspServer.RTSPServer(address="127.0.0.1", service=port)
factory = GstRtspServer.RTSPMediaFactory()
# --sync: a white flash (the first FLASH frames of each second, on the frame's pts) and a beep (10 ms of
# 1 kHz: audiotestsrc's ticks, on the whole seconds of the same pipeline clock) once a second. The colour
# of the next frame is set from a probe on the source's pad, in its streaming thread, so it follows the
# pts exactly; x264 runs with zero latency (no lookahead, no B-frames), so the picture leaves the camera
# with its sound.
FLASH = max(1, min(3, int(fps) // 2))
WHITE, BLACK = 0xFFFFFFFF, 0xFF000000
# The sound's buffers last 10 ms (the default, 1024 samples, is up to 128 ms: a live source's sound comes out
# about one buffer early on the RTP/RTCP clock, as ffmpeg reads it).
SMALL = f" samplesperbuffer={RATES[audio] // 100}" if sync and audio else ""
# AAC's encoder delay (priming, about 100 ms with voaacenc) puts the decoded beep late; the picture's
# timestamps are shifted by as much, so that the beep and the flash coincide as a player decodes them.
LEAD = 100 * Gst.MSECOND if sync and audio == "aac" else 0
tone = "wave=ticks freq=1000 volume=0.8" if sync else "wave=sine freq=440 volume=0.2"
sound = (
    f" audiotestsrc is-live=true {tone}{SMALL} ! audioconvert ! audioresample ! {AUDIO[audio]} name=pay1 pt=97"
    if audio
    else ""
)
picture = (
    f"videotestsrc name=flash is-live=true pattern=solid-color foreground-color={WHITE} timestamp-offset={LEAD}"
    if sync
    else "videotestsrc is-live=true pattern=ball"
) + f" ! video/x-raw,width={width},height={height},framerate={fps}/1"


def on_media(_factory, media):
    source = media.get_element().get_by_name("flash")
    frame = Gst.SECOND // int(fps)

    def next_colour(pad, info):
        nearest = round(((info.get_buffer().pts - LEAD + frame) * int(fps)) / Gst.SECOND)
        source.set_property("foreground-color", WHITE if nearest % int(fps) < FLASH else BLACK)
        return Gst.PadProbeReturn.OK

    source.get_static_pad("src").add_probe(Gst.PadProbeType.BUFFER, next_colour)


if sync:
    factory.connect("media-configure", on_media)
factory.set_launch(f"( {picture} ! {ENCODERS[codec]} name=pay0 pt=96{sound} )")
if login:
    auth = GstRtspServer.RTSPAuth()
    token = GstRtspServer.RTSPToken()
    token.set_string(GstRtspServer.RTSP_TOKEN_MEDIA_FACTORY_ROLE, "viewer")
    auth.add_basic(GstRtspServer.RTSPAuth.make_basic(login[0], login[1]), token)
    server.set_auth(auth)
    factory.add_role_from_structure(
        Gst.Structure.from_string("viewer, media.factory.access=(boolean)true, media.factory.construct=(boolean)true")[0]
    )
server.get_mount_points().add_factory(path, factory)
if server.attach(None) == 0:
    sys.exit(f"cannot listen on 127.0.0.1:{port}")

loop = GLib.MainLoop()
for signum in (signal.SIGTERM, signal.SIGINT):
    GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, signum, loop.quit)
GLib.io_add_watch(sys.stdin.fileno(), GLib.PRIORITY_DEFAULT, GLib.IO_HUP | GLib.IO_IN, lambda *_: loop.quit())
print(f"ready rtsp://127.0.0.1:{port}{path}", flush=True)
loop.run()
