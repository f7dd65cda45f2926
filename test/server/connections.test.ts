/**
 * src/server/connections.ts on a real HTTP server and real sockets: an upgrade request answered
 * over HTTP is ended once idle, an upgraded socket is not, and destroyAll() ends what Node no
 * longer tracks.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { connect, type Socket } from 'node:net';
import { once } from 'node:events';
import { after, before, describe, it } from 'node:test';
import { trackConnections, type ConnectionTracker } from '../../src/server/connections.js';

const IDLE_MS = 200;

function upgradeRequest(path: string): string {
  return `GET ${path} HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n`;
}

/** A raw client: sends `request`, collects what it gets, resolves `closed` when the server ends it. */
async function client(
  port: number,
  request: string,
): Promise<{ socket: Socket; received: () => string; closed: Promise<unknown> }> {
  const socket = connect(port, '127.0.0.1');
  await once(socket, 'connect');
  let received = '';
  socket.on('data', (d: Buffer) => (received += d.toString('latin1')));
  const closed = once(socket, 'close');
  socket.write(request);
  return { socket, received: () => received, closed };
}

describe('server connections', () => {
  let server: Server;
  let tracker: ConnectionTracker;
  let port: number;

  before(async () => {
    server = createServer((_req, res) => res.end('ok'));
    tracker = trackConnections(server, IDLE_MS);
    // `/refuse` answers over HTTP and leaves the socket open, as a refused WebSocket upgrade does;
    // `/accept` takes the socket over and clears its timeout, as ws does.
    server.on('upgrade', (request, socket: Socket) => {
      if (request.url === '/refuse') socket.write('HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n');
      else {
        socket.setTimeout(0);
        socket.write('HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n');
      }
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    port = (server.address() as { port: number }).port;
  });

  after(() => {
    tracker.destroyAll();
    server.close();
  });

  it('ends an upgrade answered over HTTP once it is idle', async () => {
    const refused = await client(port, upgradeRequest('/refuse'));
    await refused.closed;
    assert.match(refused.received(), /^HTTP\/1.1 400 /);
  });

  it('leaves an upgraded socket open, and destroyAll() ends it with every other', async () => {
    const upgraded = await client(port, upgradeRequest('/accept'));
    const plain = await client(port, 'GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    // The refused one closes after IDLE_MS; once it has, the upgraded one has been idle as long.
    const refused = await client(port, upgradeRequest('/refuse'));
    await refused.closed;
    assert.equal(upgraded.socket.destroyed, false, 'the upgraded socket is still open');
    assert.match(upgraded.received(), /^HTTP\/1.1 101 /);
    tracker.destroyAll();
    await Promise.all([upgraded.closed, plain.closed]);
    assert.match(plain.received(), /^HTTP\/1.1 200 /);
  });
});
