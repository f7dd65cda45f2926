/**
 * Viewer protocol v1 (docs/protocol.md), the browser side: the binary frame
 * header and the text messages. Pure functions, no I/O; the wire format itself
 * lives in src/wire/, shared with the server and the relay.
 * The header length is read, never assumed, so the header may grow.
 */
import { decodeHeader, type FrameHeader } from '../../../src/wire/header.js';

export {
  CODEC_H264,
  CODEC_H265,
  CODEC_JPEG,
  FLAG_KEYFRAME,
  HEADER_VERSION,
  PROTOCOL_VERSION,
} from '../../../src/wire/constants.js';
export { seqDiff, type FrameHeader } from '../../../src/wire/header.js';
export { encodeClientMessage, type ClientMessage } from '../../../src/wire/client-message.js';
export {
  parseServerMessage,
  type ConfigMessage,
  type HelloMessage,
  type PongMessage,
  type QualityMessage,
  type ServerMessage,
  type StatusMessage,
} from '../../../src/wire/server-message.js';

/** Reads the header of a binary message; throws RangeError for a message that cannot be a v1 frame. */
export function parseFrameHeader(message: ArrayBuffer): FrameHeader {
  return decodeHeader(new Uint8Array(message));
}
