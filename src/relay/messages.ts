/**
 * The publisher protocol's text messages (docs/protocol.md, "Publisher protocol"): what an edge and a hub
 * say to each other in JSON, and their parsers. Untrusted on both sides: a parser returns the message or
 * the reason it is refused, for the close frame and the log; names a side does not know are skipped.
 */
import { isU32, parseTypedObject, type Parsed } from '../wire/json.js';
import { CAMERA_ID } from '../camera-id.js';
import {
  MAX_BUFFER_MS,
  MAX_CAMERAS_PER_EDGE,
  MAX_RELAY_ASC_BYTES,
  MAX_RELAY_AVCC_BYTES,
  RELAY_AUDIO_CODECS,
  RELAY_CODECS,
  RELAY_EVENT_FEATURES,
  type RelayAudioCodec,
  type RelayCodec,
  type RelayEventFeature,
} from './protocol.js';
export interface AnnouncedCamera {
  /** The camera's id on the edge (a config id: no dot); the hub lists it as `<edge>.<id>`. */
  id: string;
  name: string;
  /** 0 when not known. */
  width: number;
  height: number;
  /** Nominal frames per second, 0 when not known. */
  fps: number;
  /** Names this camera in the binary frames: 1..2^32-1, unique within the connection. */
  channel: number;
}

/** An H.264 camera's decoder configuration, before the units that need it (like the viewer protocol's). */
export interface ConfigMessage {
  type: 'config';
  camera: string;
  /** RFC 6381 codec string. */
  codec: string;
  width: number;
  height: number;
  /** Base64 of the avcC. */
  description: string;
}

/**
 * A motion event on the edge's camera (the edge detects; the hub raises it as its own). Times are
 * the edge's clock (ms since the epoch); `id` is the edge's, the same in each change of one event.
 * An older hub ignores it, as any type it does not know.
 */
export interface EventMessage {
  type: 'event';
  camera: string;
  change: 'start' | 'update' | 'end';
  id: number;
  start: number;
  end: number | null;
  score: number;
  zones: string[];
}

/** A camera's audio configuration, before its first audio frame and again when it changes. */
export interface AudioMessage {
  type: 'audio';
  camera: string;
  codec: RelayAudioCodec;
  sampleRate: number;
  channels: number;
  /** AAC: base64 of the AudioSpecificConfig. Opus: base64 of the OpusHead. None for G.711. */
  description?: string;
}

/** Zones an event message may name, and their length. */
const MAX_EVENT_ZONES = 32;
const MAX_ZONE_NAME = 64;

export type EdgeMessage =
  | {
      type: 'hello';
      protocol: number;
      role: string;
      edge: string;
      /** The codecs this edge can send, preferred first; absent (an older edge): JPEG only. */
      codecs?: RelayCodec[];
      /** The audio codecs this edge can send with an H.264 uplink; absent (an older edge): none. */
      audio?: RelayAudioCodec[];
      /** What this edge can do for the hub's events (pre-roll, snapshots); absent (an older edge): neither. */
      events?: RelayEventFeature[];
    }
  | ConfigMessage
  | AudioMessage
  /** The answer to the hub's ping: `t` echoed, `edge` the edge's clock when it answered. */
  | { type: 'pong'; t: number; edge: number }
  | { type: 'announce'; cameras: AnnouncedCamera[] }
  | { type: 'withdraw'; camera: string }
  | { type: 'status'; camera: string; online: boolean; reason?: string }
  | EventMessage
  /** Types this side does not know are ignored: newer peers may send more. */
  | { type: 'unknown'; name: string };

export type HubMessage =
  | {
      type: 'hello';
      protocol: number;
      role: string;
      maxFrameBytes?: number;
      /** The codecs this hub accepts from this edge; absent (an older hub): JPEG only. */
      codecs?: RelayCodec[];
      /** The audio codecs this hub accepts from this edge; absent (an older hub): none. */
      audio?: RelayAudioCodec[];
      /** Of the edge's `events` features, those this hub uses; absent (an older hub): none. */
      events?: RelayEventFeature[];
    }
  /** Asks for a pong: `t` is the hub's clock (ms since the epoch). */
  | { type: 'ping'; t: number }
  /**
   * Start sending the camera. `from` (with `pre-roll`): the edge's buffered video from this time (the edge's
   * clock, ms) comes first, then live.
   */
  | { type: 'start'; camera: string; from?: number }
  /** Keep the last `ms` of this camera's video (with `pre-roll`), for a later `start` with `from`. */
  | { type: 'buffer'; camera: string; ms: number }
  | { type: 'stop'; camera: string }
  | { type: 'ack'; camera: string; seq: number }
  | { type: 'unknown'; name: string };

