/**
 * Headless Debian chromium driven by playwright-core, for the browser tests.
 * Never downloads a browser: /usr/bin/chromium (scripts/ensure-test-deps.sh installs it).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import type { PlayerStats } from '../../web/src/player/types.js';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export function launchBrowser(extraArgs: string[] = []): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    // Without the background-networking flags chromium keeps calling home over a network that isn't there.
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      ...extraArgs,
    ],
  });
}

export interface PageOptions {
  width?: number;
  height?: number;
  colorScheme?: 'light' | 'dark';
  deviceScaleFactor?: number;
  isMobile?: boolean;
}

export async function openPage(
  browser: Browser,
  url: string,
  options: PageOptions = {},
): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({
    viewport: { width: options.width ?? 1280, height: options.height ?? 800 },
    colorScheme: options.colorScheme ?? 'light',
    deviceScaleFactor: options.deviceScaleFactor ?? 1,
    isMobile: options.isMobile ?? false,
    hasTouch: options.isMobile ?? false,
  });
  const page = await context.newPage();
  // Page errors fail loudly instead of leaving a test to time out.
  page.on('pageerror', (err) => console.error(`[page error] ${err.message}`));
  await page.goto(url);
  return { context, page };
}

export interface OtherOrigin {
  url: string;
  origin: string;
  /** What the page answers from now on. */
  html: string;
  close(): Promise<void>;
}

/** A second origin: a tiny HTTP server on another port that answers every GET with its `html`. */
export async function serveHtml(html = ''): Promise<OtherOrigin> {
  const server: Server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
    res.end(site.html);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const site: OtherOrigin = {
    url: `http://127.0.0.1:${port}/`,
    origin: `http://127.0.0.1:${port}`,
    html,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  return site;
}

/**
 * A config file that lets pages of `origins` open WebSockets to camrelay
 * (`server.allowed_origins`): browsers send Origin on every upgrade, and
 * camrelay refuses other sites' unless allowed.
 */
export function allowOriginsConfig(origins: string[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'camrelay-origins-'));
  const path = join(dir, 'camrelay.yaml');
  writeFileSync(path, `server:\n  allowed_origins:\n${origins.map((o) => `    - ${o}\n`).join('')}`);
  return path;
}

/** `player.stats` of the n-th <camrelay-player> matching `selector`, as the player measured it. */
export function playerStats(page: Page, selector = 'camrelay-player', index = 0): Promise<PlayerStats> {
  return page.evaluate(
    ([sel, i]) => {
      const player = document.querySelectorAll(sel)[i] as (Element & { stats?: PlayerStats }) | undefined;
      if (!player?.stats) throw new Error(`no player ${sel}[${i}] with stats`);
      return player.stats;
    },
    [selector, index] as const,
  );
}

/** What a canvas shows: a checksum of every pixel (changes when anything moves) and how many distinct colours a coarse sample has (1 = blank). */
export interface CanvasLook {
  width: number;
  height: number;
  checksum: number;
  colours: number;
}

/**
 * Reads the pixels of a canvas: `selector` names the canvas itself, or, with
 * `shadow`, a <camrelay-player> whose shadow canvas is read.
 */
export function canvasLook(page: Page, selector: string, { index = 0, shadow = false } = {}): Promise<CanvasLook> {
  return page.evaluate(
    ([sel, i, inShadow]) => {
      const host = document.querySelectorAll(sel)[i];
      const canvas = inShadow ? host?.shadowRoot?.querySelector('canvas') : host;
      if (!(canvas instanceof HTMLCanvasElement)) throw new Error(`no canvas at ${sel}[${i}]`);
      const context = canvas.getContext('2d');
      if (!context || canvas.width === 0 || canvas.height === 0)
        return { width: canvas.width, height: canvas.height, checksum: 0, colours: 0 };
      const { data } = context.getImageData(0, 0, canvas.width, canvas.height);
      let checksum = 0;
      for (let k = 0; k < data.length; k += 4)
        checksum = (checksum * 31 + data[k]! * 3 + data[k + 1]! * 5 + data[k + 2]!) >>> 0;
      const colours = new Set<number>();
      const stepX = Math.max(1, Math.floor(canvas.width / 24));
      const stepY = Math.max(1, Math.floor(canvas.height / 24));
      for (let y = 0; y < canvas.height; y += stepY) {
        for (let x = 0; x < canvas.width; x += stepX) {
          const o = (y * canvas.width + x) * 4;
          // Coarse buckets: JPEG noise must not count as colours.
          colours.add(((data[o]! >> 5) << 6) | ((data[o + 1]! >> 5) << 3) | (data[o + 2]! >> 5));
        }
      }
      return { width: canvas.width, height: canvas.height, checksum, colours: colours.size };
    },
    [selector, index, shadow] as const,
  );
}

/** Waits until a canvas shows a picture (several colours) that then changes; returns the two looks. */
export async function waitForMovingPicture(
  page: Page,
  selector: string,
  options: { index?: number; shadow?: boolean; timeoutMs?: number } = {},
): Promise<[CanvasLook, CanvasLook]> {
  const deadline = Date.now() + (options.timeoutMs ?? 15_000);
  let first: CanvasLook | undefined;
  for (;;) {
    const look = await canvasLook(page, selector, options);
    if (look.colours >= 4) {
      if (!first) first = look;
      else if (look.checksum !== first.checksum) return [first, look];
    }
    if (Date.now() > deadline)
      throw new Error(`the canvas ${selector} did not show a moving picture: ${JSON.stringify({ first, look })}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
