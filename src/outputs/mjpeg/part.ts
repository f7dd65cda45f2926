/**
 * The bytes of a multipart/x-mixed-replace stream. The JPEG itself is never
 * copied: each part is written as header, the frame's shared Buffer, trailer.
 */
import type { Frame } from '../../hub/frame.js';

/** mjpg-streamer's boundary, so clients written against it see what they expect. */
export const BOUNDARY = 'boundarydonotcross';
export const CONTENT_TYPE = `multipart/x-mixed-replace; boundary=${BOUNDARY}`;

/** Sent once, right after the response head. */
export const PREAMBLE = Buffer.from(`--${BOUNDARY}\r\n`, 'latin1');

/**
 * Closes a part and opens the next one. Written right after the JPEG:
 * browsers show a part only once the next boundary has arrived.
 */
export const TRAILER = Buffer.from(`\r\n--${BOUNDARY}\r\n`, 'latin1');

// Built once per frame however many viewers get it; gone with the frame.
const headers = new WeakMap<Frame, Buffer>();

export function partHeader(frame: Frame): Buffer {
  let header = headers.get(frame);
  if (!header) {
    const timestamp = (frame.capturedAt / 1000).toFixed(6);
    header = Buffer.from(`Content-Type: image/jpeg\r\nContent-Length: ${frame.data.length}\r\nX-Timestamp: ${timestamp}\r\n\r\n`, 'latin1');
    headers.set(frame, header);
  }
  return header;
}
