/**
 * Viewers send only small JSON, but the server's one WebSocket server accepts
 * messages as large as a relay publisher's frames. This gives a viewer socket
 * its own limit: ws stops buffering (and closes with 1009) past it, so a
 * hostile viewer cannot make the server hold megabytes per connection.
 */
import type { RawData, WebSocket } from 'ws';
import { MAX_VIEWER_MESSAGE_BYTES } from '../wire/constants.js';

/**
 * ws has no public per-socket limit; its receiver's `_maxPayload` has carried
 * it since ws 1.x. If a ws upgrade ever drops the field, tooBig() below still
 * closes the socket with 1009, only after the message has arrived.
 */
export function limitViewerMessages(socket: WebSocket): void {
  const receiver = (socket as unknown as { _receiver?: { _maxPayload?: unknown } })._receiver;
  if (receiver && typeof receiver._maxPayload === 'number') receiver._maxPayload = MAX_VIEWER_MESSAGE_BYTES;
}

export function tooBig(data: RawData): boolean {
  const size = Array.isArray(data) ? data.reduce((n, b) => n + b.length, 0) : data.byteLength;
  return size > MAX_VIEWER_MESSAGE_BYTES;
}
