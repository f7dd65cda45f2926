/** The text of the stats overlay and of the message shown when there is no live picture. */
import type { PlayerState, PlayerStats } from './types.js';

const TRANSPORT_NAMES = { ws: 'WebSocket', mjpeg: 'MJPEG' } as const;
const PATH_NAMES = { webcodecs: 'WebCodecs', mse: 'MSE', jpeg: 'JPEG' } as const;

export function formatStats(s: PlayerStats): string {
  const fps = s.fps === null ? '— fps' : `${s.fps.toFixed(1)} fps`;
  const latency = s.latencyMs === null ? 'latency —' : `latency ${Math.round(s.latencyMs)} ms`;
  const size = s.width > 0 ? `${s.width}×${s.height}` : '—';
  const transport = s.transport ? TRANSPORT_NAMES[s.transport] : '—';
  const path = s.path ? PATH_NAMES[s.path] : '—';
  // H.264: which stream the server sends, and why (`sub (link)`).
  const quality = s.quality ? ` · ${s.quality}${s.qualityReason ? ` (${s.qualityReason})` : ''}` : '';
  const codec = s.codec ? s.codec.toUpperCase() : '—';
  const bitrate = s.bitrateKbps === null ? '— kbit/s' : formatBitrate(s.bitrateKbps);
  const decode = s.decodeMs === null ? 'decode —' : `decode ${s.decodeMs.toFixed(1)} ms`;
  return (
    `${fps} · ${latency}\ndropped ${s.dropped} · skipped ${s.skipped} · ${size}\n` +
    `${codec} · ${bitrate} · ${decode}${quality}\n${path} · ${transport}`
  );
}

function formatBitrate(kbps: number): string {
  return kbps >= 1000 ? `${(kbps / 1000).toFixed(1)} Mbit/s` : `${Math.round(kbps)} kbit/s`;
}

/** What to tell the viewer in place of (or over) the picture; undefined when the picture speaks for itself. */
export function stateMessage(state: PlayerState, hasCamera: boolean, noSignal = false): string | undefined {
  switch (state) {
    case 'offline':
      // H.264 and H.265 bring no NO SIGNAL picture from the server: the player says it, over the last picture.
      return noSignal ? 'NO SIGNAL' : undefined;
    case 'idle':
      return hasCamera ? undefined : 'No camera chosen';
    case 'connecting':
      return 'Connecting…';
    case 'starting':
      return 'Starting camera…';
    case 'disconnected':
      return 'Can’t reach the camera server. Retrying…';
    default:
      return undefined;
  }
}
