/**
 * GET /api/cameras/:id/ws: the WebSocket viewer protocol v1 (docs/protocol.md).
 * The query and the camera are checked before the upgrade, so a bad request
 * gets a plain HTTP 400/404 with a JSON body instead of a WebSocket.
 */
import type { FastifyPluginAsync } from 'fastify';
import type {} from '@fastify/websocket'; // route option `websocket: true`
import type { CameraStream } from '../../hub/camera-stream.js';
import type { CameraRegistry } from '../../hub/registry.js';
import type { Codec } from '../../media/index.js';
import { cameraParams, findCamera, HttpError } from '../http-errors.js';
import { DEFAULT_WINDOW, MAX_WINDOW, MIN_WINDOW } from '../../wire/constants.js';
import { serveViewer } from './connection.js';
import type { QualityRequest } from './viewer.js';

const wsQuery = {
  type: 'object',
  properties: {
    window: { type: 'integer', minimum: MIN_WINDOW, maximum: MAX_WINDOW, default: DEFAULT_WINDOW },
    ack: { type: 'integer', enum: [0, 1], default: 1 },
    /** One codec or a preference list (`h265,h264,jpeg`); none: jpeg. */
    codec: { type: 'string', maxLength: 200 },
    /** How the viewer decodes: informational, shown in its statistics. */
    player: { type: 'string', enum: ['webcodecs', 'mse', 'jpeg'] },
    /** H.264: which quality (auto: by the link). None: main, as in v1. JPEG viewers: ignored. */
    quality: { type: 'string', enum: ['auto', 'main', 'sub', 'low', 'keyframes'] },
    /** 1: the camera's audio too (H.264 and H.265 viewers); none or 0: video only, as in v1. */
    audio: { type: 'integer', enum: [0, 1], default: 0 },
  },
} as const;

const CODECS: readonly Codec[] = ['jpeg', 'h264', 'h265'];

/** The codecs of the list that the server knows, in the client's order; unknown names are skipped. */
export function codecList(list: string | undefined): Codec[] {
  if (list === undefined) return ['jpeg'];
  const known: Codec[] = [];
  for (const name of list.split(',')) {
    const codec = CODECS.find((c) => c === name.trim().toLowerCase());
    if (codec && !known.includes(codec)) known.push(codec);
  }
  if (known.length === 0) {
    throw new HttpError(400, `querystring/codec names no codec this server knows (${CODECS.join(', ')})`);
  }
  return known;
}

/**
 * The first codec of the list this camera can give: JPEG and H.264 always (made from whatever the
 * camera sends), H.265 only when the camera itself sends it (nothing encodes H.265). An idle camera
 * is started to find out, only when the answer matters.
 */
export async function pickCodec(list: string | undefined, camera: CameraStream): Promise<Codec> {
  const codecs = codecList(list);
  for (const codec of codecs) {
    if (codec !== 'h265') return codec;
    if ((await camera.knownNative()) === 'h265') return codec;
  }
  throw new HttpError(400, `querystring/codec: camera ${camera.id} sends no H.265 (${codecs.join(', ')} asked)`);
}

interface WsRoute {
  Params: { id: string };
  Querystring: {
    window: number;
    ack: 0 | 1;
    codec?: string;
    player?: 'webcodecs' | 'mse' | 'jpeg';
    quality?: QualityRequest;
    audio: 0 | 1;
  };
}

export const wsRoutes: FastifyPluginAsync<{ registry: CameraRegistry }> = async (app, { registry }) => {
  const connections = new Set<() => void>();
  // The codec settled before the upgrade (it may wait for the camera), for the handler after it.
  const chosen = new WeakMap<object, Codec>();
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
        chosen.set(request, await pickCodec(request.query.codec, findCamera(registry, request.params.id)));
      },
    },
    (socket, request) => {
      const dispose = serveViewer(socket, findCamera(registry, request.params.id), {
        window: request.query.window,
        acks: request.query.ack === 1,
        codec: chosen.get(request) ?? 'jpeg',
        ...(request.query.player === undefined ? {} : { path: request.query.player }),
        ...(request.query.quality === undefined ? {} : { quality: request.query.quality }),
        audio: request.query.audio === 1,
        remoteAddress: request.ip,
        log: request.log,
      });
      connections.add(dispose);
      socket.once('close', () => connections.delete(dispose));
    },
  );
};
