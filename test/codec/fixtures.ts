/**
 * Real H.264 and H.265 for the codec tests, made by the project's ffmpeg (libx264, libx265) from a
 * test pattern, cached per set of options for the whole test file.
 */
import { execFileSync } from 'node:child_process';
import { AccessUnitSplitter, type AccessUnit } from '../../src/codec/h264/access-units.js';
import { avcCCodecString, buildAvcC, parseAvcC } from '../../src/codec/h264/avcc.js';
import { parseSps } from '../../src/codec/h264/sps.js';
import { findBox, findPath } from '../../src/codec/mp4/boxes.js';
import { locateFfmpeg } from '../../src/ffmpeg/locate.js';

export interface EncodeOptions {
  width: number;
  height: number;
  frames?: number;
  /** Keyframe interval. */
  gop?: number;
  profile?: 'baseline' | 'main' | 'high' | 'high422' | 'high444';
  pixFmt?: string;
  /** `-level`, e.g. '4.0'. */
  level?: string;
  /** Insert an access unit delimiter before each access unit (h264_metadata aud=insert). */
  aud?: boolean;
  /** Extra `-x264-params`, e.g. 'slices=4'. */
  x264Params?: string;
  /** lavfi source: testsrc2 needs even sizes, testsrc takes any. */
  source?: 'testsrc2' | 'testsrc';
  /** Frames per second (default 30). */
  rate?: number;
  /** Sample aspect ratio, e.g. '4/3' (setsar). */
  sar?: string;
}

const cache = new Map<string, Uint8Array>();

/** An Annex B elementary stream (`-f h264`), B-frames off. */
export function ffmpegH264(options: EncodeOptions): Uint8Array {
  const key = JSON.stringify(options);
  const cached = cache.get(key);
  if (cached) return cached;
  const { width, height, frames = 60, gop = 15 } = options;
  const args = ['-hide_banner', '-loglevel', 'error', '-f', 'lavfi'];
  args.push('-i', `${options.source ?? 'testsrc2'}=size=${width}x${height}:rate=${options.rate ?? 30}`);
  if (options.sar) args.push('-vf', `setsar=${options.sar}`);
  args.push('-frames:v', String(frames), '-c:v', 'libx264', '-g', String(gop), '-bf', '0');
  // Every GOP the same length: no scene-cut keyframes.
  args.push('-sc_threshold', '0');
  if (options.profile) args.push('-profile:v', options.profile);
  if (options.pixFmt) args.push('-pix_fmt', options.pixFmt);
  if (options.level) args.push('-level', options.level);
  if (options.x264Params) args.push('-x264-params', options.x264Params);
  if (options.aud) args.push('-bsf:v', 'h264_metadata=aud=insert');
  args.push('-f', 'h264', 'pipe:1');
  const out = execFileSync(locateFfmpeg().path, args, { maxBuffer: 256 * 1024 * 1024 });
  const bytes = new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
  cache.set(key, bytes);
  return bytes;
}

export interface H265EncodeOptions {
  width: number;
  height: number;
  frames?: number;
  /** Keyframe interval (every keyframe an IDR: closed GOPs, no scene cuts). */
  gop?: number;
  /** `-pix_fmt`, e.g. yuv420p10le for Main 10. */
  pixFmt?: string;
  /** Extra `-x265-params`, e.g. 'aud=1' or 'slices=4'. */
  x265Params?: string;
}

/** Whether the project's ffmpeg has an encoder (libx265 is not in every build). */
export function hasEncoder(name: string): boolean {
  try {
    const list = execFileSync(locateFfmpeg().path, ['-hide_banner', '-encoders'], { encoding: 'utf8' });
    return new RegExp(`^ \\S+ ${name} `, 'm').test(list);
  } catch {
    return false;
  }
}

