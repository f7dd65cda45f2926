/**
 * One accepted WebSocket: greets the viewer, subscribes it to the camera,
 * applies the client-message policy (docs/protocol.md, "Errors"), keeps the
 * connection alive, and cleans up on close. Nothing a client sends can throw
 * out of here or touch another viewer.
 */
import type { FastifyBaseLogger } from 'fastify';
import { WebSocket, type RawData } from 'ws';
import type { CameraStream } from '../../hub/camera-stream.js';
import type { Codec } from '../../media/index.js';
import { nextViewerId } from '../viewer-id.js';
import { limitViewerMessages, tooBig } from '../viewer-message-limit.js';
import { CloseCode, FLOOD_BURST, FLOOD_PER_SECOND, MAX_VIEWER_MESSAGE_BYTES } from '../../wire/constants.js';
import { Keepalive } from '../../wire/keepalive.js';
import { parseClientMessage } from '../../wire/client-message.js';
import { TokenBucket } from '../../wire/token-bucket.js';
import { WsAudioSender } from './audio-sender.js';
import { WsViewer, type QualityRequest } from './viewer.js';

export interface ConnectionOptions {
  window: number;
  acks: boolean;
  remoteAddress: string;
  /** The track the viewer gets (`?codec=`). */
  codec: Codec;
  /** How the viewer decodes (`?player=`), for its statistics. */
  path?: string;
  /** H.264: `?quality=` (undefined: main, as in v1). */
  quality?: QualityRequest;
  /** `?audio=1`: the camera's audio too (audio-sender.ts); false: none, as in v1. */
  audio?: boolean;
  log: FastifyBaseLogger;
}

/** Serves the viewer until the socket closes; returns what ends it early (idempotent). */
export function serveViewer(socket: WebSocket, camera: CameraStream, options: ConnectionOptions): () => void {
  const id = nextViewerId('ws');
  const log = options.log.child({ viewer: id, camera: camera.id });
  const viewer: WsViewer = new WsViewer(socket, {
    id,
    camera: camera.id,
    window: options.window,
    acks: options.acks,
    remoteAddress: options.remoteAddress,
    codec: options.codec,
    ...(options.path === undefined ? {} : { path: options.path }),
    onRtt: (ms) => camera.viewerRtt(ms),
    ...(options.quality === undefined ? {} : { quality: options.quality }),
    has: (quality) => options.codec === 'h264' && camera.has(quality),
    subscribe: (quality): (() => void) => camera.subscribe(viewer, options.codec, quality),
    rates: (into) => {
      into.mainKbps = camera.bitrate('h264', 'main') / 1000;
      into.subKbps = camera.bitrate('h264', 'sub') / 1000;
      into.lowKbps = camera.bitrate('h264', 'low') / 1000;
    },
    online: () => camera.state === 'online',
    onMove: (move) => log.debug({ ...move, stats: viewer.stats() }, `quality ${move.phase}: ${move.from} → ${move.to}`),
  });
  const flood = new TokenBucket(FLOOD_BURST, FLOOD_PER_SECOND);
  limitViewerMessages(socket);
  // Protocol-level pings reap peers that vanished without closing TCP.
  const keepalive = new Keepalive(socket, () => log.debug('viewer did not answer a ping; dropping it'));

  const reject = (reason: string): void => {
    log.debug({ reason }, 'closing viewer: policy violation');
    socket.close(CloseCode.POLICY_VIOLATION, reason);
  };

  const onMessage = (data: RawData, isBinary: boolean): void => {
    keepalive.heard();
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
        // A picture at once (H.264: from a keyframe of the quality it gets).
        if (viewer.resume()) camera.catchUp(viewer, options.codec, viewer.track);
        return;
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

  let unsubscribeAudio: (() => void) | undefined;
  // viewer.close() leaves the camera's tracks.
  const dispose = (): void => {
    keepalive.stop();
    unsubscribeAudio?.();
    unsubscribeAudio = undefined;
    viewer.close();
  };
  socket.on('close', (code) => {
    dispose();
    log.debug({ code }, 'viewer left');
  });

  try {
    viewer.open();
  } catch (err) {
    // The camera is closing: the server is shutting down.
    log.debug({ err }, 'camera closed before the viewer could subscribe');
    socket.close(CloseCode.GOING_AWAY, 'camera closed');
    return dispose;
  }
  viewer.sendHello(camera.size);
  if (options.audio) unsubscribeAudio = camera.subscribeAudio(new WsAudioSender(socket, () => viewer.receiving));
  viewer.sendQuality();
  if (!camera.status.online) viewer.sendStatus(camera.status);
  camera.catchUp(viewer, options.codec, viewer.track); // a picture at once, not at the next unit
  log.debug(
    { window: options.window, acks: options.acks, codec: options.codec, audio: options.audio === true },
    'viewer joined',
  );
  return dispose;
}
