/**
 * Account routes: the /login page and form, /logout, /api/me (who am I, for
 * the viewer), and POST /api/tokens, which issues share links (admin).
 */
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { CameraRegistry } from '../hub/registry.js';
import { errorBody } from '../outputs/http-errors.js';
import type { Authenticator } from './authenticator.js';
import { loginPage, safeNext } from './login-page.js';
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
  tls: boolean;
}

interface LoginBody {
  username?: unknown;
  password?: unknown;
  next?: unknown;
}

const MAX_SHARE_SECONDS = 30 * 86_400;

const tokenBody = {
  type: 'object',
  additionalProperties: false,
  required: ['cameras'],
  properties: {
    cameras: { type: 'array', minItems: 1, maxItems: 64, uniqueItems: true, items: { type: 'string', pattern: '^[a-z0-9_-]{1,64}(\\.([a-z0-9_-]{1,64}|\\*))?$' } },
    expires_in: { type: 'integer', minimum: 60, maximum: MAX_SHARE_SECONDS, default: 86_400 },
    label: { type: 'string', minLength: 1, maxLength: 64 },
  },
} as const;

export const accountRoutes: FastifyPluginAsync<AccountOptions> = async (app, { authenticator, sessions, shares, registry, open, tls }) => {
  app.get<{ Querystring: { next?: string } }>('/login', async (request, reply) =>
    reply.type('text/html; charset=utf-8').header('cache-control', 'no-store').send(loginPage(safeNext(request.query.next))),
  );

  app.post<{ Body: LoginBody }>('/login', async (request, reply) => {
    const body = request.body ?? {};
    const form = !request.headers['content-type']?.includes('json');
    const next = safeNext(body.next);
    const answer = (status: number, message: string): FastifyReply =>
      form
        ? reply.code(status).type('text/html; charset=utf-8').header('cache-control', 'no-store').send(loginPage(next, message))
        : reply.code(status).send(errorBody(status, message));
    if (typeof body.username !== 'string' || typeof body.password !== 'string' || body.username.length > 64 || body.password.length > 1024) {
      return answer(400, 'username and password are required');
    }
    const outcome = await authenticator.login(body.username, body.password, request.ip);
    if (!outcome.ok) {
      if (outcome.status === 429) reply.header('retry-after', String(outcome.retryAfter));
      request.log.warn({ user: body.username, address: request.ip, status: outcome.status }, 'login failed');
      return answer(outcome.status, outcome.message);
    }
    const { id, maxAgeSeconds } = sessions.create(outcome.principal);
    reply.setCookie(SESSION_COOKIE, id, { path: '/', httpOnly: true, sameSite: 'lax', secure: tls, maxAge: maxAgeSeconds });
    request.log.info({ user: outcome.principal.name, address: request.ip }, 'logged in');
    return form ? reply.redirect(next, 303) : reply.send({ name: outcome.principal.name, role: outcome.principal.role });
  });

  const logout = async (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> => {
    const id = request.cookies[SESSION_COOKIE];
    if (id) sessions.end(id);
    reply.clearCookie(SESSION_COOKIE, { path: '/', httpOnly: true, sameSite: 'lax', secure: tls });
    return reply.redirect('/login', 303);
  };
  app.get('/logout', logout);
  app.post('/logout', logout);

  app.get('/api/me', async (request) => describe(request.principal!, open));

  app.post<{ Body: { cameras: string[]; expires_in: number; label?: string } }>('/api/tokens', { schema: { body: tokenBody } }, async (request, reply) => {
    const { cameras, expires_in: expiresIn, label } = request.body;
    const unknown = cameras.filter((c) => !c.includes('.') && !registry.get(c));
    if (unknown.length) return reply.code(400).send(errorBody(400, `no camera ${unknown.map((c) => `"${c}"`).join(', ')}`));
    const { token, expiresAt } = await shares.issue(cameras, expiresIn, label ?? `share by ${request.principal!.name}`);
    const base = `${request.protocol}://${request.host}/?token=${token}`;
    request.log.info({ by: request.principal!.name, cameras, expiresAt }, 'share link issued');
    return reply.code(201).send({ token, expiresAt, url: cameras.length === 1 ? `${base}#/camera/${cameras[0]}` : base });
  });
};

function describe(principal: Principal, open: boolean) {
  return {
    name: principal.name,
    kind: principal.kind,
    role: principal.role,
    cameras: principal.cameras ? [...principal.cameras] : null,
    authRequired: !open,
  };
}
