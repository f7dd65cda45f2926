"""GStreamer's rtspsrc as a test client: URL, protocols (tcp or udp), frames to decode, codec.

Decodes with openh264dec (H.264) or parses (H.265: no decoder here), counts the pictures at the sink,
and prints one JSON line: {"frames": N, "errors": [...], "warnings": [...]}. Exits 0 once N pictures came
without an error, 1 otherwise (an error, or 20 s).
"""
import json
import sys

import gi

gi.require_version("Gst", "1.0")
from gi.repository import GLib, Gst  # noqa: E402

Gst.init(None)
url, protocols, wanted = sys.argv[1], sys.argv[2], int(sys.argv[3])
codec = sys.argv[4] if len(sys.argv) > 4 else "h264"
tail = "rtph264depay ! h264parse ! openh264dec" if codec == "h264" else "rtph265depay ! h265parse"
pipeline = Gst.parse_launch(
    f"rtspsrc location={url} protocols={protocols} latency=200 ! {tail} ! fakesink name=sink signal-handoffs=true sync=false"
)
frames = [0]
errors = []
warnings = []


def handoff(*_):
    frames[0] += 1


pipeline.get_by_name("sink").connect("handoff", handoff)
loop = GLib.MainLoop()


def on_message(_, message):
    if message.type == Gst.MessageType.ERROR:
        errors.append(message.parse_error()[0].message)
        loop.quit()
    elif message.type == Gst.MessageType.WARNING:
        warnings.append(message.parse_warning()[0].message)


bus = pipeline.get_bus()
bus.add_signal_watch()
bus.connect("message", on_message)
pipeline.set_state(Gst.State.PLAYING)


def check():
    if frames[0] >= wanted:
        loop.quit()
        return False
    return True


GLib.timeout_add(50, check)
GLib.timeout_add(20000, loop.quit)
loop.run()
pipeline.set_state(Gst.State.NULL)
print(json.dumps({"frames": frames[0], "errors": errors, "warnings": warnings}))
sys.exit(0 if frames[0] >= wanted and not errors else 1)
