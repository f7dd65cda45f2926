/**
 * The <camrelay-player> module: served alone as /player.js (a single ES
 * module, usable from any origin) and bundled into camrelay's own pages.
 */
import { CamrelayPlayer } from './element.js';

export { CamrelayPlayer };
export { onPlayerEvent, type PlayerEventMap, type PlayerEventName } from './events.js';
export type * from './types.js';

export const TAG_NAME = 'camrelay-player';

// A page may load both /player.js and a bundle that contains it: define once.
if (!customElements.get(TAG_NAME)) customElements.define(TAG_NAME, CamrelayPlayer);

declare global {
  interface HTMLElementTagNameMap {
    'camrelay-player': CamrelayPlayer;
  }
}
