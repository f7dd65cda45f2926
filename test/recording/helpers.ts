/**
 * The recording tests' common parts: an H.264 (or H.265) clip a `file:` camera passes through, a config with
 * recording, and the check that the files on disk and the index agree and all play.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { IndexDb } from '../../src/recording/segment-index.js';
import type { RecorderHost } from '../../src/recording/recorder.js';
import { FfmpegSource } from '../../src/sources/ffmpeg/ffmpeg-source.js';
import { locateFfmpeg } from '../../src/ffmpeg/locate.js';
import type { SourceUnit } from '../../src/media/index.js';
import { ffprobeErrors, ffprobeInfo, quietLogger, waitFor } from '../support/index.js';

/** An H.264 clip (no B-frames), keyframes every `gop` frames; `codec: 'h265'`: H.265 (libx265, `hvc1`). */
export function makeH264Clip(
  path: string,
  { size = '320x240', fps = 25, gop = 12, seconds = 4, codec = 'h264' as 'h264' | 'h265' } = {},
): void {
  const encoder =
    codec === 'h264'
      ? ['-c:v', 'libx264', '-preset', 'veryfast', '-bf', '0', '-g', String(gop)]
      : ['-c:v', 'libx265', '-preset', 'ultrafast', '-tag:v', 'hvc1', '-x265-params'];
  if (codec === 'h265') encoder.push(`keyint=${gop}:min-keyint=${gop}:scenecut=0:bframes=0:log-level=error`);
  execFileSync(locateFfmpeg().path, [
    ...['-hide_banner', '-loglevel', 'error', '-y', '-f', 'lavfi', '-i', `testsrc2=size=${size}:rate=${fps}`],
    ...['-t', String(seconds), ...encoder],
    ...['-pix_fmt', 'yuv420p', path],
  ]);
}

/** The first `count` access units a real `file:` source makes of an H.264 clip (passed through). */
export async function captureUnits(clip: string, count: number): Promise<SourceUnit[]> {
  const source = new FfmpegSource(
    'cam',
    { kind: 'file', path: clip },
    { quality: 80, passthrough: 'auto', maxFrameBytes: 8 * 1024 * 1024 },
    quietLogger(),
  );
  const units: SourceUnit[] = [];
  source.start({ unit: (u) => units.push(u), ended: () => undefined });
  try {
    await waitFor(() => units.length >= count, 30_000, `${count} H.264 units`);
  } finally {
    await source.stop();
  }
  return units.slice(0, count);
}

/** A store folder with a fresh index, as a recorder's host without the store around it (60 s segments). */
export function recorderHost(root: string): RecorderHost & { index: IndexDb } {
  mkdirSync(root, { recursive: true });
  const index = new IndexDb(join(root, 'index.sqlite3'));
  return {
    root,
    index,
    segmentDurationMs: 60_000,
    log: quietLogger(),
    db: () => index,
    segmentClosed: () => undefined,
    diskProblem: () => undefined,
  };
}

export function writeConfig(path: string, yaml: string): string {
  writeFileSync(path, yaml);
  return path;
}

/** Every `<camera>/<day>/<start>.mp4` under root, relative. */
export function segmentFiles(root: string): string[] {
  const out: string[] = [];
  const dirs = (d: string) => readdirSync(d, { withFileTypes: true }).filter((e) => e.isDirectory());
  for (const camera of dirs(root)) {
    for (const day of dirs(join(root, camera.name))) {
      for (const f of readdirSync(join(root, camera.name, day.name))) {
        if (f.endsWith('.mp4')) out.push(join(camera.name, day.name, f));
      }
    }
  }
  return out.sort();
}

export interface IndexRow {
  id: number;
  camera: string;
  file: string;
  start_ms: number;
  end_ms: number;
  bytes: number;
  open: number;
}

export function indexRows(root: string): IndexRow[] {
  const db = new Database(join(root, 'index.sqlite3'), { readonly: true });
  try {
    return db.prepare('SELECT * FROM segments ORDER BY start_ms').all() as IndexRow[];
  } finally {
    db.close();
  }
}

export function gapRows(root: string): { camera: string; start_ms: number; end_ms: number; reason: string }[] {
  const db = new Database(join(root, 'index.sqlite3'), { readonly: true });
  try {
    return db.prepare('SELECT * FROM gaps ORDER BY start_ms').all() as {
      camera: string;
      start_ms: number;
      end_ms: number;
      reason: string;
    }[];
  } finally {
    db.close();
  }
}

/**
 * A stopped store: every file plays without an error and starts at a keyframe, and the index has one
 * closed row per file with its size, and a duration ffprobe agrees with.
 */
export async function checkStore(root: string, codec = 'h264'): Promise<IndexRow[]> {
  const files = segmentFiles(root);
  const rows = indexRows(root);
  assert.deepEqual(rows.map((r) => r.file).sort(), files, 'one index row per file');
  if (process.env.TEST_LOG_LEVEL) console.log(rows, gapRows(root));
  for (const row of rows) {
    const path = join(root, row.file);
    assert.equal(row.open, 0, `${row.file} closed`);
    assert.equal(row.bytes, statSync(path).size, `${row.file}: index bytes = file size`);
    assert.equal(row.start_ms, Number(row.file.split('/').pop()!.replace('.mp4', '')), 'start = file name');
  }
  // The files are probed a few at a time (each probe is mostly ffprobe starting up).
  const queue = [...rows];
  const probeNext = async (): Promise<void> => {
    for (let row = queue.shift(); row; row = queue.shift()) await probe(root, row, codec);
  };
  await Promise.all([probeNext(), probeNext(), probeNext()]);
  return rows;
}

/** One closed segment plays without an error, starts at a keyframe, and lasts as long as its row says. */
async function probe(root: string, row: IndexRow, codec: string): Promise<void> {
  const path = join(root, row.file);
  const [errors, info] = await Promise.all([ffprobeErrors(path), ffprobeInfo(path)]);
  assert.equal(errors, '', `${row.file} plays without an error`);
  assert.equal(info.codec, codec);
  assert.ok(info.startsWithKeyframe, `${row.file} starts at a keyframe`);
  assert.ok(info.frames > 0, `${row.file} has frames`);
  const indexSeconds = (row.end_ms - row.start_ms) / 1000;
  assert.ok(
    Math.abs(info.duration - indexSeconds) < 0.3,
    `${row.file}: index says ${indexSeconds} s, the file ${info.duration} s`,
  );
}
