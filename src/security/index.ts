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
import { HashQueue } from './hash-queue.js';
import { securityHeaders } from './headers.js';
import { LoginLimiter } from './login-limiter.js';
import { normaliseForwarded, ownOrigin, refuseCrossSite, trustedProxy } from './proxy.js';
import { ruleFor, type Rule } from './policy.js';
import { mayWatchAnyRecordings, mayWatchRecordings, maySeeCamera, type Access, type Principal } from './principal.js';
import { accountRoutes } from './routes.js';
import { SessionStore, type SessionLink } from './sessions.js';
import { ShareLinks } from './share-links.js';
import { ViewerLimits } from './viewer-limits.js';
import { streamAccess } from './stream-access.js';
import type { StreamAccess } from '../outputs/rtsp/access.js';

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
    /** The same credentials, limits and permissions for the RTSP server (src/outputs/rtsp). */
    streamAccess: StreamAccess;
  }
}

export { SessionLink, type SessionPeers } from './sessions.js';

export interface SecurityOptions {
  config: SecurityConfig;
  registry: CameraRegistry;
  /** The address the server binds to (for the DNS-rebinding check of open, loopback-only servers). */
  host: string;
  /** A cluster's hubs share login sessions through it (src/cluster). */
  sessionLink?: SessionLink;
}

/** Everyone is an admin where no credentials are configured (loopback, or --allow-anonymous). */
const ANONYMOUS: Principal = { kind: 'anonymous', name: 'anonymous', role: 'admin' };

