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

/**
 * The other hubs of a cluster (src/cluster), for logins made on one hub to work on every hub: a cookie this
 * hub does not know is looked up among them by its digest (never the id itself), and a logout ends it
 * everywhere.
 */
export interface SessionPeers {
  /** The user name and expiry of the session with this digest on another hub, or undefined. */
  lookup(key: string): Promise<{ user: string; expires: number } | undefined>;
  /** The session with this digest ended here (logout): the others drop it too. */
  ended(key: string): void;
}

/**
 * Between the server's security plugin and the cluster, which starts after it: the cluster answers other
 * hubs from `store` and sets `peers`.
 */
export class SessionLink {
  store: SessionStore | undefined;
  peers: SessionPeers | undefined;
}

/** Lookups among the other hubs at once: past this, a cookie this hub does not know fails at once. */
const MAX_PEER_LOOKUPS = 32;
/** A session id as create() makes it (32 random bytes, base64url): anything else is not looked up. */
const SESSION_ID = /^[A-Za-z0-9_-]{43}$/;

export class SessionStore {
  private readonly sessions = new Map<string, Session>();
  private lookups = 0;

  constructor(
    private readonly ttlMs: number,
    private readonly link?: SessionLink,
  ) {
    if (link) link.store = this;
  }

  /**
   * A session another hub of the cluster issued, found by its digest and taken over here: `principal` is
   * built by this hub from its own users (the same config on every hub). Undefined when no hub has it.
   */
  async fromPeers(
    id: string,
    principalOf: (user: string) => Omit<Principal, 'sessionId'> | undefined,
  ): Promise<Principal | undefined> {
    const peers = this.link?.peers;
    if (!peers || !SESSION_ID.test(id) || this.lookups >= MAX_PEER_LOOKUPS) return undefined;
    const key = digest(id);
    this.lookups++;
    try {
      const found = await peers.lookup(key);
      if (!found || found.expires <= Date.now()) return undefined;
      const principal = principalOf(found.user);
      if (!principal) return undefined;
      this.adopt(key, principal, Math.min(found.expires, Date.now() + this.ttlMs));
      return { ...principal, kind: 'user', sessionId: id };
    } finally {
      this.lookups--;
    }
  }

  /** For another hub's lookup: the user and expiry of the session with this digest, if it lives here. */
  find(key: string): { user: string; expires: number } | undefined {
    const session = this.sessions.get(key);
    if (!session || session.expires <= Date.now()) return undefined;
    return { user: session.principal.name, expires: session.expires };
  }

  /** Another hub ended the session with this digest. */
  drop(key: string): void {
    this.sessions.delete(key);
  }

  private adopt(key: string, principal: Omit<Principal, 'sessionId'>, expires: number): void {
    if (this.sessions.size >= MAX_SESSIONS) this.sweep();
    if (this.sessions.size >= MAX_SESSIONS) this.sessions.delete(this.sessions.keys().next().value!);
    this.sessions.set(key, { principal: { ...principal, kind: 'user' }, expires });
  }

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
    const key = digest(id);
    this.sessions.delete(key);
    this.link?.peers?.ended(key);
  }

  private sweep(): void {
    const now = Date.now();
    for (const [key, s] of this.sessions) if (s.expires <= now) this.sessions.delete(key);
  }
}
