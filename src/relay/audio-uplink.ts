/**
 * One camera's audio on the edge's uplink, beside its H.264 (uplink.ts) when the hub's hello accepts the
 * codec: an `audio` message before the first unit and before each new configuration, then each unit
 * with its pts on the video's clock (90 kHz). Audio is a few kbit/s: it is not windowed nor acknowledged,
 * it goes at once, or is dropped (counted) while the socket holds more than `maxBufferedBytes`, so it never
 * waits behind video nor builds up a delay. Nothing goes before the camera's first video unit on the uplink:
 * the hub places audio by the video's clock.
 */
import type { Logger } from 'pino';
import type { AudioConfig, AudioConsumer, AudioUnit } from '../media/index.js';
import { VIDEO_CLOCK_RATE } from '../media/index.js';
import { MAX_RELAY_AUDIO_BYTES, type RelayAudioCodec } from './protocol.js';
import { type EdgeMessage } from './messages.js';
import { encodeRelayAudioFrame } from './frames.js';

/** What the audio needs of the edge's session (its UplinkSession). */
export interface AudioSession {
  readonly open: boolean;
  readonly bufferedAmount: number;
  send(message: EdgeMessage): void;
  sendFrame(message: Buffer): void;
}

export class AudioUplink implements AudioConsumer {
  private sentConfig: AudioConfig | undefined;
  private warned = false;
  /** The uplink has sent a video unit since it started: audio may go. */
  videoSent = false;
  /** Units not sent (socket backed up, over the size limit, a codec the hub does not take). */
  dropped = 0;
  sent = 0;

  constructor(
    private readonly session: AudioSession,
    private readonly camera: string,
    private readonly channel: number,
    private readonly accepted: readonly RelayAudioCodec[],
    private readonly maxBufferedBytes: number,
    private readonly log: Logger,
  ) {}

  /** A new start: the hub gets the configuration again before the next unit. */
  reset(): void {
    this.sentConfig = undefined;
    this.videoSent = false;
  }

  onAudio(unit: AudioUnit): void {
    const config = unit.config;
    if (!(this.accepted as readonly string[]).includes(config.codec)) {
      if (!this.warned)
        this.log.warn({ camera: this.camera, codec: config.codec }, 'the hub does not take this audio codec: not sent');
      this.warned = true;
      this.dropped++;
      return;
    }
    if (
      !this.videoSent ||
      !this.session.open ||
      this.session.bufferedAmount > this.maxBufferedBytes ||
      unit.data.length > MAX_RELAY_AUDIO_BYTES
    ) {
      this.dropped++;
      return;
    }
    if (config !== this.sentConfig) {
      this.session.send({
        type: 'audio',
        camera: this.camera,
        codec: config.codec as RelayAudioCodec,
        sampleRate: config.sampleRate,
        channels: config.channels,
        ...(config.description ? { description: Buffer.from(config.description).toString('base64') } : {}),
      });
      this.sentConfig = config;
    }
    const pts90k = Math.round((unit.pts * VIDEO_CLOCK_RATE) / config.sampleRate);
    this.session.sendFrame(encodeRelayAudioFrame(this.channel, unit.capturedAt, pts90k, unit.samples, unit.data));
    this.sent++;
  }
}
