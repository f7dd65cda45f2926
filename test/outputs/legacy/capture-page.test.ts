import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runInNewContext } from 'node:vm';
import WebSocket from 'ws';
import { decodeJpeg, startServer, waitFor, type TestServer } from '../../support/index.js';

/** The replaced system's page: a fixture beside the project, never copied into it. */
const SEED_PAGE = new URL('../../../../shared/seed/capture.html', import.meta.url);
const SEED_ADDRESS = 'ws://192.168.3.232:9000/video';

// Browser tests come later; until then a page's script runs in a vm with
// stand-ins for the few browser objects it uses. The protocol is real (a ws
// WebSocket sending the page's origin) and so is the JPEG decoding.

/** An <img>: decodes the data URL for real, then calls onload. */
class PageImage {
  width = 0;
  height = 0;
  onload: (() => void) | null = null;
  set src(url: string) {
    const m = /^data:image\/jpeg;base64,(.+)$/.exec(url);
    if (!m?.[1]) throw new Error('not a JPEG data URL');
    const image = decodeJpeg(Buffer.from(m[1], 'base64'));
    this.width = image.width;
    this.height = image.height;
    setImmediate(() => this.onload?.());
  }
}

interface Drawn {
  width: number;
  height: number;
  x: number;
  y: number;
  w: number;
  h: number;
}

interface Page {
  sockets: WebSocket[];
  drawn: Drawn[];
  status: { textContent: string };
  stop(): void;
}

/** Runs a page's script against the server, as a page loaded from `origin` in a 1000x600 window. */
function runPage(script: string, origin: string, location: URL): Page {
  const sockets: WebSocket[] = [];
  const drawn: Drawn[] = [];
  const timers: NodeJS.Timeout[] = [];
  let stopped = false;
  class PageWebSocket extends WebSocket {
    constructor(url: string) {
      super(url, { origin });
      sockets.push(this);
    }
  }
  const context2d = {
    fillStyle: '',
    fillRect() {},
    drawImage: (image: PageImage, x = 0, y = 0, w = image.width, h = image.height) =>
      drawn.push({ width: image.width, height: image.height, x, y, w, h }),
  };
  const canvas = { width: 0, height: 0, setAttribute() {}, getContext: () => context2d };
  const status = { textContent: '' };
  const elements: Record<string, unknown> = { canvas, view: canvas, status };
  runInNewContext(script, {
    WebSocket: PageWebSocket,
    Image: PageImage,
    document: { getElementById: (id: string) => elements[id] ?? null },
    window: { innerWidth: 1000, innerHeight: 600, devicePixelRatio: 1, addEventListener() {} },
    location: { protocol: location.protocol, host: location.host },
    performance,
    console: { log() {} },
    // A reconnection the page schedules after the test has ended must not run.
    setTimeout: (fn: () => void, ms: number) => timers.push(setTimeout(() => stopped || fn(), ms)),
    setInterval: (fn: () => void, ms: number) => timers.push(setInterval(fn, ms)),
    clearInterval: (t: NodeJS.Timeout) => clearInterval(t),
  });
  return {
    sockets,
    drawn,
    status,
    stop() {
      stopped = true;
      for (const t of timers) clearTimeout(t);
      for (const ws of sockets) ws.close();
    },
  };
}

function scriptOf(html: string): string {
  const script = /<script>([\s\S]*)<\/script>/.exec(html)?.[1];
  assert.ok(script, 'the page has a script');
  return script;
}

describe('/capture', () => {
  let ts: TestServer;
  before(async () => {
    ts = await startServer(['cam=testsrc?size=320x240&fps=30']);
  });
  after(() => ts.close());

  it('serves a viewer page that asks /video on its own host', async () => {
    const res = await fetch(`${ts.url}/capture`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/html/);
    const html = await res.text();
    assert.match(html, /<canvas/);
    assert.match(html, /<script src="\/capture\.js"><\/script>/);
    assert.doesNotMatch(html, /<script>/, 'no inline script: pages forbid them');
    const script = await (await fetch(`${ts.url}/capture.js`)).text();
    assert.match(script, /location\.host \+ '\/video'/);
    assert.match(script, /'wss:' : 'ws:'/);
    assert.ok(!html.includes('192.168.3.232'), 'not the seed page');
  });

  it('its script draws the pictures scaled to fit the window and shows the rate', async () => {
    const script = await (await fetch(`${ts.url}/capture.js`)).text();
    const page = runPage(script, ts.url, new URL(`${ts.url}/capture`));
    try {
      // From a stopped camera: 30 pictures (2.5 s at ≥ 20 fps before; a rate is no behaviour).
      await waitFor(() => page.drawn.length >= 30, 15_000, `30 pictures drawn (${page.drawn.length})`);
      assert.equal(page.sockets.length, 1);
      // 320x240 in a 1000x600 window: scaled 2.5 times and centred.
      for (const d of page.drawn) assert.deepEqual(d, { width: 320, height: 240, x: 100, y: 0, w: 800, h: 600 });
      assert.match(page.status.textContent, /^\d+\.\d fps$/);
      assert.ok(Number.parseFloat(page.status.textContent) > 0, page.status.textContent);
    } finally {
      page.stop();
    }
  });
});

describe("the replaced system's page", () => {
  let ts: TestServer;
  let wsUrl: string;
  let pageServer: Server;
  let pageUrl: string;
  before(async () => {
    // Served from another origin, as the old page would be from wherever it is kept;
    // that origin must be allowed, or the server refuses its WebSocket (cross-site protection).
    let page = '';
    pageServer = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end(page));
    pageServer.listen(0, '127.0.0.1');
    await once(pageServer, 'listening');
    const address = pageServer.address();
    assert.ok(address && typeof address === 'object');
    pageUrl = `http://127.0.0.1:${address.port}`;
    const config = join(mkdtempSync(join(tmpdir(), 'camrelay-seed-')), 'config.yaml');
    writeFileSync(config, `server: { allowed_origins: ["${pageUrl}"] }\n`);
    ts = await startServer(['cam=testsrc?size=320x240&fps=30'], config);
    wsUrl = `${ts.url.replace('http:', 'ws:')}/video`;
    const parts = readFileSync(SEED_PAGE, 'utf8').split(SEED_ADDRESS);
    assert.equal(parts.length, 2, 'the address occurs exactly once in the seed page');
    page = parts.join(wsUrl);
  });
  after(async () => {
    pageServer.close();
    await ts.close();
  });

  it('draws frames from /video once its address is replaced', async () => {
    const html = await (await fetch(pageUrl)).text();
    assert.ok(html.includes(`new WebSocket("${wsUrl}")`));
    const page = runPage(scriptOf(html), pageUrl, new URL(pageUrl));
    try {
      await waitFor(() => page.drawn.length >= 30, 15_000, `30 pictures drawn (${page.drawn.length})`);
      assert.equal(page.sockets.length, 1);
      // The old page draws into a fixed 600x800 box, whatever the picture's size.
      for (const d of page.drawn) assert.deepEqual(d, { width: 320, height: 240, x: 0, y: 0, w: 600, h: 800 });
    } finally {
      page.stop();
    }
  });
});
