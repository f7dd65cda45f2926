/**
 * The publisher protocol v1 (docs/protocol.md, "Publisher protocol"): what an
 * edge and a hub say to each other over `GET /api/publish`. Pure functions
 * and constants, no I/O: shared by the edge, the hub and the tests. This file holds the
 * constants, limits and codec names; messages.ts the text messages, frames.ts the binary frames.
 *
 * Frames reuse the viewer protocol's header (src/wire/header.ts) with
 * header length 20 and a u32 channel at bytes 16..19:
 *
 *   0  u8   version (1)          8  f64  capture time on the edge's clock
 *   1  u8   codec (1 JPEG,      16  u32  channel (from the edge's announce)
 *           2 H.264)            20  …    JPEG, or an H.264 access unit (AVC, 4-byte lengths)
 *   2  u8   flags (keyframe)
 *   3  u8   header length (20)
 *   4  u32  sequence number
 *
 * H.264 is sent only when both sides said so in their hellos (`codecs`), and
 * a channel's H.264 units come after a `config` for it.
 */
export type { Parsed } from '../wire/json.js';

export const RELAY_PROTOCOL = 1;
export const PUBLISH_PATH = '/api/publish';
export const RELAY_HEADER_BYTES = 20;
/**
 * An H.264 frame's header, grown by the unit's media times on the camera's clock (edges from this version
 * on; a hub skips what it does not know, and takes a 20-byte header as before): 20 u32 decode time (90 kHz
 * ticks, modulo 2^32), 24 i32 composition offset (presentation minus decode time).
 */
export const RELAY_TIMED_HEADER_BYTES = 28;

/** Largest JPEG a publisher may send unless its config says otherwise. */
export const DEFAULT_MAX_FRAME_BYTES = 4 * 1024 * 1024;
/** Largest text message either side accepts (an announce of 256 cameras fits easily). */
export const MAX_TEXT_BYTES = 64 * 1024;
export const MAX_CAMERAS_PER_EDGE = 256;
/** Unacknowledged frames per camera on the uplink. */
export const DEFAULT_UPLINK_WINDOW = 2;
/** Frames per second a hub accepts per camera: twice the announced rate, at least this. */
export const MIN_RATE_LIMIT_FPS = 60;
/** Unacknowledged H.264 access units per camera on the uplink (small units: more of them hide the round trip). */
export const DEFAULT_H264_UPLINK_WINDOW = 8;
/** Largest avcC (base64-decoded) a `config` may carry: SPS and PPS are a few dozen bytes each. */
export const MAX_RELAY_AVCC_BYTES = 16 * 1024;
/** The codecs the uplink can carry, in this side's order of preference. */
export type RelayCodec = 'jpeg' | 'h264';
export const RELAY_CODECS: readonly RelayCodec[] = ['h264', 'jpeg'];
/** The hub's answer to an edge that never says hello. */
export const HELLO_TIMEOUT_MS = 10_000;

/**
 * The camera's audio on the uplink (negotiated in the hellos' `audio`, only with an H.264 uplink): an
 * `audio` text message with its configuration, then binary frames with this codec byte (the relay's own,
 * not a viewer codec) and a 28-byte header: 20 u32 pts (90 kHz ticks modulo 2^32, the video's clock),
 * 24 u32 samples per channel in the unit. Not acknowledged, not windowed: a few kbit/s beside the video.
 */
export const RELAY_CODEC_AUDIO = 16;
export type RelayAudioCodec = 'aac' | 'pcma' | 'pcmu' | 'opus';
/** The audio codecs the relay carries; a hub or edge skips names it does not know (older ones: no `opus`). */
export const RELAY_AUDIO_CODECS: readonly RelayAudioCodec[] = ['aac', 'pcma', 'pcmu', 'opus'];
/** Largest audio unit a hub takes (an AAC frame is at most 768 bytes per channel; 20 ms of G.711 is 160; an Opus packet 1275 per frame). */
export const MAX_RELAY_AUDIO_BYTES = 8 * 1024;
/** Largest AudioSpecificConfig (or OpusHead) an `audio` message may carry. */
export const MAX_RELAY_ASC_BYTES = 64;
/** Audio units per second a hub takes per camera (AAC at 96 kHz is 94; 10 ms G.711 packets 100), burst as many. */
export const MAX_AUDIO_UNITS_PER_SECOND = 250;

/**
 * Events across the relay, beyond the `event` message (negotiated in the hellos' `events`):
 * - `pre-roll`: the hub asks (`buffer`) an edge to keep the last seconds of a camera's H.264 in memory, and
 *   starts the camera with `from`: the edge sends what it kept from there (frames flagged FLAG_BUFFERED, with
 *   their original capture and media times), then live.
 * - `snapshot`: the edge sends an event's JPEG (taken near its peak) as a binary frame, codec
 *   RELAY_CODEC_SNAPSHOT: 20 f64 the edge's event id, 28 the JPEG.
 */
export type RelayEventFeature = 'pre-roll' | 'snapshot';
export const RELAY_EVENT_FEATURES: readonly RelayEventFeature[] = ['pre-roll', 'snapshot'];
/** Frame flag bit 1 on the uplink: the unit comes from the edge's pre-roll buffer, not live. */
export const FLAG_BUFFERED = 0x02;
/** The codec byte of an event's snapshot frame (the relay's own, like audio's). */
export const RELAY_CODEC_SNAPSHOT = 17;
/** Largest snapshot a hub takes from an edge (a 1920x1080 JPEG at the encoder's quality is about 200 KiB). */
export const MAX_SNAPSHOT_BYTES = 512 * 1024;
/** Snapshots a hub takes per camera: this many per second, as many at once. */
export const SNAPSHOTS_PER_SECOND = 2;
/** The most an edge sends of its buffer for one `start`, and the most a hub takes (as src/recording's pre-roll cap). */
export const MAX_BUFFERED_BYTES = 32 * 1024 * 1024;
/**
 * How far before `from` a buffered frame may be: the keyframe the buffer starts at (a long group of
 * pictures); a hub closes an edge that sends older ones.
 */
export const MAX_BUFFER_LEAD_MS = 60_000;
/** The longest pre-roll a hub may ask for (`buffer.ms`). */
export const MAX_BUFFER_MS = 120_000;

/** The viewer protocol's close codes, meaning the same on the uplink. */
export { CloseCode as RelayClose } from '../wire/constants.js';

/** Frames per second the hub allows a camera announced at `fps` (0 = unknown). */
export function rateLimitFps(fps: number): number {
  return Math.max(MIN_RATE_LIMIT_FPS, Math.ceil(2 * fps));
}
