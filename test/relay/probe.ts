/**
 * A viewer as its own process, for tests that run it inside a network
 * namespace (`ip netns exec NS node --import tsx test/relay/probe.ts ...`).
 *
 *   probe.ts watch HTTP_URL CAMERA SECONDS   one JSON line per frame: {at, hash, bytes, seq}
 *   probe.ts connect HOST PORT               one JSON line: {connected} or {error}
 */
import { connect } from 'node:net';
import { V1Client, wsUrl } from '../support/v1-client.js';

const [mode, a, b, c] = process.argv.slice(2);

if (mode === 'connect') {
  const socket = connect({ host: a!, port: Number(b), timeout: 3000 });
  const done = (line: object): void => {
    process.stdout.write(`${JSON.stringify(line)}\n`);
    socket.destroy();
  };
  socket.once('connect', () => done({ connected: true }));
  socket.once('timeout', () => done({ error: 'timeout' }));
  socket.once('error', (err: NodeJS.ErrnoException) => done({ error: err.code ?? err.message }));
} else if (mode === 'watch') {
  const viewer = await V1Client.openWhenReady(wsUrl(a!, b!), 30_000, { keepJpegs: false });
  let written = 0;
  const flush = (): void => {
    for (; written < viewer.frames.length; written++) {
      const { seq, at, bytes, hash } = viewer.frames[written]!;
      process.stdout.write(`${JSON.stringify({ seq, at, bytes, hash })}\n`);
    }
  };
  const timer = setInterval(flush, 200);
  setTimeout(
    () => {
      clearInterval(timer);
      flush();
      viewer.close();
      setTimeout(() => process.exit(0), 200);
    },
    Number(c) * 1000,
  );
} else {
  process.stderr.write('usage: probe.ts watch URL CAMERA SECONDS | connect HOST PORT\n');
  process.exit(2);
}
