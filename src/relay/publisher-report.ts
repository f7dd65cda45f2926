/** What GET /api/publishers says of each edge: its connection, counters, clock and cameras. */
import type { CameraState } from '../hub/camera-stream.js';
import type { PublisherConfig } from './config.js';
import type { PublishedCamera } from './published-cameras.js';
import type { PublisherSession } from './publisher-session.js';
import { type RelayAudioCodec, type RelayCodec, type RelayEventFeature } from './protocol.js';

/** One edge that may publish, over the hub's life. */
export interface PublisherRecord {
  config: PublisherConfig;
  session: PublisherSession | undefined;
  connections: number;
  /** Totals over the connections that ended (the current one is added at read time). */
  bytesEnded: number;
  framesEnded: number;
  lastConnectedAt: number | null;
  lastDisconnectedAt: number | null;
  lastDisconnectReason: string | null;
  /** Connections closed because a camera's configuration kept changing (the edge misbehaving). */
  configChurnCloses: number;
  /** Connections closed for a picture over the edge's max_size. */
  oversizeCloses: number;
}

export interface PublisherInfo {
  name: string;
  connected: boolean;
  remoteAddress: string | null;
  connectedAt: number | null;
  lastDisconnectedAt: number | null;
  lastDisconnectReason: string | null;
  connections: number;
  /** Connections closed because a camera's configuration kept changing, and for a picture over max_size. */
  configChurnCloses: number;
  oversizeCloses: number;
  /** Over every connection since the hub started. */
  bytesReceived: number;
  framesReceived: number;
  /** The current connection's counters (null while disconnected). */
  session: { bytesReceived: number; framesReceived: number } | null;
  /** The codecs the current connection may send (negotiated in the hellos); null while disconnected. */
  codecs: RelayCodec[] | null;
  /** The audio codecs the current connection may send (negotiated in the hellos, H.264 only); null while disconnected. */
  audio: RelayAudioCodec[] | null;
  /** The event features the current connection uses (pre-roll, snapshot: negotiated in the hellos); null while disconnected. */
  events: RelayEventFeature[] | null;
  /** The edge's clock minus the hub's (ms, from pings); null until measured (an older edge does not answer). */
  clockOffsetMs: number | null;
  /** The round trip of the ping the clock offset follows (ms). */
  clockRttMs: number | null;
  /** Bits per second received over the uplink in the last whole second, all cameras. */
  bitrate: number;
  cameras: {
    id: string;
    state: CameraState;
    viewerCount: number;
    withdrawn: boolean;
    /** The codec of the newest frame over the uplink; null before the first. */
    codec: RelayCodec | null;
    /** Bits per second received over the uplink in the last whole second. */
    bitrate: number;
    bytesReceived: number;
    framesReceived: number;
  }[];
}

/** One edge's entry; `cameras`: the cameras it publishes; `now`: preciseNow(). */
export function describePublisher(r: PublisherRecord, cameras: PublishedCamera[], now: number): PublisherInfo {
  const s = r.session;
  const round = (v: number | undefined): number | null => (v === undefined ? null : Math.round(v * 10) / 10);
  const described = cameras.map((c) => ({
    id: c.id,
    state: c.stream.state,
    viewerCount: c.stream.viewers().length,
    withdrawn: c.withdrawn,
    codec: c.uplink.codec ?? null,
    bitrate: c.uplink.bitrate(now),
    bytesReceived: c.uplink.bytes.jpeg + c.uplink.bytes.h264,
    framesReceived: c.uplink.frames.jpeg + c.uplink.frames.h264,
  }));
  return {
    name: r.config.name,
    connected: !!s,
    remoteAddress: s?.remoteAddress ?? null,
    connectedAt: s ? s.connectedAt : null,
    lastDisconnectedAt: r.lastDisconnectedAt,
    lastDisconnectReason: r.lastDisconnectReason,
    connections: r.connections,
    configChurnCloses: r.configChurnCloses,
    oversizeCloses: r.oversizeCloses,
    bytesReceived: r.bytesEnded + (s?.bytesReceived ?? 0),
    framesReceived: r.framesEnded + (s?.framesReceived ?? 0),
    session: s ? { bytesReceived: s.bytesReceived, framesReceived: s.framesReceived } : null,
    codecs: s ? [...s.codecs] : null,
    audio: s ? [...s.audio] : null,
    events: s ? [...s.events] : null,
    clockOffsetMs: round(s?.clock.offsetMs),
    clockRttMs: round(s?.clock.rttMs),
    bitrate: described.reduce((n, c) => n + c.bitrate, 0),
    cameras: described,
  };
}
