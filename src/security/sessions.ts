/**
 * Login sessions behind the `camrelay_session` cookie. The cookie carries a
 * random id; the store keys sessions by the id's SHA-256, so neither a lookup's
 * timing nor a memory dump gives a usable cookie. Bounded: the oldest session
 * goes when the store is full.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Principal } from './principal.js';

export const SESSION_COOKIE = 'camrelay_session';
const MAX_SESSIONS = 10_000;

interface Session {
  principal: Principal;
  expires: number;
}

const digest = (id: string) => createHash('sha256').update(id).digest('base64url');

export class SessionStore {
  private readonly sessions = new Map<string, Session>();

  constructor(private readonly ttlMs: number) {}

  create(principal: Omit<Principal, 'sessionId'>): { id: string; maxAgeSeconds: number } {
    const id = randomBytes(32).toString('base64url');
    if (this.sessions.size >= MAX_SESSIONS) this.sweep();
    if (this.sessions.size >= MAX_SESSIONS) this.sessions.delete(this.sessions.keys().next().value!);
    this.sessions.set(digest(id), { principal: { ...principal, kind: 'user' }, expires: Date.now() + this.ttlMs });
    return { id, maxAgeSeconds: Math.floor(this.ttlMs / 1000) };
  }

  get(id: string): Principal | undefined {
    const key = digest(id);
    const session = this.sessions.get(key);
    if (!session) return undefined;
    if (session.expires <= Date.now()) {
      this.sessions.delete(key);
      return undefined;
    }
    return { ...session.principal, sessionId: id };
  }

  end(id: string): void {
    this.sessions.delete(digest(id));
  }

  private sweep(): void {
    const now = Date.now();
    for (const [key, s] of this.sessions) if (s.expires <= now) this.sessions.delete(key);
  }
}
