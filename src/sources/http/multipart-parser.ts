/**
 * Splits an HTTP camera's `multipart/x-mixed-replace` body into JPEGs, resyncing on the next boundary
 * whenever a part is not what its headers say. Cameras get this wrong in many ways: a Content-Length
 * that is off for the first part of each connection (VLC's MJPEG output), none at all, a boundary
 * declared with or without its leading dashes, padding after the picture.
 *
 * A part whose Content-Length holds a whole JPEG goes out as soon as its bytes are in (no waiting for
 * the next boundary, a frame later). Otherwise the part ends where the next boundary begins, and the
 * JPEG is what lies before it (checkJpeg: SOI first, EOI at the end but for padding). What is not a
 * JPEG is dropped and counted. Bounded: a part is at most maxFrameBytes, headers at most 8 KiB.
 */
import { checkJpeg } from '../../codec/jpeg.js';

export interface MultipartCounters {
  frames: number;
  /** Parts dropped: not a whole JPEG, or over the size bound. */
  rejected: number;
  /** Parts whose Content-Length was wrong (the JPEG was found by the next boundary instead). */
  badLength: number;
  /** Bytes skipped while looking for a boundary. */
  skippedBytes: number;
}

const MAX_HEADER_BYTES = 8192;

/** The boundary of a multipart Content-Type (quotes removed), or undefined. */
export function multipartBoundary(contentType: string | null | undefined): string | undefined {
  if (!contentType) return undefined;
  const [type, ...params] = contentType.split(';');
  if (type!.trim().toLowerCase() !== 'multipart/x-mixed-replace') return undefined;
  for (const param of params) {
    const eq = param.indexOf('=');
    if (eq < 0 || param.slice(0, eq).trim().toLowerCase() !== 'boundary') continue;
    const value = param
      .slice(eq + 1)
      .trim()
      .replace(/^"(.*)"$/, '$1');
    return value || undefined;
  }
  return undefined;
}

export class MultipartJpegParser {
  readonly counters: MultipartCounters = { frames: 0, rejected: 0, badLength: 0, skippedBytes: 0 };
  /** The boundary as declared: found whether the camera writes it after `--` (RFC 2046) or as it is. */
  private readonly boundary: Buffer;
  private buf: Buffer = Buffer.alloc(0);
  /** In a part's body (after its headers), or looking for the next boundary. */
  private inBody = false;
  /** The part's Content-Length, when it gave a plausible one. */
  private length: number | undefined;
  /** Where the search for the next boundary goes on from (the bytes before were searched). */
  private scanFrom = 0;

  constructor(
    boundary: string,
    private readonly onJpeg: (jpeg: Buffer) => void,
    private readonly maxFrameBytes = 16 * 1024 * 1024,
  ) {
    this.boundary = Buffer.from(boundary.replace(/^--/, ''), 'latin1');
  }

  push(chunk: Buffer): void {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    while (this.inBody ? this.body() : this.headers());
  }

  /** Drops a partial part: the connection it came from is gone. */
  reset(): void {
    this.buf = Buffer.alloc(0);
    this.inBody = false;
    this.length = undefined;
    this.scanFrom = 0;
  }

  /** Looks for a boundary and the headers after it; true when it got into a body (go on). */
  private headers(): boolean {
    const at = this.buf.indexOf(this.boundary, this.scanFrom);
    if (at < 0) {
      // Keep what may be the start of a boundary split across chunks.
      const keep = Math.min(this.buf.length, this.boundary.length - 1);
      this.skip(this.buf.length - keep);
      this.scanFrom = 0;
      return false;
    }
    this.skip(at);
    this.scanFrom = 0;
    const end = this.headerEnd();
    if (end === undefined) {
      if (this.buf.length > MAX_HEADER_BYTES) {
        // Not a part's headers: on to the next boundary.
        this.counters.rejected++;
        this.skip(this.boundary.length);
      }
      return false;
    }
    const headers = this.buf.toString('latin1', this.boundary.length, end.headers);
    this.length = contentLength(headers, this.maxFrameBytes);
    this.buf = this.buf.subarray(end.body);
    this.inBody = true;
    return true;
  }

  /** Where the headers after the boundary at 0 end, and the body begins. */
  private headerEnd(): { headers: number; body: number } | undefined {
    const limit = Math.min(this.buf.length, MAX_HEADER_BYTES);
    for (let i = this.boundary.length; i < limit; i++) {
      if (this.buf[i] !== 0x0a) continue;
      // A blank line: CRLF CRLF or LF LF.
      if (this.buf[i + 1] === 0x0a) return { headers: i, body: i + 2 };
      if (this.buf[i + 1] === 0x0d && i + 2 < this.buf.length && this.buf[i + 2] === 0x0a) {
        return { headers: i, body: i + 3 };
      }
    }
    return undefined;
  }

  /** Reads the body at 0; true when it ended (go on with the next part). */
  private body(): boolean {
    if (this.length !== undefined && this.buf.length >= this.length) {
      const jpeg = checkJpeg(this.buf.subarray(0, this.length));
      if (jpeg) {
        // Whole as declared: out at once. The next boundary is looked for after its EOI.
        this.emit(jpeg);
        this.buf = this.buf.subarray(jpeg.length);
        this.scanFrom = 0;
        this.inBody = false;
        return true;
      }
      // The declared length does not end a JPEG: the next boundary will say where it ends.
      this.counters.badLength++;
      this.length = undefined;
    }
    const at = this.buf.indexOf(this.boundary, this.scanFrom);
    if (at < 0) {
      if (this.buf.length > this.maxFrameBytes) {
        this.counters.rejected++;
        this.skip(this.buf.length - (this.boundary.length - 1));
        this.inBody = false;
        return false;
      }
      this.scanFrom = Math.max(0, this.buf.length - this.boundary.length + 1);
      return false;
    }
    if (this.length !== undefined) {
      // Ended before its declared length: the length was wrong (too long).
      this.counters.badLength++;
      this.length = undefined;
    }
    // The body ends before the boundary's line (its dashes and line break are within checkJpeg's padding).
    const jpeg = checkJpeg(this.buf.subarray(0, at));
    if (jpeg) this.emit(jpeg);
    else this.counters.rejected++;
    this.buf = this.buf.subarray(at);
    this.scanFrom = 0;
    this.inBody = false;
    return true;
  }

  private emit(jpeg: Buffer): void {
    this.counters.frames++;
    // A copy: the view would keep the bytes after it (the next part's) alive as long as the unit lives.
    this.onJpeg(Buffer.from(jpeg));
  }

  private skip(bytes: number): void {
    if (bytes <= 0) return;
    this.counters.skippedBytes += bytes;
    this.buf = this.buf.subarray(bytes);
  }
}

/** A plausible Content-Length (digits, at most maxBytes), or undefined. */
function contentLength(headers: string, maxBytes: number): number | undefined {
  for (const line of headers.split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon < 0 || line.slice(0, colon).trim().toLowerCase() !== 'content-length') continue;
    const value = line.slice(colon + 1).trim();
    if (!/^\d{1,10}$/.test(value)) return undefined;
    const n = Number(value);
    return n > 0 && n <= maxBytes ? n : undefined;
  }
  return undefined;
}
