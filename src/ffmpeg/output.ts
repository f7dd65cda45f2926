/**
 * What ffmpeg writes on stdout and how it is read back. JPEGs go out in MPEG-TS, each a PES of private data
 * with its PTS, or (an HTTP camera's, whose times mean nothing; builds whose muxer refuses MJPEG) as parts
 * of the mpjpeg container, each framed by its Content-length; either way a unit leaves as soon as ffmpeg
 * has it. H.264 and H.265 go
 * out in MPEG-TS where the build can make it for any camera (capabilities.ts): each packet a PES with its
 * PTS and DTS (the camera's, the file's, the encoder's), handed out as soon as it is complete
 * (src/codec/mpegts). Older builds frame packets as mpjpeg parts (no timestamps), and builds whose
 * mpjpeg muxer takes MJPEG only write a raw Annex B stream (`-f h264`, `-f hevc`), which the access-unit
 * splitter can cut only when the next access unit begins (a frame later); both are timed by arrival.
 */
import { TsDemuxer, type TsUnit } from '../codec/mpegts/demuxer.js';
import type { NalStream, NalStreamUnit } from '../codec/nal-stream.js';
import type { NalCodec } from '../codec/video.js';
import type { SourceUnit } from '../media/index.js';
import { MpjpegParser } from './mpjpeg-parser.js';

/** The boundary tag of every mpjpeg stream camrelay writes or has ffmpeg write. */
export const MPJPEG_BOUNDARY = 'camrelay';

/** How ffmpeg hands H.264 and H.265 over: PES in MPEG-TS, packets in mpjpeg parts, or a raw Annex B stream. */
export type NalFraming = 'mpegts' | 'mpjpeg' | 'raw';

/**
 * MPEG-TS on stdout: every packet flushed as written, and each video PES with its length where it fits
 * (under 64 KiB), so the demuxer hands it out without waiting for the next.
 */
export const MPEGTS_OUTPUT: readonly string[] = [
  '-flush_packets',
  '1',
  '-omit_video_pes_length',
  '0',
  '-f',
  'mpegts',
  'pipe:1',
];

/** ffmpeg's name of each codec's raw Annex B format (its muxer, demuxer and decoder). */
export const FFMPEG_FORMAT: Readonly<Record<NalCodec, string>> = { h264: 'h264', h265: 'hevc' };

/** The output arguments for JPEGs on stdout, without their times (mpjpeg parts). */
export const JPEG_OUTPUT: readonly string[] = ['-f', 'mpjpeg', '-boundary_tag', MPJPEG_BOUNDARY, 'pipe:1'];

/**
 * How JPEGs leave ffmpeg: `mpegts`, each a PES with its PTS (the muxer carries MJPEG as private data, which
 * any build since 4.1 does; `-copyts` keeps the input's times), or `mpjpeg` parts without a time (a camera
 * whose ffmpeg timestamps mean nothing: an HTTP stream's, timed by arrival).
 */
export type JpegFraming = 'mpegts' | 'mpjpeg';

/** The output arguments for JPEGs on stdout in this framing (MPEG-TS: the input's times kept as they are). */
export function jpegOutput(framing: JpegFraming): string[] {
  return framing === 'mpegts' ? ['-copyts', '-mpegts_copyts', '1', ...MPEGTS_OUTPUT] : [...JPEG_OUTPUT];
}

/** The output arguments for H.264 (or H.265) on stdout in this framing. */
export function nalOutput(framing: NalFraming, codec: NalCodec = 'h264'): string[] {
  if (framing === 'mpegts') return [...MPEGTS_OUTPUT];
  return framing === 'mpjpeg'
    ? ['-flush_packets', '1', ...JPEG_OUTPUT]
    : ['-flush_packets', '1', '-f', FFMPEG_FORMAT[codec], 'pipe:1'];
}

/** The time of the packet being parsed (90 kHz ticks), set by the parser before the stream emits its unit. */
export interface PacketTime {
  pts?: number | undefined;
  dts?: number | undefined;
}

export interface ChunkParser {
  push(chunk: Buffer): void;
  reset(): void;
}

/**
 * The parser of H.264 or H.265 on stdout in this framing: PES in MPEG-TS (their times set in `time` while
 * the stream emits), packets in mpjpeg parts, or a raw Annex B stream. `other`: the MPEG-TS's other
 * elementary streams' PES (audio), as they come.
 */
