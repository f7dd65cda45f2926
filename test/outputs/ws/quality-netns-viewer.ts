/**
 * An H.264 viewer as its own process, for the tests that run it inside a network namespace
 * (`ip netns exec NS node --import tsx test/outputs/ws/quality-netns-viewer.ts HTTP_URL CAMERA QUERY`).
 * It watches the camera with QUERY (e.g. `?codec=h264&quality=auto`), acks every unit, and prints one JSON
 * line per message, in the order they came:
 *
 *   {"text": {...}, "at"}                                    a text message (hello, quality, config, status)
 *   {"seq", "flags", "capturedAt", "at", "data"}             a unit: header fields, receipt time, base64 payload
 *
 * When a line arrives on its stdin, it prints {"api": ...} (the camera's /api/cameras/CAMERA, read while it
 * still watches), closes and exits.
 */
import { createInterface } from 'node:readline';
import { wsUrl } from '../../support/v1-client.js';
import { openOrdered, type OrderedViewer } from './quality-stream.js';

const [httpUrl, camera, query] = process.argv.slice(2) as [string, string, string];
const out = (line: object): void => void process.stdout.write(`${JSON.stringify(line)}\n`);

async function open(): Promise<OrderedViewer> {
  for (const end = Date.now() + 30_000; ;) {
    try {
      return await openOrdered(wsUrl(httpUrl, camera, query));
    } catch (err) {
      if (Date.now() > end) throw err;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}
const viewer = await open();
let written = 0;
const flush = (): void => {
  for (; written < viewer.events.length; written++) {
    const e = viewer.events[written]!;
    if ('text' in e) out({ text: e.text, at: e.at });
    else out({ ...e.unit, data: e.unit.data.toString('base64') });
  }
  // Written: not kept twice.
  viewer.events.length = 0;
  written = 0;
};
const timer = setInterval(flush, 100);

createInterface({ input: process.stdin }).once('line', () => {
  void (async () => {
    clearInterval(timer);
    flush();
    try {
      const res = await fetch(`${httpUrl}/api/cameras/${camera}`);
      out({ api: await res.json() });
    } catch (err) {
      out({ api: null, error: (err as Error).message });
    }
    viewer.close();
    process.stdout.write('', () => process.exit(0));
  })();
});
