/**
 * GET /api/cameras/:id/snapshot.jpg: the latest picture of the camera's JPEG track
 * (of an H.264 camera: decoded, by the one decoder its JPEG consumers share). An idle on-demand
 * camera is started for it; if no frame comes within snapshot_timeout, the
 * NO SIGNAL picture is sent with status 503. A camera that fails meanwhile, or
 * is failing already (offline, restarting with backoff), gets that answer at once.
 */
import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import type { CameraStream } from '../../hub/camera-stream.js';
import type { CameraRegistry } from '../../hub/registry.js';
import type { AccessUnit } from '../../media/index.js';
import { cameraParams, findCamera } from '../http-errors.js';

export async function sendSnapshot(camera: CameraStream, reply: FastifyReply): Promise<FastifyReply> {
  const unit = await camera.liveUnit('jpeg');
  if (unit) return sendJpeg(reply, 200, unit);
  return sendJpeg(reply, 503, await camera.placeholderUnit());
}

function sendJpeg(reply: FastifyReply, status: number, frame: AccessUnit): FastifyReply {
  return (
    reply
      .code(status)
      .header('content-type', 'image/jpeg')
      .header('cache-control', 'no-store')
      // Camera bytes, served in camrelay's origin: never sniffed, never run as a page.
      .header('x-content-type-options', 'nosniff')
      .header('content-security-policy', 'sandbox')
      .header('x-timestamp', (frame.capturedAt / 1000).toFixed(6))
      .header('x-sequence', String(frame.seq))
      .send(frame.data)
  );
}

export const snapshotRoutes: FastifyPluginAsync<{ registry: CameraRegistry }> = async (app, { registry }) => {
  app.get<{ Params: { id: string } }>(
    '/api/cameras/:id/snapshot.jpg',
    { schema: { params: cameraParams } },
    async (request, reply) => sendSnapshot(findCamera(registry, request.params.id), reply),
  );
};
