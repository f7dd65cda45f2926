/** REST API: the camera list, one camera's details, and health. */
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import type { CameraRegistry } from '../../hub/registry.js';
import { cameraParams, findCamera } from '../http-errors.js';
import type { RecordingCatalog } from '../../recording/store.js';

export interface ApiOptions {
  registry: CameraRegistry;
  startedAt: number;
  /** Whether the request's credential may see the camera (src/security decides). */
  maySee(request: FastifyRequest, cameraId: string): boolean;
  /** The recording store: each camera's `recording` status (null when the camera is not recorded). */
  recordings?: RecordingCatalog | undefined;
}

export const apiRoutes: FastifyPluginAsync<ApiOptions> = async (app, { registry, startedAt, maySee, recordings }) => {
  const recording = (id: string) => recordings?.status(id) ?? null;
  // Cameras outside the credential's list are not even named.
  app.get('/api/cameras', async (request) => ({
    cameras: registry
      .list()
      .filter((c) => maySee(request, c.id))
      .map((c) => ({ ...c.info(), recording: recording(c.id) })),
  }));

  app.get<{ Params: { id: string } }>('/api/cameras/:id', { schema: { params: cameraParams } }, async (request) => {
    const camera = findCamera(registry, request.params.id);
    // Viewers' addresses are for admins only: a viewer must not learn where the others watch from.
    const admin = !request.principal || request.principal.role === 'admin';
    const viewers = camera.viewers().map((v) => (admin ? v : { ...v, remoteAddress: undefined }));
    return { ...camera.info(), recording: recording(camera.id), tracks: camera.trackInfo(), viewers };
  });

  // Public (for load balancers and uptime checks), so it names nothing: counts only.
  app.get('/api/health', async () => {
    const cameras = registry.list();
    return {
      status: 'ok',
      uptimeSeconds: Math.round((Date.now() - startedAt) / 1000),
      cameras: cameras.length,
      offline: cameras.filter((c) => c.state === 'offline').length,
    };
  });
};
