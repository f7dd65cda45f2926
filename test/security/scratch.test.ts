import { it } from 'node:test';
import { connect } from 'node:net';
import { startServer } from '../helpers.js';
it('x', async () => {
  await new Promise((r) => setTimeout(r, Number(process.env.DELAY ?? 0)));
  const t = await startServer(['cam=testsrc?size=320x240&fps=10']);
  const port = Number(new URL(t.url).port);
  for (const d of [0, 7000]) {
    setTimeout(() => {
      const s = connect(port, '127.0.0.1');
      const start = Date.now();
      let got = '';
      s.on('data', (c) => (got += c.toString()));
      s.on('close', () => console.log('delay', d, 'closed after', Date.now() - start, JSON.stringify(got.slice(0, 40))));
      s.write('GET /api/health HTTP/1.1\r\nHost: x\r\n');
    }, d);
  }
  await new Promise((r) => setTimeout(r, 45000));
  await t.close();
});
