/**
 * The player's H.264 decoders in real Chromium, without the server: access units made by the
 * project's ffmpeg (libx264, no B-frames, a keyframe every 15), split with AccessUnitSplitter
 * and fed into the page at a camera's pace. WebCodecs on a secure origin (127.0.0.1); MSE
 * checked on a page that is not a secure context (http://camrelay.test, mapped to 127.0.0.1).
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { toAvc } from '../../src/codec/h264/nal.js';
import { encodedTrack, type EncodeOptions } from '../codec/fixtures.js';
import { requireInCi, skipOutsideCi } from '../support/ci.js';
import { CHROMIUM, launchBrowser } from './browser.js';
import { bundlePage } from './pages/bundle.js';
import type { DecodersApi, FeedOptions, FeedResult } from './pages/decoders-page.js';

const MISSING = existsSync(CHROMIUM) ? undefined : `no chromium at ${CHROMIUM}`;
/** Not a secure context: a name, not loopback (Chromium maps it to 127.0.0.1). */
const INSECURE_HOST = 'camrelay.test';

interface Prepared {
  meta: { codec: string; width: number; height: number; description: number[]; keys: boolean[] };
  units: Uint8Array[];
}

function prepare(options: EncodeOptions): Prepared {
  const { aus, avcC, codec, width, height } = encodedTrack(options);
  return {
    meta: {
      codec,
      width,
      height,
      description: [...avcC],
      keys: aus.map((au) => au.keyframe),
    },
    units: aus.map((au) => toAvc(au.nalus)),
  };
}

const STREAMS: Record<string, EncodeOptions> = {
  wide: { width: 640, height: 360, frames: 60, gop: 15, profile: 'high' },
  small: { width: 320, height: 240, frames: 45, gop: 15, profile: 'baseline' },
};

