/**
 * The `login failed` lines, bounded: a login flood must not flood the log
 * (thousands of lines a second) and bury what else happened. In each window
 * of `windowMs`, the first `perSender` failures of a sender (its network:
 * network-prefix.ts: an IPv4 /24, an IPv6 /64) are logged one by one, at most `total` of
 * them in all; the others are counted, and when the window ends a summary
 * line says `N more failed logins from SENDER suppressed`: one per sender for
 * the `summaries` senders with the most, one for all the others together. At
 * most MAX_SENDERS senders are remembered per window.
 */
import { networkPrefix } from './network-prefix.js';

const MAX_SENDERS = 1000;

export interface FailureLogLimits {
  perSender: number;
  total: number;
  summaries: number;
  windowMs: number;
}

const DEFAULTS: FailureLogLimits = { perSender: 5, total: 100, summaries: 10, windowMs: 60_000 };

interface Sender {
  logged: number;
  suppressed: number;
}

export class FailureLog {
  private readonly limits: FailureLogLimits;
  private senders = new Map<string, Sender>();
  private logged = 0;
  /** Suppressed failures of senders not remembered (the table was full). */
  private unlisted = 0;
  private timer: NodeJS.Timeout | undefined;

  /** `summary(fields, message)` writes a summary line. */
  constructor(
    private readonly summary: (fields: { address: string; suppressed: number }, message: string) => void,
    limits: Partial<FailureLogLimits> = {},
  ) {
    this.limits = { ...DEFAULTS, ...limits };
  }

  /** A failed login from `address`: calls `write` to log it, or counts it for the window's summary. */
  failed(address: string, write: () => void): void {
    this.timer ??= setTimeout(() => this.flush(), this.limits.windowMs).unref();
    const key = networkPrefix(address);
    let sender = this.senders.get(key);
    if (!sender && this.senders.size < MAX_SENDERS) {
      sender = { logged: 0, suppressed: 0 };
      this.senders.set(key, sender);
    }
    if (sender && sender.logged < this.limits.perSender && this.logged < this.limits.total) {
      sender.logged++;
      this.logged++;
      write();
    } else if (sender) {
      sender.suppressed++;
    } else {
      this.unlisted++;
    }
  }

  /** Writes the window's summaries and starts a new window. */
  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const suppressed = [...this.senders].filter(([, s]) => s.suppressed > 0);
    suppressed.sort((a, b) => b[1].suppressed - a[1].suppressed);
    for (const [address, s] of suppressed.slice(0, this.limits.summaries)) {
      this.summary(
        { address, suppressed: s.suppressed },
        `${s.suppressed} more failed logins from ${address} suppressed`,
      );
    }
    const rest = suppressed.slice(this.limits.summaries).reduce((n, [, s]) => n + s.suppressed, this.unlisted);
    if (rest > 0) {
      this.summary(
        { address: 'others', suppressed: rest },
        `${rest} more failed logins from other addresses suppressed`,
      );
    }
    this.senders = new Map();
    this.logged = 0;
    this.unlisted = 0;
  }
}
