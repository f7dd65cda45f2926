/**
 * MJPEG over HTTP: `GET /api/cameras/:id/stream.mjpeg`, and the
 * mjpg-streamer routes `/?action=stream` and `/?action=snapshot` (first
 * camera) that home-automation cards, printer UIs and VLC use unchanged.
 */
import type { ServerResponse } from 'node:http';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { CameraRegistry } from '../../hub/registry.js';
import { cameraParams, findCamera, HttpError } from '../http-errors.js';
import { sendSnapshot } from '../snapshot/index.js';
import { parseAction } from './mjpg-streamer.js';
import { serveMjpeg } from './stream.js';

export interface MjpegRoutesOptions {
  registry: CameraRegistry;
  /** Answers `GET /` without `?action=`: the web viewer. */
  index: (request: FastifyRequest, reply: FastifyReply) => unknown;
}

interface StreamQuery {
  fps?: number;
}

const streamQuery = {
  type: 'object',
  properties: { fps: { type: 'number', exclusiveMinimum: 0, maximum: 240 } },
} as const;

const rootQuery = {
  type: 'object',
  properties: { ...streamQuery.properties, action: { type: 'string', maxLength: 64 } },
} as const;

export const mjpegRoutes: FastifyPluginAsync<MjpegRoutesOptions> = async (app, { registry, index }) => {
  const open = new Set<ServerResponse>();
  // Streams never end by themselves, and the server's close waits for every open request.
  app.addHook('preClose', async () => {
    for (const res of open) res.destroy();
  });

  app.get<{ Params: { id: string }; Querystring: StreamQuery }>(
    '/api/cameras/:id/stream.mjpeg',
    { schema: { params: cameraParams, querystring: streamQuery } },
    async (request, reply) => {
      serveMjpeg(findCamera(registry, request.params.id), request, reply, { fps: request.query.fps, open });
      return reply;
    },
  );

  app.get<{ Querystring: StreamQuery & { action?: string } }>(
    '/',
    { schema: { querystring: rootQuery } },
    async (request, reply) => {
      const { action: name, fps } = request.query;
      if (name === undefined) {
        return index(request, reply);
      }
      const action = parseAction(name);
      const camera = registry.byNumber(action.index);
      if (!camera)
        throw new HttpError(404, action.index === 0 ? 'no camera is configured' : `no camera number ${action.index}`);
      if (action.kind === 'snapshot') return sendSnapshot(camera, reply);
      serveMjpeg(camera, request, reply, { fps, open });
      return reply;
    },
  );
};
