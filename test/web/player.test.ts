/**
 * <camrelay-player> in a real browser, judged by what it measured itself
 * (player.stats): frame rate and latency, playing from another origin, the
 * MJPEG fallback, pausing off-screen, reconnecting, and a camera that fails
 * and comes back.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import type { PlayerStats } from '../../web/src/player/types.js';
import { ffmpegChildren, findFfmpegFor, startServer, waitFor, type TestServer } from '../support/index.js';
import {
  allowOriginsConfig,
  launchBrowser,
  openPage,
  playerStats,
  serveHtml,
  waitForMovingPicture,
  type OtherOrigin,
} from './browser.js';

/** The clock offset the player may estimate on loopback, where the true offset is 0. */
const LOOPBACK_OFFSET_BOUND_MS = 100;
/** The player sends at most this many `frame` events a second (element.ts). */
const FRAME_EVENTS_PER_SECOND = 4;
/** How long the embedding page counts `frame` events. */
const EVENT_WINDOW_MS = 2000;

/** A page of another origin that loads /player.js from `server` and shows one player. */
function embedPage(
  server: string,
  attributes: string,
  { before = '', style = 'width: 640px; height: 360px' } = {},
): string {
  return `<!doctype html><html><head><meta charset="utf-8"><title>embed</title></head><body>
${before}
<script type="module" src="${server}/player.js"></script>
<camrelay-player id="p" src="${server}" ${attributes} style="${style}"></camrelay-player>
</body></html>`;
}

function waitStats(
  page: Page,
  check: (s: PlayerStats) => boolean,
  timeoutMs: number,
  what: string,
  selector = 'camrelay-player',
): Promise<PlayerStats> {
  return waitFor(
    async () => {
      const s = await playerStats(page, selector).catch(() => undefined);
      return s && check(s) ? s : undefined;
    },
    timeoutMs,
    what,
  );
}

/**
 * Skips the page's clock (installed before it loaded) past the player's reconnect delays, step by step,
 * until it turns to MJPEG; what follows runs at the real pace.
 */
function skipToMjpeg(page: Page): Promise<boolean> {
  return waitFor(
    async () => {
      const s = await playerStats(page).catch(() => undefined);
      if (s?.transport === 'mjpeg') return true;
      await page.clock.fastForward(250);
      return false;
    },
    20_000,
    'the player turning to MJPEG',
  );
}

