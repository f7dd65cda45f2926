/** The text of the stats overlay and of the message shown when there is no live picture. */
import type { PlayerState, PlayerStats } from './types.js';

const TRANSPORT_NAMES = { ws: 'WebSocket', mjpeg: 'MJPEG' } as const;

export function formatStats(s: PlayerStats): string {
  const fps = s.fps === null ? '— fps' : `${s.fps.toFixed(1)} fps`;
  const latency = s.latencyMs === null ? 'latency —' : `latency ${Math.round(s.latencyMs)} ms`;
  const size = s.width > 0 ? `${s.width}×${s.height}` : '—';
  const transport = s.transport ? TRANSPORT_NAMES[s.transport] : '—';
  return `${fps} · ${latency}\ndropped ${s.dropped} · ${size} · ${transport}`;
}

/** What to tell the viewer in place of (or over) the picture; undefined when the picture speaks for itself. */
export function stateMessage(state: PlayerState, hasCamera: boolean): string | undefined {
  switch (state) {
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
