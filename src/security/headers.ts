/** Security headers: on every response, and a strict CSP on pages. */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { SecurityConfig } from './config.js';

export function securityHeaders(config: SecurityConfig) {
  const ancestors = config.frameAncestors.length ? config.frameAncestors.join(' ') : "'none'";
  return async (request: FastifyRequest, reply: FastifyReply, payload: unknown): Promise<unknown> => {
    reply.header('x-content-type-options', 'nosniff');
    // Tokens may travel in URLs (?token=): never hand them on in a Referer. (The login and logout
    // pages say `same-origin`, so that their forms tell camrelay itself where they come from.)
    if (reply.getHeader('referrer-policy') !== 'same-origin') reply.header('referrer-policy', 'no-referrer');
    if (config.tls) reply.header('strict-transport-security', 'max-age=31536000');
    const type = String(reply.getHeader('content-type') ?? '');
    if (type.startsWith('text/html')) {
      const host = request.headers.host ?? '';
      reply.header(
        'content-security-policy',
        [
          "default-src 'self'",
          "script-src 'self'",
          "style-src 'self' 'unsafe-inline'",
          "img-src 'self' data: blob:",
          // The player's MSE path plays a MediaSource through a blob: URL.
          "media-src 'self' blob:",
          `connect-src 'self' ws://${host} wss://${host}`,
          "object-src 'none'",
          "base-uri 'none'",
          "form-action 'self'",
          `frame-ancestors ${ancestors}`,
        ].join('; '),
      );
    }
    return payload;
  };
}
