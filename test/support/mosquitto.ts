/**
 * A real MQTT broker for tests: Debian's Mosquitto on a loopback port, with a config of its own in
 * a temporary folder (anonymous, no persistence), stopped and started again on the same port.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './ports.js';
import { waitFor } from './wait.js';

export const MOSQUITTO = '/usr/sbin/mosquitto';

export class Mosquitto {
  private proc: ChildProcess | undefined;
  private readonly dir = mkdtempSync(join(tmpdir(), 'camrelay-mosquitto-'));

  private constructor(readonly port: number) {
    writeFileSync(
      join(this.dir, 'mosquitto.conf'),
      `listener ${port} 127.0.0.1\nallow_anonymous true\npersistence false\nlog_dest none\n`,
    );
  }

  static async start(): Promise<Mosquitto> {
    const broker = new Mosquitto(await freePort());
    await broker.resume();
    return broker;
  }

  get url(): string {
    return `mqtt://127.0.0.1:${this.port}`;
  }

  /** Starts the broker (again), and waits until it accepts connections. */
  async resume(): Promise<void> {
    this.proc = spawn(MOSQUITTO, ['-c', join(this.dir, 'mosquitto.conf')], { stdio: 'ignore' });
    await waitFor(() => accepts(this.port), 10_000, `mosquitto on port ${this.port}`);
  }

  /** Stops it, as a broker that goes away does (its clients see their connection closed). */
  async stop(): Promise<void> {
    const proc = this.proc;
    this.proc = undefined;
    if (!proc || proc.exitCode !== null) return;
    const exited = new Promise((resolve) => proc.once('exit', resolve));
    proc.kill('SIGKILL');
    await exited;
  }

  async close(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
