/**
 * A real nats-server (the Debian package, /usr/sbin/nats-server, installed by scripts/ensure-test-deps.sh)
 * for the cluster's tests and bench: JetStream on, monitoring on (its /varz and /connz are how tests read
 * the bus traffic), killed with SIGKILL and started again on the same ports.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:net';
import { freePort } from './ports.js';
import { waitFor } from './wait.js';

export const NATS_SERVER = '/usr/sbin/nats-server';

/** Why no nats-server can run here, or undefined. */
export function natsMissing(): string | undefined {
  return existsSync(NATS_SERVER) ? undefined : `${NATS_SERVER} is missing (apt-get install nats-server)`;
}

/** One connection as /connz lists it. */
export interface NatsConnz {
  name?: string;
  in_msgs: number;
  out_msgs: number;
  in_bytes: number;
  out_bytes: number;
  subscriptions: number;
}

/** Where the server runs. */
export interface NatsPlace {
  netns?: string;
  host?: string;
}

export class NatsServer {
  private child: ChildProcess | undefined;
  private readonly dir = mkdtempSync(join(tmpdir(), 'camrelay-nats-'));

  private constructor(
    readonly port: number,
    readonly monitorPort: number,
    private readonly where: NatsPlace,
  ) {}

  /** On loopback by default; `netns`: inside that network namespace (needs root), on `host` there. */
  static async start(where: NatsPlace = {}): Promise<NatsServer> {
    const server = new NatsServer(await freePort(), await freePort(), where);
    await server.run();
    return server;
  }

  get url(): string {
    return `nats://${this.where.host ?? '127.0.0.1'}:${this.port}`;
  }

  /** Starts it (again, on the same ports) and waits until it accepts connections. */
  async run(): Promise<void> {
    const host = this.where.host ?? '127.0.0.1';
    const args = ['-a', host, '-p', String(this.port), '-m', String(this.monitorPort), '-js', '-sd', this.dir];
    const netns = this.where.netns;
    const child = netns
      ? spawn('ip', ['netns', 'exec', netns, NATS_SERVER, ...args], { stdio: ['ignore', 'ignore', 'pipe'] })
      : spawn(NATS_SERVER, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    this.child = child;
    let log = '';
    child.stderr!.on('data', (d: Buffer) => (log = (log + d.toString()).slice(-4000)));
    await waitFor(
      () => {
        if (child.exitCode !== null) throw new Error(`nats-server exited with ${child.exitCode}: ${log}`);
        return /Server is ready/.test(log) || undefined;
      },
      10_000,
      'nats-server to be ready',
    );
    if (netns) return;
    await waitFor(
      () =>
        new Promise<boolean | undefined>((resolve) => {
          const socket = connect(this.port, host);
          socket.once('connect', () => {
            socket.destroy();
            resolve(true);
          });
          socket.once('error', () => resolve(undefined));
        }),
      10_000,
      'nats-server to listen',
    );
  }

  /** SIGSTOP / SIGCONT: a server that stops answering without closing anything (a stalled link). */
  pause(paused: boolean): void {
    this.child?.kill(paused ? 'SIGSTOP' : 'SIGCONT');
  }

  /** SIGKILL; resolves once it has exited. */
  async kill(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  }

  /** The server's /varz (totals: in_msgs, out_msgs, in_bytes, out_bytes, …). */
  async varz(): Promise<Record<string, number>> {
    return (await (await fetch(`http://127.0.0.1:${this.monitorPort}/varz`)).json()) as Record<string, number>;
  }

  /** The connections /connz lists. */
  async connz(): Promise<NatsConnz[]> {
    const body = (await (await fetch(`http://127.0.0.1:${this.monitorPort}/connz?limit=1024`)).json()) as {
      connections: NatsConnz[];
    };
    return body.connections;
  }

  async stop(): Promise<void> {
    await this.kill();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
