/**
 * Compatibility with the replaced ("seed") system: its WebSocket protocol on
 * `GET /video` for the first camera, and a viewer page for it on `/capture`.
 */
import type { FastifyPluginAsync } from 'fastify';
import type { CameraRegistry } from '../../hub/registry.js';
import { limitViewerMessages, tooBig } from '../viewer-message-limit.js';
import { CloseCode, FLOOD_BURST, FLOOD_PER_SECOND, MAX_VIEWER_MESSAGE_BYTES } from '../../wire/constants.js';
import { TokenBucket } from '../../wire/token-bucket.js';
import { CAPTURE_PAGE, CAPTURE_SCRIPT } from './capture-page.js';
import { SeedViewer } from './seed-viewer.js';

export const legacyRoutes: FastifyPluginAsync<{ registry: CameraRegistry }> = async (app, { registry }) => {
  app.get('/video', { websocket: true }, (socket, request) => {
    const camera = registry.first();
    if (!camera) {
      socket.close(1011, 'no camera is configured');
      return;
    }
    const viewer = new SeedViewer(socket, camera, request.ip);
    let unsubscribe: () => void;
    try {
      unsubscribe = camera.subscribe(viewer);
    } catch {
      socket.close(1001, 'server is shutting down'); // the camera is closed
      return;
    }
    limitViewerMessages(socket);
    // The same flood limit as the v1 viewer protocol: one request per frame is far below it.
    const flood = new TokenBucket(FLOOD_BURST, FLOOD_PER_SECOND);
    socket.on('message', (data, isBinary) => {
      if (socket.readyState !== socket.OPEN) return; // closing: what still arrives no longer matters
      if (tooBig(data)) socket.close(CloseCode.MESSAGE_TOO_BIG, `message over ${MAX_VIEWER_MESSAGE_BYTES} bytes`);
      // The protocol asks with text; a binary message means a client speaking something else.
      else if (isBinary) socket.close(1003, 'text messages only');
      else if (!flood.take()) socket.close(CloseCode.POLICY_VIOLATION, 'too many messages');
      else viewer.request();
    });
    socket.on('close', () => {
      viewer.close();
      unsubscribe();
    });
    socket.on('error', (err) => request.log.debug({ err }, 'seed client error'));
  });

  app.get('/capture', async (_request, reply) =>
    reply.type('text/html; charset=utf-8').header('cache-control', 'no-cache').send(CAPTURE_PAGE),
  );
  app.get('/capture.js', async (_request, reply) =>
    reply.type('text/javascript; charset=utf-8').header('cache-control', 'no-cache').send(CAPTURE_SCRIPT),
  );
};
