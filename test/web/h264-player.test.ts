/**
 * <camrelay-player> playing H.264 from a real server (a testsrc camera encoded by camrelay) in
 * real Chromium: WebCodecs on a secure origin (127.0.0.1), MSE on a page that is not a secure
 * context (http://camrelay.test, which Chromium maps to 127.0.0.1), JPEG when forced or when the
 * server answers with JPEG, and NO SIGNAL over the last picture when the camera fails. Behaviour
 * only: no speed thresholds (bench/player.ts measures them).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import type { PlayerStats } from '../../web/src/player/types.js';
import { ffmpegChildren, startServer, waitFor, type TestServer } from '../support/index.js';
import {
  allowOriginsConfig,
  launchBrowser,
  openPage,
  playerStats,
  serveHtml,
  waitForMovingPicture,
  type OtherOrigin,
} from './browser.js';

/** A name that is not loopback, so its pages are not a secure context; Chromium resolves it to 127.0.0.1. */
const INSECURE_HOST = 'camrelay.test';

function embedPage(server: string, attributes: string, before = ''): string {
  return `<!doctype html><html><head><meta charset="utf-8"><title>embed</title></head><body>
${before}
<script type="module" src="${server}/player.js"></script>
<camrelay-player id="p" src="${server}" ${attributes} style="width: 640px; height: 360px"></camrelay-player>
</body></html>`;
}

function waitStats(page: Page, check: (s: PlayerStats) => boolean, what: string, timeoutMs = 20_000) {
  return waitFor(
    async () => {
      const s = await playerStats(page).catch(() => undefined);
      return s && check(s) ? s : undefined;
    },
    timeoutMs,
    what,
  );
}

interface VideoLook {
  hidden: boolean;
  currentTime: number;
  buffered: number[][];
  width: number;
  error: string | null;
}

function videoLook(page: Page, selector = 'camrelay-player'): Promise<VideoLook> {
  return page.evaluate((sel) => {
    const video = document.querySelector(sel)!.shadowRoot!.querySelector('video')!;
    const buffered: number[][] = [];
    for (let i = 0; i < video.buffered.length; i++) buffered.push([video.buffered.start(i), video.buffered.end(i)]);
    return {
      hidden: video.hidden,
      currentTime: video.currentTime,
      buffered,
      width: video.videoWidth,
      error: video.error ? `${video.error.code} ${video.error.message}` : null,
    };
  }, selector);
}

function messageLook(page: Page, selector: string): Promise<{ hidden: boolean; text: string; over: boolean }> {
  return page.evaluate((sel) => {
    const message = document.querySelector(sel)!.shadowRoot!.querySelector('.message') as HTMLElement;
    return {
      hidden: message.hidden,
      text: message.textContent ?? '',
      over: message.classList.contains('over-picture'),
    };
  }, selector);
}

/** What a player saw of its camera's outage. */
interface OutageSeen {
  playing: PlayerStats;
  offline: PlayerStats;
  message: { hidden: boolean; text: string; over: boolean };
  back: PlayerStats;
  messageHiddenAfter: boolean;
}

