/**
 * One accepted WebSocket: greets the viewer, subscribes it to the camera,
 * applies the client-message policy (docs/protocol.md, "Errors"), keeps the
 * connection alive, and cleans up on close. Nothing a client sends can throw
 * out of here or touch another viewer.
 */
import type { FastifyBaseLogger } from 'fastify';
import { WebSocket, type RawData } from 'ws';
import type { CameraStream } from '../../hub/camera-stream.js';
import { nextViewerId } from '../viewer-id.js';
import { limitViewerMessages, MAX_VIEWER_MESSAGE_BYTES, tooBig } from '../viewer-message-limit.js';
import { CloseCode, FLOOD_BURST, FLOOD_PER_SECOND, KEEPALIVE_MS } from './constants.js';
import { parseClientMessage } from './client-message.js';
import { TokenBucket } from './token-bucket.js';
import { WsViewer } from './viewer.js';

export interface ConnectionOptions {
  window: number;
  acks: boolean;
  remoteAddress: string;
  log: FastifyBaseLogger;
}

/** Serves the viewer until the socket closes; returns what ends it early (idempotent). */
export function serveViewer(socket: WebSocket, camera: CameraStream, options: ConnectionOptions): () => void {
  const id = nextViewerId('ws');
  const log = options.log.child({ viewer: id, camera: camera.id });
  const viewer = new WsViewer(socket, {
    id,
    camera: camera.id,
    window: options.window,
    acks: options.acks,
    remoteAddress: options.remoteAddress,
    onRtt: (ms) => camera.viewerRtt(ms),
  });
  const flood = new TokenBucket(FLOOD_BURST, FLOOD_PER_SECOND);
  limitViewerMessages(socket);
  /** Heard from the peer since the last keepalive ping. */
  let alive = true;

  const reject = (reason: string): void => {
    log.debug({ reason }, 'closing viewer: policy violation');
    socket.close(CloseCode.POLICY_VIOLATION, reason);
  };

  const onMessage = (data: RawData, isBinary: boolean): void => {
    alive = true;
    if (socket.readyState !== WebSocket.OPEN) return; // closing: what still arrives no longer matters
    if (tooBig(data)) {
      log.debug('closing viewer: message too big');
      socket.close(CloseCode.MESSAGE_TOO_BIG, `message over ${MAX_VIEWER_MESSAGE_BYTES} bytes`);
      return;
    }
    if (isBinary) return reject('binary messages are not accepted');
    const parsed = parseClientMessage(data.toString());
    if (!parsed.ok) return reject(parsed.reason);
    const message = parsed.message;
    if (message.type === 'ack') {
      const result = viewer.ack(message.seq);
      if (result === 'never-sent') return reject(`ack for frame ${message.seq}, never sent`);
      // An ack that frees a frame is free: there can be no more of those than frames sent.
      if (result === 'freed') return;
    }
    if (!flood.take()) return reject('too many messages');
    switch (message.type) {
      case 'ping':
        return viewer.sendPong(message.t);
      case 'pause':
        return viewer.pause();
      case 'resume':
        return viewer.resume(camera.current);
      default:
        return; // stale acks and unknown types: harmless
    }
  };

  socket.on('message', (data, isBinary) => {
    try {
      onMessage(data, isBinary);
    } catch (err) {
      log.error({ err }, 'viewer message handler failed');
      socket.close(CloseCode.INTERNAL_ERROR, 'internal error');
    }
  });

  // Protocol-level pings reap peers that vanished without closing TCP.
  socket.on('pong', () => {
    alive = true;
  });
  const keepalive = setInterval(() => {
    if (!alive) {
      log.debug('viewer did not answer a ping; dropping it');
      socket.terminate();
      return;
    }
    alive = false;
    socket.ping();
  }, KEEPALIVE_MS);
  keepalive.unref();

  let unsubscribe: (() => void) | undefined;
  const dispose = (): void => {
    clearInterval(keepalive);
    viewer.close();
    unsubscribe?.();
    unsubscribe = undefined;
  };
  socket.on('close', (code) => {
    dispose();
    log.debug({ code }, 'viewer left');
  });

  try {
    unsubscribe = camera.subscribe(viewer);
  } catch (err) {
    // The camera is closing: the server is shutting down.
    log.debug({ err }, 'camera closed before the viewer could subscribe');
    socket.close(CloseCode.GOING_AWAY, 'camera closed');
    return dispose;
  }
  viewer.sendHello(camera.size);
  if (!camera.status.online) viewer.sendStatus(camera.status);
  if (camera.current) viewer.onFrame(camera.current); // a picture at once, not at the next frame
  log.debug({ window: options.window, acks: options.acks }, 'viewer joined');
  return dispose;
}
