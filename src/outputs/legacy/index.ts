/** (being written) */
import type { FastifyPluginAsync } from 'fastify';
import type { CameraRegistry } from '../../hub/registry.js';

export const legacyRoutes: FastifyPluginAsync<{ registry: CameraRegistry }> = async () => {};
