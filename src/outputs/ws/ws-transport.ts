/**
 * A viewer's WebSocket as a PacedSender's transport (src/stream): each unit as one binary message
 * (16-byte header + payload), the `config` as text.
 *
 * Where no extension is negotiated (no permessage-deflate: ws then never holds a send back, so the
 * order with its own sends is kept), a unit's prebuilt WebSocket frame (frame-message.ts) is written
 * to the connection under ws as it is: one write of one buffer shared by every viewer, where
 * ws.send makes a frame header, an options object and a two-buffer write for each. Otherwise, or
 * if ws ever stops keeping the socket as `_socket`, ws.send with the shared message.
 *
 * A renumbered unit (after a move to a track whose numbers are behind) goes as one message in two
 * fragments: this viewer's own header, then the shared payload (no copy of it).
 */
import { Socket } from 'node:net';
import { WebSocket } from 'ws';
import type { AccessUnit, TrackConfig } from '../../media/index.js';
import type { UnitTransport } from '../../stream/transport.js';
import { configText } from '../../wire/config-message.js';
import { CODEC_H264, CODEC_H265, FLAG_KEYFRAME } from '../../wire/constants.js';
import { encodeHeader } from '../../wire/header.js';
import { headerBytes, mediaTimes, unitMessage } from './frame-message.js';

const FIRST_FRAGMENT = { binary: true, fin: false } as const;
const LAST_FRAGMENT = { binary: true, fin: true } as const;

export class WsTransport implements UnitTransport {
  private readonly connection: Socket | undefined;

  constructor(private readonly socket: WebSocket) {
    const underlying = (socket as unknown as { _socket?: unknown })._socket;
    this.connection = socket.extensions === '' && underlying instanceof Socket ? underlying : undefined;
  }

  get writable(): boolean {
    return this.socket.readyState === WebSocket.OPEN;
  }

  get bufferedBytes(): number {
    return this.socket.bufferedAmount;
  }

  sendConfig(config: TrackConfig): void {
    this.socket.send(configText(config));
  }

  sendUnit(unit: AccessUnit, seq: number, written: (() => void) | undefined): number {
    if (seq === unit.seq >>> 0) {
      const { message, frame } = unitMessage(unit);
      // The callback fires once the message is handed to the OS (or with an error on close).
      if (this.connection) this.connection.write(frame, written);
      else this.socket.send(message, written);
      return message.length;
    }
    const header = Buffer.allocUnsafe(headerBytes(unit));
    const codec = unit.config.codec === 'h265' ? CODEC_H265 : CODEC_H264;
    encodeHeader(header, 0, seq, unit.capturedAt, codec, unit.keyframe ? FLAG_KEYFRAME : 0, mediaTimes(unit));
    this.socket.send(header, FIRST_FRAGMENT);
    this.socket.send(unit.data, LAST_FRAGMENT, written);
    return header.length + unit.data.length;
  }
}
