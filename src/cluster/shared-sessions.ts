/**
 * One set of users across the hubs: a login made on one hub works on every hub. A hub that gets a session
 * cookie it does not know asks the others by the session's digest (the cookie itself never crosses the
 * bus); the hub that issued it answers with the user's name and the expiry, and the asking hub builds the
 * user from its own config (every hub has the same `auth.users`). A logout ends the session everywhere.
 * Share links need nothing of this: they are signed, and work on every hub with the same
 * `auth.share_secret`.
 */
import type { Msg, NatsConnection } from '@nats-io/transport-node';
import type { SessionLink } from '../security/index.js';
import { subjects } from './subjects.js';

/** How long a lookup waits for the hub that has the session (an unknown cookie costs this much). */
const LOOKUP_TIMEOUT_MS = 1000;
/** A session's digest: SHA-256, base64url. */
const KEY = /^[A-Za-z0-9_-]{43}$/;

export class SharedSessions {
  constructor(
    private readonly link: SessionLink,
    private readonly connection: () => NatsConnection | undefined,
    private readonly self: string,
  ) {
    link.peers = {
      lookup: (key) => this.lookup(key),
      ended: (key) => this.connection()?.publish(subjects.sessionEnd, JSON.stringify({ key, hub: this.self })),
    };
  }

  /** Subscriptions on a (new) connection. */
  subscribe(nc: NatsConnection): { unsubscribe(): void }[] {
    return [
      nc.subscribe(subjects.sessionLookup, {
        callback: (err, msg) => {
          if (!err) this.answer(msg);
        },
      }),
      nc.subscribe(subjects.sessionEnd, {
        callback: (err, msg) => {
          if (err) return;
          const key = keyOf(msg);
          if (key) this.link.store?.drop(key);
        },
      }),
    ];
  }

  private async lookup(key: string): Promise<{ user: string; expires: number } | undefined> {
    const nc = this.connection();
    if (!nc) return undefined;
    try {
      const reply = await nc.request(subjects.sessionLookup, JSON.stringify({ key, hub: this.self }), {
        timeout: LOOKUP_TIMEOUT_MS,
      });
      const found = reply.json<{ user?: unknown; expires?: unknown }>();
      if (typeof found.user !== 'string' || found.user.length > 64 || typeof found.expires !== 'number')
        return undefined;
      return { user: found.user, expires: found.expires };
    } catch {
      return undefined; // nobody has it (timeout), or the bus is away
    }
  }

  private answer(msg: Msg): void {
    const key = keyOf(msg);
    const found = key ? this.link.store?.find(key) : undefined;
    // Only the hub that has it answers: the first answer is the one the asking hub takes.
    if (found && msg.reply) msg.respond(JSON.stringify(found));
  }
}

function keyOf(msg: Msg): string | undefined {
  if (msg.data.length > 256) return undefined;
  try {
    const body = msg.json<{ key?: unknown }>();
    return typeof body.key === 'string' && KEY.test(body.key) ? body.key : undefined;
  } catch {
    return undefined;
  }
}
