/** The notice shown on every view while the server cannot be reached, or refuses the page's link. */
import type { CameraFeed, FeedState } from './camera-feed.js';
import { h, icon, ICONS, setText } from './dom.js';
import { formatClock } from './format.js';

export class ConnectionBanner {
  readonly element: HTMLDivElement;
  private readonly detail = h('span', { class: 'banner-detail' });
  private readonly title = h('strong', {}, 'Can’t reach the camrelay server.');

  constructor(feed: CameraFeed) {
    this.element = h(
      'div',
      { class: 'banner', role: 'alert', hidden: true },
      icon(ICONS.warning),
      h('div', {}, this.title, ' ', this.detail),
    );
    feed.subscribe((state) => this.render(state));
  }

  private render(state: FeedState): void {
    if (state.refused) {
      this.element.hidden = false;
      setText(this.title, 'No access.');
      setText(this.detail, `The server says ${state.refused}.`);
      return;
    }
    this.element.hidden = state.reachable;
    if (state.reachable) return;
    setText(this.title, 'Can’t reach the camrelay server.');
    const last = state.lastContactAt === undefined ? '' : ` Last contact ${formatClock(state.lastContactAt)}.`;
    setText(this.detail, `Video resumes by itself when it is back; retrying every few seconds.${last}`);
  }
}
