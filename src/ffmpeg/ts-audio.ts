/**
 * A capture's audio in MPEG-TS: AAC and Opus PES from the video's MPEG-TS (or, for Opus from builds without
 * it, from an MPEG-TS of its own on pipe:3), cut into units timed by their PES's PTS. Bounded: a PES that
 * does not parse is dropped, a configuration that keeps changing gives the audio up, and an AAC
 * configuration whose rate its timestamps contradict is said (audio-output.ts has the other paths).
 */
import type { Logger } from 'pino';
import { aacCodecString, parseAudioSpecificConfig } from '../codec/aac/audio-specific-config.js';
import { adtsConfig, parseAdtsHeader, type AdtsHeader } from '../codec/aac/adts.js';
import { CHANGE_WINDOW_MS, MAX_CONFIG_CHANGES } from '../codec/aac/adts-stream.js';
import { CodecError, isCodecError } from '../codec/errors.js';
import { TsDemuxer } from '../codec/mpegts/demuxer.js';
import { buildOpusHead, OPUS_CODEC_STRING, OPUS_SAMPLE_RATE, opusPacketSamples } from '../codec/opus/opus-head.js';
import { parseOpusTsPayload } from '../codec/opus/ts-access-units.js';
import type { AudioConfig, SourceAudioUnit } from '../media/index.js';

/** The span of an AAC stream's timestamps checked against its samples (90 kHz: 2 s). */
const CHECK_RATE_TICKS = 2 * 90000;
/** Problems logged at most this often per capture. */
const WARN_EVERY_MS = 10_000;

/** One audio PES of the MPEG-TS demuxer (src/codec/mpegts): its codec, the PTS of its first frame (90 kHz), its payload. */
export interface AudioPes {
  /** The PMT's codec: `aac` (ADTS frames) or `opus` (Opus access units); others are ignored. */
  codec: string | undefined;
  pts: number | undefined;
  data: Uint8Array;
}

/**
 * Audio PES from an MPEG-TS: AAC (each ADTS frame a unit) and Opus (each packet a unit), each unit's pts
 * the PES's (in samples) plus the frames before it in the PES. A PES that does not parse is dropped whole
 * (logged at most every 10 s); units carry the same configuration object while it holds. Opus's channels
 * are the probe's (`channels`, 1 or 2; its PES do not say).
 */
