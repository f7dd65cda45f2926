/**
 * A viewer's audio (`?audio=1`, docs/protocol.md "Audio"): the camera's audio units as binary messages after
 * an `audio-config` text, outside the ack window. Audio is small and a listener hears any delay, so nothing
 * of it waits: a unit already older than MAX_AUDIO_AGE_MS, or one that would queue behind more than
 * MAX_AUDIO_BUFFERED_BYTES for the socket (a link falling behind), is dropped and counted. Video pictures
 * wait in the viewer's window and queue, and go before audio is lost only when the link is very short.
 */
import { WebSocket } from 'ws';
import type { AudioConfig, AudioConsumer, AudioUnit } from '../../media/audio.js';
import { audioConfigMessage, encodeAudioHeader } from '../../wire/audio-message.js';
import { MAX_AUDIO_AGE_MS, MAX_AUDIO_BUFFERED_BYTES, MEDIA_TIME_HEADER_BYTES } from '../../wire/constants.js';

// Keyed by the frozen unit: its message is built once, whatever the number of listeners.
const messages = new WeakMap<AudioUnit, Buffer>();

/** The binary message for an audio unit (24-byte header + the unit's bytes), shared by every listener. */
export function audioMessage(unit: AudioUnit): Buffer {
  let built = messages.get(unit);
  if (!built) {
    built = Buffer.allocUnsafe(MEDIA_TIME_HEADER_BYTES + unit.data.length);
    encodeAudioHeader(built, 0, unit.seq, unit.capturedAt, unit.pts, unit.config.sampleRate, unit.samples);
    unit.data.copy(built, MEDIA_TIME_HEADER_BYTES);
    messages.set(unit, built);
  }
  return built;
}

export class WsAudioSender implements AudioConsumer {
  private config: AudioConfig | undefined;
  /** Units sent and dropped (too old, or the socket backed up). */
  sent = 0;
  dropped = 0;

  constructor(
    private readonly socket: WebSocket,
    /** False while the viewer is paused: nothing is sent, nothing counted. */
    private readonly active: () => boolean,
  ) {}

  onAudio(unit: AudioUnit): void {
    if (!this.active() || this.socket.readyState !== WebSocket.OPEN) return;
    if (Date.now() - unit.capturedAt > MAX_AUDIO_AGE_MS || this.socket.bufferedAmount > MAX_AUDIO_BUFFERED_BYTES) {
      this.dropped++;
      return;
    }
    if (unit.config !== this.config) {
      this.config = unit.config;
      this.socket.send(JSON.stringify(audioConfigMessage(unit.config)));
    }
    this.socket.send(audioMessage(unit));
    this.sent++;
  }
}
