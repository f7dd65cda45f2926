/**
 * The video sample entry of an MP4 track, H.264 or H.265 (ISO/IEC 14496-15): `avc1` with its
 * `avcC`, or `hvc1` with its `hvcC` (parameter sets in the record, 4-byte NAL lengths in the
 * samples). Shared by the fragmented writer, the progressive writer and the reader.
 */
import { CodecError } from '../errors.js';
import { avcCCodecString, parseAvcC } from '../h264/avcc.js';
import { hvcCCodecString, parseHvcC } from '../h265/hvcc.js';
import type { NalCodec } from '../video.js';
import { box, FieldWriter, type BoxInfo } from './boxes.js';

/** A track's decoder configuration record: avcC for H.264, hvcC for H.265. */
export interface DecoderRecord {
  codec: NalCodec;
  description: Uint8Array;
}

/** How a writer's options name the record: `avcC` or `hvcC`, exactly one. */
export interface RecordOption {
  /** The AVCDecoderConfigurationRecord (h264/avcc.ts buildAvcC), with 4-byte NAL lengths. */
  avcC?: Uint8Array;
  /** Or the HEVCDecoderConfigurationRecord (h265/hvcc.ts buildHvcC), with 4-byte NAL lengths. */
  hvcC?: Uint8Array;
}

const ENTRY: Readonly<Record<NalCodec, { entry: string; record: string }>> = {
  h264: { entry: 'avc1', record: 'avcC' },
  h265: { entry: 'hvc1', record: 'hvcC' },
};

/** The writer option for a record. */
export function recordOption(record: DecoderRecord): RecordOption {
  return record.codec === 'h265' ? { hvcC: record.description } : { avcC: record.description };
}

/** The record a writer was given, checked: it parses, has 4-byte NAL lengths and its parameter sets. */
export function checkedRecord(option: RecordOption): DecoderRecord {
  const { avcC, hvcC } = option;
  if ((avcC === undefined) === (hvcC === undefined)) throw new CodecError('invalid', 'give one of avcC and hvcC');
  if (avcC) {
    const parsed = parseAvcC(avcC);
    if (parsed.lengthSize !== 4) {
      throw new CodecError('unsupported', `avcC with ${parsed.lengthSize}-byte NAL lengths (samples use 4)`);
    }
    if (parsed.sps.length === 0 || parsed.pps.length === 0) throw new CodecError('invalid', 'avcC without SPS or PPS');
    return { codec: 'h264', description: avcC };
  }
  const parsed = parseHvcC(hvcC!);
  if (parsed.lengthSize !== 4) {
    throw new CodecError('unsupported', `hvcC with ${parsed.lengthSize}-byte NAL lengths (samples use 4)`);
  }
  if (parsed.vps.length === 0 || parsed.sps.length === 0 || parsed.pps.length === 0) {
    throw new CodecError('invalid', 'hvcC without VPS, SPS or PPS');
  }
  return { codec: 'h265', description: hvcC! };
}

/** The record's RFC 6381 codec string (`avc1.…`, `hvc1.…`). */
export function recordCodecString(record: DecoderRecord): string {
  return record.codec === 'h265'
    ? hvcCCodecString(parseHvcC(record.description))
    : avcCCodecString(parseAvcC(record.description));
}

/** The VisualSampleEntry (`avc1` or `hvc1`) with its record box. */
export function videoSampleEntry(width: number, height: number, record: DecoderRecord): Uint8Array {
  const names = ENTRY[record.codec];
  return box(
    names.entry,
    new FieldWriter()
      .zeros(6)
      .u16(1) // data_reference_index
      .zeros(16) // pre_defined, reserved
      .u16(width)
      .u16(height)
      .u32(0x00480000) // 72 dpi
      .u32(0x00480000)
      .u32(0)
      .u16(1) // frame_count
      .zeros(32) // compressorname
      .u16(0x0018) // depth
      .u16(0xffff) // pre_defined = -1
      .finish(),
    box(names.record, record.description),
  );
}

/** Which codec a sample entry's type is (`avc1`/`avc3`, `hvc1`/`hev1`), and its record box's name. */
export function sampleEntryCodec(entry: BoxInfo): { codec: NalCodec; record: string } {
  if (entry.type === 'avc1' || entry.type === 'avc3') return { codec: 'h264', record: 'avcC' };
  if (entry.type === 'hvc1' || entry.type === 'hev1') return { codec: 'h265', record: 'hvcC' };
  throw new CodecError('unsupported', `sample entry ${entry.type}: not H.264 or H.265`);
}

/** Parses a record read from a file (CodecError when it is not one). */
export function parseRecord(record: DecoderRecord): void {
  if (record.codec === 'h265') parseHvcC(record.description);
  else parseAvcC(record.description);
}
