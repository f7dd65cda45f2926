/**
 * One WebSocket to `/api/cameras/:id/ws` speaking protocol v1 (docs/protocol.md):
 * passes frames on with an `ack` to call once each is decoded (the server
 * sends at most `window` frames unacknowledged, so acking after decoding
 * paces it to this browser's decoding speed, as the protocol recommends),
 * measures the clock offset with pings, and notices a connection that has
 * silently died. It does not reconnect: its owner decides what happens after a close.
 */
import { ClockOffset, wallNow } from './clock.js';
import {
  CODEC_H264,
  CODEC_H265,
  CODEC_JPEG,
  encodeClientMessage,
  HEADER_VERSION,
  parseFrameHeader,
  parseServerMessage,
  type ClientMessage,
  type FrameHeader,
  type HelloMessage,
  type QualityMessage,
  type StatusMessage,
} from './protocol.js';
import { audioConfig, videoConfig, type AudioTrackConfig, type TrackConfig } from './media.js';
import { CODEC_AUDIO } from '../../../src/wire/constants.js';
import { decodeAudioHeader, type AudioHeader } from '../../../src/wire/audio-message.js';

/** Pings right after opening (several, to get a short round trip early), then every PING_EVERY_MS. */
const FIRST_PINGS_MS = [0, 250, 1000];
const PING_EVERY_MS = 5000;
/** No pong for this long: the connection is dead even if TCP has not noticed. */
const DEAD_AFTER_MS = 15_000;

export interface WsEvents {
  hello(message: HelloMessage): void;
  status(message: StatusMessage): void;
  /** `ack` must be called once the frame has been dealt with; it does nothing once this connection is gone. */
  frame(header: FrameHeader, jpeg: Blob, ack: () => void): void;
  /** H.264 (codec 2) or H.265 (codec 3): the decoder's configuration, before the video that needs it. */
  config(config: TrackConfig): void;
  /** H.264 with `?quality=`: what the following video is, and why. */
  quality(message: QualityMessage): void;
  /** H.264 or H.265: one access unit (AVC form, a view of the message), with its ack as for `frame`. */
  video(header: FrameHeader, unit: Uint8Array, ack: () => void): void;
  /** `?audio=1`: how to decode the audio units that follow. */
  audioConfig(config: AudioTrackConfig): void;
  /** `?audio=1`: one audio unit (a view of the message); not acknowledged. */
  audio(header: AudioHeader, data: Uint8Array): void;
  /** Once, however the connection ended; `opened` tells whether it ever did. */
  closed(info: { code: number; reason: string; opened: boolean }): void;
}

export class WsConnection {
  readonly clock = new ClockOffset();
  private readonly socket: WebSocket;
  private opened = false;
  private ended = false;
  private timers: number[] = [];
  private pingTimer = 0;
  private lastPongAt = 0;
  private paused = false;

  /** Throws (SecurityError, SyntaxError) when the browser refuses the URL, e.g. ws: from an https: page. */
  constructor(
    url: string,
    private readonly events: WsEvents,
  ) {
    this.socket = new WebSocket(url);
    this.socket.binaryType = 'arraybuffer';
    this.socket.onopen = this.onOpen;
    this.socket.onmessage = this.onMessage;
    this.socket.onclose = (event) => this.end(event.code, event.reason);
    // An error is always followed by a close, which carries what little the browser tells.
    this.socket.onerror = null;
  }

  /** Stops the frames; remembered, so a pause asked for while connecting is sent on open. */
  pause(): void {
    if (this.paused) return;
    this.paused = true;
    this.send({ type: 'pause' });
  }

  resume(): void {
    if (!this.paused) return;
    this.paused = false;
    this.send({ type: 'resume' });
  }

  /** Closes without reporting it: the owner asked for it. */
  close(): void {
    if (this.ended) return;
    this.ended = true;
    this.stopTimers();
    this.detach();
    if (this.socket.readyState === WebSocket.CONNECTING || this.socket.readyState === WebSocket.OPEN)
      this.socket.close(1000, 'viewer left');
  }

  private readonly onOpen = (): void => {
    this.opened = true;
    this.lastPongAt = wallNow();
    if (this.paused) this.send({ type: 'pause' });
    for (const delay of FIRST_PINGS_MS) this.timers.push(window.setTimeout(this.ping, delay));
    this.pingTimer = window.setInterval(this.ping, PING_EVERY_MS);
  };

  private readonly onMessage = (event: MessageEvent<ArrayBuffer | string>): void => {
    const data = event.data;
    if (typeof data === 'string') {
      const message = parseServerMessage(data);
      if (!message) return;
      if (message.type === 'pong') {
        this.lastPongAt = wallNow();
        this.clock.sample(message.t, message.server, this.lastPongAt);
      } else if (message.type === 'hello') this.events.hello(message);
      else if (message.type === 'config') {
        const config = videoConfig(message);
        if (config) this.events.config(config);
      } else if (message.type === 'quality') this.events.quality(message);
      else if (message.type === 'audio-config') {
        const config = audioConfig(message);
        if (config) this.events.audioConfig(config);
      } else this.events.status(message);
      return;
    }
    // Audio is outside the ack window: never acknowledged.
    if (data.byteLength > 1 && new Uint8Array(data, 1, 1)[0] === CODEC_AUDIO) {
      const audio = decodeAudioHeader(new Uint8Array(data));
      if (audio) this.events.audio(audio, new Uint8Array(data, audio.headerLength));
      return;
    }
    let header: FrameHeader;
    try {
      header = parseFrameHeader(data);
    } catch {
      return; // not a frame this player understands; the next one may be
    }
    const seq = header.seq;
    const ack = (): void => this.send({ type: 'ack', seq });
    if (header.version !== HEADER_VERSION) return ack(); // nothing to show; free the window
    if (header.codec === CODEC_H264 || header.codec === CODEC_H265) {
      return this.events.video(header, new Uint8Array(data, header.headerLength), ack);
    }
    if (header.codec !== CODEC_JPEG) return ack();
    // A view, not a copy; the Blob makes the one copy it needs.
    this.events.frame(header, new Blob([new Uint8Array(data, header.headerLength)], { type: 'image/jpeg' }), ack);
  };

  private readonly ping = (): void => {
    const now = wallNow();
    if (now - this.lastPongAt > DEAD_AFTER_MS) {
      // Half-open: nothing has come back for too long. Drop it so the owner reconnects.
      this.detach();
      this.socket.close(4000, 'no pong');
      this.end(1006, 'no answer to pings');
      return;
    }
    this.send({ type: 'ping', t: now });
  };

  private send(message: ClientMessage): void {
    // Never on a socket we gave up: an ack belongs to the connection that delivered its frame.
    if (!this.ended && this.socket.readyState === WebSocket.OPEN) this.socket.send(encodeClientMessage(message));
  }

  private end(code: number, reason: string): void {
    if (this.ended) return;
    this.ended = true;
    this.stopTimers();
    this.detach();
    this.events.closed({ code, reason, opened: this.opened });
  }

  private stopTimers(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers = [];
    clearInterval(this.pingTimer);
  }

  private detach(): void {
    this.socket.onopen = null;
    this.socket.onmessage = null;
    this.socket.onclose = null;
  }
}
