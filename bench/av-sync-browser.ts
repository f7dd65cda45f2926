/**
 * A/V offset in Chromium on both paths: GStreamer's RTSP camera in its `--sync` variant (25 fps; a 3-frame
 * white flash and a 10 ms beep at the same instant on its clock, AAC), served by camrelay and played by
 * <camrelay-player> unmuted in headless Chromium, once with `path="webcodecs"` and once with `path="mse"`.
 * Pictures and beeps are put on performance.now()'s clock in the page:
 * - WebCodecs: each picture the player draws (its canvas' drawImage) is sampled for brightness; each sound
 *   buffer it schedules (AudioBufferSourceNode.start) is searched for the beep's onset, its context time
 *   mapped with getOutputTimestamp, plus outputLatency.
 * - MSE: each picture the <video> presents (requestVideoFrameCallback, its expectedDisplayTime) is sampled
 *   for brightness; the element's sound is routed through an AudioContext (createMediaElementSource) and an
 *   AudioWorklet finds each beep's first loud sample in the rendered stream (its frame → context time →
 *   performance.now(), plus outputLatency).
 * Every dark→bright picture is paired with the nearest beep: offset = beep minus picture (positive: sound
 * late); flashes come once a second, so an offset is known modulo 1 s (paired within ±500 ms). Also: how
 * much later than the video the audio reaches the page for the same media instant (arrival minus pts), and
 * the player's mean capture-to-display latency. Runs of 2 minutes or more also give the first and the last
 * minute's medians (drift).
 *
 *   npx tsx bench/av-sync-browser.ts [seconds per path, default 20] [webcodecs|mse ...]
 *   npx tsx bench/av-sync-browser.ts 600 webcodecs    # drift: 10 minutes on one path (not in npm run bench)
 *   AV_AUDIO=pcma npx tsx bench/av-sync-browser.ts    # the camera's sound in G.711 A-law
 */
import type { Page } from 'playwright-core';
import { launchBrowser } from '../test/web/browser.js';
import { startRtspCamera, startServer } from '../test/support/index.js';

const seconds = Number(process.argv[2] ?? 20);
const paths = process.argv.slice(3).length ? process.argv.slice(3) : ['webcodecs', 'mse'];

/** The AudioWorklet that finds each beep's first loud sample in the <video>'s rendered sound (MSE). */
const WORKLET = `registerProcessor('onset', class extends AudioWorkletProcessor {
    quiet = Infinity;
    process(inputs, outputs) {
      const input = inputs[0] || [];
      for (let c = 0; c < outputs[0].length && c < input.length; c++) outputs[0][c].set(input[c]);
      const ch = input[0];
      if (ch) for (let i = 0; i < ch.length; i++) {
        if (Math.abs(ch[i]) > 0.2) { if (this.quiet > sampleRate * 0.3) this.port.postMessage(currentFrame + i); this.quiet = 0; }
        else this.quiet++;
      }
      return true;
    }
  });`;

/** Hooks the canvas and the audio scheduling (a string: the page must not see the runner's transforms). */
const HOOKS = `
  globalThis.avLog = { flashes: [], beeps: [], bright: false, arrivals: { video: [], audio: [] } };
  const log = globalThis.avLog;
  // Arrival on the wire, minus the media time: how late each kind comes for the same instant.
  const Socket = WebSocket;
  globalThis.WebSocket = class extends Socket {
    constructor(url) {
      super(url);
      this.addEventListener('message', (e) => {
        if (typeof e.data === 'string' || e.data.byteLength < 24) return;
        const v = new DataView(e.data);
        const kind = v.getUint8(1) === 4 ? 'audio' : 'video';
        log.arrivals[kind].push(performance.now() - v.getUint32(16) / 90);
      });
    }
  };
  const probe = new OffscreenCanvas(8, 8).getContext('2d', { willReadFrequently: true });
  const draw = CanvasRenderingContext2D.prototype.drawImage;
  CanvasRenderingContext2D.prototype.drawImage = function (image, ...rest) {
    draw.call(this, image, ...rest);
    if (typeof VideoFrame !== 'undefined' && image instanceof VideoFrame || image instanceof ImageBitmap) {
      probe.drawImage(image, 0, 0, 8, 8);
      const px = probe.getImageData(0, 0, 8, 8).data;
      let sum = 0;
      for (let i = 0; i < px.length; i += 4) sum += px[i];
      const bright = sum / 64 > 128;
      if (bright && !log.bright) log.flashes.push(performance.now());
      log.bright = bright;
    }
  };
  const start = AudioBufferSourceNode.prototype.start;
  AudioBufferSourceNode.prototype.start = function (when = 0, offset = 0, ...rest) {
    const ctx = this.context;
    const data = this.buffer ? this.buffer.getChannelData(0) : new Float32Array();
    let onset = -1;
    for (let i = 0; i < data.length; i++) if (Math.abs(data[i]) > 0.2) { onset = i; break; }
    if (onset >= 0) {
      const stamp = ctx.getOutputTimestamp();
      const at = when + onset / this.buffer.sampleRate - offset;
      const t = stamp.performanceTime + (at - stamp.contextTime) * 1000 + (ctx.outputLatency || 0) * 1000;
      const last = log.beeps[log.beeps.length - 1];
      if (last === undefined || t - last > 300) log.beeps.push(t);
    }
    return start.call(this, when, offset, ...rest);
  };
  // MSE: the <video>'s pictures and its rendered sound.
  globalThis.avWatchMse = async (video) => {
    const ctx = new AudioContext();
    await ctx.audioWorklet.addModule(URL.createObjectURL(new Blob([globalThis.avWorklet], { type: 'text/javascript' })));
    const node = new AudioWorkletNode(ctx, 'onset');
    ctx.createMediaElementSource(video).connect(node).connect(ctx.destination);
    node.port.onmessage = (e) => {
      const stamp = ctx.getOutputTimestamp();
      log.beeps.push(stamp.performanceTime + (e.data / ctx.sampleRate - stamp.contextTime) * 1000 + (ctx.outputLatency || 0) * 1000);
    };
    const onFrame = (_now, meta) => {
      probe.drawImage(video, 0, 0, 8, 8);
      const px = probe.getImageData(0, 0, 8, 8).data;
      let sum = 0;
      for (let i = 0; i < px.length; i += 4) sum += px[i];
      const bright = sum / 64 > 128;
      if (bright && !log.bright) log.flashes.push(meta.expectedDisplayTime);
      log.bright = bright;
      video.requestVideoFrameCallback(onFrame);
    };
    video.requestVideoFrameCallback(onFrame);
  };
`;

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s.length ? s[Math.floor(s.length / 2)]! : NaN;
}

