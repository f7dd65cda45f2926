/**
 * Login attempts per client (an IPv4 address, an IPv6 /64: src/client-prefix.ts)
 * and per account name. An attempt counts
 * when it starts, before its password hash is checked, so concurrent guesses
 * cannot all be tried before any of them counts: at most `attempts` checks
 * run for an address or an account within a window of `lockoutMs`, and the
 * attempt that uses the count up locks it out for `lockoutMs`. A success
 * gives back its own attempt and clears the account's count (its password is
 * known), never the address's: a valid login of one account does not buy
 * guesses at another. An attempt refused because the server was too busy
 * to check it counts against its client, not the account: a flood that keeps
 * the password checks busy uses its own attempts up and is locked out like
 * any other guesser. Bounded: the oldest keys are forgotten when the table is
 * full.
 */
import { clientPrefix } from '../client-prefix.js';

const MAX_KEYS = 20_000;

interface Counter {
  /** Attempts started in this window (running checks and failures). */
  attempts: number;
  windowStart: number;
  lockedUntil: number;
}

export type LoginTicket =
  | {
      ok: true;
      /** The password was right. */
      succeeded(): void;
      /** It was wrong: the attempt stays counted. */
      failed(): void;
      /** It was never checked (the server was too busy): it stays counted against the client, not the account. */
      busy(): void;
    }
  | { ok: false; retryAfter: number };

export class LoginLimiter {
  private readonly table = new Map<string, Counter>();

  constructor(
    private readonly attempts: number,
    private readonly lockoutMs: number,
  ) {}

  /** The seconds the client or the account is locked out for; 0 when neither is. Counts nothing. */
  lockedFor(address: string, account: string): number {
    const now = Date.now();
    // Refused attempts make no entries: a locked-out client cannot push its own entry out of the table.
    return Math.max(...[addressKey(address), accountKey(account)].map((key) => this.wait(this.current(key, now), now)));
  }

  /** Counts an attempt before its check runs; refused (with the seconds to wait) once either count is used up. */
  begin(address: string, account: string): LoginTicket {
    const wait = this.lockedFor(address, account);
    if (wait > 0) return { ok: false, retryAfter: wait };
    const now = Date.now();
    const keys = [addressKey(address), accountKey(account)];
    const counters = keys.map((key) => this.counter(key, now));
    for (const c of counters) {
      c.attempts++;
      if (c.attempts >= this.attempts) c.lockedUntil = now + this.lockoutMs;
    }
    const [byAddress, byAccount] = counters as [Counter, Counter];
    let settled = false;
    return {
      ok: true,
      succeeded: () => {
        if (settled) return;
        settled = true;
        // A success is not a failure: it gives its attempt back, and the account's guesses are over.
        if (byAddress.attempts > 0) byAddress.attempts--;
        if (byAddress.attempts < this.attempts) byAddress.lockedUntil = 0;
        byAccount.attempts = 0;
        byAccount.lockedUntil = 0;
      },
      failed: () => {
        settled = true;
      },
      busy: () => {
        if (settled) return;
        settled = true;
        if (byAccount.attempts > 0) byAccount.attempts--;
        if (byAccount.attempts < this.attempts) byAccount.lockedUntil = 0;
      },
    };
  }

  private wait(c: Counter | undefined, now: number): number {
    if (!c) return 0;
    if (c.lockedUntil > now) return Math.max(1, Math.ceil((c.lockedUntil - now) / 1000));
    return 0;
  }

  private current(key: string, now: number): Counter | undefined {
    const c = this.table.get(key);
    const over = c && (c.lockedUntil ? c.lockedUntil <= now : c.windowStart + this.lockoutMs <= now);
    if (c && over) {
      this.table.delete(key);
      return undefined;
    }
    return c;
  }

  private counter(key: string, now: number): Counter {
    let c = this.current(key, now);
    if (!c) {
      if (this.table.size >= MAX_KEYS) this.table.delete(this.table.keys().next().value!);
      c = { attempts: 0, windowStart: now, lockedUntil: 0 };
      this.table.set(key, c);
    }
    return c;
  }
}

const addressKey = (address: string): string => `address ${clientPrefix(address)}`;
const accountKey = (account: string): string => `account ${account.toLowerCase()}`;