function isCameraId(v: unknown): v is string {
  return typeof v === 'string' && CAMERA_ID.test(v);
}

function parseHello(f: Record<string, unknown>): Parsed<{ protocol: number; role: string }> {
  if (!isU32(f.protocol) || f.protocol < 1) return { ok: false, reason: 'hello without a positive integer "protocol"' };
  if (typeof f.role !== 'string') return { ok: false, reason: 'hello without a "role"' };
  return { ok: true, message: { protocol: f.protocol, role: f.role } };
}

/**
 * The names of a list field that this side knows, deduplicated (unknown ones skipped: newer peers may list
 * more); undefined if absent. `what` names the list's items in the error.
 */
function knownNames<T extends string>(
  v: unknown,
  field: string,
  known: readonly T[],
  what: string,
): Parsed<T[] | undefined> {
  if (v === undefined) return { ok: true, message: undefined };
  if (!Array.isArray(v) || v.length > 16 || !v.every((c) => typeof c === 'string'))
    return { ok: false, reason: `"${field}" is not a list of at most 16 ${what}` };
  const names = (v as string[]).filter((c): c is T => (known as readonly string[]).includes(c));
  return { ok: true, message: [...new Set(names)] };
}

const parseCodecs = (v: unknown): Parsed<RelayCodec[] | undefined> =>
  knownNames(v, 'codecs', RELAY_CODECS, 'codec names');
const parseAudioCodecs = (v: unknown): Parsed<RelayAudioCodec[] | undefined> =>
  knownNames(v, 'audio', RELAY_AUDIO_CODECS, 'codec names');
const parseEventFeatures = (v: unknown): Parsed<RelayEventFeature[] | undefined> =>
  knownNames(v, 'events', RELAY_EVENT_FEATURES, 'names');

/** The lists both hellos may carry (`codecs`, `audio`, `events`): those present, with the names this side knows. */
function parseHelloLists(
  f: Record<string, unknown>,
): Parsed<{ codecs?: RelayCodec[]; audio?: RelayAudioCodec[]; events?: RelayEventFeature[] }> {
  const codecs = parseCodecs(f.codecs);
  if (!codecs.ok) return codecs;
  const audio = parseAudioCodecs(f.audio);
  if (!audio.ok) return audio;
  const events = parseEventFeatures(f.events);
  if (!events.ok) return events;
  return {
    ok: true,
    message: {
      ...(codecs.message ? { codecs: codecs.message } : {}),
      ...(audio.message ? { audio: audio.message } : {}),
      ...(events.message ? { events: events.message } : {}),
    },
  };
}

/** The fields of an `audio` message (their agreement with the AudioSpecificConfig is the session's to check). */
function parseAudio(f: Record<string, unknown>): Parsed<AudioMessage> {
  if (!isCameraId(f.camera)) return { ok: false, reason: 'audio without a valid "camera"' };
  if (typeof f.codec !== 'string' || !(RELAY_AUDIO_CODECS as readonly string[]).includes(f.codec))
    return { ok: false, reason: `audio "codec" is not one of ${RELAY_AUDIO_CODECS.join(', ')}` };
  const codec = f.codec as RelayAudioCodec;
  if (!isU32(f.sampleRate) || f.sampleRate < 8000 || f.sampleRate > 96_000)
    return { ok: false, reason: 'audio "sampleRate" is not an integer from 8000 to 96000' };
  if (codec === 'opus' && f.sampleRate !== 48_000) return { ok: false, reason: 'Opus audio "sampleRate" is not 48000' };
  const maxChannels = codec === 'aac' ? 8 : 2;
  if (!isU32(f.channels) || f.channels < 1 || f.channels > maxChannels)
    return { ok: false, reason: `audio "channels" is not from 1 to ${maxChannels}` };
  const d = f.description;
  if (codec === 'aac' || codec === 'opus') {
    if (typeof d !== 'string' || d.length === 0 || d.length > Math.ceil(MAX_RELAY_ASC_BYTES / 3) * 4)
      return { ok: false, reason: `audio "description" is not base64 of 1 to ${MAX_RELAY_ASC_BYTES} bytes` };
  } else if (d !== undefined) return { ok: false, reason: 'audio "description" for G.711' };
  return {
    ok: true,
    message: {
      type: 'audio',
      camera: f.camera,
      codec,
      sampleRate: f.sampleRate,
      channels: f.channels,
      ...(typeof d === 'string' ? { description: d } : {}),
    },
  };
}

