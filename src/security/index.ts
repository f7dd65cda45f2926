/**
 * Security, as one plugin registered before every other route: it checks each
 * request against the route's rule in policy.ts (401 without a valid
 * credential, 403 outside the credential's role or cameras), refuses
 * cross-site WebSocket upgrades, sends CORS headers to allowed origins only,
 * limits viewers and connections, and adds security headers to pages.
 */
import type { Socket } from 'node:net';
import fastifyCookie from '@fastify/cookie';
import fastifyCors from '@fastify/cors';
import fastifyFormbody from '@fastify/formbody';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { CameraRegistry } from '../hub/registry.js';
import { errorBody } from '../outputs/http-errors.js';
import { Authenticator } from './authenticator.js';
import { authConfigured, type SecurityConfig } from './config.js';
import { isLoopback } from './exposure.js';
import { securityHeaders } from './headers.js';
import { LoginLimiter } from './login-limiter.js';
import { ruleFor, type Rule } from './policy.js';
import { maySeeCamera, type Access, type Principal } from './principal.js';
import { accountRoutes } from './routes.js';
import { SessionStore } from './sessions.js';
import { ShareLinks } from './share-links.js';
import { ViewerLimits } from './viewer-limits.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Who is asking; set for every routed request before its handler runs. */
    principal: Principal | null;
  }
  interface FastifyContextConfig {
    rule?: Rule;
  }
  interface FastifyInstance {
    /** Every `METHOD url` served, each checked by its rule (the access table test lists them). */
    checkedRoutes: readonly string[];
  }
}

export interface SecurityOptions {
  config: SecurityConfig;
  registry: CameraRegistry;
  /** The address the server binds to (for the DNS-rebinding check of open, loopback-only servers). */
  host: string;
}

/** Everyone is an admin where no credentials are configured (loopback, or --allow-anonymous). */
const ANONYMOUS: Principal = { kind: 'anonymous', name: 'anonymous', role: 'admin' };

