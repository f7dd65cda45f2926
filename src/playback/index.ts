/**
 * Playback of recordings (README.md here): the recorded ranges of a camera, any range as one MP4
 * (export.ts, virtual-file.ts) with HTTP Range, and thumbnails of recorded keyframes
 * (thumbnails.ts). Reads the recording store through its catalog (src/recording), never
 * writes. Who may see what is src/security's decision, handed in as `access`.
 */
import { resolve, sep } from 'node:path';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { CameraRegistry } from '../hub/registry.js';
import { cameraParams, errorBody, HttpError } from '../outputs/http-errors.js';
import type { GapReason, RecordingCatalog, SegmentRecord } from '../recording/store.js';
import { clientPrefix } from '../client-prefix.js';
import { exportFileName, type ExportPlan } from './export.js';
import { ExportPlanner } from './planner.js';
import { parseRange as parseTimeRange, parseTime, parseWidth, type TimeRange } from './query.js';
import { keyframeAtOrAfter, keyframeAtOrBefore, sampleWallMs, SegmentTables, type SegmentTable } from './tables.js';
import { Thumbnails, type ThumbnailOptions } from './thumbnails.js';
import { parseRange as parseByteRange, readRange } from './virtual-file.js';

export { readFragmentedFile } from '../recording/fragment-file.js';

/** What the request's credential may do with recordings (src/security decides). */
export interface RecordingAccess {
  /** Cameras no longer configured, whose recordings remain: listable and playable (admins). */
  removedCameras: boolean;
  /** A share link for one clip: only this camera, only inside [start, end) (ms). */
  clip?: { camera: string; start: number; end: number };
}

export interface PlaybackOptions {
  registry: CameraRegistry;
  /** The recording store; without one, every camera has nothing recorded. */
  catalog?: RecordingCatalog | undefined;
  /** The recordings root: a segment file outside it is never read. */
  root?: string | undefined;
  /** Everything is allowed when absent (no security plugin, or an open server). */
  access?: (request: FastifyRequest) => RecordingAccess;
  /** Exports at once, per client (an IPv4 address, an IPv6 /64) and in all (beyond: 429 and 503). */
  exportsPerClient?: number;
  exportsTotal?: number;
  /** An export whose client has read nothing for this long is closed (ms). */
  exportIdleMs?: number;
  /** Bounds of the sample-table and export-plan caches, bytes. */
  tableCacheBytes?: number;
  planCacheBytes?: number;
  thumbnails?: ThumbnailOptions;
  /**
   * More routes that answer a recorded range as an MP4, like video.mp4 (an event's clip): `resolve`
   * names the camera and range of a request, or throws an HttpError. Each gets GET and HEAD.
   */
  ranges?: readonly RangeRoute[];
}

/** A route whose answer is a camera's recorded range (an event's clip). */
export interface RangeRoute {
  url: string;
  resolve(request: FastifyRequest): { camera: string; start: number; end: number };
}

/** A hole between two segments longer than this is a gap (a frame interval or two is not). */
const CONTIGUOUS_MS = 1000;

interface Span {
  start: number;
  end: number;
}

const EXPOSED = 'x-recording-start, x-recording-end, x-recording-cut, content-range, content-length, accept-ranges';

