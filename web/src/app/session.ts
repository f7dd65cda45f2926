/** Who the page is, from GET api/me: a logged-in user gets a way to log out. */
import { withToken } from './credentials.js';

export interface Me {
  name: string;
  kind: 'anonymous' | 'user' | 'token' | 'share' | 'metrics' | 'publisher';
  role: 'admin' | 'viewer';
  authRequired: boolean;
  /** May watch recordings: all, none, or these cameras (`edge.*` patterns too). Absent from older servers. */
  recordings?: boolean | string[];
}

/** Whether `me` may watch `camera`'s recordings; undefined when the server does not say (ask it). */
export function mayWatchRecordings(me: Me | undefined, camera: string): boolean | undefined {
  const allowed = me?.recordings;
  if (allowed === undefined) return undefined;
  if (typeof allowed === 'boolean') return allowed;
  return allowed.some((c) => c === camera || (c.endsWith('.*') && camera.startsWith(c.slice(0, -1))));
}

let me: Promise<Me | undefined> | undefined;

export function whoAmI(): Promise<Me | undefined> {
  me ??= fetch(withToken('api/me'), { cache: 'no-store' })
    .then((r) => (r.ok ? (r.json() as Promise<Me>) : undefined))
    .catch(() => undefined);
  return me;
}
