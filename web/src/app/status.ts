/** The state badge: one word and a colour for what a player is doing. */
import type { PlayerState } from '../player/types.js';
import { h } from './dom.js';

export type Tone = 'live' | 'offline' | 'warn' | 'neutral';

const BADGES: Record<PlayerState, { label: string; tone: Tone }> = {
  live: { label: 'Live', tone: 'live' },
  offline: { label: 'Offline', tone: 'offline' },
  disconnected: { label: 'Reconnecting', tone: 'warn' },
  starting: { label: 'Starting', tone: 'neutral' },
  connecting: { label: 'Connecting', tone: 'neutral' },
  paused: { label: 'Paused', tone: 'neutral' },
  idle: { label: 'Idle', tone: 'neutral' },
};

export function badgeFor(state: PlayerState): { label: string; tone: Tone } {
  return BADGES[state];
}

export function createBadge(): HTMLSpanElement {
  return h('span', { class: 'badge', 'data-tone': 'neutral' }, 'Connecting');
}

export function setBadge(badge: HTMLElement, state: PlayerState): void {
  const { label, tone } = badgeFor(state);
  if (badge.textContent !== label) badge.textContent = label;
  badge.dataset.tone = tone;
  badge.dataset.state = state;
}