export const playbackRoutes: FastifyPluginAsync<PlaybackOptions> = async (app, options) => {
  const { registry, catalog } = options;
  const root = options.root ? resolve(options.root) : undefined;
  const tables = new SegmentTables(options.tableCacheBytes ?? 64 * 1024 * 1024, (record, error) =>
    app.log.warn({ camera: record.camera, file: record.file, err: error }, 'recorded segment unreadable: skipped'),
  );
  const thumbnails = new Thumbnails(options.thumbnails);
  const planner = new ExportPlanner(tables, options.planCacheBytes ?? 64 * 1024 * 1024);
  app.addHook('onClose', async () => {
    thumbnails.close();
    await planner.close();
  });
  const exports = new ExportSlots(options.exportsPerClient ?? 4, options.exportsTotal ?? 16);
  const exportIdleMs = options.exportIdleMs ?? 30_000;
  const everything: RecordingAccess = { removedCameras: true };
  const accessOf = (request: FastifyRequest): RecordingAccess => options.access?.(request) ?? everything;

  /** 404 for a camera neither configured nor recorded (or removed, for a credential without removed cameras). */
  const checkCamera = (id: string, access: RecordingAccess): void => {
    if (registry.get(id)) return;
    if (access.removedCameras && catalog?.cameras().includes(id)) return;
    throw new HttpError(404, `no camera "${id}"`);
  };

  /** The catalog's segments, those whose files lie inside the root only. */
  const segmentsOf = (camera: string, span: Span): SegmentRecord[] => {
    const found = catalog?.segments(camera, span.start, span.end) ?? [];
    return found.filter((s) => {
      const path = resolve(s.file);
      const inside = s.camera === camera && path.endsWith('.mp4') && (!root || path.startsWith(root + sep));
      if (!inside) app.log.warn({ camera, file: s.file }, 'a segment outside the recordings root: ignored');
      return inside;
    });
  };

  /**
   * A clip link sees its range only: the request's span cut to it. Nothing left: `outside` (the
   * listing says 404, nothing recorded for this link, so a timeline asking day by day goes on).
   */
  const within = (span: TimeRange, access: RecordingAccess, outside = 403): TimeRange => {
    const clip = access.clip;
    if (!clip) return span;
    const start = Math.max(span.start, clip.start);
    const end = Math.min(span.end, clip.end);
    if (end > start) return { start, end };
    throw new HttpError(
      outside,
      outside === 404 ? 'nothing recorded in this range' : 'this link covers another time range',
    );
  };

  /**
   * The keyframe at or before t (in the segment recorded at t); for a clip link never one before the
   * clip: then the clip's first keyframe.
   */
  const keyframeFor = async (
    camera: string,
    t: number,
    clip: RecordingAccess['clip'],
  ): Promise<{ table: SegmentTable; index: number } | undefined> => {
    const segments = segmentsOf(camera, { start: t, end: t + 1 });
    const record = segments[segments.length - 1];
    const table = record && (await tables.get(record));
    if (!table) return undefined;
    const index = keyframeAtOrBefore(table, t);
    if (index >= 0 && (!clip || sampleWallMs(table, index) >= clip.start)) return { table, index };
    if (!clip) return undefined;
    for (const later of segmentsOf(camera, clip)) {
      const candidate = await tables.get(later);
      const first = candidate ? keyframeAtOrAfter(candidate, clip.start) : -1;
      if (candidate && first >= 0 && sampleWallMs(candidate, first) < clip.end)
        return { table: candidate, index: first };
    }
    return undefined;
  };

  type CameraRequest = FastifyRequest<{ Params: { id: string }; Querystring: Record<string, string | undefined> }>;
  const route = { schema: { params: cameraParams } };

  app.get('/api/cameras/:id/recordings', route, async (request: CameraRequest) => {
    const id = request.params.id;
    const access = accessOf(request);
    const asked = parseTimeRange(request.query);
    checkCamera(id, access);
    const span = within(asked, access, 404);
    const segments = segmentsOf(id, span);
    const gapRows = catalog?.gaps(id, span.start, span.end) ?? [];
    if (segments.length === 0 && gapRows.length === 0) throw new HttpError(404, 'nothing recorded in this range');
    const ranges: Span[] = [];
    for (const s of segments) {
      const start = Math.max(s.startMs, span.start);
      const end = Math.min(s.endMs, span.end);
      if (end <= start) continue;
      const last = ranges[ranges.length - 1];
      if (last && start - last.end <= CONTIGUOUS_MS) last.end = Math.max(last.end, end);
      else ranges.push({ start, end });
    }
    const gaps: { start: number; end: number; reason: GapReason }[] = gapRows
      .map((g) => ({ start: Math.max(g.startMs, span.start), end: Math.min(g.endMs, span.end), reason: g.reason }))
      .filter((g) => g.end > g.start);
    // Holes between ranges that no gap row explains.
    for (let i = 1; i < ranges.length; i++) {
      const hole = { start: ranges[i - 1]!.end, end: ranges[i]!.start };
      const covered = gaps.some((g) => g.start <= hole.start + CONTIGUOUS_MS && g.end >= hole.end - CONTIGUOUS_MS);
      if (!covered) gaps.push({ ...hole, reason: 'unknown' });
    }
    gaps.sort((a, b) => a.start - b.start);
    return { camera: id, start: span.start, end: span.end, ranges, gaps };
  });

  const sendVideo = (request: CameraRequest, reply: FastifyReply): Promise<FastifyReply> =>
    sendRange(request, reply, request.params.id, parseTimeRange(request.query));
  const sendRange = async (
    request: CameraRequest,
    reply: FastifyReply,
    id: string,
    asked: TimeRange,
  ): Promise<FastifyReply> => {
    const access = accessOf(request);
    const download = request.query.download;
    if (download !== undefined && download !== '0' && download !== '1') {
      throw new HttpError(400, 'download is 1 or 0');
    }
    const audio = request.query.audio;
    if (audio !== undefined && audio !== '0' && audio !== '1') throw new HttpError(400, 'audio is 1 or 0');
    checkCamera(id, access);
    const span = within(asked, access);
    let release: () => void;
    try {
      release = exports.enter(clientPrefix(request.ip));
    } catch (error) {
      reply.header('retry-after', '5');
      throw error;
    }
    // The slot is held for the whole request, whatever its answer, until its connection is done with it.
    reply.raw.once('close', release);
    const plan = await planner.plan(
      { camera: id, start: span.start, end: span.end, notBefore: !!access.clip, noAudio: audio === '0' },
      segmentsOf(id, span),
    );
    if (!plan) throw new HttpError(404, 'nothing recorded in this range');
    return sendPlan(request, reply, plan, download === '1', exportIdleMs) ?? reply;
  };
  // HEAD of its own (Fastify's automatic one would drain the file and answer Content-Length: 0).
  app.head('/api/cameras/:id/recordings/video.mp4', route, sendVideo);
  app.get('/api/cameras/:id/recordings/video.mp4', route, sendVideo);
  for (const alias of options.ranges ?? []) {
    const send = (request: CameraRequest, reply: FastifyReply): Promise<FastifyReply> => {
      const { camera, start, end } = alias.resolve(request);
      return sendRange(request, reply, camera, { start, end });
    };
    app.head(alias.url, send);
    app.get(alias.url, send);
  }

  app.get('/api/cameras/:id/recordings/thumbnail.jpg', route, async (request: CameraRequest, reply) => {
    const id = request.params.id;
    const access = accessOf(request);
    const t = parseTime('t', request.query.t);
    const width = parseWidth(request.query.width);
    checkCamera(id, access);
    const clip = access.clip;
    if (clip && (t < clip.start || t >= clip.end)) throw new HttpError(403, 'this link covers another time range');
    const found = await keyframeFor(id, t, clip);
    if (!found) throw new HttpError(404, 'nothing recorded at this time');
    const { table, index } = found;
    const jpeg = await thumbnails.get(table, index, width, clientPrefix(request.ip));
    return reply
      .header('content-type', 'image/jpeg')
      .header('cache-control', 'private, max-age=3600')
      .header('x-content-type-options', 'nosniff')
      .header('content-security-policy', 'sandbox')
      .header(
        'x-recording-time',
        String(Math.round(table.startMs + (table.decodeTimes[index]! * 1000) / table.timescale)),
      )
      .header('access-control-expose-headers', 'x-recording-time')
      .send(jpeg);
  });
};

