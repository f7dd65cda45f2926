/** What the server sends a viewer (text JSON), as a client reads it. Pure, no I/O. */
import type { AudioConfigMessage } from './audio-message.js';

export type { AudioConfigMessage } from './audio-message.js';

export interface HelloMessage {
  type: 'hello';
  protocol: number;
  camera: string;
  codec: string;
  width: number;
  height: number;
  window: number;
}

export interface StatusMessage {
  type: 'status';
  online: boolean;
  since: number;
  reason?: string;
}

export interface PongMessage {
  type: 'pong';
  t: number;
  server: number;
}

/**
 * Codec 2 (H.264) only: how to decode the video messages that follow, sent before the first one
 * and again before the first that needs a new one.
 */
export interface ConfigMessage {
  type: 'config';
  /** RFC 6381 codec string (`avc1.64001F`), for WebCodecs and MSE. */
  codec: string;
  width: number;
  height: number;
  /** Base64 of the AVCDecoderConfigurationRecord (avcC). */
  description: string;
}

/**
 * H.264 with `?quality=`: what the following units are (`main`, `sub` or `keyframes`) and why (`pinned`,
 * `start`, `link`, `unavailable`; more may come). Sent after hello and after every move.
 */
export interface QualityMessage {
  type: 'quality';
  quality: string;
  reason: string;
}

export type ServerMessage =
  HelloMessage | StatusMessage | PongMessage | ConfigMessage | QualityMessage | AudioConfigMessage;

/**
 * Parses a text message; undefined for anything malformed or of a type this client does not know
 * (newer servers may send more).
 */
export function parseServerMessage(text: string): ServerMessage | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const m = value as Record<string, unknown>;
  switch (m.type) {
    case 'hello':
      return {
        type: 'hello',
        protocol: num(m.protocol),
        camera: typeof m.camera === 'string' ? m.camera : '',
        codec: typeof m.codec === 'string' ? m.codec : '',
        width: num(m.width),
        height: num(m.height),
        window: num(m.window),
      };
    case 'status':
      if (typeof m.online !== 'boolean') return undefined;
      return {
        type: 'status',
        online: m.online,
        since: num(m.since),
        ...(typeof m.reason === 'string' ? { reason: m.reason } : {}),
      };
    case 'config':
      if (typeof m.codec !== 'string' || typeof m.description !== 'string') return undefined;
      return { type: 'config', codec: m.codec, width: num(m.width), height: num(m.height), description: m.description };
    case 'audio-config':
      if (typeof m.codec !== 'string' || typeof m.description !== 'string') return undefined;
      return {
        type: 'audio-config',
        codec: m.codec,
        sampleRate: num(m.sampleRate),
        channels: num(m.channels),
        description: m.description,
      };
    case 'quality':
      if (typeof m.quality !== 'string') return undefined;
      return { type: 'quality', quality: m.quality, reason: typeof m.reason === 'string' ? m.reason : '' };
    case 'pong':
      if (typeof m.t !== 'number' || typeof m.server !== 'number') return undefined;
      return { type: 'pong', t: m.t, server: m.server };
    default:
      return undefined;
  }
}

function num(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) ? value : 0;
}
