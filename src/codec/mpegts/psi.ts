/**
 * MPEG-TS program-specific information (ISO/IEC 13818-1 §2.4.4): the PAT (which PID holds each
 * program's PMT) and the PMT (which PID holds each elementary stream, of which type). Sections are
 * read from one TS packet's payload: ffmpeg's (and every camera's) PAT and PMT fit in one.
 */
import { CodecError } from '../errors.js';

/** What a PMT says of one elementary stream. */
export interface ElementaryStream {
  pid: number;
  /** The PMT's stream_type (0x1b H.264, 0x24 H.265, 0x0f AAC in ADTS, 0x06 private: see `codec`). */
  streamType: number;
  /** What the stream holds, where the type (and for private data, the registration descriptor) says. */
  codec: TsCodec | undefined;
}

export type TsCodec = 'h264' | 'h265' | 'aac' | 'aac-latm' | 'opus' | 'mp3' | 'ac3';

const STREAM_TYPES: Readonly<Record<number, TsCodec>> = {
  0x1b: 'h264',
  0x24: 'h265',
  0x0f: 'aac',
  0x11: 'aac-latm',
  0x03: 'mp3',
  0x04: 'mp3',
  0x81: 'ac3',
};

/** A section's bytes from the payload of the packet that starts it (pointer_field skipped), checked. */
function section(payload: Uint8Array, tableId: number): Uint8Array {
  if (payload.length < 1) throw new CodecError('truncated', 'PSI payload without a pointer field');
  const start = 1 + payload[0]!;
  if (start + 3 > payload.length) throw new CodecError('truncated', 'PSI section header past the packet');
  if (payload[start] !== tableId)
    throw new CodecError('invalid', `table id ${payload[start]} where ${tableId} belongs`);
  const length = ((payload[start + 1]! & 0x0f) << 8) | payload[start + 2]!;
  const end = start + 3 + length;
  if (end > payload.length) throw new CodecError('unsupported', 'PSI section over one packet');
  if (length < 9) throw new CodecError('invalid', `PSI section of ${length} bytes`);
  // Without its 4-byte CRC (ffmpeg's are right; a wrong one would be caught by what the PIDs then carry).
  return payload.subarray(start, end - 4);
}

/** The PMT PIDs of a PAT section's programs (program 0, the network PID, left out). */
export function parsePat(payload: Uint8Array): number[] {
  const s = section(payload, 0x00);
  const pids: number[] = [];
  for (let i = 8; i + 4 <= s.length; i += 4) {
    const program = (s[i]! << 8) | s[i + 1]!;
    const pid = ((s[i + 2]! & 0x1f) << 8) | s[i + 3]!;
    if (program !== 0) pids.push(pid);
  }
  return pids;
}

/** The elementary streams of a PMT section. */
export function parsePmt(payload: Uint8Array): ElementaryStream[] {
  const s = section(payload, 0x02);
  const infoLength = ((s[10]! & 0x0f) << 8) | s[11]!;
  let i = 12 + infoLength;
  if (i > s.length) throw new CodecError('invalid', 'PMT program info past its section');
  const streams: ElementaryStream[] = [];
  while (i + 5 <= s.length) {
    const streamType = s[i]!;
    const pid = ((s[i + 1]! & 0x1f) << 8) | s[i + 2]!;
    const esInfoLength = ((s[i + 3]! & 0x0f) << 8) | s[i + 4]!;
    const descriptors = s.subarray(i + 5, i + 5 + esInfoLength);
    if (i + 5 + esInfoLength > s.length) throw new CodecError('invalid', 'PMT stream info past its section');
    streams.push({ pid, streamType, codec: STREAM_TYPES[streamType] ?? privateCodec(streamType, descriptors) });
    i += 5 + esInfoLength;
  }
  return streams;
}

/** Private data (0x06) says what it is in a registration descriptor (tag 5): `Opus`, `HEVC`. */
function privateCodec(streamType: number, descriptors: Uint8Array): TsCodec | undefined {
  if (streamType !== 0x06) return undefined;
  for (let i = 0; i + 2 <= descriptors.length; i += 2 + descriptors[i + 1]!) {
    const tag = descriptors[i]!;
    const length = descriptors[i + 1]!;
    if (tag === 0x05 && length >= 4 && i + 6 <= descriptors.length) {
      const id = String.fromCharCode(...descriptors.subarray(i + 2, i + 6));
      if (id === 'Opus') return 'opus';
      if (id === 'HEVC') return 'h265';
      if (id === 'AC-3') return 'ac3';
    }
  }
  return undefined;
}
