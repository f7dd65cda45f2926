/**
 * The hub's connection to NATS: reconnects forever with the client's own backoff (250 ms to 5 s, jittered)
 * across the configured servers, and a log line per state change. The first connection is made in the
 * background: a hub whose NATS is down serves its own cameras and joins the cluster when NATS is up.
 */
import type { Logger } from 'pino';
import { connect, credsAuthenticator, type NatsConnection } from '@nats-io/transport-node';
import type { ClusterConfig } from './config.js';

export type BusState = 'connecting' | 'connected' | 'disconnected' | 'closed';

export interface BusListener {
  /** A connection (first or again): subscriptions made earlier are restored by the client itself. */
  connected(nc: NatsConnection): void;
  disconnected(): void;
}

/** Without a user part or query: what a server URL may show in logs and the API. */
export function shownServer(url: string): string {
  if (!url.includes('://')) url = `nats://${url}`; // the client reports the server it is on as host:port
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}`;
  } catch {
    return '(unparsable URL)';
  }
}

export class BusConnection {
  private nc: NatsConnection | undefined;
  private closing = false;
  state: BusState = 'connecting';
  /** Since when (ms since the Unix epoch) the connection has been in this state. */
  since = Date.now();
  server: string | undefined;
  reconnects = 0;

  constructor(
    private readonly config: ClusterConfig,
    private readonly listener: BusListener,
    private readonly log: Logger,
  ) {}

  get connection(): NatsConnection | undefined {
    return this.state === 'connected' ? this.nc : undefined;
  }

  start(): void {
    void this.run();
  }

  private async run(): Promise<void> {
    const c = this.config;
    this.log.info({ servers: c.servers.map(shownServer), hub: c.name }, 'cluster: connecting to NATS');
    try {
      this.nc = await connect({
        servers: c.servers,
        name: `camrelay-${c.name}`,
        ...(c.user !== undefined ? { user: c.user, pass: c.pass } : {}),
        ...(c.token !== undefined ? { token: c.token } : {}),
        ...(c.creds ? { authenticator: credsAuthenticator(c.creds) } : {}),
        ...(c.tls
          ? {
              tls: {
                ...(c.tls.ca ? { ca: c.tls.ca } : {}),
                ...(c.tls.cert ? { cert: c.tls.cert, key: c.tls.key } : {}),
              },
            }
          : {}),
        waitOnFirstConnect: true,
        maxReconnectAttempts: -1,
        reconnectTimeWait: 250,
        reconnectJitter: 100,
        pingInterval: 2000,
        maxPingOut: 2,
      });
    } catch (err) {
      if (this.closing) return;
      this.log.error({ err: (err as Error).message }, 'cluster: cannot connect to NATS');
      this.setState('closed');
      return;
    }
    if (this.closing) {
      await this.nc.close().catch(() => undefined);
      return;
    }
    this.server = this.nc.getServer();
    this.setState('connected');
    this.listener.connected(this.nc);
    void this.nc.closed().then((err) => {
      if (err && !this.closing) this.log.error({ err: err.message }, 'cluster: NATS connection closed');
      this.setState('closed');
    });
    for await (const s of this.nc.status()) {
      switch (s.type) {
        case 'disconnect':
          if (this.state === 'connected') {
            this.setState('disconnected', { server: shownServer(s.server) });
            this.listener.disconnected();
          }
          break;
        case 'reconnect':
          this.reconnects++;
          this.server = s.server;
          this.setState('connected', { server: shownServer(s.server) });
          this.listener.connected(this.nc);
          break;
        case 'slowConsumer':
          this.log.warn({ pending: s.pending }, 'cluster: a subscription falls behind');
          break;
        case 'error':
          this.log.warn({ err: s.error.message }, 'cluster: NATS error');
          break;
        default:
          break;
      }
    }
  }

  private setState(state: BusState, fields: Record<string, unknown> = {}): void {
    if (this.state === state) return;
    this.state = state;
    this.since = Date.now();
    this.log.info({ state, ...fields }, `cluster: NATS ${state}`);
  }

  async close(): Promise<void> {
    this.closing = true;
    const nc = this.nc;
    this.nc = undefined;
    if (nc) await nc.drain().catch(() => nc.close().catch(() => undefined));
  }
}
