/**
 * The events' HTTP API (README.md here): the list, one event, its snapshot, and the live feed
 * (Server-Sent Events). The clip is a recorded range: `clipRoute` hands it to src/playback, which
 * serves it as it serves exports (Range and all). Who may see what is src/security's decision,
 * handed in: an event is seen by whoever may see its camera; its clip needs the recordings permission.
 */
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import type { ServerResponse } from 'node:http';
import { SERVED_CAMERA_ID } from '../camera-id.js';
import { HttpError } from '../outputs/http-errors.js';
import { MAX_RANGE_MS, parseTime } from '../playback/query.js';
import type { RangeRoute } from '../playback/index.js';
import type { Events } from './events.js';
import type { StoredEvent } from './event-store.js';

export interface EventRoutesOptions {
  events: Events;
  /** Whether the request's credential may see the camera. */
  maySee(request: FastifyRequest, camera: string): boolean;
}

const DEFAULT_LIMIT = 100;
const MAX_LIMIT = 1000;
/** A live client whose unread events pass this is cut off (it reconnects and lists what it missed). */
const LIVE_BUFFER_BYTES = 256 * 1024;
const LIVE_KEEPALIVE_MS = 15_000;
/** Live clients at once. */
const MAX_LIVE = 256;

type Query = Record<string, string | undefined>;

function eventId(value: string | undefined): number {
  if (!value || !/^\d{1,15}$/.test(value)) throw new HttpError(400, 'an event id is a whole number');
  return Number(value);
}

function cameraFilter(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (!SERVED_CAMERA_ID.test(value)) {
    throw new HttpError(400, `camera "${value.slice(0, 80)}" is not a camera id`);
  }
  return value;
}

function limitOf(value: string | undefined): number {
  if (value === undefined) return DEFAULT_LIMIT;
  if (!/^\d{1,4}$/.test(value) || Number(value) < 1 || Number(value) > MAX_LIMIT) {
    throw new HttpError(400, `limit is a whole number from 1 to ${MAX_LIMIT}`);
  }
  return Number(value);
}

/** The event, when it exists and the request may see its camera (else 404: its existence is not told). */
function visible(options: EventRoutesOptions, request: FastifyRequest, id: number): StoredEvent {
  const event = options.events.get(id);
  if (!event || !options.maySee(request, event.camera)) throw new HttpError(404, `no event ${id}`);
  return event;
}

export const eventRoutes: FastifyPluginAsync<EventRoutesOptions> = async (app, options) => {
  const { events, maySee } = options;
  const live = new Set<ServerResponse>();
  app.addHook('preClose', async () => {
    for (const res of live) res.end();
  });

  app.get<{ Querystring: Query }>('/api/events', async (request) => {
    const q = request.query;
    const camera = cameraFilter(q.camera);
    const end = q.end === undefined ? Date.now() + 1 : parseTime('end', q.end);
    const start = q.start === undefined ? 0 : parseTime('start', q.start);
    if (end <= start) throw new HttpError(400, 'end must be after start');
    const limit = limitOf(q.limit);
    if (camera && !maySee(request, camera)) throw new HttpError(403, `this credential may not see camera "${camera}"`);
    // Only cameras the credential may see, named in the query (so the limit counts only what it gets).
    const all = camera ? undefined : events.cameras();
    const cameras = camera ? [camera] : all!.filter((c) => maySee(request, c));
    const list = events.list({ cameras, start, end, limit });
    return { events: list.map((e) => events.json(e)) };
  });

  app.get<{ Querystring: Query }>('/api/events/live', async (request, reply) => {
    const camera = cameraFilter(request.query.camera);
    if (camera && !maySee(request, camera)) throw new HttpError(403, `this credential may not see camera "${camera}"`);
    if (live.size >= MAX_LIVE) {
      reply.header('retry-after', '5');
      throw new HttpError(503, `too many live event feeds (at most ${MAX_LIVE})`);
    }
    if (request.method === 'HEAD')
      return reply.type('text/event-stream; charset=utf-8').header('cache-control', 'no-store').send();
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
      'x-accel-buffering': 'no',
    });
    res.flushHeaders();
    // A comment at once: the client knows it is connected (and proxies pass the headers on).
    res.write(': camrelay events\n\n');
    live.add(res);
    const keepalive = setInterval(() => res.write(': keepalive\n\n'), LIVE_KEEPALIVE_MS);
    const stop = events.feed.listen((notice) => {
      const e = notice.event;
      if ((camera && e.camera !== camera) || !maySee(request, e.camera)) return;
      if (res.writableLength > LIVE_BUFFER_BYTES) {
        res.destroy();
        return;
      }
      res.write(`event: ${notice.type}\nid: ${e.id}\ndata: ${JSON.stringify(events.json(e))}\n\n`);
    });
    res.once('close', () => {
      clearInterval(keepalive);
      stop();
      live.delete(res);
    });
  });

  app.get<{ Params: { id: string } }>('/api/events/:id', async (request) =>
    events.json(visible(options, request, eventId(request.params.id))),
  );

  app.get<{ Params: { id: string } }>('/api/events/:id/snapshot.jpg', async (request, reply) => {
    const event = visible(options, request, eventId(request.params.id));
    const jpeg = event.hasSnapshot ? events.snapshot(event.id) : undefined;
    if (!jpeg) throw new HttpError(404, `event ${event.id} has no snapshot`);
    return reply
      .header('content-type', 'image/jpeg')
      .header('cache-control', 'private, max-age=3600')
      .header('x-content-type-options', 'nosniff')
      .header('content-security-policy', 'sandbox')
      .send(jpeg);
  });
};

/**
 * `/api/events/:id/clip.mp4`, for src/playback: the event's camera, from its pre-roll before its
 * start to its post-roll after its end (an open event: up to now), at most 24 hours.
 */
export function clipRoute(
  events: Events,
  mayWatch: (request: FastifyRequest, camera: string) => boolean,
  maySee: (request: FastifyRequest, camera: string) => boolean,
): RangeRoute {
  return {
    url: '/api/events/:id/clip.mp4',
    resolve(request) {
      const id = eventId((request.params as { id?: string }).id);
      const event = visible({ events, maySee }, request, id);
      if (!mayWatch(request, event.camera)) {
        throw new HttpError(403, `this credential may not watch recordings of camera "${event.camera}"`);
      }
      const start = event.start - event.preRollMs;
      const end = Math.min((event.end ?? Date.now()) + event.postRollMs, start + MAX_RANGE_MS);
      return { camera: event.camera, start, end };
    },
  };
}
