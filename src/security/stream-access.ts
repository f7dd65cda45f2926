/**
 * The security the RTSP server gets (src/outputs/rtsp/access.ts): the Authenticator's password check and
 * login limits for Basic, the same limits for Digest against a user's `rtsp_digest` (MD5 of
 * `name:camrelay:password`, the only thing Digest can check), per-camera permissions, and the viewer
 * limits HTTP viewers count against.
 */
import type { StreamAccess, StreamAuth, StreamViewer } from '../outputs/rtsp/access.js';
import type { Authenticator, AuthOutcome } from './authenticator.js';
import { authConfigured, type SecurityConfig } from './config.js';
import { maySeeCamera, type Principal } from './principal.js';
import type { ViewerLimits } from './viewer-limits.js';

/** The user name that says the password is an API token (`rtsp://token:<token>@host/...`). */
const TOKEN_USER = 'token';

export function streamAccess(
  config: SecurityConfig,
  authenticator: Authenticator,
  viewers: ViewerLimits,
): StreamAccess {
  const open = !authConfigured(config);
  const toAuth = (outcome: AuthOutcome): StreamAuth => {
    if (outcome.ok) return { ok: true, viewer: viewerOf(outcome.principal) };
    if (outcome.status === 401) return { ok: false, status: 401, message: outcome.message };
    return { ok: false, status: outcome.status, message: outcome.message, retryAfter: outcome.retryAfter };
  };
  return {
    open,
    digest: config.auth.users.some((u) => u.rtsp_digest !== undefined),
    async basic(name, password, address) {
      if (name === TOKEN_USER && !config.auth.users.some((u) => u.name === TOKEN_USER))
        return toAuth(await authenticator.token(password));
      return toAuth(await authenticator.login(name, password, address));
    },
    digestLogin(name, verify, address) {
      return toAuth(authenticator.digestLogin(name, verify, address));
    },
    admit(camera, viewer) {
      const admitted = viewers.admit(camera, open ? undefined : viewer.credential);
      if (admitted === 'credential') return 'credential';
      return admitted ?? 'full';
    },
  };
}

function viewerOf(principal: Principal): StreamViewer {
  return {
    name: principal.name,
    ...(principal.credential === undefined ? {} : { credential: principal.credential }),
    // Live video only: a clip link and the metrics token see no camera live.
    maySee: (camera) => !principal.clip && principal.kind !== 'metrics' && maySeeCamera(principal, camera),
  };
}