export function nalOutputParser(
  stream: NalStream,
  maxPacketBytes: number,
  framing: NalFraming,
  time: PacketTime = {},
  other?: (unit: TsUnit) => void,
): ChunkParser {
  if (framing === 'mpegts') return tsPacketParser(stream, maxPacketBytes, time, other);
  if (framing === 'mpjpeg') return nalPacketParser(stream, maxPacketBytes);
  return { push: (chunk) => stream.push(chunk), reset: () => stream.reset() };
}

/**
 * Demuxes MPEG-TS whose video PES are H.264 or H.265 access units into the stream, each with its PTS and
 * DTS. A PES dropped (over the bound, packets lost) leaves a gap: the stream skips to the next keyframe.
 */
export function tsPacketParser(
  stream: Pick<NalStream, 'pushPacket' | 'gap'>,
  maxPacketBytes: number,
  time: PacketTime,
  other?: (unit: TsUnit) => void,
): ChunkParser {
  const demuxer = new TsDemuxer(
    (unit) => {
      if (unit.codec !== 'h264' && unit.codec !== 'h265') {
        other?.(unit);
        return;
      }
      time.pts = unit.pts;
      time.dts = unit.dts;
      stream.pushPacket(unit.data);
      time.pts = time.dts = undefined;
    },
    { maxPesBytes: maxPacketBytes, endOnStuffing: true },
  );
  let dropped = 0;
  return {
    push(chunk) {
      demuxer.push(chunk);
      const now = demuxer.counters.droppedPes;
      if (now !== dropped) {
        dropped = now;
        stream.gap('a video packet was dropped (too large, or lost)');
      }
    },
    reset: () => demuxer.reset(),
  };
}

/**
 * The parser of JPEGs on stdout in this framing: each whole JPEG to `onJpeg` with its PTS (90 kHz, MPEG-TS)
 * or none (mpjpeg). What is not a JPEG (a PES of another stream, a part over the bound) is dropped.
 */
export function jpegOutputParser(
  framing: JpegFraming,
  maxFrameBytes: number,
  onJpeg: (jpeg: Buffer, pts: number | undefined) => void,
): ChunkParser {
  if (framing === 'mpjpeg') {
    const parser = new MpjpegParser((jpeg) => onJpeg(jpeg, undefined), { boundary: MPJPEG_BOUNDARY, maxFrameBytes });
    return { push: (chunk) => parser.push(chunk), reset: () => parser.reset() };
  }
  const demuxer = new TsDemuxer(
    (unit) => {
      const { data } = unit;
      // MJPEG is private data (0x06) with no registration: told apart from anything else by its SOI.
      if (unit.streamType !== 0x06 || unit.codec !== undefined || data[0] !== 0xff || data[1] !== 0xd8) return;
      onJpeg(Buffer.from(data.buffer, data.byteOffset, data.length), unit.pts);
    },
    { maxPesBytes: maxFrameBytes, endOnStuffing: true },
  );
  return { push: (chunk) => demuxer.push(chunk), reset: () => demuxer.reset() };
}

/**
 * Splits `-f mpjpeg` output whose parts are H.264 or H.265 packets, into the stream. A part the parser
 * rejects (over the size bound) was a picture: the stream skips to the next keyframe.
 */
export function nalPacketParser(stream: NalStream, maxPacketBytes: number): ChunkParser {
  const parser = new MpjpegParser((packet) => stream.pushPacket(packet), {
    boundary: MPJPEG_BOUNDARY,
    maxFrameBytes: maxPacketBytes,
    check: (body) => (body.length > 0 ? body : undefined),
  });
  let rejected = 0;
  return {
    push(chunk) {
      parser.push(chunk);
      if (parser.counters.rejected !== rejected) {
        rejected = parser.counters.rejected;
        stream.gap(`packet over ${maxPacketBytes} bytes dropped`);
      }
    },
    reset: () => parser.reset(),
  };
}

/** A NAL stream's unit as a SourceUnit: its bytes as a Buffer over the same memory (no copy), its time if known. */
export function nalSourceUnit(unit: NalStreamUnit, time?: PacketTime): SourceUnit {
  const { data } = unit;
  const out: SourceUnit = {
    config: unit.config,
    keyframe: unit.keyframe,
    data: Buffer.from(data.buffer, data.byteOffset, data.length),
  };
  if (time?.pts !== undefined) {
    out.pts = time.pts;
    out.dts = time.dts ?? time.pts;
  }
  return out;
}
