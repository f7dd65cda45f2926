/**
 * Account routes: the /login page and form, /logout, /api/me (who am I, for
 * the viewer), and POST /api/tokens, which issues share links (admin).
 */
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { CAMERA_PATTERN } from '../camera-id.js';
import type { CameraRegistry } from '../hub/registry.js';
import { errorBody, HttpError } from '../outputs/http-errors.js';
import type { Authenticator } from './authenticator.js';
import { FailureLog } from './failure-log.js';
import { loginPage, logoutPage, safeNext } from './login-page.js';
import { delegationRefusal, recordingsRefusal } from './delegation.js';
import { parseRange } from '../playback/query.js';
import type { Principal } from './principal.js';
import { SESSION_COOKIE, type SessionStore } from './sessions.js';
import type { ShareLinks } from './share-links.js';

interface AccountOptions {
  authenticator: Authenticator;
  sessions: SessionStore;
  shares: ShareLinks;
  registry: CameraRegistry;
  /** No credentials configured: everyone is an admin. */
  open: boolean;
  /** auth.share_max_lifetime: the longest expires_in. */
  maxShareSeconds: number;
}

/** How far past now a clip link's end may be: the issuer's clock may be a little ahead. */
const CLIP_FUTURE_MS = 60_000;

interface LoginBody {
  username?: unknown;
  password?: unknown;
  next?: unknown;
}

const tokenBody = (maxSeconds: number) =>
  ({
    type: 'object',
    additionalProperties: false,
    required: ['cameras'],
    properties: {
      cameras: {
        type: 'array',
        minItems: 1,
        maxItems: 64,
        uniqueItems: true,
        items: { type: 'string', pattern: CAMERA_PATTERN.source },
      },
      expires_in: { type: 'integer', minimum: 60, maximum: maxSeconds, default: Math.min(86_400, maxSeconds) },
      label: { type: 'string', minLength: 1, maxLength: 64 },
      /** The link may watch its cameras' recordings too (its issuer must). */
      recordings: { type: 'boolean' },
      /** The link is for one camera's recordings in [start, end) only, nothing live. */
      clip: {
        type: 'object',
        additionalProperties: false,
        required: ['start', 'end'],
        // No type here: the validator would coerce ("1e3" to 1000, true to 1); clipTime() reads them
        // strictly (and bounds their length).
        properties: { start: {}, end: {} },
      },
    },
  }) as const;

/** Session cookies are Secure when the client reached camrelay over HTTPS (itself, or a trusted proxy's). */
const secure = (request: FastifyRequest): boolean => request.protocol === 'https';

/** The login page may tell camrelay itself where a form comes from (Origin), and nobody else anything. */
const pageHeaders = (reply: FastifyReply): FastifyReply =>
  reply.type('text/html; charset=utf-8').header('cache-control', 'no-store').header('referrer-policy', 'same-origin');

