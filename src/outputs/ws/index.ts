/** (being written) */
import type { FastifyPluginAsync } from 'fastify';
import type { CameraRegistry } from '../../hub/registry.js';

export const wsRoutes: FastifyPluginAsync<{ registry: CameraRegistry }> = async () => {};
