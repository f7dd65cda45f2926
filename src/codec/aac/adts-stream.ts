/**
 * A live ADTS stream (cut anywhere) to raw AAC frames, each with the configuration its header
 * states. Untrusted bytes: garbage between frames is skipped to the next header that a second header
 * confirms; a configuration that changes is reported (the consumer starts a new track config) and,
 * changing too often, ends the stream; bounded memory whatever comes in.
 */
import { CodecError, isCodecError } from '../errors.js';
import type { AudioSpecificConfig } from './audio-specific-config.js';
import {
  ADTS_HEADER_BYTES,
  adtsConfig,
  isAdtsSync,
  MAX_ADTS_FRAME_BYTES,
  parseAdtsHeader,
  type AdtsHeader,
} from './adts.js';

export interface AdtsFrame {
  /** The raw AAC frame (no ADTS header): an MP4 sample, a WebCodecs chunk. */
  data: Uint8Array;
  /** The same object while the stream's configuration stays the same. */
  config: AdtsStreamConfig;
  /** Samples per channel: 1024. */
  samples: number;
}

export interface AdtsStreamConfig {
  objectType: number;
  sampleRate: number;
  channelConfiguration: number;
  channels: number;
  /** The AudioSpecificConfig the header stands for. */
  audioSpecificConfig: Uint8Array;
}

export interface AdtsStreamEvents {
  frame(frame: AdtsFrame): void;
  /** Something was wrong and skipped (garbage, a configuration change): for a rate-limited log line. */
  problem(message: string): void;
  /** The stream cannot be followed any longer: the caller stops reading it. */
  ended(reason: string): void;
}

/** Garbage bytes without one frame after which the stream is given up. */
export const MAX_GARBAGE_BYTES = 256 * 1024;
/** Configuration changes allowed in CHANGE_WINDOW_MS before the stream is given up. */
export const MAX_CONFIG_CHANGES = 5;
export const CHANGE_WINDOW_MS = 10_000;

function sameConfig(
  config: { objectType: number; sampleRate: number; channelConfiguration: number },
  header: AdtsHeader,
): boolean {
  return (
    config.objectType === header.objectType &&
    config.sampleRate === header.sampleRate &&
    config.channelConfiguration === header.channelConfiguration
  );
}

export class AdtsStream {
  private pending = new Uint8Array(0);
  private config: AdtsStreamConfig | undefined;
  /** After garbage: the next frame is taken only once the header after it is seen too. */
  private synced = false;
  private garbage = 0;
  private changes: number[] = [];
  private done = false;

  /**
   * `declared`: the configuration the source announced (an SDP's `config=`, an MP4's esds), when it
   * did: frames that say otherwise are followed, with a problem naming both.
   */
  constructor(
    private readonly events: AdtsStreamEvents,
    private readonly now: () => number = Date.now,
    private readonly declared?: AudioSpecificConfig,
  ) {}

  get ended(): boolean {
    return this.done;
  }

  push(chunk: Uint8Array): void {
    if (this.done || chunk.length === 0) return;
    let data: Uint8Array;
    if (this.pending.length === 0) data = chunk;
    else {
      data = new Uint8Array(this.pending.length + chunk.length);
      data.set(this.pending, 0);
      data.set(chunk, this.pending.length);
    }
    let at = 0;
    while (!this.done && data.length - at >= ADTS_HEADER_BYTES) {
      let header: AdtsHeader;
      try {
        header = parseAdtsHeader(data, at);
      } catch (error) {
        if (!isCodecError(error)) throw error;
        at = this.skip(data, at, error);
        continue;
      }
      const end = at + header.frameLength;
      if (!this.synced) {
        // Confirm: a frame is only believed when another header starts where it ends.
        if (end + 2 > data.length) break;
        if (!isAdtsSync(data, end)) {
          at = this.skip(data, at, new CodecError('invalid', 'ADTS frame length points at no next header'));
          continue;
        }
        this.synced = true;
      }
      if (end > data.length) break;
      this.emit(header, data.subarray(at + header.headerLength, end));
      at = end;
    }
    // Keep at most two frames' bytes (one, and the next header that confirms it): anything longer is skipped as garbage.
    const rest = data.subarray(at);
    if (rest.length > 2 * MAX_ADTS_FRAME_BYTES) {
      this.countGarbage(rest.length - 1, 'ADTS data without a frame');
      this.pending = rest.slice(rest.length - 1);
      this.synced = false;
    } else this.pending = rest.slice();
  }

  private skip(data: Uint8Array, at: number, error: CodecError): number {
    let next = at + 1;
    while (next < data.length && !isAdtsSync(data, next)) next++;
    if (this.synced) this.events.problem(`garbage in the ADTS stream (${error.message}): skipped to the next header`);
    this.synced = false;
    this.countGarbage(next - at, error.message);
    return next;
  }

  private countGarbage(bytes: number, message: string): void {
    this.garbage += bytes;
    if (this.garbage > MAX_GARBAGE_BYTES) this.end(`${this.garbage} bytes without an AAC frame (${message})`);
  }

  private emit(header: AdtsHeader, data: Uint8Array): void {
    this.garbage = 0;
    if (!this.config || !sameConfig(this.config, header)) {
      if (!this.config && this.declared && !sameConfig(this.declared, header)) {
        const d = this.declared;
        this.events.problem(
          `the AAC configuration given says object type ${d.objectType}, ${d.sampleRate} Hz, ${d.channels} ch but the frames say ` +
            `${header.objectType}, ${header.sampleRate} Hz, ${header.channels} ch: following the frames`,
        );
      }
      if (this.config) {
        const t = this.now();
        this.changes = this.changes.filter((at) => t - at < CHANGE_WINDOW_MS);
        this.changes.push(t);
        const was = this.config;
        this.events.problem(
          `the AAC configuration changed: ${was.sampleRate} Hz ${was.channels} ch → ${header.sampleRate} Hz ${header.channels} ch`,
        );
        if (this.changes.length > MAX_CONFIG_CHANGES) {
          this.end(`the AAC configuration changed ${this.changes.length} times in ${CHANGE_WINDOW_MS / 1000} s`);
          return;
        }
      }
      this.config = {
        objectType: header.objectType,
        sampleRate: header.sampleRate,
        channelConfiguration: header.channelConfiguration,
        channels: header.channels,
        audioSpecificConfig: adtsConfig(header),
      };
    }
    this.events.frame({ data: data.slice(), config: this.config, samples: 1024 });
  }

  private end(reason: string): void {
    if (this.done) return;
    this.done = true;
    this.pending = new Uint8Array(0);
    this.events.ended(reason);
  }
}
