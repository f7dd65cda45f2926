/**
 * Failed logins per client address: after `attempts` failures the address is
 * locked out for `lockoutMs`, whatever password it tries. Bounded: the oldest
 * address is forgotten when the table is full.
 */
const MAX_ADDRESSES = 10_000;

interface Record {
  failures: number;
  lockedUntil: number;
}

export class LoginLimiter {
  private readonly table = new Map<string, Record>();

  constructor(
    private readonly attempts: number,
    private readonly lockoutMs: number,
  ) {}

  /** Seconds until the address may try again; 0 when it may now. */
  retryAfter(address: string): number {
    const r = this.table.get(address);
    if (!r || r.lockedUntil <= Date.now()) return 0;
    return Math.ceil((r.lockedUntil - Date.now()) / 1000);
  }

  failed(address: string): void {
    let r = this.table.get(address);
    if (!r || (r.lockedUntil && r.lockedUntil <= Date.now())) {
      if (!r && this.table.size >= MAX_ADDRESSES) this.table.delete(this.table.keys().next().value!);
      r = { failures: 0, lockedUntil: 0 };
      this.table.set(address, r);
    }
    r.failures++;
    if (r.failures >= this.attempts) r.lockedUntil = Date.now() + this.lockoutMs;
  }

  succeeded(address: string): void {
    this.table.delete(address);
  }
}
