/**
 * The web viewer: the page at `/` (answered through the mjpeg plugin, which
 * owns `/` for mjpg-streamer's `?action=`), its hashed assets under
 * `/assets/`, and `/player.js`, the <camrelay-player> module for pages of
 * other origins. Everything comes from web/dist/, built by `npm run build`.
 */
import { existsSync, realpathSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { CameraRegistry } from '../../hub/registry.js';

/** web/dist/ from src/outputs/web/ (tsx) and from dist/outputs/web/ (built) alike: both are three levels down. */
export const WEB_DIST = fileURLToPath(new URL('../../../web/dist/', import.meta.url));

const NOT_BUILT = {
  statusCode: 503,
  error: 'Service Unavailable',
  message: 'the web viewer is not built: run `npm run build`',
};

export interface WebRoutesOptions {
  registry: CameraRegistry;
  /** The built viewer; WEB_DIST unless a test says otherwise. */
  dist?: string;
}

export const webRoutes: FastifyPluginAsync<WebRoutesOptions> = async (app, { dist = WEB_DIST }) => {
  if (!existsSync(dist))
    app.log.warn({ path: dist }, 'web viewer not built: run `npm run build`; / answers 503 until then');
  const playerJs = `${dist}player.js`;

  await app.register(fastifyStatic, {
    root: `${dist}assets/`,
    prefix: '/assets/',
    index: false,
    cacheControl: false,
    // The folder appears with the first build; the warning above already says so.
    suppressWarning: true,
    // Only files really inside the root: a symlink in web/dist pointing elsewhere is not followed out.
    allowedPath: (pathName, root) => root !== undefined && insideRoot(root, pathName),
    setHeaders(reply, path) {
      if (path === playerJs) {
        // A fixed name whose content changes with every build: always revalidated (ETag).
        // Loadable from any origin: module scripts are fetched with CORS.
        reply.header('cache-control', 'no-cache');
        reply.header('access-control-allow-origin', '*');
        reply.header('cross-origin-resource-policy', 'cross-origin');
      } else {
        // Asset names carry a hash of their content: a new build makes new names, so they are cached for good.
        reply.header('cache-control', 'public, max-age=31536000, immutable');
      }
    },
  });

  app.get('/player.js', async (_request, reply) => {
    if (!existsSync(playerJs)) return reply.code(503).header('cache-control', 'no-store').send(NOT_BUILT);
    return reply.sendFile('player.js', dist);
  });
};

/** Does `pathName` under `root` resolve, symlinks followed, to a file inside `root`? */
function insideRoot(root: string, pathName: string): boolean {
  try {
    return realpathSync(join(root, pathName)).startsWith(realpathSync(root) + sep);
  } catch {
    return false; // no such file: a 404 either way
  }
}

/** An index handler for the viewer built into `dist`: the page, or 503 when it is not built. */
export function indexPageHandler(
  dist: string,
): (request: FastifyRequest, reply: FastifyReply) => Promise<FastifyReply> {
  return async (_request, reply) => {
    let html: Buffer;
    try {
      // Read per request (it is small): a rebuild changes the asset names it points to.
      html = await readFile(`${dist}index.html`);
    } catch {
      return reply.code(503).header('cache-control', 'no-store').send(NOT_BUILT);
    }
    return reply.type('text/html; charset=utf-8').header('cache-control', 'no-cache').send(html);
  };
}

/** Answers `GET /` (without mjpg-streamer's ?action=) with the viewer page, or 503 when it is not built. */
export const sendIndexPage = indexPageHandler(WEB_DIST);
