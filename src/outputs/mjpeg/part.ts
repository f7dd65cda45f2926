/**
 * The bytes of a multipart/x-mixed-replace stream. The JPEG itself is never
 * copied: each part is written as header, the frame's shared Buffer, trailer.
 *
 * Frame bytes come from cameras and edges, which are not trusted: a JPEG
 * carrying a boundary line could end its part and start one of its own (an
 * HTML page in camrelay's origin). So the boundary is random, drawn once per
 * server process (clients read it from the Content-Type, as mjpg-streamer's
 * do), and a frame that contains it is never sent. The check runs once per
 * frame, however many viewers get it.
 */
import { randomBytes } from 'node:crypto';
import type { AccessUnit } from '../../media/index.js';

/** Unpredictable: 128 random bits. */
export const BOUNDARY = `camrelay${randomBytes(16).toString('hex')}`;
export const CONTENT_TYPE = `multipart/x-mixed-replace; boundary=${BOUNDARY}`;
const BOUNDARY_BYTES = Buffer.from(BOUNDARY, 'latin1');

/** Sent once, right after the response head. */
export const PREAMBLE = Buffer.from(`--${BOUNDARY}\r\n`, 'latin1');

/**
 * Closes a part and opens the next one. Written right after the JPEG:
 * browsers show a part only once the next boundary has arrived.
 */
export const TRAILER = Buffer.from(`\r\n--${BOUNDARY}\r\n`, 'latin1');

// Built once per frame however many viewers get it; gone with the frame. null: the frame is unsendable.
const headers = new WeakMap<AccessUnit, Buffer | null>();

/** The part header for a frame, or undefined when the frame's bytes contain the boundary (never sent). */
export function partHeader(frame: AccessUnit): Buffer | undefined {
  let header = headers.get(frame);
  if (header === undefined) {
    if (frame.data.indexOf(BOUNDARY_BYTES) >= 0) {
      header = null;
    } else {
      const timestamp = (frame.capturedAt / 1000).toFixed(6);
      header = Buffer.from(
        `Content-Type: image/jpeg\r\nContent-Length: ${frame.data.length}\r\nX-Timestamp: ${timestamp}\r\n\r\n`,
        'latin1',
      );
    }
    headers.set(frame, header);
  }
  return header ?? undefined;
}