export const security = fp<SecurityOptions>(
  async (app: FastifyInstance, { config, registry, host }) => {
    const open = !authConfigured(config);
    // Open and on loopback, the server's only guard is that other machines can't reach it; a web
    // page could still, through DNS rebinding, unless requests must name a loopback host.
    const loopbackOnly = open && isLoopback(host);
    const sessions = new SessionStore(config.auth.session_ttl * 1000);
    const shares = new ShareLinks(process.env.CAMRELAY_SHARE_SECRET || config.auth.share_secret);
    const limiter = new LoginLimiter(config.limits.login_attempts, config.limits.lockout * 1000);
    const authenticator = new Authenticator(config, sessions, shares, limiter);
    const viewers = new ViewerLimits(config.limits.viewers_per_camera, config.limits.viewers_total);
    if (shares.ephemeral && !open) app.log.warn('no auth.share_secret or CAMRELAY_SHARE_SECRET: share links stop working when camrelay restarts');

    app.decorateRequest('principal', null);
    const routes: string[] = [];
    app.decorate('checkedRoutes', routes);

    // Every route must have a rule: a route without one would be served unchecked.
    app.addHook('onRoute', (route) => {
      const methods = Array.isArray(route.method) ? route.method : [route.method];
      for (const method of methods) {
        const rule = ruleFor(method, route.url);
        if (!rule) throw new Error(`route ${method} ${route.url} has no access rule in src/security/policy.ts`);
        route.config = { ...(route.config as object), rule };
        routes.push(`${method} ${route.url}`);
      }
    });

    await app.register(fastifyCookie);
    await app.register(fastifyFormbody, { bodyLimit: 4096 });
    await app.register(fastifyCors, {
      // Only REST and snapshot responses are for scripts of other origins; pages and streams are not.
      delegator: (request, callback) => {
        const origin = request.headers.origin;
        const url = request.url ?? '';
        const api = url.startsWith('/api/') && !/\/(ws|stream\.mjpeg)(\?|$)/.test(url);
        callback(null, {
          origin: api && !!origin && config.allowedOrigins.includes(origin) ? origin : false,
          credentials: true,
          methods: ['GET', 'HEAD', 'POST'],
          allowedHeaders: ['Authorization', 'Content-Type'],
          maxAge: 600,
        });
      },
    });

    app.addHook('onRequest', async (request, reply) => {
      const rule = request.routeOptions.config.rule;
      if (!rule) return; // no route: the not-found handler answers
      if (loopbackOnly && !isLoopbackHostHeader(request.headers.host)) {
        return reply.code(403).send(errorBody(403, `this server answers to localhost names only (Host: ${request.headers.host ?? '(none)'}): configure credentials to serve other names (docs/security.md)`));
      }
      if (isWebSocketUpgrade(request) && !originAllowed(request, config.allowedOrigins)) {
        return reply.code(403).send(errorBody(403, `WebSocket connections from ${request.headers.origin} are not allowed (see allowed_origins)`));
      }
      const access = typeof rule.access === 'function' ? rule.access(request) : rule.access;
      if (open) {
        request.principal = ANONYMOUS;
        return;
      }
      // Public routes ignore credentials (an expired token must not break the login page);
      // the relay checks its own publish tokens.
      if (access === 'public' || access === 'publisher' || (access === 'page' && config.auth.public_pages)) return;
      const outcome = await authenticator.authenticate(request);
      if (outcome && !outcome.ok) {
        if (outcome.status === 429) reply.header('retry-after', String(outcome.retryAfter));
        else reply.header('www-authenticate', 'Bearer realm="camrelay"');
        return reply.code(outcome.status).send(errorBody(outcome.status, outcome.message));
      }
      request.principal = outcome?.principal ?? null;
      if (!request.principal) {
        if (access === 'page') return reply.redirect(`/login?next=${encodeURIComponent(request.url)}`, 302);
        reply.header('www-authenticate', 'Bearer realm="camrelay"');
        return reply.code(401).send(errorBody(401, 'credentials required: Authorization: Bearer <token>, ?token=, or log in at /login'));
      }
      if (!allowed(request.principal, access)) return reply.code(403).send(errorBody(403, `this credential may not use ${request.routeOptions.url}`));
    });

    // After validation (a malformed id is a 400 first), before the handler.
    app.addHook('preHandler', async (request, reply) => {
      const rule = request.routeOptions.config.rule;
      if (!rule || !request.principal) return;
      const camera = rule.camera?.(request, registry);
      if (camera !== undefined && !maySeeCamera(request.principal, camera)) {
        return reply.code(403).send(errorBody(403, `this credential may not see camera "${camera}"`));
      }
      const isViewer = typeof rule.viewer === 'function' ? rule.viewer(request) : rule.viewer;
      if (isViewer && camera !== undefined) {
        const release = viewers.admit(camera);
        if (!release) return reply.code(503).header('retry-after', '5').send(errorBody(503, `too many viewers (at most ${config.limits.viewers_per_camera} per camera, ${config.limits.viewers_total} in all)`));
        reply.raw.once('close', release);
      }
    });

    app.addHook('onSend', securityHeaders(config));

    // A refused upgrade must not leave its socket behind. @fastify/websocket closes it in an
    // onResponse hook, but only when its own onRequest hook ran, which a refusal above skips.
    // Detached from the HTTP server (no timeout applies to it), the socket would stay open for
    // good, hold up the server's close, and count against its address's connection limit.
    app.addHook('onResponse', async (request) => {
      if ((request.raw as { upgrade?: boolean }).upgrade) request.raw.socket.destroy();
    });

    limitConnectionsPerAddress(app, config.limits.connections_per_address);
    await app.register(accountRoutes, { authenticator, sessions, shares, registry, open, tls: !!config.tls });
  },
  { name: 'camrelay-security' },
);

function allowed(principal: Principal, access: Access): boolean {
  switch (access) {
    case 'admin':
      return principal.role === 'admin';
    case 'metrics':
      return principal.role === 'admin' || principal.kind === 'metrics';
    default:
      return principal.kind !== 'metrics';
  }
}

function isWebSocketUpgrade(request: FastifyRequest): boolean {
  return request.headers.upgrade?.toLowerCase() === 'websocket';
}

/**
 * Browsers always send Origin on WebSocket upgrades; a page of another site
 * must not ride on the user's cookie (cross-site WebSocket hijacking).
 * Clients that are not browsers send none and authenticate like anyone else.
 */
function originAllowed(request: FastifyRequest, allowedOrigins: string[]): boolean {
  const origin = request.headers.origin;
  if (!origin) return true;
  if (allowedOrigins.includes(origin)) return true;
  try {
    return new URL(origin).host === request.headers.host;
  } catch {
    return false;
  }
}

/** `localhost`, `127.x.y.z` or `[::1]`, with or without a port. */
function isLoopbackHostHeader(header: string | undefined): boolean {
  if (!header) return false;
  const name = header.startsWith('[') ? header.slice(0, header.indexOf(']') + 1) : header.replace(/:\d+$/, '');
  return isLoopback(name.toLowerCase());
}

function limitConnectionsPerAddress(app: FastifyInstance, max: number): void {
  const open = new Map<string, number>();
  app.server.on('connection', (socket: Socket) => {
    const address = socket.remoteAddress ?? '?';
    const count = (open.get(address) ?? 0) + 1;
    if (count > max) {
      socket.destroy();
      return;
    }
    open.set(address, count);
    socket.once('close', () => {
      const left = (open.get(address) ?? 1) - 1;
      if (left > 0) open.set(address, left);
      else open.delete(address);
    });
  });
}
