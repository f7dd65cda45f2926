/**
 * Audio in the viewer protocol and in <camrelay-player>, with real parts: a GStreamer RTSP camera sending
 * H.264 and AAC, one server, headless Chromium. A client that asks (`?audio=1`) gets an `audio-config` and
 * audio units (codec byte 4, pts on the video's 90 kHz clock); one that does not (every older client) gets
 * none. In the page, the single view's Sound button unmutes the player, and the sound actually decodes on
 * both paths: AudioDecoder outputs beside WebCodecs, decoded bytes beside MSE, where the sound is a second
 * SourceBuffer in the video's own MediaSource (the <video> decodes it, no other media element exists); the
 * same for a camera sending G.711 A-law (repacked as FLAC for MSE).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { WebSocket } from 'ws';
import { decodeAudioHeader } from '../../src/wire/audio-message.js';
import { CODEC_AUDIO, CODEC_H264 } from '../../src/wire/constants.js';
import { decodeHeader } from '../../src/wire/header.js';
import {
  requireInCi,
  rtspCameraMissing,
  skipOutsideCi,
  startRtspCamera,
  startServer,
  waitFor,
  type RtspCamera,
  type TestServer,
} from '../support/index.js';
import { launchBrowser, openPage } from './browser.js';

const missing = rtspCameraMissing('h264', 'aac');
const skip = skipOutsideCi(missing);

interface Heard {
  texts: { type: string; [key: string]: unknown }[];
  video: { dts: number }[];
  audio: { pts: number; samples: number; bytes: number }[];
}

/** A protocol client for `ms` after its first video unit; acks every video unit, never an audio one. */
async function listen(url: string, ms: number): Promise<Heard> {
  const heard: Heard = { texts: [], video: [], audio: [] };
  const socket = new WebSocket(url);
  await new Promise<void>((resolve, reject) => {
    let timer: NodeJS.Timeout | undefined;
    socket.on('error', reject);
    socket.on('close', () => resolve());
    socket.on('message', (data: Buffer, binary) => {
      if (!binary) return void heard.texts.push(JSON.parse(data.toString()) as Heard['texts'][number]);
      if (data[1] === CODEC_AUDIO) {
        const h = decodeAudioHeader(data)!;
        heard.audio.push({ pts: h.pts, samples: h.samples, bytes: data.length - h.headerLength });
        return;
      }
      const h = decodeHeader(data);
      assert.equal(h.codec, CODEC_H264);
      heard.video.push({ dts: h.dts! });
      socket.send(JSON.stringify({ type: 'ack', seq: h.seq }));
      timer ??= setTimeout(() => socket.close(), ms);
    });
  });
  return heard;
}

async function decodedAudio(page: Page): Promise<number> {
  return page.evaluate(
    () => (document.querySelector('.stage camrelay-player') as unknown as { audioDecoded: number }).audioDecoded,
  );
}

/** Waits until the page's player has decoded at least `least` (outputs or bytes, by path). */
function decodedAtLeast(page: Page, least: number, what: string): Promise<number> {
  return waitFor(async () => ((await decodedAudio(page)) >= least ? decodedAudio(page) : undefined), 10_000, what);
}

