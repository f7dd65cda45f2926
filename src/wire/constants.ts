/**
 * The numbers of the viewer protocol v1 (docs/protocol.md), shared by the server, the relay and the
 * browser player. Changing any of them breaks clients.
 */

export const PROTOCOL_VERSION = 1;
export const PROTOCOL_NAME = 'ws-v1';

/** Binary frame header: see header.ts. */
export const HEADER_BYTES = 16;
/** The header of an H.264 or H.265 unit, grown by its media times (decode time, composition offset). */
export const MEDIA_TIME_HEADER_BYTES = 24;
export const HEADER_VERSION = 1;
export const FLAG_KEYFRAME = 0x01;

/** Byte 1 of the header: what the payload is. */
export const CODEC_JPEG = 1;
/** H.264: one access unit in AVC form (4-byte NAL lengths), after a `config` text message. */
export const CODEC_H264 = 2;
/** H.265: one access unit with 4-byte NAL lengths (as hvcC says), after a `config` text message. */
export const CODEC_H265 = 3;
/**
 * Audio (only to viewers that asked with `?audio=1`): one encoded audio unit, after an `audio-config` text
 * message; header length 24, its pts in 90 kHz ticks of the video's media clock (audio-message.ts). Not acknowledged.
 */
export const CODEC_AUDIO = 4;

/** An audio message older than this (since it reached the server) is dropped rather than sent late. */
export const MAX_AUDIO_AGE_MS = 300;
/** Past this much queued for the socket, audio is dropped rather than queued behind it. */
export const MAX_AUDIO_BUFFERED_BYTES = 256 * 1024;

/** Unacknowledged frames per viewer: ?window=, default and bounds. */
export const DEFAULT_WINDOW = 2;
export const MIN_WINDOW = 1;
export const MAX_WINDOW = 8;

/** The largest message a viewer may send (its messages are small JSON); past it the server closes with 1009. */
export const MAX_VIEWER_MESSAGE_BYTES = 4096;

/** Past this much queued in the server's user space, frames wait (latest wins) whatever the mode. */
export const MAX_BUFFERED_BYTES = 8 * 1024 * 1024;

/** Protocol-level ping period; a peer that has not answered by the next one is dropped (keepalive.ts). */
export const KEEPALIVE_MS = 15_000;

/** Token bucket for client messages that cost the server work without freeing a frame (token-bucket.ts). */
export const FLOOD_BURST = 100;
export const FLOOD_PER_SECOND = 50;

export const CloseCode = {
  NORMAL: 1000,
  GOING_AWAY: 1001,
  POLICY_VIOLATION: 1008,
  MESSAGE_TOO_BIG: 1009,
  INTERNAL_ERROR: 1011,
} as const;
