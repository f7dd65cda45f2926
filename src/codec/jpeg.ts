/**
 * The little of JPEG that camrelay needs: is this a whole JPEG, and how big is
 * its picture. Only marker segments before the image data are walked; the
 * entropy-coded body is never scanned.
 */

/** Smaller than this cannot be a real picture (SOI + DQT + SOF + DHT + SOS + EOI). */
export const MIN_JPEG_BYTES = 125;

/**
 * Some USB cameras pad MJPEG frames after EOI. A frame is accepted when EOI
 * sits within this many bytes of its end; the padding is trimmed.
 */
const MAX_TRAILING_PADDING = 4096;

/**
 * Returns the frame trimmed to its EOI if it is a plausible whole JPEG
 * (SOI first, EOI last but for padding, minimum size), else undefined.
 */
export function checkJpeg<T extends Uint8Array>(buf: T): T | undefined {
  if (buf.length < MIN_JPEG_BYTES) return undefined;
  if (buf[0] !== 0xff || buf[1] !== 0xd8) return undefined;
  const stop = Math.max(2, buf.length - MAX_TRAILING_PADDING);
  for (let i = buf.length - 2; i >= stop; i--) {
    if (buf[i] === 0xff && buf[i + 1] === 0xd9) {
      // subarray() of a Node Buffer is a Buffer: the caller gets back the type it gave.
      return i + 2 === buf.length ? buf : (buf.subarray(0, i + 2) as T);
    }
  }
  return undefined;
}

export interface JpegSize {
  width: number;
  height: number;
}

function uint16(buf: Uint8Array, at: number): number {
  return (buf[at]! << 8) | buf[at + 1]!;
}

/** Start-of-frame markers carry the size: C0..CF except DHT (C4), JPG (C8) and DAC (CC). */
function isStartOfFrame(marker: number): boolean {
  return marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
}

/**
 * Reads width and height from the SOF segment by hopping from segment to
 * segment by their lengths, so an EXIF thumbnail inside APP1 is skipped whole.
 */
export function readJpegSize(buf: Uint8Array): JpegSize | undefined {
  let at = 2;
  while (at + 4 <= buf.length) {
    if (buf[at] !== 0xff) return undefined;
    const marker = buf[at + 1]!;
    if (marker === 0xff) {
      at += 1; // fill byte
      continue;
    }
    if (marker === 0xd9 || marker === 0xda) return undefined; // EOI or SOS before any SOF
    if (marker >= 0xd0 && marker <= 0xd7) {
      at += 2; // RSTn has no length
      continue;
    }
    const length = uint16(buf, at + 2);
    if (length < 2) return undefined;
    if (isStartOfFrame(marker)) {
      if (at + 9 > buf.length) return undefined;
      return { height: uint16(buf, at + 5), width: uint16(buf, at + 7) };
    }
    at += 2 + length;
  }
  return undefined;
}
