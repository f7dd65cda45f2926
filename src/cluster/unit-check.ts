/**
 * What a hub checks of units another hub sent before anything here decodes them: the decoder
 * configuration a keyframe carries (H.264: the same checks as an edge's `config`, src/relay/h264-input.ts;
 * JPEG: the picture's own size; H.265: sizes and lengths), and each unit's bytes (H.264: NAL lengths,
 * headers, slices, the keyframe flag; H.265: NAL lengths that add up; JPEG: a picture that parses).
 */
import { readJpegSize } from '../codec/jpeg.js';
import { splitAvc } from '../codec/annexb.js';
import type { TrackConfig } from '../media/index.js';
import { jpegConfig } from '../media/jpeg.js';
import { checkAccessUnit, relayTrackConfig, sameConfig } from '../relay/h264-input.js';
import type { Parsed } from '../wire/json.js';
import type { BusUnit } from './bus-frame.js';

const MAX_HVCC_BYTES = 4096;

/** The keyframe's configuration as a TrackConfig: `previous` itself when nothing changed (consumers compare by identity). */
export function trackConfigOf(unit: BusUnit, previous: TrackConfig | undefined): Parsed<TrackConfig> {
  const fields = unit.config;
  if (!fields) return { ok: false, reason: 'keyframe without its configuration' };
  if (unit.codec === 'jpeg') {
    const size = readJpegSize(unit.data);
    if (!size) return { ok: false, reason: 'JPEG that does not parse' };
    return { ok: true, message: jpegConfig(size.width, size.height) };
  }
  if (unit.codec === 'h264') {
    const parsed = relayTrackConfig({ type: 'config', camera: '', ...fields });
    if (!parsed.ok) return parsed;
    return { ok: true, message: previous && sameConfig(previous, parsed.message) ? previous : parsed.message };
  }
  if (!/^(hvc1|hev1)\.[0-9A-Za-z.]{1,60}$/.test(fields.codec)) return { ok: false, reason: 'H.265 codec string' };
  const hvcC = Buffer.from(fields.description, 'base64');
  if (hvcC.length < 23 || hvcC.length > MAX_HVCC_BYTES) return { ok: false, reason: `hvcC of ${hvcC.length} bytes` };
  const config: TrackConfig = Object.freeze({
    codec: 'h265',
    width: fields.width,
    height: fields.height,
    codecString: fields.codec,
    description: new Uint8Array(hvcC),
  });
  const same =
    previous?.codec === 'h265' &&
    previous.width === config.width &&
    previous.height === config.height &&
    previous.codecString === config.codecString &&
    !!previous.description &&
    Buffer.from(previous.description).equals(hvcC);
  return { ok: true, message: same ? previous : config };
}

/** Undefined when the unit's bytes are what its codec says, else why not. */
export function checkBusUnit(unit: BusUnit, config: TrackConfig): string | undefined {
  if (unit.codec === 'jpeg') {
    const size = readJpegSize(unit.data);
    return size ? undefined : 'JPEG that does not parse';
  }
  if (unit.codec === 'h264') return checkAccessUnit(unit.data, unit.keyframe);
  try {
    if (splitAvc(unit.data, { lengthSize: 4, maxNalUnits: 1024 }).length === 0) return 'empty access unit';
  } catch (err) {
    return `bad access unit: ${(err as Error).message}`;
  }
  return config.codec === 'h265' ? undefined : 'codec mismatch';
}