describe('audio to viewers and in <camrelay-player>', { skip }, () => {
  let cam: RtspCamera;
  let pcma: RtspCamera;
  let server: TestServer;
  let browser: Browser;

  before(async () => {
    requireInCi(missing);
    cam = await startRtspCamera({ width: 160, height: 120, fps: 15, keyint: 15, audio: 'aac' });
    pcma = await startRtspCamera({ width: 160, height: 120, fps: 15, keyint: 15, audio: 'pcma' });
    server = await startServer([`cam=${cam.url}`, `alaw=${pcma.url}`]);
    browser = await launchBrowser(['--autoplay-policy=no-user-gesture-required']);
  });

  after(async () => {
    await browser?.close();
    await server?.close();
    await cam?.stop();
    await pcma?.stop();
  });

  it('sends audio to a client that asks, and none to one that does not', async () => {
    const ws = server.url.replace(/^http/, 'ws') + '/api/cameras/cam/ws?codec=h264';
    const asked = await listen(`${ws}&audio=1`, 1500);
    const config = asked.texts.find((t) => t.type === 'audio-config');
    assert.ok(config, JSON.stringify(asked.texts));
    assert.equal(config.codec, 'mp4a.40.2');
    assert.equal(config.sampleRate, 16000);
    assert.equal(config.channels, 1);
    assert.ok(typeof config.description === 'string' && config.description.length > 0);
    assert.ok(asked.audio.length >= 10, `${asked.audio.length} audio units in 1.5 s`);
    for (const a of asked.audio) assert.equal(a.samples, 1024);
    // pts in 90 kHz: 1024 samples at 16 kHz are 5760 ticks apart.
    const steps = asked.audio.slice(1).map((a, i) => a.pts - asked.audio[i]!.pts);
    assert.ok(steps.filter((s) => s === 5760).length >= steps.length / 2, steps.join(' '));
    // On the video's timeline: the audio's pts lie within a second of the video's dts.
    const lastVideo = asked.video.at(-1)!.dts;
    assert.ok(Math.abs(asked.audio.at(-1)!.pts - lastVideo) < 90_000, `${asked.audio.at(-1)!.pts} vs ${lastVideo}`);

    const old = await listen(ws, 1500);
    assert.ok(old.video.length >= 10);
    assert.equal(old.audio.length, 0);
    assert.deepEqual(
      old.texts.filter((t) => t.type === 'audio-config'),
      [],
    );
  });

  it('decodes the sound on the WebCodecs and the MSE path once unmuted', async () => {
    const { context, page } = await openPage(browser, `${server.url}/#/camera/cam`);
    try {
      const player = '.stage camrelay-player';
      await page.waitForSelector(player);
      assert.equal(await page.evaluate((p) => document.querySelector(p)!.hasAttribute('muted'), player), true);
      assert.equal(await decodedAudio(page), 0);
      await page.evaluate((p) => document.querySelector(p)!.setAttribute('path', 'webcodecs'), player);
      await page.click('button[title="Sound"]');
      const outputs = await waitFor(
        async () => ((await decodedAudio(page)) >= 20 ? decodedAudio(page) : undefined),
        10_000,
        'AudioDecoder outputs',
      );
      assert.ok(outputs >= 20);

      await page.evaluate((p) => document.querySelector(p)!.setAttribute('path', 'mse'), player);
      const bytes = await waitFor(
        async () => ((await decodedAudio(page)) >= 4000 ? decodedAudio(page) : undefined),
        10_000,
        'MSE decoded audio bytes',
      );
      assert.ok(bytes >= 4000);
      const errors = await page.evaluate(
        (p) => (document.querySelector(p) as unknown as { stats: { errors: number } }).stats.errors,
        player,
      );
      assert.equal(errors, 0);
    } finally {
      await context.close();
    }
  });

  it('decodes MSE sound in the <video> itself: one MediaSource, one clock, the pictures going on', async () => {
    const { context, page } = await openPage(browser, 'about:blank');
    try {
      // Counts the <audio> elements the page makes: one of its own would play on its own clock.
      await page.addInitScript(`
        globalThis.audioElements = 0;
        const make = document.createElement.bind(document);
        document.createElement = (name, options) => {
          if (String(name).toLowerCase() === 'audio') globalThis.audioElements++;
          return make(name, options);
        };
      `);
      await page.goto(`${server.url}/#/camera/cam`);
      const player = '.stage camrelay-player';
      await page.waitForSelector(player);
      await page.evaluate((p) => document.querySelector(p)!.setAttribute('path', 'mse'), player);
      await page.click('button[title="Sound"]');
      await decodedAtLeast(page, 4000, 'MSE decoded audio bytes');
      const media = () =>
        page.evaluate((p) => {
          const host = document.querySelector(p)!;
          const video = host.shadowRoot!.querySelector('video') as HTMLVideoElement & {
            webkitAudioDecodedByteCount: number;
          };
          const elements = (globalThis as unknown as { audioElements: number }).audioElements;
          return {
            audioBytes: video.webkitAudioDecodedByteCount,
            time: video.currentTime,
            muted: video.muted,
            elements,
          };
        }, player);
      const first = await media();
      assert.ok(first.audioBytes >= 4000, `the <video> decoded ${first.audioBytes} bytes of sound`);
      assert.equal(first.muted, false);
      assert.equal(first.elements, 0, 'no other media element plays the sound');
      // Sound and pictures go on together.
      const later = await waitFor(
        async () => {
          const m = await media();
          return m.audioBytes > first.audioBytes && m.time > first.time + 0.5 ? m : undefined;
        },
        10_000,
        'the <video> playing on with its sound',
      );
      assert.ok(later.time > first.time);
    } finally {
      await context.close();
    }
  });

  it('MSE: when the sound stops, the video goes on alone (never stalled by it), and the sound comes back with its units', async () => {
    const { context, page } = await openPage(browser, 'about:blank');
    try {
      // The page's socket stops handing audio messages to the player once `dropAudio` is set.
      await page.addInitScript(`
        globalThis.dropAudio = false;
        const Socket = WebSocket;
        const audio = (e) => globalThis.dropAudio && typeof e.data !== 'string' && new DataView(e.data).getUint8(1) === 4;
        globalThis.WebSocket = class extends Socket {
          set onmessage(f) { super.onmessage = (e) => { if (!audio(e)) f(e); }; }
          addEventListener(type, f, o) {
            if (type !== 'message') return super.addEventListener(type, f, o);
            return super.addEventListener(type, (e) => { if (!audio(e)) f(e); }, o);
          }
        };
      `);
      await page.goto(`${server.url}/#/camera/cam`);
      const player = '.stage camrelay-player';
      await page.waitForSelector(player);
      await page.evaluate((p) => document.querySelector(p)!.setAttribute('path', 'mse'), player);
      await page.click('button[title="Sound"]');
      await decodedAtLeast(page, 2000, 'MSE decoded audio bytes');
      await page.evaluate(() => ((globalThis as unknown as { dropAudio: boolean }).dropAudio = true));
      const video = () =>
        page.evaluate((p) => {
          const v = document.querySelector(p)!.shadowRoot!.querySelector('video')!;
          return { muted: v.muted, time: v.currentTime };
        }, player);
      // The sound is dropped (the <video> muted, on a MediaSource of pictures alone)…
      const alone = await waitFor(async () => ((await video()).muted ? video() : undefined), 8000, 'the sound dropped');
      // …and the pictures play on.
      await waitFor(
        async () => ((await video()).time > alone.time + 1 ? true : undefined),
        8000,
        'the <video> playing on without sound',
      );
      // Units flowing again bring the sound back (2 s of them, 5 s after it was dropped at the earliest).
      const before = await decodedAudio(page);
      await page.evaluate(() => ((globalThis as unknown as { dropAudio: boolean }).dropAudio = false));
      await waitFor(
        async () => (!(await video()).muted && (await decodedAudio(page)) > before + 2000 ? true : undefined),
        15_000,
        'the sound back in the <video>',
      );
      const errors = await page.evaluate(
        (p) => (document.querySelector(p) as unknown as { stats: { errors: number } }).stats.errors,
        player,
      );
      assert.equal(errors, 0);
    } finally {
      await context.close();
    }
  });

  it('plays G.711 A-law: AudioDecoder beside WebCodecs, repacked as FLAC beside MSE', async () => {
    const { context, page } = await openPage(browser, `${server.url}/#/camera/alaw`);
    try {
      const player = '.stage camrelay-player';
      await page.waitForSelector(player);
      await page.evaluate((p) => document.querySelector(p)!.setAttribute('path', 'webcodecs'), player);
      await page.click('button[title="Sound"]');
      assert.ok((await decodedAtLeast(page, 20, 'G.711 AudioDecoder outputs')) >= 20);
      await page.evaluate((p) => document.querySelector(p)!.setAttribute('path', 'mse'), player);
      assert.ok((await decodedAtLeast(page, 4000, 'G.711 as FLAC, MSE decoded bytes')) >= 4000);
    } finally {
      await context.close();
    }
  });
});
