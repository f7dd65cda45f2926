/**
 * The init segment of a fragmented MP4 (its moov): the video track's size, codec, decoder configuration
 * and timescale, the first audio track camrelay can read, and each track's fragment defaults (trex).
 */
import { CodecError } from '../errors.js';
import type { NalCodec } from '../video.js';
import { parseRecord, sampleEntryCodec } from './sample-entry.js';
import { readBoxes, type BoxInfo } from './boxes.js';
import { parseAudioSampleEntry, type AudioRecord } from './audio-sample-entry.js';
import { BodyReader, child, children } from './box-reader.js';

/** A track's defaults for fields its fragments leave out (trex). */
export interface TrackDefaults {
  trackId: number;
  sampleDescriptionIndex: number;
  duration: number;
  size: number;
  flags: number;
}

/** What fragments.ts needs of the moov. */
export interface Init {
  width: number;
  height: number;
  codec: NalCodec;
  description: Uint8Array;
  timescale: number;
  defaults: TrackDefaults;
  audio?: { record: AudioRecord; timescale: number; defaults: TrackDefaults };
}

function trackDefaults(moov: Uint8Array, mvex: BoxInfo | undefined, trackId: number): TrackDefaults {
  const defaults: TrackDefaults = { trackId, sampleDescriptionIndex: 1, duration: 0, size: 0, flags: 0 };
  for (const trex of mvex ? children(moov, mvex, 'trex') : []) {
    const r = new BodyReader(moov, trex);
    r.versionAndFlags();
    if (r.u32() !== trackId) continue;
    defaults.sampleDescriptionIndex = r.u32();
    defaults.duration = r.u32();
    defaults.size = r.u32();
    defaults.flags = r.u32();
  }
  return defaults;
}

/** Parses a whole moov box (its bytes, header included); CodecError when it has no readable video track. */
export function parseInit(moov: Uint8Array): Init {
  const root: BoxInfo = { type: 'moov', start: 0, size: moov.length, headerSize: 8, end: moov.length };
  const mvex = child(moov, root, 'mvex');
  let video: Omit<Init, 'audio'> | undefined;
  let audio: Init['audio'];
  for (const trak of children(moov, root, 'trak')) {
    const tkhd = child(moov, trak, 'tkhd');
    const mdia = child(moov, trak, 'mdia');
    if (!tkhd || !mdia) continue;
    const hdlr = child(moov, mdia, 'hdlr');
    if (!hdlr) continue;
    const handler = new BodyReader(moov, hdlr).skip(8).u32();
    const isVideo = handler === 0x76696465; // 'vide'
    if (!isVideo && (handler !== 0x736f756e || audio)) continue; // 'soun': the first audio track
    if (isVideo && video) continue;
    const tk = new BodyReader(moov, tkhd);
    const { version: tkVersion } = tk.versionAndFlags();
    const trackId = tk.skip(tkVersion === 1 ? 16 : 8).u32();
    const mdhd = child(moov, mdia, 'mdhd');
    if (!mdhd) throw new CodecError('invalid', 'track without mdhd');
    const md = new BodyReader(moov, mdhd);
    const { version: mdVersion } = md.versionAndFlags();
    const timescale = md.skip(mdVersion === 1 ? 16 : 8).u32();
    if (timescale === 0) throw new CodecError('invalid', 'timescale 0');
    const minf = child(moov, mdia, 'minf');
    const stbl = minf && child(moov, minf, 'stbl');
    const stsd = stbl && child(moov, stbl, 'stsd');
    if (!stsd) throw new CodecError('invalid', 'track without stsd');
    const entry = readBoxes(moov, stsd.start + stsd.headerSize + 8, stsd.end, 16)[0];
    if (!isVideo) {
      // An audio track camrelay cannot read is left out, not the file.
      try {
        if (entry)
          audio = {
            record: parseAudioSampleEntry(moov, entry),
            timescale,
            defaults: trackDefaults(moov, mvex, trackId),
          };
      } catch (error) {
        if (!(error instanceof CodecError)) throw error;
      }
      continue;
    }
    if (!entry) throw new CodecError('unsupported', 'sample entry missing: not H.264 or H.265');
    const { codec, record } = sampleEntryCodec(entry);
    const fields = new BodyReader(moov, entry).skip(24);
    const width = fields.u16();
    const height = fields.u16();
    const recordBox = child(moov, entry, record, 78);
    if (!recordBox) throw new CodecError('invalid', `${entry.type} sample entry without ${record}`);
    const description = moov.slice(recordBox.start + recordBox.headerSize, recordBox.end);
    parseRecord({ codec, description }); // throws CodecError when it is not one
    video = { width, height, codec, description, timescale, defaults: trackDefaults(moov, mvex, trackId) };
  }
  if (!video) throw new CodecError('unsupported', 'no video track');
  return audio ? { ...video, audio } : video;
}
