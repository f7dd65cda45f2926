/**
 * The binary message for a frame, built once per frame and shared by every
 * viewer of every camera. ws cannot send header and JPEG as one message from
 * two buffers, so the JPEG is copied once per frame, never per viewer.
 */
import type { Frame } from '../../hub/frame.js';
import { HEADER_BYTES } from './constants.js';
import { encodeHeader } from './header.js';

// Keyed by the frozen Frame: the message lives exactly as long as someone holds the frame.
const messages = new WeakMap<Frame, Buffer>();

export function frameMessage(frame: Frame): Buffer {
  let message = messages.get(frame);
  if (!message) {
    message = Buffer.allocUnsafe(HEADER_BYTES + frame.data.length);
    encodeHeader(message, 0, frame.seq, frame.capturedAt);
    frame.data.copy(message, HEADER_BYTES);
    messages.set(frame, message);
  }
  return message;
}
