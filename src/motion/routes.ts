/**
 * GET /api/cameras/:id/motion: what the camera's detector sees now (README.md, "Motion detection"):
 * the newest analysed picture's score, motion, zones, and with `?mask=1` its mask, two bits per pixel
 * (0 still, 1 changed but filtered out, 2 counted as motion), four pixels a byte from the top left,
 * the first in the low bits, base64: the zone editor's live overlay. A camera without motion detection
 * answers `{camera, enabled: false}`.
 */
import type { FastifyPluginAsync } from 'fastify';
import type { CameraRegistry } from '../hub/registry.js';
import { cameraParams, findCamera } from '../outputs/http-errors.js';
import type { MotionService } from './service.js';

/** Two bits per pixel, four pixels a byte, the first in the low bits. */
export function packMask(mask: Uint8Array): Buffer {
  const out = Buffer.alloc(Math.ceil(mask.length / 4));
  for (let i = 0; i < mask.length; i++) out[i >> 2]! |= (mask[i]! & 3) << ((i & 3) * 2);
  return out;
}

export const motionRoutes: FastifyPluginAsync<{ registry: CameraRegistry; motion: MotionService }> = async (
  app,
  { registry, motion },
) => {
  app.get<{ Params: { id: string }; Querystring: { mask?: string } }>(
    '/api/cameras/:id/motion',
    { schema: { params: cameraParams } },
    async (request, reply) => {
      const camera = findCamera(registry, request.params.id);
      reply.header('cache-control', 'no-store');
      const info = motion.info(camera.id);
      if (!info) return { camera: camera.id, enabled: false };
      const state = motion.latest(camera.id);
      const withMask = request.query.mask === '1' || request.query.mask === 'true';
      return {
        camera: camera.id,
        enabled: true,
        input: info.input,
        fps: info.config.fps,
        zones: info.config.zones,
        framesAnalysed: info.framesAnalysed,
        ...(state
          ? {
              at: state.at,
              motion: state.motion,
              score: state.score,
              touched: state.zones,
              calibrating: state.calibrating,
              width: state.width,
              height: state.height,
              ...(withMask ? { mask: packMask(state.mask).toString('base64') } : {}),
            }
          : { at: null, motion: false, score: 0, touched: [] }),
      };
    },
  );
};
