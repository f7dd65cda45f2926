/**
 * The playback routes over real segment files (libx264 in fragmented MP4, as the recorder writes
 * them) and a catalog kept in the test: ranges and gaps, exports across segments and gaps as one
 * MP4 that ffprobe reads without a word, HTTP Range, thumbnails, and the 400/404 answers.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { toAvc } from '../../src/codec/h264/nal.js';
import { mediaSegment } from '../../src/codec/mp4/fmp4.js';
import { SegmentTables } from '../../src/playback/tables.js';
import { decodeJpeg, ffprobeErrors, ffprobeInfo } from '../support/index.js';
import { FRAME_TICKS, playbackApp, registryOf, tenSeconds, TestCatalog, writeSegment } from './helpers.js';

const root = mkdtempSync(join(tmpdir(), 'camrelay-playback-'));
const T = Date.UTC(2026, 11, 1, 4, 0, 0);
const catalog = new TestCatalog();
let app: FastifyInstance;
let url: string;

before(async () => {
  const track = tenSeconds();
  // door: [T, T+20 s) in two segments, a gap (offline) to T+60 s, [T+60, T+70), a hole, [T+80, T+90) at another size.
  catalog.segmentRows.push(writeSegment(root, 1, { camera: 'door', startMs: T, track }));
  catalog.segmentRows.push(writeSegment(root, 2, { camera: 'door', startMs: T + 10_000, track }));
  catalog.gapRows.push({ camera: 'door', startMs: T + 20_000, endMs: T + 60_000, reason: 'offline' });
  catalog.segmentRows.push(writeSegment(root, 3, { camera: 'door', startMs: T + 60_000, track }));
  catalog.segmentRows.push(writeSegment(root, 4, { camera: 'door', startMs: T + 80_000, track: tenSeconds(160, 120) }));
  // A camera no longer configured, whose recordings remain.
  catalog.segmentRows.push(writeSegment(root, 5, { camera: 'old', startMs: T, track, frames: 60 }));
  ({ app, url } = await playbackApp({ registry: registryOf(['door', 'yard']), catalog, root }));
});

after(async () => {
  await app.close();
  rmSync(root, { recursive: true, force: true });
});

async function get(path: string, headers: Record<string, string> = {}, method = 'GET'): Promise<Response> {
  return fetch(`${url}${path}`, { headers, method });
}

async function save(name: string, response: Response): Promise<string> {
  const path = join(root, name);
  writeFileSync(path, Buffer.from(await response.arrayBuffer()));
  return path;
}

const video = (start: number, end: number, extra = ''): string =>
  `/api/cameras/door/recordings/video.mp4?start=${start}&end=${end}${extra}`;

describe('GET /api/cameras/:id/recordings', () => {
  it('merges contiguous segments into ranges and lists the gaps, explained or not', async () => {
    const response = await get(`/api/cameras/door/recordings?start=${T - 5000}&end=${T + 100_000}`);
    assert.equal(response.status, 200);
    assert.deepEqual(await response.json(), {
      camera: 'door',
      start: T - 5000,
      end: T + 100_000,
      ranges: [
        { start: T, end: T + 20_000 },
        { start: T + 60_000, end: T + 70_000 },
        { start: T + 80_000, end: T + 90_000 },
      ],
      gaps: [
        { start: T + 20_000, end: T + 60_000, reason: 'offline' },
        { start: T + 70_000, end: T + 80_000, reason: 'unknown' },
      ],
    });
  });

  it('cuts the ranges to the times asked, which may be ISO 8601', async () => {
    const start = new Date(T + 5000).toISOString();
    const end = new Date(T + 65_000).toISOString();
    const body = (await (await get(`/api/cameras/door/recordings?start=${start}&end=${end}`)).json()) as {
      ranges: unknown;
    };
    assert.deepEqual(body.ranges, [
      { start: T + 5000, end: T + 20_000 },
      { start: T + 60_000, end: T + 65_000 },
    ]);
  });

  it('400 for bad times, 404 for nothing recorded or an unknown camera', async () => {
    const cases: [string, number, RegExp][] = [
      [`start=abc&end=${T}`, 400, /start "abc" is not a time/],
      [`start=${T}`, 400, /end is required/],
      [`start=${T}&end=${T - 1}`, 400, /end must be after start/],
      [`start=${T}&end=${T + 25 * 3600_000}`, 400, /24 hours/],
      [`start=2026-13-45T00:00:00Z&end=${T}`, 400, /not a time/],
      [`start=${T - 3600_000}&end=${T - 1000}`, 404, /nothing recorded/],
    ];
    for (const [query, status, message] of cases) {
      for (const path of ['recordings', 'recordings/video.mp4']) {
        const response = await get(`/api/cameras/door/${path}?${query}`);
        assert.equal(response.status, status, `${path}?${query}`);
        const body = (await response.json()) as { statusCode: number; message: string };
        assert.equal(body.statusCode, status);
        assert.match(body.message, message);
      }
    }
    const unknown = await get(`/api/cameras/nope/recordings?start=${T}&end=${T + 1000}`);
    assert.equal(unknown.status, 404);
    assert.match(((await unknown.json()) as { message: string }).message, /no camera "nope"/);
    assert.equal((await get(`/api/cameras/..%2F..%2Fetc/recordings?start=${T}&end=${T + 1000}`)).status, 400);
    assert.equal((await get(`/api/cameras/yard/recordings?start=${T}&end=${T + 1000}`)).status, 404);
  });

  it('a removed camera stays listable and playable when the credential allows it', async () => {
    const list = await get(`/api/cameras/old/recordings?start=${T}&end=${T + 10_000}`);
    assert.equal(list.status, 200);
    const mp4 = await get(`/api/cameras/old/recordings/video.mp4?start=${T}&end=${T + 10_000}`);
    assert.equal(mp4.status, 200);
    assert.equal(await ffprobeErrors(await save('old.mp4', mp4)), '');
    const strict = await playbackApp({
      registry: registryOf(['door']),
      catalog,
      root,
      access: () => ({ removedCameras: false }),
    });
    try {
      const refused = await fetch(`${strict.url}/api/cameras/old/recordings?start=${T}&end=${T + 10_000}`);
      assert.equal(refused.status, 404);
    } finally {
      await strict.app.close();
    }
  });
});

describe('GET /api/cameras/:id/recordings/video.mp4', () => {
  it('one MP4 across two segments and a gap: from the keyframe before start, the gap a held frame', async () => {
    const response = await get(video(T + 5500, T + 65_000));
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('content-type'), 'video/mp4');
    assert.equal(response.headers.get('accept-ranges'), 'bytes');
    assert.equal(response.headers.get('x-recording-start'), String(T + 5000), 'the keyframe at or before start');
    assert.equal(response.headers.get('x-recording-end'), String(T + 65_000));
    assert.ok(response.headers.get('etag'));
    assert.ok(response.headers.get('last-modified'));
    const length = Number(response.headers.get('content-length'));
    const path = await save('across.mp4', response);
    assert.equal(execFileSync('stat', ['-c', '%s', path], { encoding: 'utf8' }).trim(), String(length));
    assert.equal(await ffprobeErrors(path), '');
    const info = await ffprobeInfo(path);
    assert.equal(info.codec, 'h264');
    assert.equal(info.width, 320);
    assert.ok(info.startsWithKeyframe);
    // 15 s from the first segments (T+5..T+20), then the gap held to T+60, then 5 s: 60 s in all.
    assert.ok(Math.abs(info.duration - 60) < 0.05, `duration ${info.duration}`);
    assert.equal(info.frames, 15 * 30 + 5 * 30);
    // The frame after the gap is shown 40 s after the one before it.
    const pts = execFileSync(
      'ffprobe',
      ['-v', 'error', '-select_streams', 'v', '-show_entries', 'packet=pts_time', '-of', 'csv=p=0', path],
      { encoding: 'utf8' },
    )
      .trim()
      .split('\n')
      .map(Number);
    assert.ok(Math.abs(pts[450]! - 55) < 0.01, `after the gap: ${pts[450]}`);
    assert.ok(Math.abs(pts[449]! - (15 - 1 / 30)) < 0.01);
  });

  it('answers Range requests: first bytes, middle, suffix, 416; HEAD; If-None-Match', async () => {
    const whole = Buffer.from(await (await get(video(T, T + 70_000))).arrayBuffer());
    const size = whole.length;
    const check = async (range: string, start: number, end: number): Promise<void> => {
      const response = await get(video(T, T + 70_000), { range });
      assert.equal(response.status, 206, range);
      assert.equal(response.headers.get('content-range'), `bytes ${start}-${end}/${size}`);
      assert.equal(response.headers.get('content-length'), String(end - start + 1));
      const body = Buffer.from(await response.arrayBuffer());
      assert.ok(body.equals(whole.subarray(start, end + 1)), range);
    };
    await check('bytes=0-99', 0, 99);
    const middle = Math.floor(size / 2);
    await check(`bytes=${middle}-${middle + 300_000}`, middle, middle + 300_000);
    await check('bytes=-500', size - 500, size - 1);
    await check(`bytes=${size - 10}-`, size - 10, size - 1);
    await check(`bytes=${size - 10}-${size + 1000}`, size - 10, size - 1);
    const past = await get(video(T, T + 70_000), { range: `bytes=${size}-` });
    assert.equal(past.status, 416);
    assert.equal(past.headers.get('content-range'), `bytes */${size}`);
    const head = await get(video(T, T + 70_000), {}, 'HEAD');
    assert.equal(head.status, 200);
    assert.equal(head.headers.get('content-length'), String(size));
    assert.equal((await head.arrayBuffer()).byteLength, 0);
    const etag = head.headers.get('etag')!;
    assert.equal((await get(video(T, T + 70_000), { 'if-none-match': etag })).status, 304);
    // If-Range with an old validator: the whole file.
    const changed = await get(video(T, T + 70_000), { range: 'bytes=0-9', 'if-range': '"old"' });
    assert.equal(changed.status, 200);
    assert.equal(Number(changed.headers.get('content-length')), size);
    await changed.arrayBuffer();
  });

  it('download=1 names the file after the camera, the start and the duration', async () => {
    const response = await get(video(T + 60_000, T + 70_000, '&download=1'));
    assert.equal(response.headers.get('content-disposition'), 'attachment; filename="door-20261201-040100-0m10s.mp4"');
    await response.arrayBuffer();
    assert.equal((await get(video(T, T + 1000, '&download=yes'))).status, 400);
  });

  it('bounds the exports streaming at once, per client and in all', async () => {
    for (const [limits, status] of [
      [{ exportsPerClient: 0 }, 429],
      [{ exportsTotal: 0 }, 503],
    ] as const) {
      const bounded = await playbackApp({ registry: registryOf(['door']), catalog, root, ...limits });
      try {
        const response = await fetch(`${bounded.url}${video(T, T + 10_000)}`);
        assert.equal(response.status, status);
        assert.equal(response.headers.get('retry-after'), '5');
        assert.equal(((await response.json()) as { statusCode: number }).statusCode, status);
      } finally {
        await bounded.app.close();
      }
    }
    // Finished exports give their place back.
    const one = await playbackApp({ registry: registryOf(['door']), catalog, root, exportsPerClient: 1 });
    try {
      for (let i = 0; i < 3; i++) {
        const response = await fetch(`${one.url}${video(T, T + 10_000)}`);
        assert.equal(response.status, 200);
        await response.arrayBuffer();
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    } finally {
      await one.app.close();
    }
  });

  it('stops where the picture format changes, and says where', async () => {
    const response = await get(video(T + 60_000, T + 90_000));
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('x-recording-cut'), String(T + 80_000));
    const path = await save('cut.mp4', response);
    assert.equal(await ffprobeErrors(path), '');
    const info = await ffprobeInfo(path);
    assert.equal(info.frames, 300);
    // The rest, from the cut: the other size.
    const rest = await get(video(T + 80_000, T + 90_000));
    const restInfo = await ffprobeInfo(await save('rest.mp4', rest));
    assert.equal(restInfo.width, 160);
  });
});

describe('GET /api/cameras/:id/recordings/thumbnail.jpg', () => {
  it('decodes the keyframe at or before t, scaled, and caches it', async () => {
    const response = await get(`/api/cameras/door/recordings/thumbnail.jpg?t=${T + 5500}`);
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('content-type'), 'image/jpeg');
    assert.equal(response.headers.get('x-recording-time'), String(T + 5000));
    const jpeg = decodeJpeg(Buffer.from(await response.arrayBuffer()));
    assert.equal(jpeg.width, 320);
    const small = await get(
      `/api/cameras/door/recordings/thumbnail.jpg?t=${new Date(T + 5500).toISOString()}&width=160`,
    );
    assert.equal(decodeJpeg(Buffer.from(await small.arrayBuffer())).width, 160);
    assert.equal((await get(`/api/cameras/door/recordings/thumbnail.jpg?t=${T + 30_000}`)).status, 404);
    assert.equal((await get(`/api/cameras/door/recordings/thumbnail.jpg?t=${T}&width=5000`)).status, 400);
    assert.equal((await get(`/api/cameras/door/recordings/thumbnail.jpg`)).status, 400);
  });
});

describe('sample tables', () => {
  it('read a growing segment on from where they stopped', async () => {
    const track = tenSeconds();
    const record = writeSegment(root, 10, { camera: 'grow', startMs: T, track, frames: 90, open: true });
    const tables = new SegmentTables();
    const first = await tables.get(record);
    assert.equal(first!.count, 90);
    // Two more fragments are written; the catalog says so.
    const more = [3, 4].map((k) =>
      mediaSegment({
        sequenceNumber: k + 1,
        baseDecodeTime: k * 30 * FRAME_TICKS,
        samples: track.aus.slice(k * 30, k * 30 + 30).map((au) => ({
          data: toAvc(au.nalus),
          duration: FRAME_TICKS,
          keyframe: au.keyframe,
        })),
      }),
    );
    for (const m of more) appendFileSync(record.file, m);
    const again = await tables.get(record);
    assert.equal(again, first, 'nothing new in the catalog: the cached table');
    const grown = await tables.get({ ...record, bytes: record.bytes + more[0]!.length + more[1]!.length });
    assert.equal(grown!.count, 150);
    assert.equal(grown!.decodeTimes[149], 149 * FRAME_TICKS);
    assert.deepEqual(Array.from(grown!.sizes.subarray(0, 90)), Array.from(first!.sizes));
    assert.equal(tables.reads, 2);
  });

  it('a segment file outside the recordings root is never read', async () => {
    const outside = mkdtempSync(join(tmpdir(), 'camrelay-outside-'));
    try {
      const record = writeSegment(outside, 20, { camera: 'door', startMs: T - 100_000, track: tenSeconds() });
      catalog.segmentRows.push(record);
      const response = await get(video(T - 100_000, T - 90_000));
      assert.equal(response.status, 404);
    } finally {
      catalog.segmentRows = catalog.segmentRows.filter((s) => s.id !== 20);
      rmSync(outside, { recursive: true, force: true });
    }
  });
});
