/**
 * The RTSP server (RFC 2326): every camera of the hub, local or relayed, as `rtsp://host:port/<camera>`
 * (and `/<camera>/sub`), over RTP interleaved on the connection or RTP/UDP with RTCP; rtsps when
 * `server.tls` is set. Clients are viewers like any other: the same credentials and limits (access.ts),
 * the same flow control (src/stream), counted in the camera's viewers and /metrics with protocol `rtsp`.
 *
 * Bounds: connections per address and per credential, a first request within FIRST_REQUEST_MS, a
 * connection without sessions closed after the session timeout, sessions in all (the viewer limits
 * apply at PLAY), request size (request-parser.ts), a playing TCP client whose connection took nothing
 * for the session timeout (it never reads) closed.
 */
import { createServer as createTcpServer, type Server as NetServer, type Socket } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import type { Logger } from 'pino';
import type { CameraRegistry } from '../../hub/registry.js';
import type { StreamAccess } from './access.js';
import { DigestNonces } from './authorization.js';
import type { RtspConfig } from './config.js';
import { RtspConnection, type ServerContext } from './connection.js';
import type { RtspSession } from './session.js';
import { UdpSockets } from './udp.js';
import { KernelQueues } from './kernel-queue.js';

export type { StreamAccess, StreamAuth, StreamViewer } from './access.js';
export { rtspSchema, settleRtsp, type RtspConfig, type RtspFile } from './config.js';

/** A new connection must send its first request within this (or the session timeout, if shorter). */
export const FIRST_REQUEST_MS = 10_000;
/** RTCP sender reports go this often per playing session. */
export const REPORT_INTERVAL_MS = 5000;

export interface RtspServerOptions {
  config: RtspConfig;
  registry: CameraRegistry;
  access: StreamAccess;
  log: Logger;
  /** rtsps on these (the server's TLS files). */
  tls?: { cert: Buffer; key: Buffer };
  connectionsPerAddress: number;
  connectionsPerCredential: number;
  maxSessions: number;
}

export interface RtspServer {
  /** The TCP port it listens on. */
  readonly port: number;
  readonly scheme: 'rtsp' | 'rtsps';
  /** The certificate changed (SIGHUP). */
  setSecureContext(tls: { cert: Buffer; key: Buffer }): void;
  close(): Promise<void>;
}

export async function startRtspServer(options: RtspServerOptions): Promise<RtspServer> {
  const { config, log } = options;
  const scheme = options.tls ? 'rtsps' : 'rtsp';
  const udp = options.tls ? undefined : await UdpSockets.open(config.host);
  const perCredential = new Map<string, number>();
  const ctx: ServerContext = {
    registry: options.registry,
    access: options.access,
    nonces: new DigestNonces(),
    log: log.child({ output: 'rtsp' }),
    sessions: new Map<string, RtspSession>(),
    maxSessions: options.maxSessions,
    sessionTimeoutMs: config.sessionTimeoutMs,
    udp,
    scheme,
    kernel: new KernelQueues(),
    enterCredential(credential) {
      const count = perCredential.get(credential) ?? 0;
      if (count >= options.connectionsPerCredential) return false;
      perCredential.set(credential, count + 1);
      return true;
    },
    leaveCredential(credential) {
      const count = (perCredential.get(credential) ?? 1) - 1;
      if (count > 0) perCredential.set(credential, count);
      else perCredential.delete(credential);
    },
  };
  const connections = new Set<RtspConnection>();
  const perAddress = new Map<string, number>();

  const accept = (socket: Socket): void => {
    const address = socket.remoteAddress ?? '?';
    const count = perAddress.get(address) ?? 0;
    if (count >= options.connectionsPerAddress) {
      socket.destroy();
      return;
    }
    perAddress.set(address, count + 1);
    socket.setNoDelay(true);
    const connection = new RtspConnection(socket, ctx);
    connections.add(connection);
    socket.once('close', () => {
      connections.delete(connection);
      const left = (perAddress.get(address) ?? 1) - 1;
      if (left > 0) perAddress.set(address, left);
      else perAddress.delete(address);
    });
  };
  const server: NetServer = options.tls
    ? createTlsServer({ cert: options.tls.cert, key: options.tls.key, handshakeTimeout: FIRST_REQUEST_MS }, accept)
    : createTcpServer(accept);
  server.on('tlsClientError', (err: Error) => ctx.log.debug({ err }, 'rtsps handshake failed'));

  const firstRequestMs = Math.min(FIRST_REQUEST_MS, config.sessionTimeoutMs);
  // Once a second: timeouts and stalls; every REPORT_INTERVAL_MS, the sender reports.
  let ticks = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    const report = ++ticks % Math.round(REPORT_INTERVAL_MS / 1000) === 0;
    for (const connection of connections) {
      const idleFor = now - connection.lastRequestAt;
      if (connection.requests === 0 && now - connection.openedAt > firstRequestMs) {
        connection.close();
        continue;
      }
      if (connection.sessions.size === 0 && idleFor > config.sessionTimeoutMs) {
        connection.close();
        continue;
      }
      for (const session of connection.sessions) {
        if (session.kind === 'udp') {
          if (now - Math.max(session.heardAt, connection.lastRequestAt) > config.sessionTimeoutMs) {
            ctx.log.debug({ session: session.id }, 'rtsp session timed out');
            connection.endSession(session);
            continue;
          }
        } else {
          // Units wait and none went for the timeout: the client stopped reading.
          if (session.stalledFor(now) > config.sessionTimeoutMs) {
            ctx.log.debug({ session: session.id }, 'rtsp client took nothing for the session timeout: closing');
            connection.close();
            break;
          }
        }
        if (report && session.playing) session.report();
      }
    }
  }, 1000);
  timer.unref();

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => {
      server.off('error', reject);
      resolve();
    });
  }).catch((err: unknown) => {
    clearInterval(timer);
    udp?.close();
    throw err;
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  ctx.log.info(
    { port, host: config.host, scheme, udp: udp ? [udp.rtpPort, udp.rtcpPort] : undefined },
    'rtsp is listening',
  );

  return {
    port,
    scheme,
    setSecureContext(tls) {
      if ('setSecureContext' in server) (server as ReturnType<typeof createTlsServer>).setSecureContext(tls);
    },
    async close() {
      clearInterval(timer);
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const connection of connections) connection.close();
      await closed;
      udp?.close();
    },
  };
}
