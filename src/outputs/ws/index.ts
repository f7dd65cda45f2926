/**
 * GET /api/cameras/:id/ws: the WebSocket viewer protocol v1 (docs/protocol.md).
 * The query and the camera are checked before the upgrade, so a bad request
 * gets a plain HTTP 400/404 with a JSON body instead of a WebSocket.
 */
import type { FastifyPluginAsync } from 'fastify';
import type {} from '@fastify/websocket'; // route option `websocket: true`
import type { CameraRegistry } from '../../hub/registry.js';
import { cameraParams, findCamera } from '../http-errors.js';
import { DEFAULT_WINDOW, MAX_WINDOW, MIN_WINDOW } from './constants.js';
import { serveViewer } from './connection.js';

const wsQuery = {
  type: 'object',
  properties: {
    window: { type: 'integer', minimum: MIN_WINDOW, maximum: MAX_WINDOW, default: DEFAULT_WINDOW },
    ack: { type: 'integer', enum: [0, 1], default: 1 },
  },
} as const;

interface WsRoute {
  Params: { id: string };
  Querystring: { window: number; ack: 0 | 1 };
}

export const wsRoutes: FastifyPluginAsync<{ registry: CameraRegistry }> = async (app, { registry }) => {
  const connections = new Set<() => void>();
  // Leave the cameras while the server closes, before they are closed: a
  // socket whose close completes later must not touch a closed camera.
  app.addHook('onClose', async () => {
    for (const dispose of connections) dispose();
    connections.clear();
  });

  app.get<WsRoute>(
    '/api/cameras/:id/ws',
    {
      websocket: true,
      schema: { params: cameraParams, querystring: wsQuery },
      // After validation, before the upgrade: a throw here is an HTTP error response.
      preHandler: async (request) => {
        findCamera(registry, request.params.id);
      },
    },
    (socket, request) => {
      const dispose = serveViewer(socket, findCamera(registry, request.params.id), {
        window: request.query.window,
        acks: request.query.ack === 1,
        remoteAddress: request.ip,
        log: request.log,
      });
      connections.add(dispose);
      socket.once('close', () => connections.delete(dispose));
    },
  );
};
