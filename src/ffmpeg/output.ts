/**
 * What ffmpeg writes on stdout and how it is read back. JPEGs, and where the build allows it H.264 and
 * H.265 packets too, go out as parts of the mpjpeg container, each framed by its Content-length, so that
 * a unit leaves as soon as ffmpeg has it. Builds whose mpjpeg muxer takes MJPEG only (capabilities.ts)
 * write H.264 and H.265 as a raw Annex B stream (`-f h264`, `-f hevc`), which the access-unit splitter
 * can cut only when the next access unit begins (a frame later).
 */
import type { NalStream, NalStreamUnit } from '../codec/nal-stream.js';
import type { NalCodec } from '../codec/video.js';
import type { SourceUnit } from '../media/index.js';
import { MpjpegParser } from './mpjpeg-parser.js';

/** The boundary tag of every mpjpeg stream camrelay writes or has ffmpeg write. */
export const MPJPEG_BOUNDARY = 'camrelay';

/** How ffmpeg hands H.264 and H.265 over: packets in mpjpeg parts, or a raw Annex B stream. */
export type NalFraming = 'mpjpeg' | 'raw';

/** ffmpeg's name of each codec's raw Annex B format (its muxer, demuxer and decoder). */
export const FFMPEG_FORMAT: Readonly<Record<NalCodec, string>> = { h264: 'h264', h265: 'hevc' };

/** The output arguments for JPEGs on stdout. */
export const JPEG_OUTPUT: readonly string[] = ['-f', 'mpjpeg', '-boundary_tag', MPJPEG_BOUNDARY, 'pipe:1'];

/** The output arguments for H.264 (or H.265) on stdout in this framing. */
export function nalOutput(framing: NalFraming, codec: NalCodec = 'h264'): string[] {
  return framing === 'mpjpeg'
    ? ['-flush_packets', '1', ...JPEG_OUTPUT]
    : ['-flush_packets', '1', '-f', FFMPEG_FORMAT[codec], 'pipe:1'];
}

export interface ChunkParser {
  push(chunk: Buffer): void;
  reset(): void;
}

/** The parser of H.264 or H.265 on stdout in this framing: packets in mpjpeg parts, or a raw Annex B stream. */
export function nalOutputParser(stream: NalStream, maxPacketBytes: number, framing: NalFraming): ChunkParser {
  if (framing === 'mpjpeg') return nalPacketParser(stream, maxPacketBytes);
  return { push: (chunk) => stream.push(chunk), reset: () => stream.reset() };
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

/** A NAL stream's unit as a SourceUnit: its bytes as a Buffer over the same memory (no copy). */
export function nalSourceUnit(unit: NalStreamUnit): SourceUnit {
  const { data } = unit;
  return { config: unit.config, keyframe: unit.keyframe, data: Buffer.from(data.buffer, data.byteOffset, data.length) };
}
