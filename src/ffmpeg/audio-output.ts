/**
 * A capture's audio, copied by ffmpeg beside its video: AAC and Opus in the video's MPEG-TS (their PES
 * with the camera's times), G.711 in FLV on a second pipe (file descriptor 3) with its times, or, from
 * builds without the MPEG-TS output, on pipe:3 as ADTS (AAC), raw bytes (G.711) or MPEG-TS (Opus). Units
 * are made here: each AAC frame, each Opus packet, and G.711 in 20 ms packets. Without the source's times
 * they are timed by the samples counted from the run's start (the hub anchors them on the camera's media
 * clock, src/hub/audio-track.ts).
 */
import type { Logger } from 'pino';
import { aacCodecString, parseAudioSpecificConfig } from '../codec/aac/audio-specific-config.js';
import { AdtsStream, type AdtsStreamConfig } from '../codec/aac/adts-stream.js';
import { tsPipeAudioParser } from './ts-audio.js';
import type { AudioCodec, AudioConfig, SourceAudioUnit } from '../media/index.js';

/** The audio codecs a capture copies: what it reads of a camera's second stream. */
export type CapturedAudioCodec = Extract<AudioCodec, 'aac' | 'pcma' | 'pcmu' | 'opus'>;

export interface CapturedAudio {
  codec: CapturedAudioCodec;
  sampleRate: number;
  channels: number;
  /**
   * AAC or Opus in the video's MPEG-TS (its PES with their PTS, on the video's timeline: the camera's RTP
   * times), rather than on pipe:3 (G.711, which MPEG-TS cannot carry, and builds without the MPEG-TS output).
   */
  inTs?: boolean;
  /**
   * G.711 in FLV on pipe:3, each packet with its time (ms) on the video's timeline (-copyts, and the
   * video's MPEG-TS without its muxing offset): not timed by arrival.
   */
  flv?: boolean;
}

/** pipe:3's format for each codec, in builds whose video does not leave in MPEG-TS (Opus has no raw format). */
const FORMAT: Readonly<Record<CapturedAudioCodec, string>> = {
  aac: 'adts',
  pcma: 'alaw',
  pcmu: 'mulaw',
  opus: 'mpegts',
};

/**
 * In the video's MPEG-TS output: the input's first video and first audio stream, the audio copied, each
 * audio packet in a PES of its own as soon as it comes. By default the muxer gathers audio packets into
 * PES of about 3 KB or 0.7 s, which held a camera's AAC 200 ms (up to 400 ms) behind its video: units
 * reached the hub after the picture of their time, and a recording's segment lost its last ones. The
 * muxer's interleaving still holds a packet until the other stream's catch up, up to a video frame (43 ms
 * measured at a viewer of a 25 fps camera); `-max_interleave_delta 1` took that off too, but doubled the
 * server's CPU for a camera with audio (0.046 against 0.026 cores, bench/av-sync.ts), so it is not used.
 */
export const AUDIO_IN_TS: readonly string[] = [
  '-map',
  '0:v:0',
  '-map',
  '0:a:0',
  '-c:a',
  'copy',
  '-pes_payload_size',
  '0',
];

/** The output arguments of the audio: the input's first audio stream copied to pipe:3. */
export function audioOutput(audio: CapturedAudio): string[] {
  const format = audio.flv ? 'flv' : FORMAT[audio.codec];
  return ['-map', '0:a:0', '-vn', '-c:a', 'copy', '-flush_packets', '1', '-f', format, 'pipe:3'];
}

/** The MPEG-TS output's option that keeps the input's timestamps as they are (no muxing delay added). */
export const TS_EXACT_TIMES: readonly string[] = ['-mpegts_copyts', '1'];

/** A G.711 packet's length: 20 ms, as cameras send it over RTP. */
const G711_PACKET_MS = 20;
/** Problems logged at most this often per capture. */
const WARN_EVERY_MS = 10_000;

export interface AudioOutputParser {
  push(chunk: Buffer): void;
  reset(): void;
}

/** The parser of pipe:3 for this audio; units go to `unit`, a stream that cannot be followed to `fatal`. */
export function audioOutputParser(
  audio: CapturedAudio,
  unit: (unit: SourceAudioUnit) => void,
  options: { log: Logger; label: string; fatal(reason: string): void },
): AudioOutputParser {
  if (audio.codec === 'aac') return adtsParser(unit, options);
  if (audio.codec === 'opus') return tsPipeAudioParser(audio.channels, unit, options);
  if (audio.flv) return flvG711Parser(audio, unit, options);
  return g711Parser(audio, unit);
}

