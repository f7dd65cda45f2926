/**
 * Events to an MQTT broker (README.md here has the topics: they are a contract). The broker is the
 * user's and may be down or slow: nothing here ever waits for it. Messages go through a bounded
 * queue (the oldest dropped past it, counted and logged; a retained state replaces the one queued
 * for its topic), at most a few in flight; a lost connection is tried again with backoff (1 s
 * doubling to 30 s), announcing `online` (retained; `offline` is the last will), the discovery
 * configs and every camera's motion state again.
 */
import { hostname } from 'node:os';
import { connect, type IClientOptions, type MqttClient } from 'mqtt';
import type { Logger } from 'pino';
import { Backoff } from '../hub/backoff.js';
import type { EventJson, EventNotice } from '../events/index.js';
import type { MqttConfig } from './config.js';
import {
  availabilityTopic,
  discoveryMessages,
  motionTopic,
  snapshotTopic,
  type DiscoveredCamera,
} from './discovery.js';

interface Message {
  topic: string;
  payload: string | Buffer;
  retain: boolean;
  qos: 0 | 1;
}

export interface MqttCounters {
  sent: number;
  dropped: number;
  reconnects: number;
}

export interface MqttNotifierOptions {
  log: Logger;
  version: string;
  /** The cameras with events now (announced to Home Assistant), and whether each is in motion. */
  cameras(): (DiscoveredCamera & { motion: boolean })[];
  /** Bounds of the queue. */
  maxMessages?: number;
  maxBytes?: number;
  /** Reconnection delays (tests shorten them). */
  backoff?: Backoff;
  /** mqtt.js's connect (tests may wrap it). */
  connect?: (url: string, options: IClientOptions) => MqttClient;
}

const MAX_IN_FLIGHT = 16;

export class MqttNotifier {
  readonly counters: MqttCounters = { sent: 0, dropped: 0, reconnects: 0 };
  private client: MqttClient | undefined;
  private queue: Message[] = [];
  private queuedBytes = 0;
  private inFlight = 0;
  private connected = false;
  private closed = false;
  private retry: NodeJS.Timeout | undefined;
  private readonly backoff: Backoff;
  private lastProblem: string | undefined;
  private lastDropLog = 0;
  /** Cameras whose discovery was sent on this connection. */
  private readonly announced = new Set<string>();
  private readonly maxMessages: number;
  private readonly maxBytes: number;

  constructor(
    private readonly config: MqttConfig,
    private readonly options: MqttNotifierOptions,
  ) {
    this.backoff = options.backoff ?? new Backoff(1000, 30_000);
    this.maxMessages = options.maxMessages ?? 1000;
    this.maxBytes = options.maxBytes ?? 32 * 1024 * 1024;
  }

  get isConnected(): boolean {
    return this.connected;
  }

  get queued(): number {
    return this.queue.length;
  }

  start(): void {
    const c = this.config;
    const client = (this.options.connect ?? connect)(c.url, {
      clientId: c.clientId ?? `camrelay-${hostname().replace(/[^A-Za-z0-9_-]/g, '')}-${process.pid}`.slice(0, 64),
      ...(c.username !== undefined ? { username: c.username } : {}),
      ...(c.password !== undefined ? { password: c.password } : {}),
      clean: true,
      keepalive: 30,
      connectTimeout: 10_000,
      // Reconnection is ours, with backoff; messages wait in our bounded queue, not mqtt.js's.
      reconnectPeriod: 0,
      queueQoSZero: false,
      resubscribe: false,
      will: { topic: availabilityTopic(c), payload: Buffer.from('offline'), retain: true, qos: 1 },
    });
    this.client = client;
    client.on('connect', () => this.connectedNow());
    client.on('message', (topic, payload) => {
      // Home Assistant started again: it asks for the discovery configs by saying so.
      if (topic === `${c.discoveryPrefix}/status` && payload.toString() === 'online') this.announceAll();
    });
    client.on('error', (err) => this.problem(err.message));
    client.on('close', () => this.lost());
  }

  private connectedNow(): void {
    this.connected = true;
    this.inFlight = 0;
    this.backoff.reset();
    this.options.log.info({ broker: redact(this.config.url) }, 'mqtt: connected');
    this.lastProblem = undefined;
    this.announced.clear();
    // Ahead of anything queued: the broker's retained `offline` (a last will) is replaced first.
    this.queue.unshift({ topic: availabilityTopic(this.config), payload: 'online', retain: true, qos: 1 });
    if (this.config.discovery) this.client?.subscribe(`${this.config.discoveryPrefix}/status`, { qos: 0 });
    this.announceAll();
  }

