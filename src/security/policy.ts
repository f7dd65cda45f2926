/**
 * Who may call what: one rule per route, in one place. The access plugin
 * refuses to start a server that has a route without a rule, so a route added
 * later cannot be served unchecked (and the access table test lists them all).
 */
import type { FastifyRequest } from 'fastify';
import type { CameraRegistry } from '../hub/registry.js';
import { parseAction } from '../outputs/mjpeg/mjpg-streamer.js';
import type { Access } from './principal.js';

export interface Rule {
  access: Access | ((request: FastifyRequest) => Access);
  /** The camera the request is about: checked against the principal's list (403 outside it). */
  camera?: (request: FastifyRequest, registry: CameraRegistry) => string | undefined;
  /** The request holds a live viewer open: counted against the viewer limits. */
  viewer?: boolean | ((request: FastifyRequest) => boolean);
  /**
   * The request changes state (a login, a logout, a share link): a browser's request must come from
   * this server's own pages (Origin or Referer), or for 'api', also from an allowed origin (proxy.ts).
   */
  stateChanging?: 'login' | 'page' | 'api';
  /** A share link for one clip may use this route too (it may use no other but public ones and pages). */
  clip?: boolean;
}

const byParam = (request: FastifyRequest): string | undefined => (request.params as { id?: string } | undefined)?.id;
const firstCamera = (_request: FastifyRequest, registry: CameraRegistry): string | undefined => registry.first()?.id;

function action(request: FastifyRequest): ReturnType<typeof parseAction> | undefined {
  const name = (request.query as { action?: unknown } | undefined)?.action;
  if (typeof name !== 'string') return undefined;
  try {
    return parseAction(name);
  } catch {
    return undefined;
  }
}

export const POLICY: Record<string, Rule> = {
  // The viewer's pages and assets: public unless auth.public_pages is false ('page').
  'GET /': {
    access: (request) =>
      (request.query as { action?: unknown } | undefined)?.action === undefined ? 'page' : 'viewer',
    camera: (request, registry) => {
      const a = action(request);
      return a ? registry.byNumber(a.index)?.id : undefined;
    },
    viewer: (request) => action(request)?.kind === 'stream',
  },
  'GET /assets/*': { access: 'page' },
  'GET /player.js': { access: 'public' },
  'GET /favicon.ico': { access: 'public' },
  'GET /capture': { access: 'page' },
  'GET /capture.js': { access: 'page' },
  'GET /login': { access: 'public' },
  'POST /login': { access: 'public', stateChanging: 'login' },
  // GET only asks (a form that POSTs): a link from another site cannot log anyone out.
  'GET /logout': { access: 'public' },
  'POST /logout': { access: 'public', stateChanging: 'page' },
  // CORS preflights carry no credential by design; @fastify/cors answers them.
  'OPTIONS *': { access: 'public' },

  'GET /api/health': { access: 'public' },
  'GET /api/me': { access: 'viewer', clip: true },
  'GET /api/cameras': { access: 'viewer' },
  'GET /api/cameras/:id': { access: 'viewer', camera: byParam },
  'GET /api/cameras/:id/snapshot.jpg': { access: 'viewer', camera: byParam },
  'GET /api/cameras/:id/stream.mjpeg': { access: 'viewer', camera: byParam, viewer: true },
  'GET /api/cameras/:id/ws': { access: 'viewer', camera: byParam, viewer: true },
  // What the motion detector sees now (src/motion): score, zones, the mask for the zone editor's overlay.
  'GET /api/cameras/:id/motion': { access: 'viewer', camera: byParam },
  'GET /video': { access: 'viewer', camera: firstCamera, viewer: true },
  // Recordings: a permission apart from live (users' and tokens' `recordings`); clip links too.
  'GET /api/cameras/:id/recordings': { access: 'recordings', camera: byParam, clip: true },
  'GET /api/cameras/:id/recordings/video.mp4': { access: 'recordings', camera: byParam, clip: true },
  'GET /api/cameras/:id/recordings/thumbnail.jpg': { access: 'recordings', camera: byParam, clip: true },
  // Motion events: each is seen by whoever may see its camera (checked by src/events); clips are recordings.
  'GET /api/events': { access: 'viewer' },
  'GET /api/events/live': { access: 'viewer' },
  'GET /api/events/:id': { access: 'viewer' },
  'GET /api/events/:id/snapshot.jpg': { access: 'viewer' },
  'GET /api/events/:id/clip.mp4': { access: 'recordings' },
  'POST /api/tokens': { access: 'admin', stateChanging: 'api' },
  // Whole-server views: refused to an admin limited to some cameras.
  'GET /metrics': { access: 'metrics' },

  // Relay: edges authenticate with their own publish tokens (src/relay); the list is for admins.
  'GET /api/publish': { access: 'publisher' },
  'GET /api/publishers': { access: 'server' },
  // Several hubs (src/cluster): the hubs, who owns what, the bus traffic; for admins.
  'GET /api/cluster': { access: 'server' },
};

/** The rule for a route; HEAD routes (added by Fastify for every GET) share the GET's. */
export function ruleFor(method: string, url: string): Rule | undefined {
  return POLICY[`${method === 'HEAD' ? 'GET' : method} ${url}`];
}
