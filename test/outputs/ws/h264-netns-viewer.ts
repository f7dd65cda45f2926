/**
 * An H.264 viewer as its own process, for the test that runs it inside a network namespace
 * (`ip netns exec NS node --import tsx test/outputs/ws/h264-netns-viewer.ts HTTP_URL CAMERA`).
 * It watches `?codec=h264` (acking every unit) and prints one JSON line per message received:
 *
 *   {"text": {...}}                                          a text message (hello, config, status)
 *   {"seq", "flags", "capturedAt", "at", "data"}             a unit: header fields, receipt time, base64 payload
 *
 * When a line arrives on its stdin, it prints {"api": ...} (the camera's /api/cameras/CAMERA, read
 * while it still watches), closes and exits.
 */
import { createInterface } from 'node:readline';
import { V1Client, wsUrl } from '../../support/v1-client.js';

const [httpUrl, camera] = process.argv.slice(2) as [string, string];
const out = (line: object): void => void process.stdout.write(`${JSON.stringify(line)}\n`);

const viewer = await V1Client.openWhenReady(wsUrl(httpUrl, camera, '?codec=h264'), 30_000);
let texts = 0;
let frames = 0;
const flush = (): void => {
  for (; texts < viewer.texts.length; texts++) out({ text: viewer.texts[texts] });
  for (; frames < viewer.frames.length; frames++) {
    const f = viewer.frames[frames]!;
    out({ seq: f.seq, flags: f.flags, capturedAt: f.capturedAt, at: f.at, data: f.jpeg.toString('base64') });
    f.jpeg = Buffer.alloc(0); // written: not kept twice
  }
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