/**
 * Answers with the plan's file: 200 or 206 for a Range, 304 for a matching If-None-Match, 416 for
 * a range past the end; HEAD gets the headers only. Undefined when no body streams (nothing to wait for).
 */
function sendPlan(
  request: FastifyRequest,
  reply: FastifyReply,
  plan: ExportPlan,
  download: boolean,
  idleMs: number,
): FastifyReply | undefined {
  reply
    .header('content-type', 'video/mp4')
    .header('accept-ranges', 'bytes')
    .header('etag', plan.etag)
    .header('last-modified', plan.lastModified.toUTCString())
    .header('cache-control', plan.growing ? 'private, no-cache' : 'private, max-age=3600')
    .header('x-recording-start', String(plan.startMs))
    .header('x-recording-end', String(plan.endMs))
    .header('access-control-expose-headers', EXPOSED)
    .header('x-content-type-options', 'nosniff');
  if (plan.cutMs !== undefined) reply.header('x-recording-cut', String(plan.cutMs));
  if (download) reply.header('content-disposition', `attachment; filename="${exportFileName(plan)}"`);
  const noneMatch = request.headers['if-none-match'];
  if (noneMatch && noneMatch.split(',').some((tag) => tag.trim() === plan.etag || tag.trim() === '*')) {
    void reply.code(304).send();
    return undefined;
  }
  // If-Range with another validator: the file changed, send all of it.
  const ifRange = request.headers['if-range'];
  const rangeHeader =
    ifRange && ifRange !== plan.etag && ifRange !== plan.lastModified.toUTCString() ? undefined : request.headers.range;
  const range = parseByteRange(rangeHeader, plan.size);
  if (range === 'unsatisfiable') {
    void reply
      .code(416)
      .header('content-range', `bytes */${plan.size}`)
      .type('application/json; charset=utf-8')
      .send(errorBody(416, `the range starts past the file's ${plan.size} bytes`));
    return undefined;
  }
  const start = range ? range.start : 0;
  const end = range ? range.end : plan.size - 1;
  if (range) reply.code(206).header('content-range', `bytes ${start}-${end}/${plan.size}`);
  reply.header('content-length', String(end - start + 1));
  if (request.method === 'HEAD') {
    void reply.send();
    return undefined;
  }
  return reply.send(readRange(plan, start, end, idleMs));
}

/** Exports at once: per client (clientPrefix) and in all. */
class ExportSlots {
  private readonly perClient = new Map<string, number>();
  private total = 0;

  constructor(
    private readonly maxPerClient: number,
    private readonly maxTotal: number,
  ) {}

  enter(client: string): () => void {
    const mine = this.perClient.get(client) ?? 0;
    if (mine >= this.maxPerClient) throw new HttpError(429, `at most ${this.maxPerClient} exports at once per client`);
    if (this.total >= this.maxTotal) throw new HttpError(503, 'too many exports at once: try again');
    this.perClient.set(client, mine + 1);
    this.total++;
    return () => {
      this.total--;
      const left = (this.perClient.get(client) ?? 1) - 1;
      if (left > 0) this.perClient.set(client, left);
      else this.perClient.delete(client);
    };
  }
}