function parseConfig(f: Record<string, unknown>): Parsed<ConfigMessage> {
  if (!isCameraId(f.camera)) return { ok: false, reason: 'config without a valid "camera"' };
  if (typeof f.codec !== 'string' || !/^avc[13]\.[0-9A-Fa-f]{6}$/.test(f.codec))
    return { ok: false, reason: 'config "codec" is not an avc1 codec string' };
  for (const key of ['width', 'height'] as const) {
    const v = f[key];
    if (!isU32(v) || v < 1 || v > 16384) return { ok: false, reason: `config "${key}" is not from 1 to 16384` };
  }
  const d = f.description;
  if (typeof d !== 'string' || d.length === 0 || d.length > Math.ceil(MAX_RELAY_AVCC_BYTES / 3) * 4)
    return { ok: false, reason: `config "description" is not base64 of 1 to ${MAX_RELAY_AVCC_BYTES} bytes` };
  return {
    ok: true,
    message: {
      type: 'config',
      camera: f.camera,
      codec: f.codec,
      width: f.width as number,
      height: f.height as number,
      description: d,
    },
  };
}

function parseAnnounced(value: unknown, i: number): Parsed<AnnouncedCamera> {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    return { ok: false, reason: `cameras[${i}] is not an object` };
  const c = value as Record<string, unknown>;
  if (!isCameraId(c.id)) return { ok: false, reason: `cameras[${i}].id is not 1-64 characters of a-z 0-9 _ -` };
  if (c.name !== undefined && (typeof c.name !== 'string' || c.name.length > 200))
    return { ok: false, reason: `cameras[${i}].name is not a string of at most 200 characters` };
  for (const key of ['width', 'height'] as const) {
    if (c[key] !== undefined && (!isU32(c[key]) || c[key] > 16384))
      return { ok: false, reason: `cameras[${i}].${key} is not an integer from 0 to 16384` };
  }
  if (c.fps !== undefined && (typeof c.fps !== 'number' || !(c.fps >= 0 && c.fps <= 1000)))
    return { ok: false, reason: `cameras[${i}].fps is not a number from 0 to 1000` };
  if (!isU32(c.channel) || c.channel === 0)
    return { ok: false, reason: `cameras[${i}].channel is not an integer from 1 to 2^32-1` };
  return {
    ok: true,
    message: {
      id: c.id,
      name: typeof c.name === 'string' && c.name ? c.name : c.id,
      width: (c.width as number | undefined) ?? 0,
      height: (c.height as number | undefined) ?? 0,
      fps: (c.fps as number | undefined) ?? 0,
      channel: c.channel,
    },
  };
}

/** A time in ms since the epoch, as events and `start.from` carry them. */
function isTime(v: unknown): boolean {
  return typeof v === 'number' && Number.isFinite(v) && v >= 0 && v < 1e14;
}

function parseEvent(f: Record<string, unknown>): Parsed<EventMessage> {
  if (!isCameraId(f.camera)) return { ok: false, reason: 'event without a valid "camera"' };
  if (f.change !== 'start' && f.change !== 'update' && f.change !== 'end')
    return { ok: false, reason: 'event "change" is not start, update or end' };
  if (typeof f.id !== 'number' || !Number.isSafeInteger(f.id) || f.id < 1)
    return { ok: false, reason: 'event "id" is not a positive integer' };
  const time = isTime;
  if (!time(f.start)) return { ok: false, reason: 'event "start" is not a time in ms' };
  if (f.end !== null && !time(f.end)) return { ok: false, reason: 'event "end" is not null or a time in ms' };
  if (typeof f.score !== 'number' || !(f.score >= 0 && f.score <= 1))
    return { ok: false, reason: 'event "score" is not a number from 0 to 1' };
  const zones = f.zones;
  if (
    !Array.isArray(zones) ||
    zones.length > MAX_EVENT_ZONES ||
    !zones.every((z) => typeof z === 'string' && z.length > 0 && z.length <= MAX_ZONE_NAME)
  )
    return { ok: false, reason: `event "zones" is not a list of at most ${MAX_EVENT_ZONES} names` };
  return {
    ok: true,
    message: {
      type: 'event',
      camera: f.camera,
      change: f.change,
      id: f.id,
      start: f.start as number,
      end: f.end as number | null,
      score: f.score,
      zones: [...new Set(zones as string[])],
    },
  };
}

