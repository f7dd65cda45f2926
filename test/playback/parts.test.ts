/**
 * The playback parts on their own: thumbnails (bounded concurrency and queue, timeouts that kill
 * ffmpeg, no child left behind), the virtual file's reads (bounded by the client's pace), and the
 * Range header.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { HttpError } from '../../src/outputs/http-errors.js';
import { planExport, type ExportPlan } from '../../src/playback/export.js';
import { HeaderBuilder } from '../../src/playback/header-builder.js';
import { SegmentTables } from '../../src/playback/tables.js';
import { Thumbnails } from '../../src/playback/thumbnails.js';
import { CHUNK, parseRange, readRange } from '../../src/playback/virtual-file.js';
import { decodeJpeg, ffmpegChildren, sleep, waitFor } from '../support/index.js';
import { tenSeconds, writeSegment } from './helpers.js';

const root = mkdtempSync(join(tmpdir(), 'camrelay-playback-parts-'));
after(() => rmSync(root, { recursive: true, force: true }));
const T = Date.UTC(2026, 11, 1, 5, 0, 0);
const headers = new HeaderBuilder();
after(() => headers.close());

describe('thumbnails', () => {
  it('run at most `concurrency` ffmpegs, queue a few, refuse the rest with 503, and leave no child', async () => {
    const record = writeSegment(root, 1, { camera: 'door', startMs: T, track: tenSeconds(640, 480) });
    const table = (await new SegmentTables().get(record))!;
    const thumbnails = new Thumbnails({ concurrency: 1, queue: 2 });
    const keyframes = [0, 30, 60, 90, 120, 150];
    const results = await Promise.allSettled(keyframes.map((k) => thumbnails.get(table, k, 320)));
    const refused = results.filter((r) => r.status === 'rejected');
    assert.equal(results.filter((r) => r.status === 'fulfilled').length, 3, 'one running, two queued');
    for (const r of refused) {
      assert.ok(r.reason instanceof HttpError);
      assert.equal(r.reason.statusCode, 503);
    }
    const first = results[0] as PromiseFulfilledResult<Buffer>;
    assert.equal(decodeJpeg(first.value).width, 320);
    assert.equal(thumbnails.decodes, 3);
    // Cached: no ffmpeg the second time.
    await thumbnails.get(table, 0, 320);
    assert.equal(thumbnails.decodes, 3);
    assert.deepEqual(ffmpegChildren(), []);
  });

  it('a decode past its time is killed and answered 504, and reaped', async () => {
    const record = writeSegment(root, 2, { camera: 'door', startMs: T + 10_000, track: tenSeconds(640, 480) });
    const table = (await new SegmentTables().get(record))!;
    const thumbnails = new Thumbnails({ timeoutMs: 1 });
    await assert.rejects(thumbnails.get(table, 0, 320), (error: unknown) => (error as HttpError).statusCode === 504);
    await waitFor(() => ffmpegChildren().length === 0, 5000, 'no ffmpeg child left');
  });
});

/** The export plan of segment `id`: 10 s of 640x480 recorded `at` ms after T. */
async function tenSecondPlan(id: number, at: number): Promise<ExportPlan> {
  const record = writeSegment(root, id, { camera: 'door', startMs: T + at, track: tenSeconds(640, 480) });
  const request = { camera: 'door', start: T + at, end: T + at + 10_000 };
  return (await planExport(request, [record], new SegmentTables(), headers))!;
}

const openFiles = (): number => readdirSync('/proc/self/fd').length;

describe('virtual file', () => {
  it('reads a chunk at a time, as fast as the reader takes them', async () => {
    const plan = await tenSecondPlan(3, 20_000);
    assert.ok(plan.size > 4 * CHUNK, `${plan.size} bytes`);
    const stream = readRange(plan, 0, plan.size - 1);
    const first = await new Promise<Buffer>((resolve) => stream.once('data', resolve));
    stream.pause();
    await sleep(200);
    assert.ok(stream.readableLength <= 2 * CHUNK, `${stream.readableLength} bytes buffered for a paused reader`);
    assert.equal(first.length, plan.header.length);
    stream.destroy();
  });

  it('closes its files when the reader leaves at any moment', async () => {
    const plan = await tenSecondPlan(4, 30_000);
    const before = openFiles();
    for (let i = 0; i < 60; i++) {
      const stream = readRange(plan, i * 1000, plan.size - 1);
      stream.on('error', () => {});
      stream.resume();
      // Leave after 0 to a few reads, often while a file is being opened or read.
      await sleep(i % 4);
      stream.destroy();
    }
    await waitFor(() => openFiles() <= before, 5000, `open files back to ${before}`);
  });

  it('is closed when its reader takes nothing for the idle time (a client that never reads)', async () => {
    const plan = await tenSecondPlan(5, 40_000);
    const before = openFiles();
    const stream = readRange(plan, 0, plan.size - 1, 300);
    const failed = new Promise<Error>((resolve) => stream.once('error', resolve));
    await new Promise<Buffer>((resolve) => stream.once('data', resolve));
    stream.pause();
    const error = await failed;
    assert.match(error.message, /read nothing for 300 ms/);
    assert.ok(stream.destroyed);
    await waitFor(() => openFiles() <= before, 5000, `open files back to ${before}`);
  });

  it('parses Range headers', () => {
    assert.deepEqual(parseRange('bytes=0-99', 1000), { start: 0, end: 99 });
    assert.deepEqual(parseRange('bytes=900-', 1000), { start: 900, end: 999 });
    assert.deepEqual(parseRange('bytes=-100', 1000), { start: 900, end: 999 });
    assert.deepEqual(parseRange('bytes=-5000', 1000), { start: 0, end: 999 });
    assert.deepEqual(parseRange('bytes=990-5000', 1000), { start: 990, end: 999 });
    assert.equal(parseRange('bytes=1000-', 1000), 'unsatisfiable');
    assert.equal(parseRange('bytes=-0', 1000), 'unsatisfiable');
    assert.equal(parseRange(undefined, 1000), undefined);
    assert.equal(parseRange('bytes=0-1,5-6', 1000), undefined, 'several ranges: the whole file');
    assert.equal(parseRange('items=0-1', 1000), undefined);
    assert.equal(parseRange('bytes=9-1', 1000), undefined);
  });
});