function serve(streams: Map<string, Prepared>, script: string): Promise<Server> {
  const server = createServer((req, res) => {
    const [, kind, name, what, index] = (req.url ?? '').split('/');
    const stream = name ? streams.get(name) : undefined;
    let body: Uint8Array | string | undefined;
    let type = 'application/octet-stream';
    if (req.url === '/') {
      body =
        '<!doctype html><meta charset="utf-8"><title>decoders</title><script type="module" src="/page.js"></script>';
      type = 'text/html';
    } else if (req.url === '/page.js') {
      body = script;
      type = 'text/javascript';
    } else if (kind === 'stream' && stream && what === 'meta') {
      body = JSON.stringify(stream.meta);
      type = 'application/json';
    } else if (kind === 'stream' && stream && what === 'au') body = stream.units[Number(index)];
    if (body === undefined) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': type, 'cache-control': 'no-store' });
    res.end(body);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

function run(page: Page, kind: 'webcodecs' | 'mse', options: FeedOptions): Promise<FeedResult> {
  return page.evaluate(([k, o]) => (window as unknown as { decoders: DecodersApi }).decoders[k](o), [
    kind,
    options,
  ] as const);
}

async function openAt(browser: Browser, url: string): Promise<Page> {
  const page = await browser.newPage();
  page.on('pageerror', (err) => console.error(`[page error] ${err.message}`));
  await page.goto(url);
  await page.waitForFunction(() => 'decoders' in window);
  return page;
}

describe('H.264 decoders in Chromium', { skip: skipOutsideCi(MISSING) }, () => {
  let browser: Browser;
  let server: Server;
  let secure: Page;
  let insecure: Page;
  /**
   * The feeds, started once the pages are open: the WebCodecs ones (secure page) run beside the MSE ones
   * (insecure page), each page's one after the other as its tests list them; each test judges its result.
   */
  let webcodecsRuns: Promise<{ one: FeedResult; resized: FeedResult }>;
  let mseRuns: Promise<{ live: FeedResult; gap: FeedResult; long: FeedResult }>;

  before(async () => {
    requireInCi(MISSING);
    const streams = new Map(Object.entries(STREAMS).map(([name, options]) => [name, prepare(options)]));
    server = await serve(streams, await bundlePage('decoders-page'));
    const { port } = server.address() as AddressInfo;
    browser = await launchBrowser([`--host-resolver-rules=MAP ${INSECURE_HOST} 127.0.0.1`]);
    secure = await openAt(browser, `http://127.0.0.1:${port}/`);
    insecure = await openAt(browser, `http://${INSECURE_HOST}:${port}/`);
    webcodecsRuns = (async () => ({
      one: await run(secure, 'webcodecs', { streams: ['wide'], intervalMs: 33 }),
      resized: await run(secure, 'webcodecs', { streams: ['wide', 'small'], intervalMs: 20, gapMs: 5000 }),
    }))();
    mseRuns = (async () => ({
      live: await run(insecure, 'mse', { streams: ['wide'], intervalMs: 33, settleMs: 700 }),
      gap: await run(insecure, 'mse', { streams: ['wide', 'small'], intervalMs: 33, gapMs: 4000, settleMs: 700 }),
      long: await run(insecure, 'mse', { streams: ['wide', 'wide', 'wide'], intervalMs: 25, settleMs: 800 }),
    }))();
    // Awaited by the tests; a failure is reported there, not as an unhandled rejection.
    webcodecsRuns.catch(() => undefined);
    mseRuns.catch(() => undefined);
  });
  after(async () => {
    await browser?.close();
    server?.closeAllConnections();
    await new Promise((resolve) => server?.close(resolve));
  });

  it('chooses WebCodecs on a secure origin and MSE on another, and honours a forced path', async () => {
    const pick = (page: Page, choice: string) =>
      page.evaluate((c) => (window as unknown as { decoders: DecodersApi }).decoders.choosePath(c as 'auto'), choice);
    assert.equal(await secure.evaluate(() => isSecureContext), true);
    assert.equal(await insecure.evaluate(() => isSecureContext), false);
    assert.equal(await pick(secure, 'auto'), 'webcodecs');
    assert.equal(await pick(secure, 'mse'), 'mse');
    assert.equal(await pick(secure, 'jpeg'), 'jpeg');
    assert.equal(await pick(insecure, 'auto'), 'mse');
    assert.equal(await pick(insecure, 'webcodecs'), 'mse', 'no VideoDecoder outside a secure context');
  });

  it('WebCodecs: decodes every access unit, draws them, acks each one', async () => {
    const r = (await webcodecsRuns).one;
    const report = JSON.stringify({ ...r, sizes: r.sizes });
    assert.deepEqual(r.failures, [], report);
    assert.equal(r.pushed, 60);
    assert.equal(r.acked, 60, `every unit acked: ${report}`);
    assert.equal(r.skipped, 0, report);
    assert.ok(r.shown > 0 && r.canvasChanges > 0, `the canvas shows a moving picture: ${report}`);
    assert.deepEqual(r.sizes, ['640x360']);
    assert.equal(r.lastShown?.seq, 60, `the last unit is the last picture: ${report}`);
  });

  it('WebCodecs: a new config (another size) configures again and goes on decoding', async () => {
    const r = (await webcodecsRuns).resized;
    const report = JSON.stringify(r);
    assert.deepEqual(r.failures, [], report);
    assert.equal(r.acked, r.pushed, report);
    assert.deepEqual(r.sizes, ['640x360', '320x240'], report);
    assert.equal(r.lastShown?.seq, 105, report);
  });

  it('MSE (not a secure context): plays live, the playhead advancing with a short buffer', async () => {
    const r = (await mseRuns).live;
    const report = JSON.stringify(r);
    assert.deepEqual(r.failures, [], report);
    assert.equal(r.acked, 60, `every unit acked once appended: ${report}`);
    assert.ok(r.shown > 0, `pictures shown: ${report}`);
    assert.deepEqual(r.sizes, ['640x360']);
    const times = r.times.filter((t) => t > 0);
    assert.ok(times.length > 2 && times.at(-1)! > times[0]!, `currentTime advances: ${report}`);
    // 2 s of video went in; what is kept is at most the trimming bound, ending near the playhead.
    const last = r.buffered.at(-1)!;
    assert.ok(last[1]! - r.times.at(-1)! < 1, `the playhead stays near the live edge: ${report}`);
  });

  it('MSE: a gap in time (an outage, then a keyframe at another size) is jumped over', async () => {
    const r = (await mseRuns).gap;
    const report = JSON.stringify(r);
    assert.deepEqual(r.failures, [], report);
    assert.equal(r.acked, r.pushed, report);
    assert.ok(r.jumps >= 1, `the playhead jumped: ${report}`);
    assert.ok(r.times.at(-1)! > 4, `playing after the gap: ${report}`);
    assert.ok(r.sizes.includes('320x240'), `the new size shows: ${report}`);
    const last = r.buffered.at(-1)!;
    assert.ok(last[1]! - r.times.at(-1)! < 1, `near the live edge: ${report}`);
  });

  it('MSE: a long stream keeps a short buffer (what is behind the playhead is removed)', async () => {
    const r = (await mseRuns).long;
    const report = JSON.stringify(r);
    assert.deepEqual(r.failures, [], report);
    const span = r.buffered.reduce((sum, [start, end]) => sum + end! - start!, 0);
    assert.ok(span < 3.5, `buffered ${span.toFixed(2)} s of ${(r.pushed * 0.025).toFixed(2)} s fed: ${report}`);
  });
});