describe('<camrelay-player>', () => {
  let server: TestServer;
  let browser: Browser;
  /** Another origin, allowed to open WebSockets to the server; each test sets its page. */
  let other: OtherOrigin;

  before(async () => {
    other = await serveHtml();
    server = await startServer(
      ['cam=testsrc', 'small=testsrc?size=320x240&fps=15'],
      allowOriginsConfig([other.origin]),
    );
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    await server?.close();
    await other?.close();
  });

  // Its speed (≥ 25 fps, < 100 ms capture-to-display) is a target of `npm run bench`, not a test:
  // here, frames arrive, the picture moves, and the player reports its rate and latency.
  it('plays a 30 fps camera in the single view, reporting its frame rate and capture-to-display latency', async () => {
    const { context, page } = await openPage(browser, `${server.url}/#/camera/cam`);
    try {
      const playing = (s: PlayerStats) => s.online && s.displayed >= 30 && s.clockOffsetMs !== null;
      const start = await waitStats(page, playing, 15_000, 'the camera playing');
      await waitForMovingPicture(page, '.stage camrelay-player', { shadow: true });
      const end = await waitStats(
        page,
        (s) => s.displayed >= start.displayed + 30 && s.fps !== null && s.latencyMs !== null,
        15_000,
        '30 more frames displayed, with the rate and latency measured',
      );
      const report = JSON.stringify({ start, end });
      assert.ok(end.seq !== null && start.seq !== null && end.seq > start.seq, `newer frames displayed: ${report}`);
      assert.ok(end.fps !== null && end.fps > 0, `the player reports its frame rate: ${report}`);
      assert.ok(end.latencyMs !== null && end.latencyMs > 0, `the player reports its latency: ${report}`);
      // On loopback the two clocks are one: the estimated offset is off by at most half a ping's
      // round trip, which a busy machine stretches to tens of ms; a wrong sign or unit would be seconds.
      assert.ok(
        Math.abs(end.clockOffsetMs ?? LOOPBACK_OFFSET_BOUND_MS) < LOOPBACK_OFFSET_BOUND_MS,
        `clock offset ${end.clockOffsetMs} ms`,
      );
      assert.equal(end.width, 1280);
      assert.equal(end.height, 720);
      assert.equal(end.transport, 'ws');
      assert.ok(end.decoded >= end.displayed && end.received >= end.decoded, 'received ≥ decoded ≥ displayed');
    } finally {
      await context.close();
    }
  });

  it('plays on a page of another origin, loading /player.js from the server', async () => {
    other.html = embedPage(server.url, 'camera="small" stats');
    const { context, page } = await openPage(browser, other.url);
    try {
      assert.notEqual(new URL(other.url).origin, new URL(server.url).origin);
      const s = await waitStats(page, (st) => st.online && st.displayed >= 10, 15_000, 'frames from the other origin');
      assert.equal(s.transport, 'ws');
      assert.equal(s.width, 320);
      await waitForMovingPicture(page, '#p', { shadow: true });
      // Events reach the embedding page: frame (throttled) with the measurements. Over the window the
      // page counts the events and the frames the player displayed: however few frames a busy machine
      // lets it show, the events never outnumber 4 a second, and with more frames than that they are fewer.
      const events = await page.evaluate(
        (windowMs) =>
          new Promise<{ count: number; displayed: number; detail: unknown }>((resolve) => {
            let count = 0;
            let detail: unknown;
            const player = document.getElementById('p') as HTMLElement & { stats: { displayed: number } };
            const displayedBefore = player.stats.displayed;
            player.addEventListener('frame', (e) => {
              count++;
              detail = (e as CustomEvent).detail;
            });
            setTimeout(() => resolve({ count, displayed: player.stats.displayed - displayedBefore, detail }), windowMs);
          }),
        EVENT_WINDOW_MS,
      );
      const most = (EVENT_WINDOW_MS / 1000) * FRAME_EVENTS_PER_SECOND + 1;
      const summary = `${events.count} frame events for ${events.displayed} frames in ${EVENT_WINDOW_MS} ms`;
      assert.ok(events.count >= 1 && events.count <= most, `${summary}: at most ${most}`);
      if (events.displayed > most) assert.ok(events.count < events.displayed, `${summary}: throttled`);
      assert.ok(
        typeof (events.detail as { fps: unknown }).fps === 'number' &&
          typeof (events.detail as { seq: unknown }).seq === 'number',
        JSON.stringify(events.detail),
      );
    } finally {
      await context.close();
    }
  });

  it('appends its token to the WebSocket, MJPEG and snapshot URLs', async () => {
    other.html = embedPage(server.url, 'camera="small" token="s3cr&t"');
    const { context, page } = await openPage(browser, 'about:blank');
    try {
      const sockets: string[] = [];
      page.on('websocket', (ws) => sockets.push(ws.url()));
      await page.goto(other.url);
      await waitStats(page, (s) => s.displayed >= 1, 15_000, 'a frame');
      // The token goes with whatever else the player asks (?codec=h264,jpeg&player=… where it decodes H.264).
      assert.ok(
        sockets.some((u) => {
          const url = new URL(u);
          return url.pathname === '/api/cameras/small/ws' && url.searchParams.get('token') === 's3cr&t';
        }),
        sockets.join(', '),
      );
      const snapshot = await page.evaluate(
        () => (document.getElementById('p') as unknown as { snapshotUrl: string }).snapshotUrl,
      );
      assert.equal(snapshot, `${server.url}/api/cameras/small/snapshot.jpg?token=s3cr%26t`);
      const requests: string[] = [];
      page.on('request', (r) => requests.push(r.url()));
      await page.evaluate(() => document.getElementById('p')!.setAttribute('transport', 'mjpeg'));
      await waitStats(page, (s) => s.transport === 'mjpeg' && s.online, 15_000, 'MJPEG');
      assert.ok(requests.includes(`${server.url}/api/cameras/small/stream.mjpeg?token=s3cr%26t`), requests.join(', '));
    } finally {
      await context.close();
    }
  });

  it('plays the MJPEG stream in an <img> with transport="mjpeg"', async () => {
    other.html = embedPage(server.url, 'camera="small" transport="mjpeg" stats');
    const { context, page } = await openPage(browser, other.url);
    try {
      const s = await waitStats(page, (st) => st.online, 15_000, 'the MJPEG stream');
      assert.equal(s.transport, 'mjpeg');
      assert.equal(s.width, 320);
      assert.equal(s.fps, null, 'an <img> does not tell frame times');
      const img = await page.evaluate(() => {
        const i = document.getElementById('p')!.shadowRoot!.querySelector('img')!;
        return { hidden: i.hidden, natural: i.naturalWidth, src: i.src };
      });
      assert.equal(img.hidden, false);
      assert.equal(img.natural, 320);
      assert.match(img.src, /\/api\/cameras\/small\/stream\.mjpeg$/);
    } finally {
      await context.close(); // before the server closes: an open MJPEG response would hold it
    }
  });

  it('falls back to MJPEG where there is no WebSocket', async () => {
    other.html = embedPage(server.url, 'camera="small"', { before: '<script>window.WebSocket = undefined;</script>' });
    const { context, page } = await openPage(browser, other.url);
    try {
      const s = await waitStats(page, (st) => st.online, 15_000, 'the fallback');
      assert.equal(s.transport, 'mjpeg');
    } finally {
      await context.close();
    }
  });

  it('falls back to MJPEG when WebSocket keeps failing', async () => {
    // A WebSocket that never connects, as behind a proxy that refuses upgrades.
    const failing = `<script>
      window.WebSocket = class extends EventTarget {
        static CONNECTING = 0; static OPEN = 1; static CLOSING = 2; static CLOSED = 3;
        readyState = 0; bufferedAmount = 0; binaryType = 'blob';
        onopen = null; onmessage = null; onerror = null; onclose = null;
        constructor(url) { super(); window.attempts = (window.attempts || 0) + 1;
          setTimeout(() => { this.readyState = 3; this.onerror?.(new Event('error')); this.onclose?.({ code: 1006, reason: '' }); }, 20); }
        send() {} close() {}
      };
    </script>`;
    other.html = embedPage(server.url, 'camera="small"', { before: failing });
    const { context, page } = await openPage(browser, 'about:blank');
    try {
      // The waits between attempts (0.5 s, 1 s, then 2 s before MJPEG) are skipped on the page's clock.
      await page.clock.install();
      const errors: string[] = [];
      await page.exposeFunction('reportError', (m: string) => errors.push(m));
      await page.goto(other.url);
      await page.evaluate(() =>
        document
          .getElementById('p')!
          .addEventListener('error', (e) =>
            (window as unknown as { reportError(m: string): void }).reportError(
              (e as unknown as CustomEvent<{ message: string }>).detail.message,
            ),
          ),
      );
      await skipToMjpeg(page);
      const s = await waitStats(page, (st) => st.online, 20_000, 'the fallback after failures');
      assert.equal(s.transport, 'mjpeg');
      const attempts = await page.evaluate(() => (window as unknown as { attempts: number }).attempts);
      assert.equal(attempts, 3, 'three WebSocket attempts first');
      assert.ok(
        errors.some((m) => /trying MJPEG/.test(m)),
        `an error event says so: ${errors.join(' | ')}`,
      );
    } finally {
      await context.close();
    }
  });

  it('falls back to MJPEG where the server refuses its WebSocket (an origin it does not allow)', async () => {
    const stranger = await serveHtml(embedPage(server.url, 'camera="small"'));
    const { context, page } = await openPage(browser, 'about:blank');
    try {
      // The waits between refused attempts are skipped on the page's clock.
      await page.clock.install();
      await page.goto(stranger.url);
      await skipToMjpeg(page);
      const s = await waitStats(
        page,
        (st) => st.online && st.transport === 'mjpeg',
        20_000,
        'MJPEG after refused upgrades',
      );
      assert.equal(s.width, 320);
    } finally {
      await context.close();
      await stranger.close();
    }
  });

  it('pauses while scrolled out of view or hidden, and resumes', async () => {
    other.html = embedPage(server.url, 'camera="small"', { before: '<div style="height: 3000px">scroll down</div>' });
    const { context, page } = await openPage(browser, other.url);
    // A witness: another page playing the same camera. While it receives 10 more frames, the paused player
    // must receive nothing (or what was in flight).
    const witness = await context.newPage();
    try {
      const witnessLoaded = witness.goto(`${server.url}/#/camera/small`);
      const cameraDelivers = async (what: string) => {
        await witnessLoaded;
        const from = await waitStats(witness, (s) => s.online, 15_000, 'the witness playing', '.stage camrelay-player');
        await waitStats(witness, (s) => s.received >= from.received + 10, 10_000, what, '.stage camrelay-player');
      };
      const paused = await waitStats(page, (s) => s.state === 'paused', 10_000, 'paused below the fold');
      await cameraDelivers('10 frames elsewhere while out of view');
      assert.equal((await playerStats(page)).received, paused.received, 'nothing received while out of view');
      await page.evaluate(() => document.getElementById('p')!.scrollIntoView());
      await waitStats(page, (s) => s.state === 'live' && s.displayed >= 5, 15_000, 'playing once scrolled into view');
      await page.evaluate(() => window.scrollTo(0, 0));
      const again = await waitStats(page, (s) => s.state === 'paused', 10_000, 'paused again');
      await cameraDelivers('10 frames elsewhere after pausing');
      assert.ok(
        (await playerStats(page)).received - again.received <= 2,
        'at most what was in flight arrives after pausing',
      );

      // In view but the page hidden (another tab, a locked phone): paused too. Headless pages are
      // never hidden, so the page is told it is, as a browser would.
      await page.evaluate(() => document.getElementById('p')!.scrollIntoView());
      await waitStats(page, (s) => s.state === 'live', 15_000, 'live in view');
      const setHidden = (hidden: boolean) =>
        page.evaluate((h) => {
          // A value, not a getter: tsx would wrap a getter in a helper the page does not have.
          Object.defineProperty(document, 'visibilityState', { configurable: true, value: h ? 'hidden' : 'visible' });
          document.dispatchEvent(new Event('visibilitychange'));
        }, hidden);
      await setHidden(true);
      const hidden = await waitStats(page, (s) => s.state === 'paused', 5000, 'paused while hidden');
      await cameraDelivers('10 frames elsewhere while hidden');
      assert.ok((await playerStats(page)).received - hidden.received <= 2, 'nothing more while hidden');
      await setHidden(false);
      const shown = await waitStats(
        page,
        (s) => s.state === 'live' && s.received > hidden.received + 5,
        10_000,
        'live again when shown',
      );
      assert.equal(shown.reconnects, 0, 'resumed over the same connection');
    } finally {
      await context.close();
    }
  });

  it('reconnects when the socket drops', async () => {
    const { context, page } = await openPage(browser, `${server.url}/#/camera/small`);
    try {
      const before = await waitStats(page, (s) => s.online && s.displayed >= 5, 15_000, 'playing');
      for (const client of server.server.app.websocketServer.clients) client.terminate();
      await waitStats(
        page,
        (s) => s.reconnects >= 1 && s.online && s.displayed >= before.displayed + 10,
        15_000,
        'playing again after the drop',
      );
    } finally {
      await context.close();
    }
  });

  it('shows a camera whose ffmpeg was killed as offline, then live again without a reload', async () => {
    const { context, page } = await openPage(browser, server.url);
    try {
      const tile = page.locator('.tile[data-camera=small]');
      const selector = '.tile[data-camera=small] camrelay-player';
      await waitStats(page, (s) => s.online && s.displayed >= 5, 15_000, 'playing', selector);
      assert.equal(await tile.locator('.badge').textContent(), 'Live');
      // The listener is in place before the camera fails (this evaluate returns once it is).
      await page.evaluate((sel) => {
        const player = document.querySelector(sel)!;
        player.addEventListener(
          'offline',
          (e) =>
            ((window as unknown as { offlineSince?: number }).offlineSince = (
              e as CustomEvent<{ since: number }>
            ).detail.since),
          { once: true },
        );
      }, selector);
      // The server runs in this process: its ffmpeg children are ours to find.
      const before = ffmpegChildren();
      assert.ok(before.length >= 1, 'ffmpeg is running');
      // The camera's own capture (its lavfi input names its size and rate): not the encoder, nor the
      // encoder probe, which encodes a 320x240 frame of its own at 10 fps.
      const small = findFfmpegFor('testsrc2=size=320x240:rate=15', before);
      process.kill(small, 'SIGKILL');
      const offline = await waitStats(page, (s) => !s.online && s.state === 'offline', 10_000, 'offline', selector);
      assert.ok(offline.offlineSince !== null && offline.offlineReason !== null, JSON.stringify(offline));
      const since = await waitFor(
        () => page.evaluate(() => (window as unknown as { offlineSince?: number }).offlineSince),
        5000,
        'the offline event',
      );
      assert.ok(Math.abs(since - Date.now()) < 15_000, 'the offline event says since when');
      await waitFor(
        async () => (await tile.locator('.badge').textContent()) === 'Offline',
        15_000,
        'the badge saying Offline',
      );
      await waitFor(
        async () => /^Offline since/.test((await tile.locator('.tile-note').textContent()) ?? ''),
        5000,
        'the tile saying since when',
      );
      // Restarted with backoff (1 s): live again, same page, same player.
      const back = await waitStats(page, (s) => s.online && s.state === 'live', 20_000, 'live again', selector);
      assert.equal(back.reconnects, 0, 'over the same connection');
      await waitFor(async () => (await tile.locator('.badge').textContent()) === 'Live', 5000, 'the badge saying Live');
      assert.equal(await tile.locator('.tile-note').isVisible(), false);
    } finally {
      await context.close();
    }
  });
});
