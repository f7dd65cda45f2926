/**
 * Recordings for the playback tests: real libx264 access units written as fragmented MP4 segment
 * files (src/codec/mp4/fmp4.ts, as the recorder writes them), with a small in-test catalog over
 * them, and a Fastify app with the playback routes alone.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify';
import { toAvc } from '../../src/codec/h264/nal.js';
import { initSegment, mediaSegment, type Sample } from '../../src/codec/mp4/fmp4.js';
import type { CameraRegistry } from '../../src/hub/registry.js';
import { installErrorHandlers } from '../../src/outputs/http-errors.js';
import { playbackRoutes, type PlaybackOptions, type RecordingAccess } from '../../src/playback/index.js';
import type { GapRecord, RecordingCatalog, RecordingStatus, SegmentRecord } from '../../src/recording/store.js';
import { encodedTrack, type EncodedTrack } from '../codec/fixtures.js';

export const FPS = 30;
export const FRAME_TICKS = 90000 / FPS;

/** 10 s of 320x240 at 30 fps, a keyframe each second (cached per process). */
export function tenSeconds(width = 320, height = 240): EncodedTrack {
  return encodedTrack({ width, height, frames: 300, gop: 30, rate: FPS });
}

export interface SegmentSpec {
  camera: string;
  startMs: number;
  track: EncodedTrack;
  /** Access units to write (from the first): default all. */
  frames?: number;
  /** Samples per fragment (default 30: one second). */
  perFragment?: number;
  open?: boolean;
}

/** Writes a segment file `<root>/<camera>/<YYYY-MM-DD>/<startMs>.mp4` and returns its index row. */
export function writeSegment(root: string, id: number, spec: SegmentSpec): SegmentRecord {
  const { camera, startMs, track } = spec;
  const frames = spec.frames ?? track.aus.length;
  const perFragment = spec.perFragment ?? 30;
  const day = new Date(startMs).toISOString().slice(0, 10);
  const dir = join(root, camera, day);
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${startMs}.mp4`);
  const parts: Uint8Array[] = [
    initSegment({ width: track.width, height: track.height, avcC: track.avcC, timescale: 90000 }),
  ];
  for (let i = 0, seq = 1; i < frames; i += perFragment, seq++) {
    const samples: Sample[] = track.aus.slice(i, Math.min(frames, i + perFragment)).map((au) => ({
      data: toAvc(au.nalus),
      duration: FRAME_TICKS,
      keyframe: au.keyframe,
    }));
    parts.push(mediaSegment({ sequenceNumber: seq, baseDecodeTime: i * FRAME_TICKS, samples }));
  }
  const bytes = Buffer.concat(parts);
  writeFileSync(file, bytes);
  return {
    id,
    camera,
    file,
    startMs,
    endMs: startMs + Math.round((frames * 1000) / FPS),
    bytes: bytes.length,
    width: track.width,
    height: track.height,
    codecString: track.codec,
    open: spec.open ?? false,
  };
}

/** The catalog's read API over rows kept in memory. */
export class TestCatalog implements RecordingCatalog {
  segmentRows: SegmentRecord[] = [];
  gapRows: GapRecord[] = [];
  extraCameras: string[] = [];

  segments(camera: string, startMs: number, endMs: number): SegmentRecord[] {
    return this.segmentRows
      .filter((s) => s.camera === camera && s.endMs > startMs && s.startMs < endMs)
      .sort((a, b) => a.startMs - b.startMs);
  }

  gaps(camera: string, startMs: number, endMs: number): GapRecord[] {
    return this.gapRows.filter((g) => g.camera === camera && g.endMs > startMs && g.startMs < endMs);
  }

  cameras(): string[] {
    return [...new Set([...this.segmentRows.map((s) => s.camera), ...this.extraCameras])];
  }

  status(): RecordingStatus | undefined {
    return undefined;
  }
}

/** Only `get` is used by the playback routes: the configured cameras. */
export function registryOf(ids: string[]): CameraRegistry {
  return { get: (id: string) => (ids.includes(id) ? { id } : undefined) } as unknown as CameraRegistry;
}

export async function playbackApp(
  options: Omit<PlaybackOptions, 'access'> & { access?: (request: FastifyRequest) => RecordingAccess },
): Promise<{ app: FastifyInstance; url: string }> {
  const app = Fastify();
  installErrorHandlers(app);
  await app.register(playbackRoutes, options);
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  if (!address || typeof address !== 'object') throw new Error('no address');
  return { app, url: `http://127.0.0.1:${address.port}` };
}