export function tsAudioParser(
  unit: (unit: SourceAudioUnit) => void,
  options: {
    log: Logger;
    label: string;
    channels?: number;
    /** The audio cannot be followed (its configuration keeps changing): given up until the capture restarts. */
    fatal?(reason: string): void;
    now?(): number;
  },
): { push(pes: AudioPes): void } {
  const now = options.now ?? Date.now;
  let lastWarn = -Infinity;
  let config: AudioConfig | undefined;
  let key = '';
  let changes: number[] = [];
  let failed = false;
  // Where the AAC's timestamps are checked against its samples from: a PES's pts and the samples since.
  let check: { pts: number; samples: number } | undefined;
  const warn = (message: string): void => {
    const t = now();
    if (t - lastWarn < WARN_EVERY_MS) return;
    lastWarn = t;
    options.log.warn({ camera: options.label }, `camera audio: ${message}`);
  };
  /** A new configuration: said, and counted; too many in CHANGE_WINDOW_MS give the audio up. */
  const changed = (message: string): boolean => {
    const t = now();
    changes = changes.filter((at) => t - at < CHANGE_WINDOW_MS);
    changes.push(t);
    if (changes.length > MAX_CONFIG_CHANGES) {
      failed = true;
      options.fatal?.(`the AAC configuration changed ${changes.length} times in ${CHANGE_WINDOW_MS / 1000} s`);
      return false;
    }
    warn(message);
    return true;
  };
  /**
   * The PES's time against the samples before it: a configuration that lies about the sample rate (the
   * camera's SDP `config`, which ffmpeg writes into every ADTS header) plays at the wrong speed. Said,
   * at most every 10 s; the units go on as they are.
   */
  const checkRate = (pts: number | undefined, samples: number, rate: number): void => {
    if (pts === undefined) return;
    const elapsed = check ? pts - check.pts : 0;
    if (!check || elapsed < 0 || elapsed > 60 * 90000) {
      check = { pts, samples: 0 };
    } else if (elapsed >= CHECK_RATE_TICKS) {
      const heard = (check.samples * 90000) / rate;
      if (Math.abs(heard / elapsed - 1) > 0.2) {
        const implied = Math.round((check.samples * 90000) / elapsed);
        warn(
          `the AAC configuration says ${rate} Hz, but the camera's times advance as ${implied} Hz ` +
            '(a configuration that lies, or audio lost on the way)',
        );
      }
      check = { pts, samples: 0 };
    }
    check.samples += samples;
  };
  const pushAac = (pes: AudioPes): void => {
    const frames: { header: AdtsHeader; at: number }[] = [];
    try {
      for (let at = 0; at < pes.data.length;) {
        const header = parseAdtsHeader(pes.data, at);
        if (at + header.frameLength > pes.data.length)
          throw new CodecError('truncated', 'ADTS frame cut off in its PES');
        frames.push({ header, at });
        at += header.frameLength;
      }
    } catch (error) {
      if (!isCodecError(error)) throw error;
      warn(`an AAC PES dropped (${error.message})`);
      return;
    }
    for (const [k, { header, at }] of frames.entries()) {
      const asc = adtsConfig(header);
      const id = asc.join(',');
      if (!config || id !== key) {
        const before = `${config?.sampleRate} Hz ${config?.channels} ch`;
        if (
          config &&
          !changed(`the AAC configuration changed: ${before} → ${header.sampleRate} Hz ${header.channels} ch`)
        )
          return;
        check = undefined;
        key = id;
        config = Object.freeze({
          codec: 'aac' as const,
          sampleRate: header.sampleRate,
          channels: header.channels,
          codecString: aacCodecString(parseAudioSpecificConfig(asc)),
          description: asc,
        });
      }
      const data = Buffer.from(pes.data.subarray(at + header.headerLength, at + header.frameLength));
      const pts = pes.pts === undefined ? undefined : Math.round((pes.pts * header.sampleRate) / 90000) + k * 1024;
      unit({ config, data, samples: 1024, ...(pts !== undefined ? { pts } : {}) });
    }
    if (config) checkRate(pes.pts, frames.length * 1024, config.sampleRate);
  };
  const pushOpus = (pes: AudioPes): void => {
    let packets: { data: Uint8Array; samples: number; startTrim?: number }[];
    try {
      packets = parseOpusTsPayload(pes.data).map((u) => ({
        data: u.packet,
        samples: opusPacketSamples(u.packet),
        ...(u.startTrim !== undefined ? { startTrim: u.startTrim } : {}),
      }));
    } catch (error) {
      if (!isCodecError(error)) throw error;
      warn(`an Opus PES dropped (${error.message})`);
      return;
    }
    if (!config) {
      // Mono or stereo, mapping family 0; the first packet's start trim (an encoder's delay) is the pre-skip.
      const channels = options.channels === 1 ? 1 : 2;
      const preSkip = packets[0]?.startTrim ?? 0;
      const head = { channels, preSkip, inputSampleRate: OPUS_SAMPLE_RATE, outputGain: 0, mappingFamily: 0 };
      config = Object.freeze({
        codec: 'opus' as const,
        sampleRate: OPUS_SAMPLE_RATE,
        channels,
        codecString: OPUS_CODEC_STRING,
        description: buildOpusHead(head),
      });
    }
    let offset = 0;
    for (const packet of packets) {
      const pts = pes.pts === undefined ? undefined : Math.round((pes.pts * OPUS_SAMPLE_RATE) / 90000) + offset;
      offset += packet.samples;
      unit({ config, data: Buffer.from(packet.data), samples: packet.samples, ...(pts !== undefined ? { pts } : {}) });
    }
  };
  return {
    push(pes) {
      if (failed) return;
      if (pes.codec === 'aac') pushAac(pes);
      else if (pes.codec === 'opus') pushOpus(pes);
    },
  };
}

/** PES bytes an audio stream's MPEG-TS on pipe:3 may hold (ffmpeg's muxer gathers under 3 KB). */
const MAX_AUDIO_PES = 256 * 1024;

/**
 * Opus in MPEG-TS on pipe:3 (builds whose video does not leave in MPEG-TS): its PES as in the video's,
 * each unit with the PES's time (which the hub uses only when the video has its source's times too).
 */
export function tsPipeAudioParser(
  channels: number,
  unit: (unit: SourceAudioUnit) => void,
  options: { log: Logger; label: string },
): { push(chunk: Buffer): void; reset(): void } {
  const parser = tsAudioParser(unit, { ...options, channels });
  const make = (): TsDemuxer =>
    new TsDemuxer((pes) => parser.push(pes), { maxPesBytes: MAX_AUDIO_PES, endOnStuffing: true });
  let demuxer = make();
  return {
    push: (chunk) => demuxer.push(chunk),
    reset: () => {
      demuxer = make();
    },
  };
}
