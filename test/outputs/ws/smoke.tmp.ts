import { WebSocket } from 'ws';
import { startServer, sleep } from '/work/main/test/helpers.js';
import { decodeHeader } from '/work/main/src/outputs/ws/header.js';
const ts = await startServer(['cam=testsrc?size=320x240&fps=30']);
const base = ts.url.replace('http', 'ws');
for (const q of ['/api/cameras/nope/ws', '/api/cameras/cam/ws?window=9', '/api/cameras/cam/ws?window=abc', '/api/cameras/cam/ws?window=', '/api/cameras/BAD/ws']) {
  await new Promise<void>((resolve) => {
    const ws = new WebSocket(base + q);
    ws.on('unexpected-response', (_req, res) => { let b = ''; res.on('data', (c) => (b += c)); res.on('end', () => { console.log(q, res.statusCode, b); resolve(); }); });
    ws.on('open', () => { console.log(q, 'OPENED'); ws.close(); resolve(); });
    ws.on('error', (e) => { console.log('err', e.message); });
  });
}
const ws = new WebSocket(base + '/api/cameras/cam/ws');
let n = 0;
ws.on('message', (d, bin) => {
  if (!bin) { console.log('text', d.toString()); return; }
  const h = decodeHeader(d as Buffer); n++;
  console.log('frame', h, (d as Buffer).length, Date.now() - h.capturedAt);
});
await sleep(3000);
console.log('frames', n);
const r = await fetch(ts.url + '/api/cameras/cam'); console.log(await r.text());
ws.on('close', (c, r) => console.log('close', c, r.toString()));
await ts.close();
await sleep(200);
