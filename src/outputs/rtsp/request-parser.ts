/**
 * Reads what an RTSP client sends on its connection (RFC 2326): requests (head, then a body of
 * Content-Length bytes) and, mixed with them, interleaved frames (`$`, channel, 16-bit length: RTCP
 * receiver reports over TCP). Bounded: a head over MAX_HEAD_BYTES, a body over MAX_BODY_BYTES, more
 * than MAX_HEADERS headers, or bytes that are neither are an error with the status to answer, after
 * which the connection is closed (the parser stops).
 */

export const MAX_HEAD_BYTES = 8192;
export const MAX_BODY_BYTES = 4096;
export const MAX_HEADERS = 64;
export const MAX_URI_BYTES = 2048;

export interface RtspRequest {
  method: string;
  uri: string;
  /** Lowercase names; a repeated header's values joined with `, `. */
  headers: ReadonlyMap<string, string>;
  cseq: string;
  body: Uint8Array;
}

export type ParsedItem =
  | { kind: 'request'; request: RtspRequest }
  | { kind: 'interleaved'; channel: number; data: Uint8Array }
  /** Malformed: answer `status` (with `cseq` when it was read) and close. */
  | { kind: 'error'; status: number; reason: string; cseq?: string };

const CRLFCRLF = Buffer.from('\r\n\r\n');

export class RequestParser {
  private buffer: Buffer = Buffer.alloc(0);
  private failed = false;

  /** Feeds bytes; returns every whole item they complete (an error is the last). */
  push(chunk: Buffer): ParsedItem[] {
    if (this.failed) return [];
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    const items: ParsedItem[] = [];
    for (;;) {
      const item = this.next();
      if (!item) break;
      items.push(item);
      if (item.kind === 'error') {
        this.failed = true;
        this.buffer = Buffer.alloc(0);
        break;
      }
    }
    return items;
  }

  private next(): ParsedItem | undefined {
    const b = this.buffer;
    if (b.length === 0) return undefined;
    if (b[0] === 0x24) {
      if (b.length < 4) return undefined;
      const length = b.readUInt16BE(2);
      if (b.length < 4 + length) return undefined;
      const data = b.subarray(4, 4 + length);
      this.buffer = b.subarray(4 + length);
      return { kind: 'interleaved', channel: b[1]!, data };
    }
    // Clients may send stray line ends between requests.
    if (b[0] === 0x0d || b[0] === 0x0a) {
      let i = 0;
      while (i < b.length && (b[i] === 0x0d || b[i] === 0x0a)) i++;
      this.buffer = b.subarray(i);
      return this.next();
    }
    if (b[0]! < 0x41 || b[0]! > 0x5a) return { kind: 'error', status: 400, reason: 'not an RTSP request' };
    const end = b.indexOf(CRLFCRLF);
    if (end < 0) {
      if (b.length > MAX_HEAD_BYTES)
        return { kind: 'error', status: 400, reason: `request head over ${MAX_HEAD_BYTES} bytes` };
      return undefined;
    }
    if (end > MAX_HEAD_BYTES)
      return { kind: 'error', status: 400, reason: `request head over ${MAX_HEAD_BYTES} bytes` };
    const head = b.subarray(0, end).toString('latin1');
    const parsed = parseHead(head);
    if ('status' in parsed) return { kind: 'error', ...parsed };
    const lengthText = parsed.headers.get('content-length');
    const length = lengthText === undefined ? 0 : /^\d{1,9}$/.test(lengthText) ? Number(lengthText) : NaN;
    if (!Number.isFinite(length))
      return { kind: 'error', status: 400, reason: 'bad Content-Length', cseq: parsed.cseq };
    if (length > MAX_BODY_BYTES)
      return { kind: 'error', status: 413, reason: `body over ${MAX_BODY_BYTES} bytes`, cseq: parsed.cseq };
    const total = end + 4 + length;
    if (b.length < total) return undefined;
    const body = b.subarray(end + 4, total);
    this.buffer = b.subarray(total);
    return { kind: 'request', request: { ...parsed, body } };
  }
}

function parseHead(head: string): Omit<RtspRequest, 'body'> | { status: number; reason: string; cseq?: string } {
  const lines = head.split(/\r\n/);
  const requestLine = lines[0]!;
  const match = /^([A-Z_]{1,32}) (\S{1,4096}) RTSP\/(\d)\.(\d)$/.exec(requestLine);
  if (!match) return { status: 400, reason: 'malformed request line' };
  if (lines.length - 1 > MAX_HEADERS) return { status: 400, reason: `more than ${MAX_HEADERS} headers` };
  const headers = new Map<string, string>();
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':');
    if (colon < 1) return { status: 400, reason: 'malformed header line' };
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    const before = headers.get(name);
    headers.set(name, before === undefined ? value : `${before}, ${value}`);
  }
  const cseq = headers.get('cseq');
  if (cseq === undefined || !/^\d{1,10}$/.test(cseq)) return { status: 400, reason: 'missing or bad CSeq' };
  if (match[3] !== '1' || match[4] !== '0') return { status: 505, reason: 'RTSP/1.0 only', cseq };
  if (match[2]!.length > MAX_URI_BYTES) return { status: 414, reason: `URI over ${MAX_URI_BYTES} bytes`, cseq };
  return { method: match[1]!, uri: match[2]!, headers, cseq };
}
