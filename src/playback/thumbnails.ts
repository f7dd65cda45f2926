/**
 * Thumbnails: one recorded keyframe decoded to a JPEG by a one-shot ffmpeg (SPS, PPS and the IDR
 * as Annex B on its stdin, one scaled JPEG on its stdout). At most `concurrency` run at once; those
 * that wait are served client by client (fair-queue.ts), at most `perClient` waiting for one client
 * (beyond: 429) and `queue` in all (beyond: 503), so a page scrubbing a timeline never starves
 * another user's. Each is killed after `timeoutMs`, and its exit is always awaited (no zombie).
 * Results are kept in an LRU bounded in bytes.
 */
import { spawn } from 'node:child_process';
import { open } from 'node:fs/promises';
import { avcToAnnexB } from '../codec/annexb.js';
import { NAL_CODECS } from '../codec/video.js';
import { FFMPEG_FORMAT } from '../ffmpeg/output.js';
import { locateFfmpeg } from '../ffmpeg/locate.js';
import { HttpError } from '../outputs/http-errors.js';
import { FairQueue } from '../fair-queue.js';
import type { SegmentTable } from './tables.js';

/** A keyframe larger than this is not decoded. */
const MAX_KEYFRAME_BYTES = 16 * 1024 * 1024;
/** A JPEG larger than this is an error (1280 px wide at quality 4 is far below). */
const MAX_JPEG_BYTES = 4 * 1024 * 1024;
const START_CODE = new Uint8Array([0, 0, 0, 1]);

export interface ThumbnailOptions {
  concurrency?: number;
  queue?: number;
  perClient?: number;
  timeoutMs?: number;
  cacheBytes?: number;
}

export class Thumbnails {
  private readonly slots: FairQueue;
  private readonly cache = new Map<string, Buffer>();
  private cached = 0;
  private readonly timeoutMs: number;
  private readonly cacheBytes: number;
  private readonly children = new Set<ReturnType<typeof spawn>>();
  /** ffmpeg runs, for tests. */
  decodes = 0;

  constructor(options: ThumbnailOptions = {}) {
    this.slots = new FairQueue({
      concurrency: options.concurrency ?? 2,
      perClient: options.perClient ?? 4,
      total: options.queue ?? 16,
    });
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.cacheBytes = options.cacheBytes ?? 16 * 1024 * 1024;
  }

  /** The JPEG of keyframe `index` of the table, `width` pixels wide, for `client` (its fair share). */
  async get(table: SegmentTable, index: number, width: number, client = ''): Promise<Buffer> {
    const key = `${table.id} ${table.file} ${index} ${width}`;
    const hit = this.cache.get(key);
    if (hit) {
      this.cache.delete(key);
      this.cache.set(key, hit);
      return hit;
    }
    const release = await this.slots.enter(client);
    if (release === 'client') throw new HttpError(429, 'too many thumbnails asked at once: try again');
    if (release === 'full') throw new HttpError(503, 'too many thumbnails at once: try again');
    try {
      const again = this.cache.get(key);
      if (again) return again;
      const annexB = await this.keyframe(table, index);
      const jpeg = await this.decode(FFMPEG_FORMAT[table.codec], annexB, Math.min(width, table.width & ~1 || width));
      this.remember(key, jpeg);
      return jpeg;
    } finally {
      release();
    }
  }

  /** Kills every running ffmpeg (server shutdown). */
  close(): void {
    for (const child of this.children) child.kill('SIGKILL');
  }

  private remember(key: string, jpeg: Buffer): void {
    this.cache.set(key, jpeg);
    this.cached += jpeg.length;
    while (this.cached > this.cacheBytes && this.cache.size > 1) {
      const [oldest, value] = this.cache.entries().next().value!;
      this.cache.delete(oldest);
      this.cached -= value.length;
    }
  }

  /** The parameter sets (VPS for H.265, SPS, PPS), then the keyframe's NAL units, each after a start code. */
  private async keyframe(table: SegmentTable, index: number): Promise<Uint8Array> {
    const size = table.sizes[index]!;
    if (size > MAX_KEYFRAME_BYTES) throw new HttpError(500, `keyframe of ${size} bytes`);
    const handle = await open(table.file, 'r');
    const sample = Buffer.alloc(size);
    try {
      const { bytesRead } = await handle.read(sample, 0, size, table.offsets[index]!);
      if (bytesRead < size) throw new HttpError(404, 'the recording was cut short');
    } finally {
      await handle.close();
    }
    const parts: Uint8Array[] = [];
    for (const nal of NAL_CODECS[table.codec].parameterSets(table.description)) parts.push(START_CODE, nal);
    parts.push(avcToAnnexB(new Uint8Array(sample.buffer, sample.byteOffset, sample.length)));
    return Buffer.concat(parts);
  }

  /** One picture of `format` (ffmpeg's h264 or hevc) to a JPEG `width` wide. */
  private decode(format: string, annexB: Uint8Array, width: number): Promise<Buffer> {
    this.decodes++;
    const args = ['-hide_banner', '-nostdin', '-loglevel', 'error', '-f', format, '-i', 'pipe:0'];
    args.push('-frames:v', '1', '-vf', `scale=${width}:-2`, '-q:v', '4', '-f', 'image2', '-c:v', 'mjpeg', 'pipe:1');
    const child = spawn(locateFfmpeg().path, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    this.children.add(child);
    return new Promise<Buffer>((resolve, reject) => {
      const out: Buffer[] = [];
      let outBytes = 0;
      let err = '';
      let failure: Error | undefined;
      const timer = setTimeout(() => {
        failure = new HttpError(504, 'decoding the thumbnail took too long');
        child.kill('SIGKILL');
      }, this.timeoutMs);
      child.stdout.on('data', (chunk: Buffer) => {
        outBytes += chunk.length;
        if (outBytes > MAX_JPEG_BYTES) {
          failure = new HttpError(500, 'thumbnail too large');
          child.kill('SIGKILL');
        } else out.push(chunk);
      });
      child.stderr.on('data', (chunk: Buffer) => {
        if (err.length < 2000) err += chunk.toString('utf8');
      });
      child.stdin.on('error', () => {}); // ffmpeg may exit before reading all (EPIPE)
      child.on('error', (error) => {
        failure ??= error;
      });
      // 'close': the exit and every stream's end, so the child is reaped and nothing is lost.
      child.on('close', (code) => {
        clearTimeout(timer);
        this.children.delete(child);
        const jpeg = Buffer.concat(out);
        if (failure) reject(failure);
        else if (code !== 0 || jpeg.length < 4 || jpeg[0] !== 0xff || jpeg[1] !== 0xd8) {
          reject(new HttpError(500, `the keyframe did not decode: ${err.trim().split('\n')[0] ?? `exit ${code}`}`));
        } else resolve(jpeg);
      });
      child.stdin.end(annexB);
    });
  }
}
