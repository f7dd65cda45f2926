/**
 * The `config` message's fields (codec string, size, base64 of the decoder configuration record),
 * built once per track configuration and shared: the viewer's `config` text (docs/protocol.md) and
 * the relay's, which adds the camera, carry the same fields. Pure (btoa, no Buffer): the browser's
 * test clients may import it too.
 */
import type { ConfigMessage } from './server-message.js';

/** A track configuration as the message needs it (src/media's TrackConfig has these fields). */
export interface DecoderConfig {
  readonly width: number;
  readonly height: number;
  /** RFC 6381 codec string. */
  readonly codecString: string;
  /** avcC or hvcC; none: an empty description. */
  readonly description?: Uint8Array;
}

export type ConfigFields = Omit<ConfigMessage, 'type'>;

// Keyed by the configuration object: a track's units share one until it changes.
const fields = new WeakMap<DecoderConfig, ConfigFields>();
const texts = new WeakMap<DecoderConfig, string>();

/** The fields of the `config` message for `config` (frozen, shared: spread them, never change them). */
export function configFields(config: DecoderConfig): ConfigFields {
  let built = fields.get(config);
  if (!built) {
    built = Object.freeze({
      codec: config.codecString,
      width: config.width,
      height: config.height,
      description: config.description ? base64(config.description) : '',
    });
    fields.set(config, built);
  }
  return built;
}

/** The viewer's `config` text message for `config`. */
export function configText(config: DecoderConfig): string {
  let text = texts.get(config);
  if (text === undefined) {
    const message: ConfigMessage = { type: 'config', ...configFields(config) };
    text = JSON.stringify(message);
    texts.set(config, text);
  }
  return text;
}

function base64(bytes: Uint8Array): string {
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
}
