/**
 * One moof of a fragmented MP4: the samples it describes for the video track and the audio track (their
 * absolute offsets, sizes, durations, keyframe flags and composition offsets), with the track's defaults
 * where the moof leaves fields out. A field that lies is CodecError.
 */
import { CodecError } from '../errors.js';
import type { BoxInfo } from './boxes.js';
import { BodyReader, child, children } from './box-reader.js';
import type { Init } from './init-reader.js';

export interface SampleInfo {
  /** Absolute offset of the sample's first byte in the file. */
  offset: number;
  size: number;
  /** In timescale ticks. */
  duration: number;
  keyframe: boolean;
  /** Presentation time minus decode time, in ticks. */
  compositionOffset: number;
}

/** More samples than this in one fragment ends the list there (fmp4.ts writes at most 100000). */

export const MAX_FRAGMENT_SAMPLES = 100000;
const TFHD_BASE_DATA_OFFSET = 0x000001;
const TFHD_SAMPLE_DESCRIPTION_INDEX = 0x000002;
const TFHD_DEFAULT_DURATION = 0x000008;
const TFHD_DEFAULT_SIZE = 0x000010;
const TFHD_DEFAULT_FLAGS = 0x000020;
const TRUN_DATA_OFFSET = 0x000001;
const TRUN_FIRST_SAMPLE_FLAGS = 0x000004;
const TRUN_DURATION = 0x000100;
const TRUN_SIZE = 0x000200;
const TRUN_FLAGS = 0x000400;
const TRUN_COMPOSITION_OFFSET = 0x000800;
const SAMPLE_IS_NON_SYNC = 0x00010000;

/**
 * The samples of one moof (its bytes, placed at `moofOffset` in the file) of our track, their
 * offsets absolute; CodecError when a field lies.
 */
export function parseMoof(
  moof: Uint8Array,
  moofOffset: number,
  init: Init,
): {
  sequenceNumber: number;
  baseDecodeTime: number;
  samples: SampleInfo[];
  audio?: { baseDecodeTime: number; samples: SampleInfo[] };
} {
  const root: BoxInfo = { type: 'moof', start: 0, size: moof.length, headerSize: 8, end: moof.length };
  const mfhd = child(moof, root, 'mfhd');
  if (!mfhd) throw new CodecError('invalid', 'moof without mfhd');
  const mf = new BodyReader(moof, mfhd);
  mf.versionAndFlags();
  const sequenceNumber = mf.u32();
  let videoBase: number | undefined;
  let audioBase: number | undefined;
  const videoSamples: SampleInfo[] = [];
  const audioSamples: SampleInfo[] = [];
  for (const traf of children(moof, root, 'traf')) {
    const tfhd = child(moof, traf, 'tfhd');
    if (!tfhd) throw new CodecError('invalid', 'traf without tfhd');
    const th = new BodyReader(moof, tfhd);
    const { flags: tfFlags } = th.versionAndFlags();
    const trackId = th.u32();
    const isAudio = init.audio !== undefined && trackId === init.audio.defaults.trackId;
    if (trackId !== init.defaults.trackId && !isAudio) continue;
    const defaults = isAudio ? init.audio!.defaults : init.defaults;
    const samples = isAudio ? audioSamples : videoSamples;
    let base = moofOffset;
    if (tfFlags & TFHD_BASE_DATA_OFFSET) base = th.u64();
    if (tfFlags & TFHD_SAMPLE_DESCRIPTION_INDEX) th.u32();
    const defaultDuration = tfFlags & TFHD_DEFAULT_DURATION ? th.u32() : defaults.duration;
    const defaultSize = tfFlags & TFHD_DEFAULT_SIZE ? th.u32() : defaults.size;
    const defaultFlags = tfFlags & TFHD_DEFAULT_FLAGS ? th.u32() : defaults.flags;
    const tfdt = child(moof, traf, 'tfdt');
    if (tfdt) {
      const td = new BodyReader(moof, tfdt);
      const { version } = td.versionAndFlags();
      const time = version === 1 ? td.u64() : td.u32();
      if (isAudio) audioBase ??= time;
      else videoBase ??= time;
    }
    let next = base; // where a trun without data_offset starts: after the previous one's data
    for (const trun of children(moof, traf, 'trun')) {
      const tr = new BodyReader(moof, trun);
      const { version, flags } = tr.versionAndFlags();
      const count = tr.u32();
      if (videoSamples.length + audioSamples.length + count > MAX_FRAGMENT_SAMPLES) {
        throw new CodecError('too-large', `more than ${MAX_FRAGMENT_SAMPLES} samples in a fragment`);
      }
      const perSample =
        (flags & TRUN_DURATION ? 4 : 0) +
        (flags & TRUN_SIZE ? 4 : 0) +
        (flags & TRUN_FLAGS ? 4 : 0) +
        (flags & TRUN_COMPOSITION_OFFSET ? 4 : 0);
      let at = flags & TRUN_DATA_OFFSET ? base + tr.i32() : next;
      const firstFlags = flags & TRUN_FIRST_SAMPLE_FLAGS ? tr.u32() : undefined;
      if (trun.end - (trun.start + trun.headerSize) < perSample * count) {
        throw new CodecError('truncated', `trun of ${count} samples is too short`);
      }
      for (let i = 0; i < count; i++) {
        const duration = flags & TRUN_DURATION ? tr.u32() : defaultDuration;
        const size = flags & TRUN_SIZE ? tr.u32() : defaultSize;
        let sampleFlags = flags & TRUN_FLAGS ? tr.u32() : defaultFlags;
        if (i === 0 && firstFlags !== undefined) sampleFlags = firstFlags;
        let compositionOffset = 0;
        if (flags & TRUN_COMPOSITION_OFFSET) compositionOffset = version === 0 ? tr.u32() : tr.i32();
        if (compositionOffset > 0x7fffffff) compositionOffset = 0; // an unsigned offset no encoder makes
        if (size === 0) throw new CodecError('invalid', 'a sample of 0 bytes');
        samples.push({
          offset: at,
          size,
          duration,
          keyframe: (sampleFlags & SAMPLE_IS_NON_SYNC) === 0,
          compositionOffset,
        });
        at += size;
      }
      next = at;
    }
  }
  if (videoSamples.length === 0) throw new CodecError('invalid', 'a fragment without samples of the video track');
  return {
    sequenceNumber,
    baseDecodeTime: videoBase ?? 0,
    samples: videoSamples,
    ...(audioSamples.length ? { audio: { baseDecodeTime: audioBase ?? 0, samples: audioSamples } } : {}),
  };
}
