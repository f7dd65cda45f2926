/**
 * Protocol-level pings that find a peer which vanished without closing TCP (a NAT mapping dropped,
 * a host powered off): every period, a peer not heard from since the last ping is terminated.
 * Used on both ends of every server-side socket: viewers, publishers on the hub, the edge's uplink.
 */
import { KEEPALIVE_MS } from './constants.js';

/** What of a `ws` WebSocket this needs. */
export interface PingableSocket {
  ping(): void;
  terminate(): void;
  on(event: 'pong', listener: () => void): unknown;
}

export class Keepalive {
  /** Heard from the peer since the last ping. */
  private alive = true;
  private readonly timer: ReturnType<typeof setInterval>;

  /** Starts pinging; `onSilent` runs (to log or record why) just before the socket is terminated. */
  constructor(socket: PingableSocket, onSilent: () => void, periodMs: number = KEEPALIVE_MS) {
    socket.on('pong', this.heard);
    this.timer = setInterval(() => {
      if (!this.alive) {
        onSilent();
        socket.terminate();
        return;
      }
      this.alive = false;
      socket.ping();
    }, periodMs);
    (this.timer as { unref?: () => void }).unref?.();
  }

  /** Call on every message from the peer: any message proves it is there. */
  readonly heard = (): void => {
    this.alive = true;
  };

  stop(): void {
    clearInterval(this.timer);
  }
}
