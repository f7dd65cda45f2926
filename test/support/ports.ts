/** Ports for tests that must name one before something listens on it. */
import { createServer } from 'node:net';

/** A loopback port that was free a moment ago (the OS picks it; another process could take it meanwhile). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (!address || typeof address !== 'object') throw new Error('no address');
  return address.port;
}

/** The port of a URL (`http://127.0.0.1:41234/` → 41234). */
export function portOf(url: string): number {
  return Number(new URL(url).port);
}
