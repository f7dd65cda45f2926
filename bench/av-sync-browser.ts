/**
 * A/V offset in Chromium, WebCodecs path: GStreamer's RTSP camera in its `--sync` variant (the picture
 * turns white and a 10 ms beep sounds at the same instant on its clock, AAC), served by camrelay and
 * played by <camrelay-player> unmuted in headless Chromium. In the page, each picture the player draws
 * (its canvas' drawImage) is sampled for brightness and each sound buffer it schedules
 * (AudioBufferSourceNode.start) is searched for the beep's onset; both are put on performance.now()'s
 * clock (the AudioContext's output timestamp maps its clock). Every dark→bright picture is paired with
 * the nearest beep: offset = beep minus picture (positive: sound late). The flashes come once a second,
 * so an offset is known modulo 1 s (paired within ±500 ms). Also: how much later than the video the audio
 * reaches the page for the same media instant (its arrival minus its pts, against the video's). The MSE
 * path is not measured (its <audio> gives no per-sample timing to hook).
 *
 *   npx tsx bench/av-sync-browser.ts [seconds]
 */
import { launchBrowser, openPage } from '../test/web/browser.js';
import { startRtspCamera, startServer } from '../test/support/index.js';

const seconds = Number(process.argv[2] ?? 40);

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
`;

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s.length ? s[Math.floor(s.length / 2)]! : NaN;
}

const cam = await startRtspCamera({ width: 320, height: 240, fps: 25, keyint: 25, audio: 'aac', sync: true });
const server = await startServer([`sync=${cam.url}`]);
const browser = await launchBrowser(['--autoplay-policy=no-user-gesture-required']);
try {
  const { context, page } = await openPage(browser, 'about:blank');
  await page.addInitScript(HOOKS);
  await page.goto(`${server.url}/#/camera/sync`);
  await page.waitForSelector('.stage camrelay-player');
  await page.evaluate(() => document.querySelector('.stage camrelay-player')!.setAttribute('path', 'webcodecs'));
  await page.click('button[title="Sound"]');
  await new Promise((r) => setTimeout(r, seconds * 1000));
  const log = await page.evaluate(
    () =>
      (
        globalThis as unknown as {
          avLog: { flashes: number[]; beeps: number[]; arrivals: { video: number[]; audio: number[] } };
        }
      ).avLog,
  );
  await context.close();
  const offsets: number[] = [];
  for (const flash of log.flashes.slice(2)) {
    let best = Infinity;
    for (const beep of log.beeps) if (Math.abs(beep - flash) < Math.abs(best)) best = beep - flash;
    if (Math.abs(best) <= 500) offsets.push(best);
  }
  const half = Math.floor(offsets.length / 2);
  console.log(
    JSON.stringify({
      path: 'webcodecs',
      seconds,
      flashes: log.flashes.length,
      beeps: log.beeps.length,
      paired: offsets.length,
      medianOffsetMs: Math.round(median(offsets)),
      firstHalfMedianMs: Math.round(median(offsets.slice(0, half))),
      secondHalfMedianMs: Math.round(median(offsets.slice(half))),
      minMs: Math.round(Math.min(...offsets)),
      maxMs: Math.round(Math.max(...offsets)),
      audioArrivesLaterMs: Math.round(median(log.arrivals.audio) - median(log.arrivals.video)),
    }),
  );
} finally {
  await browser.close();
  await server.close();
  await cam.stop();
}