  /** Discovery for every camera, and its motion state. */
  private announceAll(): void {
    this.announced.clear();
    for (const camera of this.options.cameras()) this.announce(camera, camera.motion);
  }

  private announce(camera: DiscoveredCamera, motion: boolean): void {
    this.announced.add(camera.id);
    if (this.config.discovery) {
      for (const m of discoveryMessages(this.config, camera, this.options.version)) {
        this.enqueue({ topic: m.topic, payload: m.payload, retain: true, qos: 1 });
      }
    }
    this.enqueue({ topic: motionTopic(this.config, camera.id), payload: motion ? 'ON' : 'OFF', retain: true, qos: 1 });
  }

  private lost(): void {
    const was = this.connected;
    this.connected = false;
    if (this.closed) return;
    if (was) this.options.log.warn({ broker: redact(this.config.url) }, 'mqtt: connection lost; reconnecting');
    clearTimeout(this.retry);
    this.retry = setTimeout(() => {
      this.counters.reconnects++;
      this.client?.reconnect();
    }, this.backoff.next());
    this.retry.unref();
  }

  private problem(message: string): void {
    if (message === this.lastProblem) return;
    this.lastProblem = message;
    this.options.log.warn(
      { broker: redact(this.config.url), queued: this.queue.length },
      `mqtt: cannot reach the broker (${message}); events wait in a bounded queue while it retries`,
    );
  }

  /** An event changed: its motion state, the event, its snapshot. */
  notice(notice: EventNotice, json: EventJson, camera: DiscoveredCamera): void {
    if (this.closed) return;
    const c = this.config;
    const id = notice.event.camera;
    if (!this.announced.has(id) && this.connected) this.announce(camera, notice.type !== 'end');
    if (notice.type !== 'update') {
      this.enqueue({
        topic: motionTopic(c, id),
        payload: notice.type === 'start' ? 'ON' : 'OFF',
        retain: true,
        qos: 1,
      });
    }
    this.enqueue({
      topic: `${c.topicPrefix}/events`,
      payload: JSON.stringify({ type: notice.type, event: json }),
      retain: false,
      qos: 1,
    });
    if (notice.snapshot) this.enqueue({ topic: snapshotTopic(c, id), payload: notice.snapshot, retain: true, qos: 0 });
  }

  private enqueue(message: Message): void {
    if (message.retain) {
      // A newer state of a topic replaces the one still waiting: only the last one matters.
      const i = this.queue.findIndex((m) => m.retain && m.topic === message.topic);
      if (i >= 0) {
        this.queuedBytes -= this.queue[i]!.payload.length;
        this.queue.splice(i, 1);
      }
    }
    this.queue.push(message);
    this.queuedBytes += message.payload.length;
    let dropped = 0;
    while (this.queue.length > this.maxMessages || (this.queuedBytes > this.maxBytes && this.queue.length > 1)) {
      const old = this.queue.shift()!;
      this.queuedBytes -= old.payload.length;
      dropped++;
    }
    if (dropped) {
      this.counters.dropped += dropped;
      const now = Date.now();
      if (now - this.lastDropLog > 60_000) {
        this.lastDropLog = now;
        this.options.log.warn(
          { dropped: this.counters.dropped, queued: this.queue.length },
          'mqtt: the broker is not taking messages; dropping the oldest queued',
        );
      }
    }
    this.drain();
  }

  private drain(): void {
    const client = this.client;
    while (client && this.connected && this.inFlight < MAX_IN_FLIGHT && this.queue.length) {
      const m = this.queue.shift()!;
      this.queuedBytes -= m.payload.length;
      this.inFlight++;
      client.publish(m.topic, m.payload, { qos: m.qos, retain: m.retain }, (err) => {
        this.inFlight = Math.max(0, this.inFlight - 1);
        if (err) this.counters.dropped++;
        else this.counters.sent++;
        this.drain();
      });
    }
  }

  /** Says `offline` (retained) and disconnects; at most `graceMs` (a broker that is gone is not waited for). */
  async close(graceMs = 1000): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.retry);
    const client = this.client;
    if (!client) return;
    const offline = new Promise<void>((resolve) => {
      if (!this.connected) return resolve();
      client.publish(availabilityTopic(this.config), 'offline', { qos: 1, retain: true }, () => resolve());
    });
    const timeout = () => new Promise<void>((resolve) => setTimeout(resolve, graceMs).unref());
    await Promise.race([offline, timeout()]);
    await Promise.race([client.endAsync(!this.connected), timeout()]);
    client.end(true);
  }
}

/** The broker's URL without a password in it, for the log. */
function redact(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(bad url)';
  }
}
