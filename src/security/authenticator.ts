/**
 * Turns a request's credential into a Principal. Credentials are accepted as
 * `Authorization: Bearer` (API token or share link), `Authorization: Basic`
 * (user and password, for MJPEG clients such as VLC), `?token=` (WebSocket
 * and <img> from other origins cannot send headers), or the session cookie
 * set by /login. A credential that is present but wrong is an error: it never
 * falls through to another one.
 */
import type { FastifyRequest } from 'fastify';
import { networkPrefix } from './network-prefix.js';
import type { SecurityConfig } from './config.js';
import type { HashQueue } from './hash-queue.js';
import type { LoginLimiter } from './login-limiter.js';
import { verifyPassword } from './password.js';
import type { Principal } from './principal.js';
import { hashToken, safeEqual } from './secrets.js';
import { VerifiedPasswords } from './verified-passwords.js';
import { SESSION_COOKIE, type SessionStore } from './sessions.js';
import { looksLikeJwt, type ShareLinks } from './share-links.js';

export type AuthOutcome =
  | { ok: true; principal: Principal }
  | { ok: false; status: 401; message: string }
  | { ok: false; status: 429 | 503; message: string; retryAfter: number };

type UserEntry = SecurityConfig['auth']['users'][number];

const MAX_TOKEN_LENGTH = 2048;

export class Authenticator {
  constructor(
    private readonly config: SecurityConfig,
    private readonly sessions: SessionStore,
    private readonly shares: ShareLinks,
    private readonly limiter: LoginLimiter,
    private readonly hashing: HashQueue,
    private readonly verified = new VerifiedPasswords(),
  ) {}

  /** Undefined when the request carries no credential at all. */
  async authenticate(request: FastifyRequest): Promise<AuthOutcome | undefined> {
    const header = request.headers.authorization;
    if (header) {
      const [scheme, value = ''] = header.split(' ', 2);
      if (/^bearer$/i.test(scheme ?? '')) return this.token(value.trim());
      if (/^basic$/i.test(scheme ?? '')) return this.basic(value.trim(), request.ip);
      return fail('unsupported Authorization scheme (use Bearer or Basic)');
    }
    const query = request.query as Record<string, unknown> | undefined;
    const token = query?.token;
    if (typeof token === 'string') return this.token(token);
    if (token !== undefined) return fail('token must be given once');
    const cookie = request.cookies?.[SESSION_COOKIE];
    if (cookie) {
      const principal =
        this.sessions.get(cookie) ??
        // Issued by another hub of the cluster (the same users on every hub).
        (await this.sessions.fromPeers(cookie, (name) => {
          const user = this.config.auth.users.find((u) => u.name === name);
          return user ? userPrincipal(user) : undefined;
        }));
      return principal ? { ok: true, principal } : fail('session expired or ended: log in again');
    }
    return undefined;
  }

  /**
   * Checks a user's password. The attempt counts against the client and the account before the
   * hash is checked (login-limiter.ts), and the check waits its turn in its client network's share
   * of the queue (hash-queue.ts). A password that checked out within the last minutes needs no
   * second check (verified-passwords.ts), once the client and the account are not locked out.
   */
  async login(name: string, password: string, address: string): Promise<AuthOutcome> {
    const locked = this.limiter.lockedFor(address, name);
    if (locked > 0) return lockedOut(locked);
    const user = this.config.auth.users.find((u) => safeEqual(u.name, name));
    if (this.verified.has(name, password, user?.password_hash) && user)
      return { ok: true, principal: userPrincipal(user) };
    const ticket = this.limiter.begin(address, name);
    if (!ticket.ok) return lockedOut(ticket.retryAfter);
    // A missing user costs a hash too, so timing does not tell which names exist.
    const ok = await this.hashing.run(networkPrefix(address), () =>
      verifyPassword(password, user?.password_hash ?? DUMMY_HASH),
    );
    if (ok === undefined) {
      ticket.busy();
      return { ok: false, status: 503, message: 'too many logins at once: try again in a moment', retryAfter: 2 };
    }
    if (!user || !ok) {
      ticket.failed();
      return fail('wrong user name or password');
    }
    ticket.succeeded();
    this.verified.remember(user.name, password, user.password_hash);
    return { ok: true, principal: userPrincipal(user) };
  }

  /**
   * Digest (RTSP): the client's response checked by `verify` against the user's `rtsp_digest` (its HA1),
   * counted toward the login limits like a password. A user without one fails like a wrong password.
   */
  digestLogin(name: string, verify: (ha1: string) => boolean, address: string): AuthOutcome {
    const ticket = this.limiter.begin(address, name);
    if (!ticket.ok) return lockedOut(ticket.retryAfter);
    const user = this.config.auth.users.find((u) => safeEqual(u.name, name));
    if (!user?.rtsp_digest || !verify(user.rtsp_digest)) {
      ticket.failed();
      return fail('wrong user name or password');
    }
    ticket.succeeded();
    return { ok: true, principal: userPrincipal(user) };
  }

  /** An API token or share link. */
  async token(token: string): Promise<AuthOutcome> {
    if (!token || token.length > MAX_TOKEN_LENGTH) return fail('malformed token');
    if (looksLikeJwt(token)) {
      const principal = await this.shares.verify(token);
      return principal ? { ok: true, principal } : fail('share link invalid or expired');
    }
    const hash = hashToken(token);
    for (const t of this.config.auth.tokens) {
      if (safeEqual(hash, t.token_hash)) {
        const cameras = t.cameras ? new Set(t.cameras) : undefined;
        const credential = `token ${t.name}`;
        const principal: Principal = {
          kind: 'token',
          name: t.name,
          role: t.role,
          cameras,
          credential,
          ...recordingsOf(t.recordings),
        };
        return { ok: true, principal };
      }
    }
    const metrics = this.config.auth.metrics_token_hash;
    if (metrics && safeEqual(hash, metrics))
      return { ok: true, principal: { kind: 'metrics', name: 'metrics', role: 'viewer', cameras: new Set() } };
    return fail('unknown token');
  }

  private async basic(value: string, address: string): Promise<AuthOutcome> {
    const decoded = Buffer.from(value, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 1 || value.length > MAX_TOKEN_LENGTH) return fail('malformed Basic credentials');
    return this.login(decoded.slice(0, colon), decoded.slice(colon + 1), address);
  }
}

function lockedOut(wait: number): AuthOutcome {
  return { ok: false, status: 429, message: `too many failed logins: try again in ${wait} s`, retryAfter: wait };
}

function userPrincipal(user: UserEntry): Principal {
  return {
    kind: 'user',
    name: user.name,
    role: user.role,
    cameras: user.cameras ? new Set(user.cameras) : undefined,
    credential: `user ${user.name}`,
    ...recordingsOf(user.recordings),
  };
}

/** The config's `recordings` of a user or token, as a Principal's. */
function recordingsOf(setting: boolean | string[] | undefined): Pick<Principal, 'recordings'> {
  if (setting === undefined) return {};
  return { recordings: typeof setting === 'boolean' ? setting : new Set(setting) };
}

function fail(message: string): AuthOutcome {
  return { ok: false, status: 401, message };
}

// A valid hash of a random password: verifying against it takes as long as against a real one.
const DUMMY_HASH = '$scrypt$ln=15,r=8,p=1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=';
