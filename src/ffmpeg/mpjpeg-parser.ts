/**
 * Splits ffmpeg's `-f mpjpeg` output into JPEG frames.
 *
 * Each part is `--BOUNDARY\r\n`, headers, a blank line, then exactly
 * Content-length bytes of JPEG. The length tells where the frame ends, so the
 * JPEG body is never searched for markers (an EXIF thumbnail's EOI cannot cut a
 * frame short). Anything that is not a well-formed part is skipped until the
 * next boundary line.
 */
import { checkJpeg } from '../codec/jpeg.js';

export interface MpjpegParserOptions {
  /** The boundary tag, without the leading dashes (ffmpeg's default is "ffmpeg"). */
  boundary?: string;
  /** Parts longer than this are skipped as garbage. */
  maxFrameBytes?: number;
  /**
   * Checks a part's body: returns what to emit, or undefined to reject it. Default checkJpeg
   * (a whole JPEG). ffmpeg's mpjpeg muxer frames any codec's packets, H.264 ones too.
   */
  check?: (body: Buffer) => Buffer | undefined;
}

export interface MpjpegParserCounters {
  frames: number;
  /** Parts dropped: bad headers, over-long, or not a whole JPEG. */
  rejected: number;
  /** Bytes skipped while looking for a boundary. */
  skippedBytes: number;
}

const MAX_HEADER_BYTES = 4096;
const HEADER_END = Buffer.from('\r\n\r\n');

export class MpjpegParser {
  readonly counters: MpjpegParserCounters = { frames: 0, rejected: 0, skippedBytes: 0 };
  private readonly boundaryLine: Buffer;
  private readonly maxFrameBytes: number;
  private readonly check: (body: Buffer) => Buffer | undefined;
  /** Bytes of an unfinished header block (small; bounded by MAX_HEADER_BYTES). */
  private pending: Buffer = Buffer.alloc(0);
  /** The frame being filled, once its headers are read. */
  private body: Buffer | undefined;
  private filled = 0;

  constructor(
    private readonly onFrame: (jpeg: Buffer) => void,
    options: MpjpegParserOptions = {},
  ) {
    this.boundaryLine = Buffer.from(`--${options.boundary ?? 'ffmpeg'}\r\n`);
    this.maxFrameBytes = options.maxFrameBytes ?? 16 * 1024 * 1024;
    this.check = options.check ?? checkJpeg;
  }

  push(chunk: Buffer): void {
    let at = 0;
    while (at < chunk.length) {
      if (this.body) {
        const n = Math.min(chunk.length - at, this.body.length - this.filled);
        chunk.copy(this.body, this.filled, at, at + n);
        this.filled += n;
        at += n;
        if (this.filled === this.body.length) this.finishBody();
        continue;
      }
      at = this.readHeaders(chunk, at);
    }
  }

  /** Drops any partial frame: the stream it came from has ended. */
  reset(): void {
    this.pending = Buffer.alloc(0);
    this.body = undefined;
    this.filled = 0;
  }

  /** Consumes header bytes from chunk[at..]; returns where it stopped. */
  private readHeaders(chunk: Buffer, at: number): number {
    const joined = this.pending.length ? Buffer.concat([this.pending, chunk.subarray(at)]) : chunk.subarray(at);
    const consumedBefore = this.pending.length;
    this.pending = Buffer.alloc(0);

    const start = joined.indexOf(this.boundaryLine);
    if (start < 0) {
      // Keep a tail that may hold the start of a boundary split across chunks.
      const keep = Math.min(joined.length, this.boundaryLine.length - 1);
      this.counters.skippedBytes += joined.length - keep;
      this.pending = Buffer.from(joined.subarray(joined.length - keep));
      return chunk.length;
    }
    this.counters.skippedBytes += start;
    const headersFrom = start + this.boundaryLine.length;
    const end = joined.indexOf(HEADER_END, headersFrom - 2);
    if (end < 0) {
      if (joined.length - start > MAX_HEADER_BYTES) {
        this.counters.rejected++;
        this.counters.skippedBytes += this.boundaryLine.length;
        return at + Math.max(0, start + this.boundaryLine.length - consumedBefore);
      }
      this.pending = Buffer.from(joined.subarray(start));
      return chunk.length;
    }
    const length = contentLength(joined.toString('latin1', headersFrom, end));
    const bodyFrom = end + HEADER_END.length;
    if (length === undefined || length > this.maxFrameBytes) {
      this.counters.rejected++;
      return at + Math.max(0, bodyFrom - consumedBefore);
    }
    this.body = Buffer.allocUnsafe(length);
    this.filled = 0;
    // Body bytes already in `joined` past the headers are taken from the chunk by push().
    const bodyInChunk = bodyFrom - consumedBefore;
    if (bodyInChunk < 0) {
      // Headers ended inside the pending bytes; copy their body part first.
      const fromPending = joined.subarray(bodyFrom, consumedBefore);
      const n = Math.min(fromPending.length, length);
      fromPending.copy(this.body, 0, 0, n);
      this.filled = n;
      if (this.filled === this.body.length) this.finishBody();
      return at;
    }
    if (length === 0) this.finishBody();
    return at + bodyInChunk;
  }

  private finishBody(): void {
    const body = this.body!;
    this.body = undefined;
    this.filled = 0;
    const jpeg = this.check(body);
    if (!jpeg) {
      this.counters.rejected++;
      return;
    }
    this.counters.frames++;
    this.onFrame(jpeg);
  }
}

function contentLength(headers: string): number | undefined {
  for (const line of headers.split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    if (line.slice(0, colon).trim().toLowerCase() !== 'content-length') continue;
    const value = line.slice(colon + 1).trim();
    if (!/^\d{1,10}$/.test(value)) return undefined;
    return Number(value);
  }
  return undefined;
}
