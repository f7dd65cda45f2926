/**
 * The binary message for an access unit, built once per unit and shared by
 * every viewer of every camera. ws cannot send header and payload as one
 * message from two buffers, so the payload is copied once per unit, never
 * per viewer.
 */
import type { AccessUnit, Codec, TrackConfig } from '../../media/index.js';
import { CODEC_H264, CODEC_H265, CODEC_JPEG, FLAG_KEYFRAME, HEADER_BYTES } from '../../wire/constants.js';
import { encodeHeader } from '../../wire/header.js';
import type { ConfigMessage } from '../../wire/server-message.js';

/** The header's codec byte. */
const CODEC_BYTE: Readonly<Record<Codec, number>> = { jpeg: CODEC_JPEG, h264: CODEC_H264, h265: CODEC_H265 };

// Keyed by the frozen unit: the message lives exactly as long as someone holds the unit.
const messages = new WeakMap<AccessUnit, Buffer>();

export function frameMessage(unit: AccessUnit): Buffer {
  let message = messages.get(unit);
  if (!message) {
    message = Buffer.allocUnsafe(HEADER_BYTES + unit.data.length);
    encodeHeader(
      message,
      0,
      unit.seq,
      unit.receivedAt,
      CODEC_BYTE[unit.config.codec],
      unit.keyframe ? FLAG_KEYFRAME : 0,
    );
    unit.data.copy(message, HEADER_BYTES);
    messages.set(unit, message);
  }
  return message;
}

const configs = new WeakMap<TrackConfig, string>();

/** The `config` text message of an H.264 or H.265 track configuration, built once per configuration. */
export function configMessage(config: TrackConfig): string {
  let text = configs.get(config);
  if (text === undefined) {
    const message: ConfigMessage = {
      type: 'config',
      codec: config.codecString,
      width: config.width,
      height: config.height,
      description: config.description ? Buffer.from(config.description).toString('base64') : '',
    };
    text = JSON.stringify(message);
    configs.set(config, text);
  }
  return text;
}
