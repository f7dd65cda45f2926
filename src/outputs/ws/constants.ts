/** The numbers of the viewer protocol v1 (docs/protocol.md). Changing any of them breaks clients. */

export const PROTOCOL_VERSION = 1;
export const PROTOCOL_NAME = 'ws-v1';

/** Binary frame header: see header.ts. */
export const HEADER_BYTES = 16;
export const HEADER_VERSION = 1;
export const CODEC_JPEG = 1;
export const FLAG_KEYFRAME = 0x01;

/** Unacknowledged frames per viewer: ?window=, default and bounds. */
export const DEFAULT_WINDOW = 2;
export const MIN_WINDOW = 1;
export const MAX_WINDOW = 8;

/** Past this much queued in user space, frames wait (latest wins) whatever the mode. */
export const MAX_BUFFERED_BYTES = 8 * 1024 * 1024;

/** Protocol-level ping period; a peer that has not answered by the next one is dropped. */
export const KEEPALIVE_MS = 15_000;

/** Token bucket for client messages that cost the server work without freeing a frame. */
export const FLOOD_BURST = 100;
export const FLOOD_PER_SECOND = 50;

export const CloseCode = {
  NORMAL: 1000,
  GOING_AWAY: 1001,
  POLICY_VIOLATION: 1008,
  MESSAGE_TOO_BIG: 1009,
  INTERNAL_ERROR: 1011,
} as const;
