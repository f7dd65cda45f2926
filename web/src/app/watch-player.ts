/**
 * Follows one player for a view: its state, its measured rate, and why it is
 * offline. Calls `changed` whenever any of that may have changed.
 */
import type { CamrelayPlayer } from '../player/element.js';
import { onPlayerEvent } from '../player/events.js';
import type { FrameEventDetail, OfflineEventDetail } from '../player/types.js';

export interface PlayerView {
  frame: FrameEventDetail | undefined;
  offline: OfflineEventDetail | undefined;
}

export function watchPlayer(player: CamrelayPlayer, changed: (view: PlayerView) => void): () => void {
  const view: PlayerView = { frame: undefined, offline: undefined };
  const stops = [
    onPlayerEvent(player, 'frame', (detail) => {
      view.frame = detail;
      changed(view);
    }),
    onPlayerEvent(player, 'online', () => {
      view.offline = undefined;
      changed(view);
    }),
    onPlayerEvent(player, 'offline', (detail) => {
      view.offline = detail;
      view.frame = undefined;
      changed(view);
    }),
  ];
  // States without events of their own (connecting, starting, paused) are caught by a slow tick.
  const tick = window.setInterval(() => changed(view), 1000);
  return () => {
    for (const stop of stops) stop();
    clearInterval(tick);
  };
}
