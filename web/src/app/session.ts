/** Who the page is, from GET api/me: a logged-in user gets a way to log out. */
import { withToken } from './credentials.js';

export interface Me {
  name: string;
  kind: 'anonymous' | 'user' | 'token' | 'share' | 'metrics' | 'publisher';
  role: 'admin' | 'viewer';
  authRequired: boolean;
}

let me: Promise<Me | undefined> | undefined;

export function whoAmI(): Promise<Me | undefined> {
  me ??= fetch(withToken('api/me'), { cache: 'no-store' })
    .then((r) => (r.ok ? (r.json() as Promise<Me>) : undefined))
    .catch(() => undefined);
  return me;
}
