/**
 * The player benchmark phase of `npm run bench`, as its own process (like bench/load.ts):
 * opens the single view of one camera in headless Chromium (launched as the browser tests
 * launch it, test/web/browser.ts) and measures what <camrelay-player> displays.
 *
 *   node --import tsx bench/player.ts \
 *     '{"url":"http://127.0.0.1:PORT","camera":"bench","warmupMs":3000,"measureMs":10000}'
 *
 * With `"path":"webcodecs"` (or mse, jpeg) the player is told how to decode (its `path` attribute).
 *
 * Prints one JSON line, a PlayerResult: frames displayed per second over the measured window
 * (counted, against the wall clock) and the player's own capture-to-display latency, sampled
 * every 250 ms over the same window.
 *
 * Type-checked with the browser tests (test/web/tsconfig.json): it imports their DOM-using helpers.
 */
import { launchBrowser, openPage, playerStats } from '../test/web/browser.js';
import type { PlayerPlan, PlayerResult } from './player-plan.js';

const plan = JSON.parse(process.argv[2] ?? '{}') as PlayerPlan;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const browser = await launchBrowser();
try {
  const { page } = await openPage(browser, `${plan.url}/#/camera/${plan.camera}`);
  if (plan.path)
    await page.evaluate((path) => {
      const player = document.querySelector('camrelay-player');
      if (!player) throw new Error('no player on the page');
      player.setAttribute('path', path);
    }, plan.path);
  const deadline = Date.now() + 20_000;
  const wanted = plan.path && plan.path !== 'auto' ? plan.path : undefined;
  for (;;) {
    const s = await playerStats(page).catch(() => undefined);
    if (s?.online && (!wanted || s.path === wanted)) break;
    if (Date.now() > deadline) throw new Error(`the player did not start playing within 20 s (${JSON.stringify(s)})`);
    await sleep(100);
  }
  await sleep(plan.warmupMs);
  const start = await playerStats(page);
  const t0 = performance.now();
  const latencies: number[] = [];
  while (performance.now() - t0 < plan.measureMs) {
    await sleep(250);
    const s = await playerStats(page);
    if (s.latencyMs !== null) latencies.push(s.latencyMs);
  }
  const end = await playerStats(page);
  const seconds = (performance.now() - t0) / 1000;
  latencies.sort((a, b) => a - b);
  const result: PlayerResult = {
    fps: (end.displayed - start.displayed) / seconds,
    playerFps: end.fps,
    latencyP50: latencies[Math.floor(latencies.length / 2)] ?? NaN,
    latencyMax: latencies.at(-1) ?? NaN,
    width: end.width,
    height: end.height,
    transport: end.transport,
    path: end.path,
    codec: end.codec,
    dropped: end.dropped - start.dropped,
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
} finally {
  await browser.close();
}
