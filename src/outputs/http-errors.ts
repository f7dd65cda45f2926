/** Errors every route answers with the same JSON shape: {statusCode, error, message}. */
import { STATUS_CODES } from 'node:http';
import type { FastifyError, FastifyInstance } from 'fastify';
import type { CameraStream } from '../hub/camera-stream.js';
import { SERVED_CAMERA_ID } from '../camera-id.js';
import type { CameraRegistry } from '../hub/registry.js';

export class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
  ) {
    super(message);
  }
}

export function errorBody(statusCode: number, message: string): { statusCode: number; error: string; message: string } {
  return { statusCode, error: STATUS_CODES[statusCode] ?? 'Error', message };
}

/** Installs the JSON error and not-found handlers on the root instance. */
export function installErrorHandlers(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError, request, reply) => {
    const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 600 ? err.statusCode : 500;
    if (status >= 500) request.log.error({ err }, 'request failed');
    void reply.code(status).send(errorBody(status, status >= 500 ? 'internal error' : err.message));
  });
  app.setNotFoundHandler((request, reply) => {
    void reply.code(404).send(errorBody(404, `no route for ${request.method} ${request.url.split('?')[0]}`));
  });
}

/** JSON schema for routes with a camera id in the path: a bad id is a 400 before any lookup. */
export const cameraParams = {
  type: 'object',
  required: ['id'],
  properties: { id: { type: 'string', pattern: SERVED_CAMERA_ID.source } },
} as const;

export function findCamera(registry: CameraRegistry, id: string): CameraStream {
  const camera = registry.get(id);
  if (!camera) throw new HttpError(404, `no camera "${id}"`);
  return camera;
}
