/**
 * Playback benchmark: 24 hours of recording of one 1280x720 camera, made cheaply (one real
 * 60-second segment of 1-second fragments, hard-linked under 1440 back-dated names, with their
 * rows in the store's index), served by camrelay itself. Measures:
 *
 * - the ranges query of the whole day (1440 segments, 86400 fragments);
 * - the time to first picture at a random point: a <video> in headless Chromium given a 10-minute
 *   export starting there, from setting its src to its first decoded frame (readyState >= 2), and
 *   over HTTP alone from the request to the first sample bytes; a seek inside one 24-hour export;
 * - a 10-minute export read whole: time to first byte and throughput.
 *
 *   node --import tsx bench/playback.ts        # after npm run build (the web viewer is not needed)
 */
import { execFileSync } from 'node:child_process';
import { linkSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { AccessUnitSplitter, type AccessUnit } from '../src/codec/h264/access-units.js';
import { buildAvcC, avcCCodecString, parseAvcC } from '../src/codec/h264/avcc.js';
import { toAvc } from '../src/codec/h264/nal.js';
import { parseSps } from '../src/codec/h264/sps.js';
import { initSegment, mediaSegment } from '../src/codec/mp4/fmp4.js';
import { loadConfig } from '../src/config/load.js';
import { IndexDb } from '../src/recording/segment-index.js';
import { buildServer } from '../src/server/app.js';
import { locateFfmpeg } from '../src/ffmpeg/locate.js';
import { pino } from 'pino';

// PLAYBACK_BENCH_QUICK=1: 2 hours of 320x240, to check the script itself.
const QUICK = !!process.env.PLAYBACK_BENCH_QUICK;
const DAY_MS = (QUICK ? 2 : 24) * 3600_000;
const SIZE = QUICK ? '320x240' : '1280x720';
const SEGMENT_S = 60;
const FPS = 25;
const dir = mkdtempSync(join(tmpdir(), 'camrelay-bench-playback-'));
const root = join(dir, 'store');

function log(line: string): void {
  process.stdout.write(`${line}\n`);
}

function stats(values: number[]): string {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
  const max = sorted[sorted.length - 1]!;
  return `median ${at(0.5).toFixed(1)} ms, p95 ${at(0.95).toFixed(1)} ms, max ${max.toFixed(1)} ms`;
}

// One real segment, as the recorder writes it: init, then 1-second fragments.
const t0 = performance.now();
const annexB = execFileSync(
  locateFfmpeg().path,
  [
    ...['-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', `testsrc2=size=${SIZE}:rate=${FPS}`],
    ...['-vf', 'noise=alls=8:allf=t', '-frames:v', String(SEGMENT_S * FPS), '-c:v', 'libx264', '-preset', 'veryfast'],
    ...['-b:v', '2M', '-maxrate', '2M', '-bufsize', '2M', '-g', String(FPS), '-bf', '0', '-sc_threshold', '0'],
    ...['-f', 'h264', 'pipe:1'],
  ],
  { maxBuffer: 512 * 1024 * 1024 },
);
const aus: AccessUnit[] = [];
const splitter = new AccessUnitSplitter((au) => aus.push(au));
splitter.push(new Uint8Array(annexB.buffer, annexB.byteOffset, annexB.byteLength));
splitter.flush();
const sps = parseSps(aus[0]!.sps[0]!);
const avcC = buildAvcC({ sps: aus[0]!.sps, pps: aus[0]!.pps });
const parts = [initSegment({ width: sps.width, height: sps.height, avcC, timescale: 90000 })];
for (let i = 0; i < aus.length; i += FPS) {
  const samples = aus
    .slice(i, i + FPS)
    .map((au) => ({ data: toAvc(au.nalus), duration: 90000 / FPS, keyframe: au.keyframe }));
  parts.push(mediaSegment({ sequenceNumber: i / FPS + 1, baseDecodeTime: (i * 90000) / FPS, samples }));
}
const segment = Buffer.concat(parts);
const template = join(dir, 'segment.mp4');
writeFileSync(template, segment);
log(
  `one ${SEGMENT_S}-s segment: ${(segment.length / 1e6).toFixed(1)} MB, ` +
    `made in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
);

// 24 h back-dated: hard links and index rows.
const end = Math.floor(Date.now() / 60_000) * 60_000 - 60_000;
const start = end - DAY_MS;
mkdirSync(root, { recursive: true });
const db = new IndexDb(join(root, 'index.sqlite3'));
const codecString = avcCCodecString(parseAvcC(avcC));
for (let s = start; s < end; s += SEGMENT_S * 1000) {
  const day = new Date(s).toISOString().slice(0, 10);
  mkdirSync(join(root, 'bench', day), { recursive: true });
  const file = `bench/${day}/${s}.mp4`;
  linkSync(template, join(root, file));
  db.insert({
    camera: 'bench',
    file,
    startMs: s,
    endMs: s + SEGMENT_S * 1000,
    bytes: segment.length,
    width: sps.width,
    height: sps.height,
    codecString,
    open: false,
  });
}
db.close();
log(`${DAY_MS / 3600_000} h: ${DAY_MS / (SEGMENT_S * 1000)} segments, ${DAY_MS / 1000} fragments`);

const configFile = join(dir, 'camrelay.yaml');
writeFileSync(
  configFile,
  `log: { level: warn }\nrecordings: { path: ${root} }\ncameras:\n  - { id: bench, source: "testsrc" }\n`,
);
const config = await loadConfig({ cameras: [], config: configFile, host: '127.0.0.1', port: 0 });
const server = await buildServer(config, pino({ level: 'warn' }));
await server.app.listen({ host: '127.0.0.1', port: 0 });
const address = server.app.server.address();
if (!address || typeof address !== 'object') throw new Error('no address');
const base = `http://127.0.0.1:${address.port}/api/cameras/bench/recordings`;

// Ranges of the whole day.
const rangeTimes: number[] = [];
for (let i = 0; i < 30; i++) {
  const t = performance.now();
  const response = await fetch(`${base}?start=${start}&end=${end}`);
  const body = (await response.json()) as { ranges: unknown[] };
  rangeTimes.push(performance.now() - t);
  if (body.ranges.length !== 1) throw new Error(`ranges: ${JSON.stringify(body).slice(0, 200)}`);
}
log(`ranges of ${DAY_MS / 3600_000} h (${DAY_MS / (SEGMENT_S * 1000)} segments): ${stats(rangeTimes.slice(5))}`);

// Time to first sample bytes at random points (cold: each point's segments never read before).
const random = (): number => start + Math.floor(Math.random() * (DAY_MS - 11 * 60_000));
const firstBytes: number[] = [];
for (let i = 0; i < 20; i++) {
  const at = random();
  const t = performance.now();
  const response = await fetch(`${base}/video.mp4?start=${at}&end=${at + 600_000}`);
  const reader = response.body!.getReader();
  // The samples start after ftyp, moov and the mdat's header (16 bytes at most): read past them.
  const chunks: Uint8Array[] = [];
  let got = 0;
  let headerEnd = Infinity;
  while (got <= headerEnd) {
    const { value, done } = await reader.read();
    if (done) break;
    chunks.push(value);
    got += value.length;
    if (headerEnd === Infinity && got >= 64 * 1024) {
      const head = Buffer.concat(chunks);
      const ftyp = head.readUInt32BE(0);
      headerEnd = ftyp + head.readUInt32BE(ftyp) + 16;
    }
  }
  firstBytes.push(performance.now() - t);
  await reader.cancel();
}
log(`request to first sample bytes, 10-min window at a random point: ${stats(firstBytes)}`);

// Export of 10 minutes, read whole.
{
  const at = random();
  const t = performance.now();
  const response = await fetch(`${base}/video.mp4?start=${at}&end=${at + 600_000}`);
  const reader = response.body!.getReader();
  let ttfb = 0;
  let bytes = 0;
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    if (!ttfb) ttfb = performance.now() - t;
    bytes += value.length;
  }
  const seconds = (performance.now() - t) / 1000;
  log(
    `export of 10 min: ${(bytes / 1e6).toFixed(0)} MB, first byte after ${ttfb.toFixed(0)} ms, ` +
      `${(bytes / 1e6 / seconds).toFixed(0)} MB/s`,
  );
}

// Whole-day exports beside a live viewer: the camera's MJPEG rate and /api/health's answer time, first
// alone, then while four clients each ask for another 24-hour export (four plans to make).
{
  const cameraUrl = `http://127.0.0.1:${address.port}/api/cameras/bench`;
  /** MJPEG parts received per second over `ms`, and health answer times polled every 100 ms. */
  const watch = async (ms: number, during?: () => Promise<void>): Promise<{ fps: number; health: number[] }> => {
    const abort = new AbortController();
    const response = await fetch(`${cameraUrl}/stream.mjpeg`, { signal: abort.signal });
    const reader = response.body!.getReader();
    let parts = 0;
    let counting = false;
    const counted = (async () => {
      for (;;) {
        const { value, done } = await reader.read().catch(() => ({ value: undefined, done: true }));
        if (done || !value) return;
        if (counting) parts += Buffer.from(value).toString('latin1').split('Content-Type: image/jpeg').length - 1;
      }
    })();
    await new Promise((r) => setTimeout(r, 2000)); // the camera starts, the stream settles
    counting = true;
    const t = performance.now();
    const health: number[] = [];
    let polling = true;
    const polled = (async () => {
      while (polling) {
        const h = performance.now();
        await fetch(`http://127.0.0.1:${address.port}/api/health`).then((r) => r.arrayBuffer());
        health.push(performance.now() - h);
        await new Promise((r) => setTimeout(r, 100));
      }
    })();
    await Promise.all([new Promise((r) => setTimeout(r, ms)), during?.()]);
    const seconds = (performance.now() - t) / 1000;
    counting = false;
    polling = false;
    await polled;
    abort.abort();
    await counted;
    return { fps: parts / seconds, health };
  };
  const alone = await watch(6000);
  let exportsMs = 0;
  const busy = await watch(6000, async () => {
    const t = performance.now();
    await Promise.all(
      [0, 1, 2, 3].map(async (k) => {
        const response = await fetch(`${base}/video.mp4?start=${start + k * 60_000}&end=${end}`);
        const reader = response.body!.getReader();
        let got = 0;
        while (got < 1024 * 1024) {
          const { value, done } = await reader.read();
          if (done) break;
          got += value.length;
        }
        await reader.cancel();
      }),
    );
    exportsMs = performance.now() - t;
  });
  const worst = (values: number[]): string => `${Math.max(...values).toFixed(0)} ms`;
  log(
    `live camera beside four ${DAY_MS / 3600_000} h exports (all four answered in ${(exportsMs / 1000).toFixed(1)} s): ` +
      `${busy.fps.toFixed(1)} fps (alone ${alone.fps.toFixed(1)} fps), /api/health ${stats(busy.health)} ` +
      `(alone: worst ${worst(alone.health)})`,
  );
}

// Chromium: first decoded frame at random points; then a seek inside one 24-hour export.
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--autoplay-policy=no-user-gesture-required'],
});
try {
  const page = await browser.newPage();
  await page.goto(`http://127.0.0.1:${address.port}/api/health`);
  await page.setContent('<video id="v" muted playsinline preload="auto"></video>');
  const pictures: number[] = [];
  for (let i = 0; i < 10; i++) {
    const at = random();
    const ms = await page.evaluate(
      async (src) => {
        const v = document.getElementById('v') as HTMLVideoElement;
        const t = performance.now();
        v.src = src;
        await new Promise<void>((resolve, reject) => {
          v.onloadeddata = () => resolve();
          v.onerror = () => reject(new Error(v.error?.message ?? 'error'));
        });
        return performance.now() - t;
      },
      `${base}/video.mp4?start=${at}&end=${at + 600_000}`,
    );
    pictures.push(ms);
  }
  log(`Chromium, request to first decoded frame, 10-min window at a random point: ${stats(pictures)}`);

  const whole = await page.evaluate(async (src) => {
    const v = document.getElementById('v') as HTMLVideoElement;
    const t = performance.now();
    v.src = src;
    await new Promise<void>((resolve, reject) => {
      v.onloadeddata = () => resolve();
      v.onerror = () => reject(new Error(v.error?.message ?? 'error'));
    });
    return { ms: performance.now() - t, duration: v.duration };
  }, `${base}/video.mp4?start=${start}&end=${end}`);
  log(
    `Chromium, the whole ${DAY_MS / 3600_000} h as one export: first frame after ${whole.ms.toFixed(0)} ms ` +
      `(duration ${(whole.duration / 3600).toFixed(2)} h)`,
  );
  const seeks: number[] = [];
  for (let i = 0; i < 10; i++) {
    const to = Math.random() * (whole.duration - 60);
    seeks.push(
      await page.evaluate(async (time) => {
        const v = document.getElementById('v') as HTMLVideoElement;
        const t = performance.now();
        v.currentTime = time;
        await new Promise<void>((resolve) => {
          v.onseeked = () => resolve();
        });
        if (v.readyState < 2) await new Promise<void>((resolve) => (v.oncanplay = () => resolve()));
        return performance.now() - t;
      }, to),
    );
  }
  log(`Chromium, seek to a random point of that export to its picture: ${stats(seeks)}`);
} finally {
  await browser.close();
  await server.close();
  log(`disk: ${(statSync(template).size / 1e6).toFixed(1)} MB (the links share it)`);
  rmSync(dir, { recursive: true, force: true });
}
