/** The notice shown on every view while the server cannot be reached. */
import type { CameraFeed, FeedState } from './camera-feed.js';
import { h, icon, ICONS, setText } from './dom.js';
import { formatClock } from './format.js';

export class ConnectionBanner {
  readonly element: HTMLDivElement;
  private readonly detail = h('span', { class: 'banner-detail' });

  constructor(feed: CameraFeed) {
    this.element = h(
      'div',
      { class: 'banner', role: 'alert', hidden: true },
      icon(ICONS.warning),
      h('div', {}, h('strong', {}, 'Can’t reach the camrelay server.'), ' ', this.detail),
    );
    feed.subscribe((state) => this.render(state));
  }

  private render(state: FeedState): void {
    this.element.hidden = state.reachable;
    if (state.reachable) return;
    const last = state.lastContactAt === undefined ? '' : ` Last contact ${formatClock(state.lastContactAt)}.`;
    setText(this.detail, `Video resumes by itself when it is back; retrying every few seconds.${last}`);
  }
}
