/**
 * Serves one camera as an endless multipart/x-mixed-replace response. The
 * reply is hijacked: Fastify's reply lifecycle has no place for a body that
 * never ends, so the raw response is written directly.
 */
import type { ServerResponse } from 'node:http';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { CameraStream } from '../../hub/camera-stream.js';
import { FpsCap } from './fps-cap.js';
import { CONTENT_TYPE, PREAMBLE } from './part.js';
import { MjpegViewer } from './viewer.js';

export interface MjpegStreamOptions {
  /** Per-viewer frame rate limit; none when undefined. */
  fps?: number;
  /** Open responses, so that a closing server can end them (it would wait for them forever). */
  open: Set<ServerResponse>;
}

export function serveMjpeg(
  camera: CameraStream,
  request: FastifyRequest,
  reply: FastifyReply,
  options: MjpegStreamOptions,
): void {
  const res = reply.raw;
  const head = {
    'Content-Type': CONTENT_TYPE,
    'Cache-Control': 'no-store, no-cache, must-revalidate, max-age=0',
    Pragma: 'no-cache',
    Expires: '0',
    // The body ends only when the connection does, as with mjpg-streamer.
    Connection: 'close',
    // Written raw (hijacked), so the security hook's headers are set here.
    'X-Content-Type-Options': 'nosniff',
    // Camera bytes: even if a part were taken for a page, it would run in no origin, without scripts.
    'Content-Security-Policy': 'sandbox',
    'Referrer-Policy': 'no-referrer',
  };
  if (request.method === 'HEAD') {
    // Raw too: Fastify would add a Content-Length of 0 that the GET never has.
    reply.hijack();
    res.removeHeader('transfer-encoding');
    res.writeHead(200, head).end();
    return;
  }

  const viewer = new MjpegViewer(res, request.ip, options.fps === undefined ? undefined : new FpsCap(options.fps));
  // Subscribed before hijacking: a camera being closed throws, and the error handler still answers.
  const unsubscribe = camera.subscribe(viewer, 'jpeg');
  reply.hijack();
  options.open.add(res);
  const done = (): void => {
    viewer.close();
    unsubscribe();
    options.open.delete(res);
  };
  res.once('close', done);
  // A peer that vanishes mid-write: 'close' follows and cleans up; the error is nothing to report.
  res.on('error', done);

  // A plain body up to the end of the connection, not chunked: simple clients of
  // mjpg-streamer (and some embedded ones) do not expect chunked encoding.
  res.removeHeader('transfer-encoding');
  res.writeHead(200, head);
  res.write(PREAMBLE);
  camera.catchUp(viewer, 'jpeg');
}
