/**
 * A viewer as its own process, for tests that run it inside a network
 * namespace (`ip netns exec NS node --import tsx test/relay/probe.ts ...`).
 *
 *   probe.ts watch HTTP_URL CAMERA SECONDS   one JSON line per frame: {at, hash, bytes, seq}
 *   probe.ts connect HOST PORT               one JSON line: {connected} or {error}
 *   probe.ts h264 HTTP_URL CAMERA SECONDS FILE   an H.264 viewer (?codec=h264, acking each unit): writes what it
 *       got as Annex B to FILE (each config's SPS/PPS before the units that need it), then one JSON line:
 *       {units, keyframes, skips, configs, futureStamps, latencies} (latency: receipt minus the header's time)
 */
import { writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { parseAvcC } from '../../src/codec/h264/avcc.js';
import { avcToAnnexB, joinAnnexB } from '../../src/codec/h264/nal.js';
import { V1Client, wsUrl } from '../support/v1-client.js';

const [mode, a, b, c] = process.argv.slice(2);
/** How long the h264 mode waits for its first unit before its window opens anyway. */
const FIRST_UNIT_WAIT_MS = 30_000;

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
} else if (mode === 'h264') {
  const viewer = await V1Client.openWhenReady(wsUrl(a!, b!, '?codec=h264'), 30_000, { autoAck: true });
  // Configs and units in arrival order: a config goes before the unit that needs it.
  const parts: Buffer[] = [];
  let configs = 0;
  let units = 0;
  // The edge starts its encoder when the hub first asks for the camera: the window opens at the first unit.
  let firstUnit: () => void = () => {};
  const first = new Promise<void>((resolve) => (firstUnit = resolve));
  viewer.ws.on('message', (data, isBinary) => {
    const buf = data as Buffer;
    if (!isBinary) {
      const m = JSON.parse(buf.toString()) as { type: string; description?: string };
      if (m.type !== 'config') return;
      const avcC = parseAvcC(Buffer.from(m.description!, 'base64'));
      parts.push(Buffer.from(joinAnnexB([...avcC.sps, ...avcC.pps])));
      configs++;
      return;
    }
    parts.push(Buffer.from(avcToAnnexB(buf.subarray(buf[3]!))));
    units++;
    firstUnit();
  });
  await Promise.race([first, new Promise((r) => setTimeout(r, FIRST_UNIT_WAIT_MS))]);
  await new Promise((r) => setTimeout(r, Number(c) * 1000));
  viewer.close();
  writeFileSync(process.argv[6]!, Buffer.concat(parts));
  const frames = viewer.frames;
  let skips = 0;
  for (let i = 1; i < frames.length; i++) if (frames[i]!.seq !== (frames[i - 1]!.seq + 1) >>> 0) skips++;
  const line = {
    units,
    keyframes: frames.filter((f) => f.flags & 1).length,
    firstIsKeyframe: frames.length > 0 && (frames[0]!.flags & 1) === 1,
    skips,
    configs,
    futureStamps: frames.filter((f) => f.capturedAt > f.at + 1).length,
    latencies: frames.map((f) => Math.round(f.at - f.capturedAt)),
  };
  process.stdout.write(`${JSON.stringify(line)}\n`, () => process.exit(0));
} else {
  process.stderr.write('usage: probe.ts watch URL CAMERA SECONDS | connect HOST PORT | h264 URL CAMERA SECONDS FILE\n');
  process.exit(2);
}
