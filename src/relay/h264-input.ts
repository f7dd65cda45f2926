/**
 * What the hub checks of an edge's H.264 before any of it reaches a decoder
 * or a viewer: the `config` (the avcC parses, 4-byte NAL lengths, an SPS that
 * parses and says the announced size and codec string) and each access unit
 * (AVC form with 4-byte lengths that add up exactly, no damaged NAL header, at
 * least one slice, the keyframe flag set exactly on units with an IDR slice).
 * Pure and bounded (src/codec's parsers bound their work); a failure is a
 * reason for the close frame and the log.
 */
import { parseAvcC } from '../codec/h264/avcc.js';
import { isForbiddenBitSet, isVcl, NalType, nalType, splitAvc } from '../codec/h264/nal.js';
import { codecString, parseSps } from '../codec/h264/sps.js';
import type { TrackConfig } from '../media/index.js';
import type { Parsed } from '../wire/json.js';
import { MAX_RELAY_AVCC_BYTES } from './protocol.js';
import { type ConfigMessage } from './messages.js';

/** A NAL count far above a real access unit's (slices and SEI), far below the codec's own bound. */
const MAX_NALS_PER_UNIT = 1024;

/** A `config` message as a track configuration, or why it cannot be one. */
export function relayTrackConfig(message: ConfigMessage): Parsed<TrackConfig> {
  const avcC = Buffer.from(message.description, 'base64');
  if (avcC.length === 0 || avcC.length > MAX_RELAY_AVCC_BYTES)
    return { ok: false, reason: `config avcC of ${avcC.length} bytes` };
  // Buffer.from(base64) skips what is not base64: re-encoding must give the text back.
  if (avcC.toString('base64').replace(/=+$/, '') !== message.description.replace(/=+$/, ''))
    return { ok: false, reason: 'config description is not base64' };
  try {
    const record = parseAvcC(avcC);
    if (record.lengthSize !== 4) return { ok: false, reason: `avcC NAL length size ${record.lengthSize}, not 4` };
    if (record.sps.length === 0 || record.pps.length === 0) return { ok: false, reason: 'avcC without SPS or PPS' };
    const sps = parseSps(record.sps[0]!);
    if (sps.width !== message.width || sps.height !== message.height)
      return {
        ok: false,
        reason: `config says ${message.width}x${message.height}, its SPS ${sps.width}x${sps.height}`,
      };
    const expected = codecString(sps);
    if (expected.toLowerCase() !== message.codec.toLowerCase())
      return { ok: false, reason: `config codec ${message.codec}, its SPS says ${expected}` };
    return {
      ok: true,
      message: Object.freeze({
        codec: 'h264',
        width: sps.width,
        height: sps.height,
        codecString: expected,
        description: new Uint8Array(avcC),
      }),
    };
  } catch (err) {
    return { ok: false, reason: `bad avcC: ${(err as Error).message}` };
  }
}

/** Undefined when `data` is a well-formed access unit whose keyframe flag is right, else why not. */
export function checkAccessUnit(data: Uint8Array, keyframe: boolean): string | undefined {
  let nals: Uint8Array[];
  try {
    nals = splitAvc(data, { lengthSize: 4, maxNalUnits: MAX_NALS_PER_UNIT });
  } catch (err) {
    return `bad access unit: ${(err as Error).message}`;
  }
  if (nals.length === 0) return 'empty access unit';
  let slices = 0;
  let idr = false;
  for (const nal of nals) {
    if (isForbiddenBitSet(nal)) return 'access unit with a damaged NAL header (forbidden bit set)';
    const type = nalType(nal);
    if (isVcl(type)) slices++;
    if (type === NalType.IDR) idr = true;
  }
  if (slices === 0) return 'access unit without a slice';
  if (idr !== keyframe) return idr ? 'IDR access unit not flagged as a keyframe' : 'keyframe flag on a non-IDR unit';
  return undefined;
}

/** Same bytes: a config sent again (a reconnect, a restart) keeps its TrackConfig, so nothing downstream restarts. */
export function sameConfig(a: TrackConfig | undefined, b: TrackConfig): boolean {
  if (!a || a.width !== b.width || a.height !== b.height || a.codecString !== b.codecString) return false;
  const x = a.description;
  const y = b.description;
  return !!x && !!y && Buffer.from(x.buffer, x.byteOffset, x.length).equals(y);
}
