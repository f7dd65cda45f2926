/**
 * One client of the replaced system's protocol: each text message asks for a
 * picture, answered with the newest frame this client has not had yet, or
 * with the next frame if it already has the newest. Requests that arrive
 * before the answer merge into one, and nothing is sent while the previous
 * answer is still being written, so a client that asks without reading
 * holds at most one message in the server.
 */
import type { WebSocket } from 'ws';
import type { CameraStream } from '../../hub/camera-stream.js';
import type { Consumer, ViewerStats } from '../../hub/consumer.js';
import type { AccessUnit } from '../../media/index.js';
import { nextViewerId } from '../viewer-id.js';
import { ViewerTally } from '../viewer-tally.js';
import { seedMessage } from './seed-message.js';

export class SeedViewer implements Consumer {
  private readonly tally: ViewerTally;
  /** seq of the last frame sent; seqs start at 1. */
  private lastSeq = 0;
  /** A request is waiting for its answer. */
  private wanted = false;
  /** An answer is still being written to the socket. */
  private sending = false;
  private closed = false;

  constructor(
    private readonly socket: WebSocket,
    private readonly camera: CameraStream,
    remoteAddress: string,
  ) {
    this.tally = new ViewerTally(nextViewerId('seed-ws'), 'seed-ws', remoteAddress);
  }

  /** The client asked for a picture. */
  request(): void {
    this.wanted = true;
    this.camera.catchUp(this, 'jpeg');
  }

  onUnit(frame: AccessUnit): void {
    if (this.wanted) this.answer(frame);
  }

  close(): void {
    this.closed = true;
  }

  stats(): ViewerStats {
    return this.tally.stats();
  }

  private answer(frame: AccessUnit | undefined): void {
    if (!frame || frame.seq <= this.lastSeq || !this.wanted || this.sending || this.closed) return;
    if (this.socket.readyState !== this.socket.OPEN) return;
    const message = seedMessage(frame);
    // Frames that came and went while the client was not asking.
    if (this.lastSeq > 0) this.tally.framesDropped += frame.seq - this.lastSeq - 1;
    this.lastSeq = frame.seq;
    this.wanted = false;
    this.sending = true;
    this.tally.sent(message.length);
    // A Buffer sent as text: ws frames it as is, without copying or re-encoding per client.
    this.socket.send(message, { binary: false }, (err) => {
      this.sending = false;
      // A request that came while this was being written gets the newest frame now, if it has not had it.
      if (!err) this.camera.catchUp(this, 'jpeg');
    });
  }
}
