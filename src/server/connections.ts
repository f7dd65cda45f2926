/**
 * Every socket the HTTP server accepted, so that shutdown can end the ones still open after a
 * grace. Node's own tracking loses some: a socket handed to the 'upgrade' event, and one whose
 * client half-closed before its answer, are no longer in `closeAllConnections()`.
 */
import type { Server } from 'node:http';
import type { Socket } from 'node:net';

/**
 * An upgrade request answered over HTTP (a 400 for a bad URL, a 401, a 404) leaves its socket to
 * nobody: no request timeout applies any more. Idle this long, it is ended. A WebSocket that did
 * upgrade is not affected: ws clears the socket's timeout when it takes the socket over.
 */
export const UPGRADE_ANSWERED_IDLE_MS = 10_000;

export interface ConnectionTracker {
  /** Destroys every socket still open. */
  destroyAll(): void;
}

export function trackConnections(server: Server, upgradeIdleMs = UPGRADE_ANSWERED_IDLE_MS): ConnectionTracker {
  const sockets = new Set<Socket>();
  // TLS servers emit 'connection' with the TCP socket too: destroying it ends the TLS socket.
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  server.on('upgrade', (_request, socket: Socket) => {
    socket.setTimeout(upgradeIdleMs, () => socket.destroy());
  });
  return {
    destroyAll() {
      for (const socket of sockets) socket.destroy();
    },
  };
}
