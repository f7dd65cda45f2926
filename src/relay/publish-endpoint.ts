/**
 * The hub's routes: `GET /api/publish` (the publisher WebSocket, authenticated
 * before the upgrade so a bad token gets a plain 401/403 with a JSON body and
 * no socket) and `GET /api/publishers` (each edge's connection and counters;
 * admin-only under the access policy).
 */
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import type {} from '@fastify/websocket'; // route option `websocket: true`
import { CAMERA_ID } from '../camera-id.js';
import { HttpError } from '../outputs/http-errors.js';
import type { PublisherConfig } from './config.js';
import { PUBLISH_PATH, RelayClose } from './protocol.js';
import type { Publishers } from './publishers.js';

/** What the routes need of the relay (index.ts's Relay): its hub side, and its start and end with the server. */
export interface RelayRoutesHost {
  readonly publishers: Pick<Publishers, 'authenticate' | 'accept' | 'list'>;
  start(): void;
  close(): Promise<void>;
}

interface PublishRoute {
  Querystring: { edge?: string };
}

export const relayRoutes: FastifyPluginAsync<{ relay: RelayRoutesHost }> = async (app, { relay }) => {
  const publishers = relay.publishers;
  /** Publishers authenticated in preHandler, for the handler after the upgrade. */
  const authorized = new WeakMap<FastifyRequest, PublisherConfig>();

  // The edge side (serve --publish-to) starts once the server is ready, and both sides end with it.
  app.addHook('onReady', async () => relay.start());
  app.addHook('onClose', async () => relay.close());

  app.get<PublishRoute>(
    PUBLISH_PATH,
    {
      websocket: true,
      schema: { querystring: { type: 'object', properties: { edge: { type: 'string', pattern: CAMERA_ID.source } } } },
      preHandler: async (request, reply) => {
        const result = publishers.authenticate(request.headers.authorization, request.query.edge);
        if (!result.ok) {
          request.log.warn(
            { remoteAddress: request.ip, edge: request.query.edge, status: result.status, reason: result.message },
            'publisher refused',
          );
          if (result.status === 401) reply.header('www-authenticate', 'Bearer realm="camrelay publish"');
          throw new HttpError(result.status, result.message);
        }
        authorized.set(request, result.publisher);
      },
    },
    (socket, request) => {
      const publisher = authorized.get(request);
      // Cannot happen: preHandler ran.
      if (!publisher) return socket.close(RelayClose.INTERNAL_ERROR, 'not authenticated');
      publishers.accept(socket, publisher, request.ip);
    },
  );

  app.get('/api/publishers', async () => ({ publishers: publishers.list() }));
};
