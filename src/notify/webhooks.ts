/**
 * Events to HTTP endpoints: each webhook gets a POST of `{type, event}` (JSON) for the changes and
 * cameras it asks for, signed when it has a secret: `X-Camrelay-Signature: sha256=<hex>`, the
 * HMAC-SHA256 of the body with the secret. Per webhook, one delivery at a time from a bounded queue
 * (the oldest dropped past it), each with a timeout and a few tries with backoff; a 4xx answer
 * (but 408 and 429) is not tried again. Nothing waits for an endpoint: a slow or dead one only
 * fills its own queue.
 */
import { createHmac, randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { EventJson, EventNotice } from '../events/index.js';
import type { WebhookConfig } from './config.js';

export const SIGNATURE_HEADER = 'x-camrelay-signature';

/** The signature header's value for a body: what a receiver computes to check it. */
export function signature(secret: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

export interface WebhookCounters {
  delivered: number;
  failed: number;
  dropped: number;
  retries: number;
}

interface Delivery {
  id: string;
  type: string;
  body: string;
}

export interface WebhookOptions {
  log: Logger;
  version: string;
  /** Deliveries waiting per webhook. */
  maxQueue?: number;
  /** Tries per delivery, and the wait before the second (doubling). */
  tries?: number;
  retryMs?: number;
}

class Webhook {
  readonly counters: WebhookCounters = { delivered: 0, failed: 0, dropped: 0, retries: 0 };
  private readonly queue: Delivery[] = [];
  private busy = false;
  private closed = false;
  private current: AbortController | undefined;
  private wait: NodeJS.Timeout | undefined;
  private lastFailureLog = 0;

  constructor(
    readonly index: number,
    readonly config: WebhookConfig,
    private readonly options: Required<Omit<WebhookOptions, 'log' | 'version'>> & WebhookOptions,
  ) {}

  wants(notice: EventNotice): boolean {
    if (!this.config.events.includes(notice.type)) return false;
    return !this.config.cameras || this.config.cameras.includes(notice.event.camera);
  }

  push(d: Delivery): void {
    if (this.closed) return;
    this.queue.push(d);
    if (this.queue.length > this.options.maxQueue) {
      this.queue.shift();
      this.counters.dropped++;
    }
    void this.run();
  }

  private async run(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      while (!this.closed && this.queue.length) await this.deliver(this.queue.shift()!);
    } finally {
      this.busy = false;
    }
  }

  private async deliver(d: Delivery): Promise<void> {
    let delay = this.options.retryMs;
    let reason = '';
    for (let attempt = 1; attempt <= this.options.tries && !this.closed; attempt++) {
      if (attempt > 1) {
        this.counters.retries++;
        await new Promise<void>((resolve) => {
          this.wait = setTimeout(resolve, delay);
        });
        delay *= 2;
        if (this.closed) break;
      }
      const headers: Record<string, string> = {
        'content-type': 'application/json',
        'user-agent': `camrelay/${this.options.version}`,
        'x-camrelay-event': d.type,
        'x-camrelay-delivery': d.id,
      };
      if (this.config.secret) headers[SIGNATURE_HEADER] = signature(this.config.secret, d.body);
      this.current = new AbortController();
      const timer = setTimeout(() => this.current?.abort(), this.config.timeoutMs);
      try {
        const res = await fetch(this.config.url, {
          method: 'POST',
          headers,
          body: d.body,
          signal: this.current.signal,
          redirect: 'manual',
        });
        // The answer's body is not wanted: read off (bounded by the timeout) so the connection is reused.
        await res.arrayBuffer().catch(() => undefined);
        if (res.ok) {
          this.counters.delivered++;
          return;
        }
        reason = `HTTP ${res.status}`;
        if (res.status >= 400 && res.status < 500 && res.status !== 408 && res.status !== 429) break;
      } catch (err) {
        reason = this.current.signal.aborted ? `no answer in ${this.config.timeoutMs / 1000} s` : describe(err);
      } finally {
        clearTimeout(timer);
      }
    }
    if (this.closed) return;
    this.counters.failed++;
    const now = Date.now();
    if (now - this.lastFailureLog > 60_000) {
      this.lastFailureLog = now;
      this.options.log.warn(
        { webhook: this.index, url: redact(this.config.url), reason, failed: this.counters.failed },
        `webhook: delivery failed (${reason})`,
      );
    }
  }

  close(): void {
    this.closed = true;
    this.queue.length = 0;
    clearTimeout(this.wait);
    this.current?.abort();
  }
}

export class Webhooks {
  readonly hooks: Webhook[];

  constructor(configs: readonly WebhookConfig[], options: WebhookOptions) {
    const settled = { maxQueue: 100, tries: 4, retryMs: 1000, ...options };
    this.hooks = configs.map((c, i) => new Webhook(i, c, settled));
  }

  notice(notice: EventNotice, json: EventJson): void {
    const wanting = this.hooks.filter((h) => h.wants(notice));
    if (!wanting.length) return;
    const body = JSON.stringify({ type: notice.type, event: json });
    for (const hook of wanting) hook.push({ id: randomUUID(), type: notice.type, body });
  }

  close(): void {
    for (const h of this.hooks) h.close();
  }
}

function describe(err: unknown): string {
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (err as Error).message ?? String(err);
}

/** The URL without credentials or query (which may hold a token), for the log. */
function redact(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname}`;
  } catch {
    return '(bad url)';
  }
}