interface Log {
  flashes: number[];
  beeps: number[];
  arrivals: { video: number[]; audio: number[] };
}

function offsetsOf(log: Log): { at: number; offset: number }[] {
  const out: { at: number; offset: number }[] = [];
  for (const flash of log.flashes.slice(2)) {
    let best = Infinity;
    for (const beep of log.beeps) if (Math.abs(beep - flash) < Math.abs(best)) best = beep - flash;
    if (Math.abs(best) <= 500) out.push({ at: flash, offset: best });
  }
  return out;
}

/** The player's mean capture-to-display latency now (ms). */
function latencyOf(page: Page, player: string): Promise<number | null> {
  return page.evaluate(
    (p) => (document.querySelector(p) as unknown as { stats: { latencyMs: number | null } }).stats.latencyMs,
    player,
  );
}

// AV_AUDIO=pcma: the camera's sound in G.711 A-law (FLAC in the MSE path) instead of AAC.
const audio = process.env.AV_AUDIO === 'pcma' ? 'pcma' : 'aac';
const cam = await startRtspCamera({ width: 320, height: 240, fps: 25, keyint: 25, audio, sync: true });
const server = await startServer([`sync=${cam.url}`]);
const browser = await launchBrowser(['--autoplay-policy=no-user-gesture-required']);
try {
  for (const path of paths) {
    // bypassCSP: the page's policy allows scripts of its origin only, and the worklet is a blob.
    const context = await browser.newContext({ bypassCSP: true, viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    await page.addInitScript(`globalThis.avWorklet = ${JSON.stringify(WORKLET)};`);
    await page.addInitScript(HOOKS);
    await page.goto(`${server.url}/#/camera/sync`);
    const player = '.stage camrelay-player';
    await page.waitForSelector(player);
    await page.evaluate(([p, path]) => document.querySelector(p!)!.setAttribute('path', path!), [player, path]);
    if (path === 'mse')
      await page.evaluate(async (p) => {
        const video = document.querySelector(p)!.shadowRoot!.querySelector('video')!;
        await (globalThis as unknown as { avWatchMse(v: HTMLVideoElement): Promise<void> }).avWatchMse(video);
      }, player);
    // The picture's latency muted first (as the grid plays), then with sound.
    await new Promise((r) => setTimeout(r, 4000));
    const mutedLatencyMs = await latencyOf(page, player);
    await page.click('button[title="Sound"]');
    await new Promise((r) => setTimeout(r, seconds * 1000));
    const log = await page.evaluate(() => (globalThis as unknown as { avLog: Log }).avLog);
    const latencyMs = await latencyOf(page, player);
    await context.close();
    const pairs = offsetsOf(log);
    const offsets = pairs.map((p) => p.offset);
    const half = Math.floor(offsets.length / 2);
    const t0 = pairs[0]?.at ?? 0;
    const tEnd = pairs.at(-1)?.at ?? 0;
    const minute =
      seconds >= 120
        ? {
            firstMinuteMedianMs: Math.round(median(pairs.filter((p) => p.at - t0 < 60_000).map((p) => p.offset))),
            lastMinuteMedianMs: Math.round(median(pairs.filter((p) => tEnd - p.at < 60_000).map((p) => p.offset))),
          }
        : {};
    console.log(
      JSON.stringify({
        path,
        audio,
        seconds,
        flashes: log.flashes.length,
        beeps: log.beeps.length,
        paired: offsets.length,
        medianOffsetMs: Math.round(median(offsets)),
        target: Math.abs(median(offsets)) <= 80 ? 'ok (|median| ≤ 80 ms)' : 'MISSED (|median| ≤ 80 ms)',
        firstHalfMedianMs: Math.round(median(offsets.slice(0, half))),
        secondHalfMedianMs: Math.round(median(offsets.slice(half))),
        ...minute,
        minMs: Math.round(Math.min(...offsets)),
        maxMs: Math.round(Math.max(...offsets)),
        audioArrivesLaterMs: Math.round(median(log.arrivals.audio) - median(log.arrivals.video)),
        mutedLatencyMs,
        latencyMs,
      }),
    );
  }
} finally {
  await browser.close();
  await server.close();
  await cam.stop();
}
