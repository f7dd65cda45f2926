/**
 * `/favicon.ico`: the viewer's icon (the same mark as web/index.html's), for the pages that do not
 * name one (login, the capture page) and for browsers opening a stream or the API directly, which
 * would otherwise log a 404 for every page.
 */
import type { FastifyPluginAsync } from 'fastify';

const ICON =
  "<svg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 32 32'><rect width='32' height='32' rx='8' fill='#2563eb'/>" +
  "<circle cx='16' cy='16' r='7' fill='none' stroke='white' stroke-width='3'/><circle cx='16' cy='16' r='2.5' fill='white'/></svg>";

export const faviconRoute: FastifyPluginAsync = async (app) => {
  app.get('/favicon.ico', async (_request, reply) =>
    reply.type('image/svg+xml').header('cache-control', 'public, max-age=86400').send(ICON),
  );
};