function adtsParser(
  unit: (unit: SourceAudioUnit) => void,
  options: { log: Logger; label: string; fatal(reason: string): void },
): AudioOutputParser {
  let lastWarn = -Infinity;
  const configs = new WeakMap<AdtsStreamConfig, AudioConfig>();
  const make = (): AdtsStream =>
    new AdtsStream({
      frame: (frame) => {
        let config = configs.get(frame.config);
        if (!config) {
          const asc = frame.config.audioSpecificConfig;
          config = Object.freeze({
            codec: 'aac' as const,
            sampleRate: frame.config.sampleRate,
            channels: frame.config.channels,
            codecString: aacCodecString(parseAudioSpecificConfig(asc)),
            description: asc,
          });
          configs.set(frame.config, config);
        }
        const data = Buffer.from(frame.data.buffer, frame.data.byteOffset, frame.data.length);
        unit({ config, data, samples: frame.samples });
      },
      problem: (message) => {
        const now = Date.now();
        if (now - lastWarn < WARN_EVERY_MS) return;
        lastWarn = now;
        options.log.warn({ camera: options.label }, `camera audio: ${message}`);
      },
      // The audio is given up, not the camera: its video goes on.
      ended: (reason) => options.fatal(reason),
    });
  let stream = make();
  return {
    push: (chunk) => stream.push(chunk),
    reset: () => {
      stream = make();
    },
  };
}

/** A G.711 stream's configuration, and its cut into units of G711_PACKET_MS: samples and bytes per unit. */
function g711Units(audio: CapturedAudio): { config: AudioConfig; samples: number; packet: number } {
  const config: AudioConfig = Object.freeze({
    codec: audio.codec,
    sampleRate: audio.sampleRate,
    channels: audio.channels,
    codecString: audio.codec === 'pcma' ? 'alaw' : 'ulaw',
  });
  const samples = Math.max(1, Math.round((audio.sampleRate * G711_PACKET_MS) / 1000));
  return { config, samples, packet: samples * audio.channels };
}

function g711Parser(audio: CapturedAudio, unit: (unit: SourceAudioUnit) => void): AudioOutputParser {
  const { config, samples, packet } = g711Units(audio);
  let pending: Buffer = Buffer.alloc(0);
  return {
    push(chunk) {
      pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
      let at = 0;
      for (; pending.length - at >= packet; at += packet) {
        unit({ config, data: Buffer.from(pending.subarray(at, at + packet)), samples });
      }
      pending = Buffer.from(pending.subarray(at));
    },
    reset() {
      pending = Buffer.alloc(0);
    },
  };
}

/** An FLV tag's body over this is not G.711 from a camera: the audio is given up. */
const MAX_FLV_TAG = 256 * 1024;

/**
 * G.711 in FLV (`-f flv`): each audio tag's samples in 20 ms units, the first at the tag's time (ms,
 * 32 bits, unwrapped) in samples, the next ones after it. Tags of other kinds (script data) are skipped;
 * a header or tag that is not FLV, or too large, gives the audio up.
 */
function flvG711Parser(
  audio: CapturedAudio,
  unit: (unit: SourceAudioUnit) => void,
  options: { fatal(reason: string): void },
): AudioOutputParser {
  const { config, samples, packet } = g711Units(audio);
  let pending: Buffer = Buffer.alloc(0);
  let headerDone = false;
  let failed = false;
  let wraps = 0;
  let lastMs = -1;
  const fail = (reason: string): void => {
    failed = true;
    pending = Buffer.alloc(0);
    options.fatal(reason);
  };
  return {
    push(chunk) {
      if (failed) return;
      pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
      let at = 0;
      if (!headerDone) {
        if (pending.length < 13) return;
        if (pending.toString('latin1', 0, 3) !== 'FLV') return fail('the audio pipe is not FLV');
        at = pending.readUInt32BE(5) + 4; // the header, then PreviousTagSize0
        headerDone = true;
      }
      while (pending.length - at >= 11) {
        const type = pending[at]! & 0x1f;
        const size = pending.readUIntBE(at + 1, 3);
        if (size > MAX_FLV_TAG) return fail(`an FLV tag of ${size} bytes`);
        if (pending.length - at < 11 + size + 4) break;
        const ms = (pending.readUIntBE(at + 4, 3) | (pending[at + 7]! << 24)) >>> 0;
        if (type === 8 && size > 1) {
          if (lastMs >= 0 && ms + 2 ** 31 < lastMs) wraps++;
          lastMs = ms;
          const body = pending.subarray(at + 12, at + 11 + size);
          const start = Math.round(((ms + wraps * 2 ** 32) * audio.sampleRate) / 1000);
          for (let k = 0; k * packet < body.length; k++) {
            const data = Buffer.from(body.subarray(k * packet, (k + 1) * packet));
            unit({ config, data, samples: data.length / audio.channels, pts: start + k * samples });
          }
        }
        at += 11 + size + 4;
      }
      pending = Buffer.from(pending.subarray(at));
    },
    reset() {
      pending = Buffer.alloc(0);
      headerDone = false;
      failed = false;
      wraps = 0;
      lastMs = -1;
    },
  };
}

/** The captured codec of ffmpeg's name for an audio stream (`aac`, `pcm_alaw`, `pcm_mulaw`, `opus`), or undefined. */
export function capturedAudioCodec(ffmpegName: string): CapturedAudioCodec | undefined {
  if (ffmpegName === 'aac') return 'aac';
  if (ffmpegName === 'opus') return 'opus';
  if (ffmpegName === 'pcm_alaw') return 'pcma';
  if (ffmpegName === 'pcm_mulaw') return 'pcmu';
  return undefined;
}
