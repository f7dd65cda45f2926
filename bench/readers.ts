/**
 * Lean stream readers for the load generator: they find frame boundaries and
 * timestamps without copying JPEG bodies, so one process can play hundreds of
 * viewers on the same 2-core machine as the server.
 */

/** Reads server-to-client WebSocket frames (never masked) and yields each binary message's head. */
export class WsFrameReader {
  private buf: Buffer = Buffer.alloc(0);
  /** Bytes of the current payload still to skip. */
  private skip = 0;

  constructor(
    private readonly onBinary: (head: Buffer, length: number) => void,
    private readonly onText: (text: string) => void,
  ) {}

  push(chunk: Buffer): void {
    if (this.skip) {
      const n = Math.min(this.skip, chunk.length);
      this.skip -= n;
      chunk = chunk.subarray(n);
      if (!chunk.length) return;
    }
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    for (;;) {
      if (this.buf.length < 2) break;
      const opcode = this.buf[0]! & 0x0f;
      let len = this.buf[1]! & 0x7f;
      let at = 2;
      if (len === 126) {
        if (this.buf.length < 4) break;
        len = this.buf.readUInt16BE(2);
        at = 4;
      } else if (len === 127) {
        if (this.buf.length < 10) break;
        len = Number(this.buf.readBigUInt64BE(2));
        at = 10;
      }
      if (opcode === 2) {
        // Needs the 16-byte header only; the JPEG is skipped.
        if (this.buf.length < at + 16) break;
        this.onBinary(this.buf.subarray(at, at + 16), len);
      } else {
        if (this.buf.length < at + len) break;
        if (opcode === 1) this.onText(this.buf.toString('utf8', at, at + len));
      }
      const end = at + len;
      if (end <= this.buf.length) {
        this.buf = this.buf.subarray(end);
      } else {
        this.skip = end - this.buf.length;
        this.buf = Buffer.alloc(0);
        break;
      }
    }
  }
}

/** A masked client text frame (mask key 0: valid, and nothing to transform). */
export function clientText(text: string): Buffer {
  const payload = Buffer.from(text);
  if (payload.length > 125) throw new Error('bench messages are short');
  return Buffer.concat([Buffer.from([0x81, 0x80 | payload.length, 0, 0, 0, 0]), payload]);
}

/** Reads an MJPEG multipart body: calls onPart with each part's X-Timestamp (seconds). */
export class MjpegPartReader {
  private buf: Buffer = Buffer.alloc(0);
  private skip = 0;
  private headersSeen = false;

  constructor(private readonly onPart: (timestampSeconds: number, length: number) => void) {}

  push(chunk: Buffer): void {
    if (this.skip) {
      const n = Math.min(this.skip, chunk.length);
      this.skip -= n;
      chunk = chunk.subarray(n);
      if (!chunk.length) return;
    }
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    for (;;) {
      const end = this.buf.indexOf('\r\n\r\n');
      if (end < 0) {
        if (this.buf.length > 64 * 1024) this.buf = this.buf.subarray(this.buf.length - 1024);
        return;
      }
      const head = this.buf.toString('latin1', 0, end);
      this.buf = this.buf.subarray(end + 4);
      if (!this.headersSeen) {
        this.headersSeen = true; // the HTTP response headers
        continue;
      }
      const length = Number(/content-length:\s*(\d+)/i.exec(head)?.[1] ?? NaN);
      const ts = Number(/x-timestamp:\s*([\d.]+)/i.exec(head)?.[1] ?? NaN);
      if (!Number.isFinite(length)) continue;
      this.onPart(ts, length);
      if (length <= this.buf.length) {
        this.buf = this.buf.subarray(length);
      } else {
        this.skip = length - this.buf.length;
        this.buf = Buffer.alloc(0);
        return;
      }
    }
  }
}