/** An Annex B H.265 elementary stream (`-f hevc`) from libx265, B-frames off. */
export function ffmpegH265(options: H265EncodeOptions): Uint8Array {
  const key = `h265 ${JSON.stringify(options)}`;
  const cached = cache.get(key);
  if (cached) return cached;
  const { width, height, frames = 60, gop = 15 } = options;
  const params = [`keyint=${gop}`, `min-keyint=${gop}`, 'scenecut=0', 'open-gop=0', 'bframes=0', 'log-level=error'];
  if (options.x265Params) params.push(options.x265Params);
  const args = ['-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', `testsrc2=size=${width}x${height}:rate=30`];
  args.push('-frames:v', String(frames), '-c:v', 'libx265', '-preset', 'ultrafast', '-x265-params', params.join(':'));
  if (options.pixFmt) args.push('-pix_fmt', options.pixFmt);
  args.push('-f', 'hevc', 'pipe:1');
  const out = execFileSync(locateFfmpeg().path, args, { maxBuffer: 256 * 1024 * 1024 });
  const bytes = new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
  cache.set(key, bytes);
  return bytes;
}

export interface Decoded {
  /** One MD5 per decoded frame, in order (ffmpeg's framemd5). */
  frames: string[];
  /** ffmpeg's stderr at `-v error`: empty when the input decoded cleanly. */
  stderr: string;
  status: number;
}

/**
 * Decodes a file (any format ffmpeg reads) with `-xerror`, which stops at the
 * first decoding error, and hashes every frame.
 */
export function ffmpegDecode(path: string, inputFormat?: string): Decoded {
  const args = ['-hide_banner', '-nostdin', '-v', 'error', '-xerror'];
  if (inputFormat) args.push('-f', inputFormat);
  args.push('-i', path, '-map', '0:v:0', '-f', 'framemd5', 'pipe:1');
  try {
    const stdout = execFileSync(locateFfmpeg().path, args, {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      maxBuffer: 64 * 1024 * 1024,
    });
    return { frames: md5s(stdout), stderr: '', status: 0 };
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string; status?: number };
    return { frames: md5s(e.stdout ?? ''), stderr: e.stderr ?? String(error), status: e.status ?? -1 };
  }
}

function md5s(framemd5: string): string[] {
  return framemd5
    .split('\n')
    .filter((line) => line && !line.startsWith('#'))
    .map((line) => line.split(',').pop()!.trim());
}

/** Runs ffmpeg with arguments, returning stdout bytes (stderr at -v error, thrown on failure). */
export function ffmpeg(args: string[]): Uint8Array {
  const out = execFileSync(locateFfmpeg().path, ['-hide_banner', '-nostdin', '-v', 'error', ...args], {
    maxBuffer: 256 * 1024 * 1024,
  });
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
}

/** A small deterministic PRNG (mulberry32): the same seed, the same numbers. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Concatenates arrays. */
export function concat(parts: readonly Uint8Array[]): Uint8Array {
  let size = 0;
  for (const part of parts) size += part.length;
  const out = new Uint8Array(size);
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** The avcC box body of the first track of an MP4 file (ffmpeg's, or ours). */
export function avcCOfMp4(mp4: Uint8Array): Uint8Array {
  const stsd = findPath(mp4, ['moov', 'trak', 'mdia', 'minf', 'stbl', 'stsd']);
  if (!stsd) throw new Error('no stsd');
  // stsd: version/flags and entry_count, then the sample entries.
  const avc1 = findBox(mp4, 'avc1', stsd.start + 16, stsd.end);
  if (!avc1) throw new Error('no avc1 sample entry');
  // avc1: 78 bytes of VisualSampleEntry fields, then its boxes.
  const avcC = findBox(mp4, 'avcC', avc1.start + 8 + 78, avc1.end);
  if (!avcC) throw new Error('no avcC');
  return mp4.subarray(avcC.start + avcC.headerSize, avcC.end);
}

/** A real libx264 stream as a track: its access units, avcC, codec string and picture size. */
export interface EncodedTrack {
  aus: AccessUnit[];
  avcC: Uint8Array;
  codec: string;
  width: number;
  height: number;
}

export function encodedTrack(options: EncodeOptions): EncodedTrack {
  const aus: AccessUnit[] = [];
  const splitter = new AccessUnitSplitter((au) => aus.push(au));
  splitter.push(ffmpegH264(options));
  splitter.flush();
  const first = aus[0]!;
  const sps = parseSps(first.sps[0]!);
  const avcC = buildAvcC({ sps: first.sps, pps: first.pps });
  return { aus, avcC, codec: avcCCodecString(parseAvcC(avcC)), width: sps.width, height: sps.height };
}