describe('<camrelay-player> with H.264', () => {
  let server: TestServer;
  let browser: Browser;
  let other: OtherOrigin;
  let insecureUrl: string;

  before(async () => {
    other = await serveHtml();
    insecureUrl = other.url.replace('127.0.0.1', INSECURE_HOST);
    server = await startServer(
      ['cam=testsrc?size=640x360&fps=25', 'flaky=testsrc?size=336x192&fps=15'],
      allowOriginsConfig([other.origin, new URL(insecureUrl).origin]),
    );
    browser = await launchBrowser([`--host-resolver-rules=MAP ${INSECURE_HOST} 127.0.0.1`]);
  });

  after(async () => {
    await browser?.close();
    await server?.close();
    await other?.close();
  });

  it('on a secure origin, decodes with WebCodecs and shows a moving picture', async () => {
    const { context, page } = await openPage(browser, 'about:blank');
    try {
      const sockets: string[] = [];
      page.on('websocket', (ws) => sockets.push(ws.url()));
      await page.goto(`${server.url}/#/camera/cam`);
      const s = await waitStats(page, (st) => st.online && st.displayed >= 20, 'WebCodecs frames displayed');
      assert.equal(s.path, 'webcodecs', JSON.stringify(s));
      assert.equal(s.codec, 'h264');
      assert.equal(s.transport, 'ws');
      assert.equal(s.width, 640);
      assert.equal(s.height, 360);
      assert.ok(s.decoded >= s.displayed, JSON.stringify(s));
      assert.equal(s.errors, 0, JSON.stringify(s));
      await waitForMovingPicture(page, '.stage camrelay-player', { shadow: true });
      const later = await waitStats(
        page,
        (st) => st.displayed >= s.displayed + 20 && st.latencyMs !== null && st.bitrateKbps !== null,
        'more frames, with latency and bitrate measured',
      );
      assert.ok(later.bitrateKbps! > 0 && later.decodeMs !== null, JSON.stringify(later));
      const url = new URL(sockets.find((u) => u.includes('/api/cameras/cam/ws'))!);
      assert.equal(url.searchParams.get('codec'), 'h264,jpeg');
      assert.equal(url.searchParams.get('player'), 'webcodecs');
      const overlay = await page.evaluate(() => {
        const player = document.querySelector('.stage camrelay-player')!;
        player.setAttribute('stats', '');
        return player.shadowRoot!.querySelector('.stats')!.textContent;
      });
      assert.match(overlay ?? '', /WebCodecs/);
      assert.match(overlay ?? '', /H264/);
    } finally {
      await context.close();
    }
  });

  it('on a page that is not a secure context, plays through MSE, live, with a short buffer', async () => {
    other.html = embedPage(server.url, 'camera="cam" stats');
    const { context, page } = await openPage(browser, insecureUrl);
    try {
      assert.equal(await page.evaluate(() => isSecureContext), false);
      const s = await waitStats(page, (st) => st.online && st.displayed >= 10, 'MSE frames shown');
      assert.equal(s.path, 'mse', JSON.stringify(s));
      assert.equal(s.codec, 'h264');
      assert.equal(s.width, 640);
      const first = await videoLook(page);
      assert.equal(first.hidden, false);
      assert.equal(first.error, null);
      const later = await waitFor(
        async () => {
          const look = await videoLook(page);
          return look.currentTime > first.currentTime + 1 ? look : undefined;
        },
        20_000,
        'the video playing on',
      );
      const end = later.buffered.at(-1)![1]!;
      assert.ok(end - later.currentTime < 2, `the playhead stays near the live edge: ${JSON.stringify(later)}`);
      const kept = later.buffered.reduce((sum, [a, b]) => sum + b! - a!, 0);
      assert.ok(kept < 4, `a short buffer: ${JSON.stringify(later)}`);
      const measured = await waitStats(page, (st) => st.latencyMs !== null, 'latency measured over MSE');
      assert.ok(measured.latencyMs! > 0, JSON.stringify(measured));
    } finally {
      await context.close();
    }
  });

  it("plays through MSE in camrelay's own viewer too (its Content-Security-Policy allows blob: media)", async () => {
    const { context, page } = await openPage(browser, `${server.url}/#/camera/cam`);
    try {
      const errors: string[] = [];
      page.on('console', (m) => {
        if (m.type() === 'error') errors.push(m.text());
      });
      const before = await waitStats(page, (st) => st.online, 'playing');
      await page.evaluate(() => document.querySelector('.stage camrelay-player')!.setAttribute('path', 'mse'));
      const s = await waitStats(
        page,
        (st) => st.path === 'mse' && st.online && st.displayed >= before.displayed + 10,
        'MSE frames shown in the viewer',
      );
      assert.equal(s.codec, 'h264', JSON.stringify(s));
      assert.equal(s.errors, before.errors, `${JSON.stringify(s)} ${errors.join(' | ')}`);
      assert.equal((await videoLook(page, '.stage camrelay-player')).error, null);
    } finally {
      await context.close();
    }
  });

  it('plays JPEG when forced with path="jpeg"', async () => {
    other.html = embedPage(server.url, 'camera="cam" path="jpeg"');
    const { context, page } = await openPage(browser, other.url);
    try {
      const s = await waitStats(page, (st) => st.online && st.displayed >= 10, 'JPEG frames displayed');
      assert.equal(s.path, 'jpeg');
      assert.equal(s.codec, 'jpeg');
      await waitForMovingPicture(page, '#p', { shadow: true });
    } finally {
      await context.close();
    }
  });

  it('plays JPEG from a server that sends JPEG although H.264 was asked for (an older camrelay)', async () => {
    // An older server ignores ?codec= and ?player=: the same as never sending them.
    const older = `<script>
      const Native = window.WebSocket;
      window.WebSocket = class extends Native {
        constructor(url, protocols) {
          const u = new URL(url);
          window.asked = u.searchParams.get('codec');
          u.searchParams.delete('codec');
          u.searchParams.delete('player');
          super(u.href, protocols);
        }
      };
    </script>`;
    other.html = embedPage(server.url, 'camera="cam"', older);
    const { context, page } = await openPage(browser, other.url);
    try {
      const s = await waitStats(page, (st) => st.online && st.displayed >= 10, 'JPEG frames displayed');
      assert.equal(await page.evaluate(() => (window as unknown as { asked: string }).asked), 'h264,jpeg');
      assert.equal(s.codec, 'jpeg');
      assert.equal(s.path, 'jpeg');
      assert.equal(s.errors, 0);
      await waitForMovingPicture(page, '#p', { shadow: true });
    } finally {
      await context.close();
    }
  });

  it('plays MSE when forced with path="mse" on a secure page', async () => {
    other.html = embedPage(server.url, 'camera="cam" path="mse"');
    const { context, page } = await openPage(browser, other.url);
    try {
      const s = await waitStats(page, (st) => st.online && st.displayed >= 10, 'MSE frames shown');
      assert.equal(s.path, 'mse');
      assert.equal(s.codec, 'h264');
    } finally {
      await context.close();
    }
  });

  /**
   * One outage of the flaky camera, watched by a player on each path at once: the secure page decodes with
   * WebCodecs, the other with MSE. Started by the first of the two tests below, judged by each.
   */
  let outage: Promise<Record<'webcodecs' | 'mse', OutageSeen>> | undefined;
  function watchOutage(): Promise<Record<'webcodecs' | 'mse', OutageSeen>> {
    outage ??= (async () => {
      other.html = embedPage(server.url, 'camera="flaky"');
      const [secure, insecure] = await Promise.all([openPage(browser, other.url), openPage(browser, insecureUrl)]);
      try {
        const playing = await Promise.all(
          [secure.page, insecure.page].map((page) =>
            waitStats(page, (st) => st.online && st.displayed >= 5, 'playing H.264'),
          ),
        );
        const pids = ffmpegChildren();
        const source = pids.find((pid) => {
          try {
            const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
            return cmd.includes('size=336x192') && cmd.includes('lavfi');
          } catch {
            return false;
          }
        });
        assert.ok(source, `the camera's ffmpeg among ${pids.join(', ')}`);
        process.kill(source, 'SIGKILL');
        const [webcodecs, mse] = await Promise.all(
          [secure.page, insecure.page].map(async (page, i): Promise<OutageSeen> => {
            const offline = await waitStats(page, (st) => st.state === 'offline', 'offline', 15_000);
            const message = await messageLook(page, '#p');
            const back = await waitStats(page, (st) => st.online && st.state === 'live', 'live again', 30_000);
            await waitStats(page, (st) => st.displayed > back.displayed + 5, 'frames again');
            const after = await messageLook(page, '#p');
            return { playing: playing[i]!, offline, message, back, messageHiddenAfter: after.hidden };
          }),
        );
        return { webcodecs: webcodecs!, mse: mse! };
      } finally {
        await secure.context.close();
        await insecure.context.close();
      }
    })();
    outage.catch(() => undefined);
    return outage;
  }

  for (const path of ['webcodecs', 'mse'] as const) {
    it(`${path}: shows NO SIGNAL over the last picture when the camera fails, then plays again`, async () => {
      const seen = (await watchOutage())[path];
      assert.equal(seen.playing.path, path);
      assert.equal(seen.offline.online, false);
      assert.equal(seen.message.hidden, false, JSON.stringify(seen.message));
      assert.match(seen.message.text, /NO SIGNAL/);
      assert.equal(seen.message.over, true, 'over the last picture');
      assert.equal(seen.back.reconnects, 0, 'over the same connection');
      assert.equal(seen.messageHiddenAfter, true);
    });
  }
});
