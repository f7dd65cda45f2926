/**
 * What the browser makes of it: the fMP4 segments played by Chromium's Media
 * Source Extensions, and the access units decoded by its WebCodecs
 * VideoDecoder with our avcC as the description. The page's code is a string,
 * so this file needs no DOM types.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import type { AccessUnit } from '../../../src/codec/h264/access-units.js';
import { toAvc } from '../../../src/codec/h264/nal.js';
import { initSegment, mediaSegment, mimeType } from '../../../src/codec/mp4/fmp4.js';
import { requireInCi, skipOutsideCi } from '../../support/ci.js';
import { CHROMIUM, launchBrowser } from '../../web/browser.js';
import { encodedTrack, type EncodeOptions } from '../fixtures.js';

const MISSING = existsSync(CHROMIUM) ? undefined : `no chromium at ${CHROMIUM}`;
const TIMESCALE = 90000;
const FRAME = 3000;

interface Prepared {
  mime: string;
  codec: string;
  width: number;
  height: number;
  avcC: Uint8Array;
  init: Uint8Array;
  segments: Uint8Array[];
  aus: AccessUnit[];
}

function prepare(options: EncodeOptions): Prepared {
  const { aus, avcC, codec, width, height } = encodedTrack(options);
  return {
    mime: mimeType(avcC),
    codec,
    width,
    height,
    avcC,
    init: initSegment({ width, height, avcC, timescale: TIMESCALE }),
    segments: aus.map((au, i) =>
      mediaSegment({
        sequenceNumber: i + 1,
        baseDecodeTime: i * FRAME,
        samples: [{ data: toAvc(au.nalus), duration: FRAME, keyframe: au.keyframe }],
      }),
    ),
    aus,
  };
}

/** Serves the prepared bytes on loopback (a secure context: WebCodecs needs one). */
function serve(prepared: Map<string, Prepared>): Promise<Server> {
  const server = createServer((req, res) => {
    const [, name, what, index] = (req.url ?? '').split('/');
    const p = name ? prepared.get(name) : undefined;
    let body: Uint8Array | string | undefined;
    if (!name) body = '<!doctype html><title>codec</title>';
    else if (p && what === 'init') body = p.init;
    else if (p && what === 'avcc') body = p.avcC;
    else if (p && what === 'segment') body = p.segments[Number(index)];
    else if (p && what === 'au') body = toAvc(p.aus[Number(index)]!.nalus);
    if (body === undefined) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': typeof body === 'string' ? 'text/html' : 'application/octet-stream' });
    res.end(body);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

const CASES: Record<string, EncodeOptions> = {
  high: { width: 642, height: 362, profile: 'high', aud: true },
  baseline: { width: 320, height: 240, profile: 'baseline' },
};

describe('in Chromium', { skip: skipOutsideCi(MISSING) }, () => {
  let browser: Browser;
  let server: Server;
  let page: Page;
  const prepared = new Map(Object.entries(CASES).map(([name, options]) => [name, prepare(options)]));

  before(async () => {
    requireInCi(MISSING);
    server = await serve(prepared);
    browser = await launchBrowser();
    page = await browser.newPage();
    await page.goto(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
  });
  after(async () => {
    await browser?.close();
    server?.closeAllConnections();
    await new Promise((resolve) => server?.close(resolve));
  });

  for (const name of Object.keys(CASES)) {
    it(`${name}: MSE buffers all 60 frames and shows the picture`, async () => {
      const p = prepared.get(name)!;
      const result = (await page.evaluate(`(async () => {
        const mime = ${JSON.stringify(p.mime)};
        if (!MediaSource.isTypeSupported(mime)) return { error: 'unsupported ' + mime };
        const get = async (path) => new Uint8Array(await (await fetch('/${name}/' + path)).arrayBuffer());
        const video = document.createElement('video');
        video.muted = true;
        document.body.append(video);
        const source = new MediaSource();
        video.src = URL.createObjectURL(source);
        const within = (promise, what) => Promise.race([
          promise,
          new Promise((_, reject) => setTimeout(() => reject(new Error('timed out: ' + what)), 30000)),
        ]);
        await within(new Promise((resolve) => source.addEventListener('sourceopen', resolve, { once: true })), 'sourceopen');
        const buffer = source.addSourceBuffer(mime);
        const append = (bytes) => within(new Promise((resolve, reject) => {
          buffer.addEventListener('updateend', resolve, { once: true });
          buffer.addEventListener('error', () => reject(new Error('SourceBuffer error')), { once: true });
          buffer.appendBuffer(bytes);
        }), 'append');
        try {
          await append(await get('init'));
          for (let i = 0; i < ${p.segments.length}; i++) await append(await get('segment/' + i));
          source.endOfStream();
        } catch (e) {
          return { error: String(e), mediaError: video.error && video.error.message };
        }
        const ranges = [];
        for (let i = 0; i < buffer.buffered.length; i++) ranges.push([buffer.buffered.start(i), buffer.buffered.end(i)]);
        video.currentTime = 1.5;
        try {
          await within(new Promise((resolve) => video.addEventListener('seeked', resolve, { once: true })), 'seeked');
        } catch (e) {
          return { error: String(e), mediaError: video.error && video.error.message };
        }
        return { ranges, width: video.videoWidth, height: video.videoHeight, mediaError: video.error && video.error.message };
      })()`)) as { error?: string; mediaError?: string | null; ranges?: number[][]; width?: number; height?: number };
      assert.equal(result.error, undefined, `${result.error} ${result.mediaError ?? ''}`);
      assert.equal(result.mediaError, null);
      assert.equal(result.ranges!.length, 1, JSON.stringify(result.ranges));
      assert.ok(Math.abs(result.ranges![0]![0]!) < 0.001, JSON.stringify(result.ranges));
      assert.ok(Math.abs(result.ranges![0]![1]! - 2) < 0.001, JSON.stringify(result.ranges));
      assert.equal(result.width, p.width);
      assert.equal(result.height, p.height);
    });

    it(`${name}: WebCodecs decodes every access unit with our avcC`, async () => {
      const p = prepared.get(name)!;
      const result = (await page.evaluate(`(async () => {
        if (typeof VideoDecoder === 'undefined') return { error: 'no VideoDecoder (isSecureContext ' + isSecureContext + ')' };
        const get = async (path) => new Uint8Array(await (await fetch('/${name}/' + path)).arrayBuffer());
        const config = { codec: ${JSON.stringify(p.codec)}, description: await get('avcc'), codedWidth: ${p.width}, codedHeight: ${p.height} };
        const support = await VideoDecoder.isConfigSupported(config);
        if (!support.supported) return { error: 'unsupported ' + JSON.stringify(config.codec) };
        const frames = [];
        let failure;
        const decoder = new VideoDecoder({
          output: (frame) => { frames.push([frame.displayWidth, frame.displayHeight, frame.timestamp]); frame.close(); },
          error: (e) => { failure = String(e); },
        });
        decoder.configure(config);
        const keys = ${JSON.stringify(p.aus.map((au) => au.keyframe))};
        for (let i = 0; i < keys.length; i++) {
          decoder.decode(new EncodedVideoChunk({ type: keys[i] ? 'key' : 'delta', timestamp: i * 33333, data: await get('au/' + i) }));
        }
        try { await decoder.flush(); } catch (e) { failure = failure || String(e); }
        return { frames, failure };
      })()`)) as { error?: string; failure?: string; frames?: number[][] };
      assert.equal(result.error, undefined, result.error);
      assert.equal(result.failure, undefined, result.failure);
      assert.equal(result.frames!.length, 60);
      assert.ok(
        result.frames!.every(([w, h]) => w === p.width && h === p.height),
        JSON.stringify(result.frames![0]),
      );
    });
  }
});
