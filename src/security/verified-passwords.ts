/**
 * Passwords that checked out a moment ago, so that a client that sends its
 * password with every request (HTTP Basic: an MJPEG player, a script) does
 * not need a scrypt check, and a place in the password-check queue, each
 * time: during a login flood the queue may be full, and such a user must
 * still get in. Only successes are kept, for `ttlMs`, at most `max` of them
 * (the oldest go first).
 *
 * Entries are keyed by an HMAC of the user name and password under a random
 * key of this process, never the password itself, and remember the stored
 * hash they matched: a changed password hash no longer matches. A lookup
 * that finds nothing costs nothing but the caller's normal check.
 */
import { createHmac, randomBytes } from 'node:crypto';

interface Entry {
  /** The config's password hash the password matched. */
  passwordHash: string;
  expires: number;
}

export class VerifiedPasswords {
  private readonly key = randomBytes(32);
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly ttlMs = 10 * 60_000,
    private readonly max = 1024,
  ) {}

  /**
   * Did `password` match `passwordHash` for `name` within the last `ttlMs`? An unknown user (no
   * hash) costs the same HMAC, so the lookup's time does not tell which names exist.
   */
  has(name: string, password: string, passwordHash: string | undefined): boolean {
    const id = this.id(name, password);
    const entry = this.entries.get(id);
    if (!entry || passwordHash === undefined) return false;
    if (entry.expires <= Date.now() || entry.passwordHash !== passwordHash) {
      this.entries.delete(id);
      return false;
    }
    return true;
  }

  /** Remembers a password that matched `passwordHash` for `name`. */
  remember(name: string, password: string, passwordHash: string): void {
    const id = this.id(name, password);
    this.entries.delete(id);
    if (this.entries.size >= this.max) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(id, { passwordHash, expires: Date.now() + this.ttlMs });
  }

  private id(name: string, password: string): string {
    // The name's length first: no other name and password give the same input.
    return createHmac('sha256', this.key).update(`${name.length}:${name}:${password}`).digest('base64url');
  }
}
