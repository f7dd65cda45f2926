/** Who is asking, and what they may see. */

export type Role = 'admin' | 'viewer';

export interface Principal {
  /** How they proved it: `anonymous` only where the server runs without authentication. */
  kind: 'anonymous' | 'user' | 'token' | 'share' | 'metrics' | 'publisher';
  /** User or token name (never the secret itself), for logs. */
  name: string;
  role: Role;
  /** The cameras they may see; undefined for all. */
  cameras?: ReadonlySet<string>;
  /** For session logins: the session to end on logout. */
  sessionId?: string;
  /** Names the credential itself (a user, a token, one share link): viewers are limited per credential. */
  credential?: string;
  /** When the credential stops working (ms since the epoch), if it expires. */
  expiresAt?: number;
}

export function maySeeCamera(principal: Principal, cameraId: string): boolean {
  if (!principal.cameras) return true;
  if (principal.cameras.has(cameraId)) return true;
  // A relay camera `edge.cam` is also covered by the edge's name with `.*`.
  const dot = cameraId.indexOf('.');
  return dot > 0 && principal.cameras.has(`${cameraId.slice(0, dot)}.*`);
}

/**
 * What a route demands (policy.ts): 'page' is public unless auth.public_pages is false; 'server' is
 * an admin of every camera (views of the whole server: an admin limited to some cameras gets 403).
 */
export type Access = 'public' | 'page' | 'viewer' | 'admin' | 'server' | 'metrics' | 'publisher';