/** What the hub reads from an edge. Duplicate ids or channels in an announce are errors. */
export function parseEdgeMessage(text: string): Parsed<EdgeMessage> {
  const parsed = parseTypedObject(text);
  if (!parsed.ok) return parsed;
  const f = parsed.message;
  switch (f.type) {
    case 'hello': {
      const hello = parseHello(f);
      if (!hello.ok) return hello;
      if (!isCameraId(f.edge)) return { ok: false, reason: 'hello without a valid "edge" name' };
      const lists = parseHelloLists(f);
      if (!lists.ok) return lists;
      return {
        ok: true,
        message: {
          type: 'hello',
          ...hello.message,
          edge: f.edge,
          ...lists.message,
        },
      };
    }
    case 'config':
      return parseConfig(f);
    case 'audio':
      return parseAudio(f);
    case 'pong':
      if (typeof f.t !== 'number' || !Number.isFinite(f.t) || typeof f.edge !== 'number' || !Number.isFinite(f.edge))
        return { ok: false, reason: 'pong without finite numbers "t" and "edge"' };
      return { ok: true, message: { type: 'pong', t: f.t, edge: f.edge } };
    case 'announce': {
      if (!Array.isArray(f.cameras)) return { ok: false, reason: 'announce without a "cameras" array' };
      if (f.cameras.length > MAX_CAMERAS_PER_EDGE)
        return { ok: false, reason: `announce of more than ${MAX_CAMERAS_PER_EDGE} cameras` };
      const cameras: AnnouncedCamera[] = [];
      const ids = new Set<string>();
      const channels = new Set<number>();
      for (let i = 0; i < f.cameras.length; i++) {
        const c = parseAnnounced(f.cameras[i], i);
        if (!c.ok) return c;
        if (ids.has(c.message.id)) return { ok: false, reason: `camera "${c.message.id}" announced twice` };
        if (channels.has(c.message.channel)) return { ok: false, reason: `channel ${c.message.channel} used twice` };
        ids.add(c.message.id);
        channels.add(c.message.channel);
        cameras.push(c.message);
      }
      return { ok: true, message: { type: 'announce', cameras } };
    }
    case 'withdraw':
      if (!isCameraId(f.camera)) return { ok: false, reason: 'withdraw without a valid "camera"' };
      return { ok: true, message: { type: 'withdraw', camera: f.camera } };
    case 'status':
      if (!isCameraId(f.camera) || typeof f.online !== 'boolean')
        return { ok: false, reason: 'status without a valid "camera" and a boolean "online"' };
      return {
        ok: true,
        message: {
          type: 'status',
          camera: f.camera,
          online: f.online,
          ...(typeof f.reason === 'string' ? { reason: f.reason.slice(0, 500) } : {}),
        },
      };
    case 'event':
      return parseEvent(f);
    default:
      return { ok: true, message: { type: 'unknown', name: f.type } };
  }
}

/** What the edge reads from the hub. */
export function parseHubMessage(text: string): Parsed<HubMessage> {
  const parsed = parseTypedObject(text);
  if (!parsed.ok) return parsed;
  const f = parsed.message;
  switch (f.type) {
    case 'hello': {
      const hello = parseHello(f);
      if (!hello.ok) return hello;
      const max = f.maxFrameBytes;
      const lists = parseHelloLists(f);
      if (!lists.ok) return lists;
      return {
        ok: true,
        message: {
          type: 'hello',
          ...hello.message,
          ...(isU32(max) && max > 0 ? { maxFrameBytes: max } : {}),
          ...lists.message,
        },
      };
    }
    case 'ping':
      if (typeof f.t !== 'number' || !Number.isFinite(f.t)) return { ok: false, reason: 'ping without a finite "t"' };
      return { ok: true, message: { type: 'ping', t: f.t } };
    case 'start':
      if (!isCameraId(f.camera)) return { ok: false, reason: 'start without a valid "camera"' };
      if (f.from !== undefined && !isTime(f.from)) return { ok: false, reason: 'start "from" is not a time in ms' };
      return {
        ok: true,
        message: { type: 'start', camera: f.camera, ...(f.from !== undefined ? { from: f.from as number } : {}) },
      };
    case 'stop':
      if (!isCameraId(f.camera)) return { ok: false, reason: 'stop without a valid "camera"' };
      return { ok: true, message: { type: 'stop', camera: f.camera } };
    case 'buffer':
      if (!isCameraId(f.camera) || !isU32(f.ms) || f.ms > MAX_BUFFER_MS)
        return { ok: false, reason: `buffer without a valid "camera" and "ms" from 0 to ${MAX_BUFFER_MS}` };
      return { ok: true, message: { type: 'buffer', camera: f.camera, ms: f.ms } };
    case 'ack':
      if (!isCameraId(f.camera) || !isU32(f.seq))
        return { ok: false, reason: 'ack without a valid "camera" and a u32 "seq"' };
      return { ok: true, message: { type: 'ack', camera: f.camera, seq: f.seq } };
    default:
      return { ok: true, message: { type: 'unknown', name: f.type } };
  }
}
