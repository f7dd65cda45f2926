/** The player's events, typed: what each one carries, and a typed way to listen. */
import type {
  ErrorEventDetail,
  FrameEventDetail,
  OfflineEventDetail,
  OnlineEventDetail,
  QualityEventDetail,
} from './types.js';

export interface PlayerEventMap {
  frame: FrameEventDetail;
  online: OnlineEventDetail;
  offline: OfflineEventDetail;
  error: ErrorEventDetail;
  /** H.264: the server moved the player to another quality (or said which one it starts with). */
  quality: QualityEventDetail;
}

export type PlayerEventName = keyof PlayerEventMap;

/** Listens to one of a player's events with its detail typed; returns the function that stops listening. */
export function onPlayerEvent<K extends PlayerEventName>(
  target: EventTarget,
  type: K,
  listener: (detail: PlayerEventMap[K]) => void,
): () => void {
  const handler = (event: Event): void => {
    if (event instanceof CustomEvent) listener(event.detail as PlayerEventMap[K]);
  };
  target.addEventListener(type, handler);
  return () => target.removeEventListener(type, handler);
}

export function dispatchPlayerEvent<K extends PlayerEventName>(
  target: EventTarget,
  type: K,
  detail: PlayerEventMap[K],
): void {
  target.dispatchEvent(new CustomEvent(type, { detail }));
}