/** A body of this media type only (else 415): a form of another site can send forms and text, not JSON. */
function accept(...types: string[]) {
  return async (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> => {
    const type = (request.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    if (types.includes(type)) return undefined;
    return reply.code(415).send(errorBody(415, `send the body as ${types.join(' or ')}`));
  };
}

export const accountRoutes: FastifyPluginAsync<AccountOptions> = async (app, options) => {
  const { authenticator, sessions, shares, registry, open, maxShareSeconds } = options;
  app.get<{ Querystring: { next?: string } }>('/login', async (request, reply) =>
    pageHeaders(reply).send(loginPage(safeNext(request.query.next))),
  );

  // A flood of failed logins is summed up in the log, not written line by line.
  const failures = new FailureLog((fields, message) => app.log.warn(fields, message));
  app.addHook('onClose', async () => failures.flush());

  const loginTypes = accept('application/x-www-form-urlencoded', 'application/json');
  app.post<{ Body: LoginBody }>('/login', { onRequest: loginTypes }, async (request, reply) => {
    const body = request.body ?? {};
    const form = !request.headers['content-type']?.includes('json');
    const next = safeNext(body.next);
    const answer = (status: number, message: string): FastifyReply =>
      form
        ? pageHeaders(reply.code(status)).send(loginPage(next, message))
        : reply.code(status).send(errorBody(status, message));
    if (
      typeof body.username !== 'string' ||
      typeof body.password !== 'string' ||
      body.username.length > 64 ||
      body.password.length > 1024
    ) {
      return answer(400, 'username and password are required');
    }
    const outcome = await authenticator.login(body.username, body.password, request.ip);
    if (!outcome.ok) {
      if (outcome.status !== 401) reply.header('retry-after', String(outcome.retryAfter));
      const fields = { user: body.username, address: request.ip, status: outcome.status };
      failures.failed(request.ip, () => request.log.warn(fields, 'login failed'));
      return answer(outcome.status, outcome.message);
    }
    const { id, maxAgeSeconds } = sessions.create(outcome.principal);
    const cookie = { path: '/', httpOnly: true, secure: secure(request), maxAge: maxAgeSeconds } as const;
    reply.setCookie(SESSION_COOKIE, id, { ...cookie, sameSite: 'lax' });
    request.log.info({ user: outcome.principal.name, address: request.ip }, 'logged in');
    return form
      ? reply.redirect(next, 303)
      : reply.send({ name: outcome.principal.name, role: outcome.principal.role });
  });

  const logout = async (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> => {
    const id = request.cookies[SESSION_COOKIE];
    if (id) sessions.end(id);
    reply.clearCookie(SESSION_COOKIE, { path: '/', httpOnly: true, sameSite: 'lax', secure: secure(request) });
    return reply.redirect('/login', 303);
  };
  app.get('/logout', async (_request, reply) => pageHeaders(reply).send(logoutPage()));
  app.post('/logout', logout);

  app.get('/api/me', async (request) => describe(request.principal!, open));

  const tokenRoute = { schema: { body: tokenBody(maxShareSeconds) }, onRequest: accept('application/json') };
  type TokenRequest = {
    Body: {
      cameras: string[];
      expires_in: number;
      label?: string;
      recordings?: boolean;
      clip?: { start: unknown; end: unknown };
    };
  };
  app.post<TokenRequest>('/api/tokens', tokenRoute, async (request, reply) => {
    const { cameras, expires_in: expiresIn, label, recordings } = request.body;
    const unknown = cameras.filter((c) => !c.includes('.') && !registry.get(c));
    if (unknown.length)
      return reply.code(400).send(errorBody(400, `no camera ${unknown.map((c) => `"${c}"`).join(', ')}`));
    let clip: { start: number; end: number } | undefined;
    if (request.body.clip) {
      if (cameras.length !== 1 || cameras[0]!.endsWith('.*')) {
        return reply.code(400).send(errorBody(400, 'a clip link is for exactly one camera'));
      }
      const { start, end } = request.body.clip;
      const range = parseRange({ start: clipTime(start), end: clipTime(end) });
      // A clip is of what was recorded: a link to the future would be a live camera, delayed.
      if (range.end > Date.now() + CLIP_FUTURE_MS) {
        const message = `a clip must end by now (at most ${CLIP_FUTURE_MS / 1000} s ahead, for clocks that differ)`;
        return reply.code(400).send(errorBody(400, message));
      }
      clip = { start: range.start, end: range.end };
    }
    const refusal =
      delegationRefusal(request.principal!, cameras, Date.now() + expiresIn * 1000) ??
      (recordings || clip ? recordingsRefusal(request.principal!, cameras) : undefined);
    if (refusal) return reply.code(403).send(errorBody(403, refusal));
    const { token, expiresAt } = await shares.issue(
      cameras,
      expiresIn,
      label ?? `share by ${request.principal!.name}`,
      { ...(recordings ? { recordings } : {}), ...(clip ? { clip } : {}) },
    );
    const base = `${request.protocol}://${request.host}/?token=${token}`;
    request.log.info({ by: request.principal!.name, cameras, expiresAt, clip }, 'share link issued');
    if (clip) {
      const q = `start=${clip.start}&end=${clip.end}&token=${token}`;
      const url = `${request.protocol}://${request.host}/api/cameras/${cameras[0]}/recordings/video.mp4?${q}`;
      return reply.code(201).send({ token, expiresAt, url, clip });
    }
    return reply
      .code(201)
      .send({ token, expiresAt, url: cameras.length === 1 ? `${base}#/camera/${cameras[0]}` : base });
  });
};

/** Longer than any ISO 8601 time with milliseconds and a zone. */
const MAX_CLIP_TIME_LENGTH = 40;

/** A clip's start or end as parseTime reads it: a whole number of ms, or a string (ms or ISO 8601). */
function clipTime(value: unknown): unknown {
  if (typeof value === 'number' && Number.isSafeInteger(value)) return String(value);
  if (typeof value === 'string' && value.length <= MAX_CLIP_TIME_LENGTH) return value;
  throw new HttpError(400, 'a clip time is ms since the epoch (a whole number) or an ISO 8601 string');
}

function describe(principal: Principal, open: boolean) {
  const recordings = principal.clip ? true : (principal.recordings ?? principal.role === 'admin');
  return {
    name: principal.name,
    kind: principal.kind,
    role: principal.role,
    cameras: principal.cameras ? [...principal.cameras] : null,
    /** Recorded video: true, false, or the cameras whose recordings it may watch. */
    recordings: typeof recordings === 'boolean' ? recordings : [...recordings],
    /** A clip link's one camera and range (ms), else null. */
    clip: principal.clip ?? null,
    authRequired: !open,
  };
}