export const security = fp<SecurityOptions>(
  async (app: FastifyInstance, { config, registry, host, sessionLink }) => {
    const open = !authConfigured(config);
    // Open and on loopback, the server's only guard is that other machines can't reach it; a web
    // page could still, through DNS rebinding, unless requests must name a loopback host.
    const loopbackOnly = open && isLoopback(host);
    const sessions = new SessionStore(config.auth.session_ttl * 1000, sessionLink);
    const shareSecret = process.env.CAMRELAY_SHARE_SECRET || config.auth.share_secret;
    const shares = new ShareLinks(shareSecret, config.auth.share_max_lifetime);
    const limiter = new LoginLimiter(config.limits.login_attempts, config.limits.lockout * 1000);
    const hashing = new HashQueue(config.limits.login_concurrency, config.limits.login_queue);
    const authenticator = new Authenticator(config, sessions, shares, limiter, hashing);
    const limits = config.limits;
    const viewers = new ViewerLimits(limits.viewers_per_camera, limits.viewers_total, limits.viewers_per_credential);
    const fromProxy = trustedProxy(config.trustedProxies);
    if (shares.ephemeral && !open)
      app.log.warn('no auth.share_secret or CAMRELAY_SHARE_SECRET: share links stop working when camrelay restarts');

    app.decorateRequest('principal', null);
    const routes: string[] = [];
    app.decorate('checkedRoutes', routes);
    app.decorate('streamAccess', streamAccess(config, authenticator, viewers));

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
      // Before anything reads request.ip, .protocol or .host: RFC 7239 Forwarded, from trusted proxies only.
      if (fromProxy(request.raw.socket.remoteAddress)) normaliseForwarded(request.raw.headers);
      const rule = request.routeOptions.config.rule;
      if (!rule) return; // no route: the not-found handler answers
      if (loopbackOnly && !isLoopbackHostHeader(request.headers.host)) {
        return reply
          .code(403)
          .send(
            errorBody(
              403,
              `this server answers to localhost names only (Host: ${request.headers.host ?? '(none)'}): configure credentials to serve other names (docs/security.md)`,
            ),
          );
      }
      if (isWebSocketUpgrade(request) && !originAllowed(request, config.allowedOrigins)) {
        return reply
          .code(403)
          .send(
            errorBody(
              403,
              `WebSocket connections from ${request.headers.origin} are not allowed (see allowed_origins)`,
            ),
          );
      }
      if (rule.stateChanging) {
        const refusal = refuseCrossSite(request, rule.stateChanging, config.allowedOrigins);
        if (refusal) return reply.code(403).send(errorBody(403, refusal));
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
        if (outcome.status !== 401) reply.header('retry-after', String(outcome.retryAfter));
        else reply.header('www-authenticate', 'Bearer realm="camrelay"');
        return reply.code(outcome.status).send(errorBody(outcome.status, outcome.message));
      }
      request.principal = outcome?.principal ?? null;
      if (!request.principal) {
        if (access === 'page') return reply.redirect(`/login?next=${encodeURIComponent(request.url)}`, 302);
        reply.header('www-authenticate', 'Bearer realm="camrelay"');
        return reply
          .code(401)
          .send(errorBody(401, 'credentials required: Authorization: Bearer <token>, ?token=, or log in at /login'));
      }
      if (!allowed(request.principal, access, rule))
        return reply.code(403).send(errorBody(403, `this credential may not use ${request.routeOptions.url}`));
    });

    // After validation (a malformed id is a 400 first), before the handler.
    app.addHook('preHandler', async (request, reply) => {
      const rule = request.routeOptions.config.rule;
      if (!rule || !request.principal) return;
      const camera = rule.camera?.(request, registry);
      if (camera !== undefined && !maySeeCamera(request.principal, camera)) {
        return reply.code(403).send(errorBody(403, `this credential may not see camera "${camera}"`));
      }
      const access = typeof rule.access === 'function' ? rule.access(request) : rule.access;
      if (camera !== undefined && access === 'recordings' && !mayWatchRecordings(request.principal, camera)) {
        return reply.code(403).send(errorBody(403, `this credential may not watch recordings of camera "${camera}"`));
      }
      const isViewer = typeof rule.viewer === 'function' ? rule.viewer(request) : rule.viewer;
      if (isViewer && camera !== undefined) {
        // Per credential, so that a share link cannot take every place from its owner
        // (not on an open server: everyone there is the same anonymous admin).
        const admitted = viewers.admit(camera, open ? undefined : request.principal.credential);
        if (admitted === 'credential') {
          const message = `too many viewers for this credential (at most ${limits.viewers_per_credential})`;
          return reply.code(429).header('retry-after', '5').send(errorBody(429, message));
        }
        if (!admitted) {
          const { viewers_per_camera: perCamera, viewers_total: total } = limits;
          const message = `too many viewers (at most ${perCamera} per camera, ${total} in all)`;
          return reply.code(503).header('retry-after', '5').send(errorBody(503, message));
        }
        reply.raw.once('close', admitted);
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

    limitConnectionsPerAddress(app, config.limits.connections_per_address, fromProxy);
    const maxShareSeconds = config.auth.share_max_lifetime;
    await app.register(accountRoutes, { authenticator, sessions, shares, registry, open, maxShareSeconds });
  },
  { name: 'camrelay-security' },
);

/** Whether the request may see the camera; every camera where no principal was set (no security plugin). */
export function requestMaySee(request: FastifyRequest, cameraId: string): boolean {
  return !request.principal || maySeeCamera(request.principal, cameraId);
}

/** Whether the request may watch the camera's recordings; everything where no principal was set. */
export function requestMayWatchRecordings(request: FastifyRequest, cameraId: string): boolean {
  const principal = request.principal;
  if (!principal) return true;
  return !principal.clip && maySeeCamera(principal, cameraId) && mayWatchRecordings(principal, cameraId);
}

/**
 * What the request's credential may do with recordings, for src/playback: removed cameras
 * (admins), and a clip link's one range. Everything where no principal was set.
 */
export function recordingAccess(request: FastifyRequest): {
  removedCameras: boolean;
  clip?: { camera: string; start: number; end: number };
} {
  const principal = request.principal;
  if (!principal) return { removedCameras: true };
  if (principal.clip) return { removedCameras: false, clip: principal.clip };
  return { removedCameras: principal.role === 'admin' };
}

function allowed(principal: Principal, access: Access, rule: Rule): boolean {
  // A clip link: its routes, and the pages (public ones never get here).
  if (principal.clip && !rule.clip && access !== 'page') return false;
  switch (access) {
    case 'recordings':
      return mayWatchAnyRecordings(principal);
    case 'admin':
      return principal.role === 'admin';
    case 'server':
      return principal.role === 'admin' && !principal.cameras;
    case 'metrics':
      return (principal.role === 'admin' && !principal.cameras) || principal.kind === 'metrics';
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
    // The host only: behind a TLS proxy the scheme the browser used may not reach camrelay.
    return new URL(origin).host === new URL(ownOrigin(request)).host;
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

/**
 * Connections per client address, counted on the TCP socket. A trusted proxy's connections carry
 * many clients: they are not counted as one; each request through them counts instead, while it
 * is open (streams and WebSockets included), against the client address the proxy forwarded.
 */
function limitConnectionsPerAddress(
  app: FastifyInstance,
  max: number,
  fromProxy: (address: string | undefined) => boolean,
): void {
  const open = new Map<string, number>();
  const enter = (address: string): (() => void) | undefined => {
    const count = (open.get(address) ?? 0) + 1;
    if (count > max) return undefined;
    open.set(address, count);
    let left = false;
    return () => {
      if (left) return;
      left = true;
      const remaining = (open.get(address) ?? 1) - 1;
      if (remaining > 0) open.set(address, remaining);
      else open.delete(address);
    };
  };
  app.server.on('connection', (socket: Socket) => {
    if (fromProxy(socket.remoteAddress)) return;
    const leave = enter(socket.remoteAddress ?? '?');
    if (!leave) socket.destroy();
    else socket.once('close', leave);
  });
  app.addHook('onRequest', async (request, reply) => {
    if (!fromProxy(request.raw.socket.remoteAddress)) return;
    const leave = enter(`forwarded ${request.ip}`);
    if (!leave) {
      reply.header('connection', 'close');
      return reply.code(429).send(errorBody(429, `too many connections from ${request.ip}`));
    }
    reply.raw.once('close', leave);
  });
}
