/** `#/`: every camera as a live tile, in the server's order. Tiles persist across polls; players are never recreated by a poll. */
import type { Camera } from './api.js';
import type { CameraFeed, FeedState } from './camera-feed.js';
import { h, setText } from './dom.js';
import { MotionWatch } from './motion-watch.js';
import { whoAmI } from './session.js';
import { Tile } from './tile.js';

export class GridView {
  readonly element: HTMLElement;
  private readonly grid = h('div', { class: 'grid' });
  private readonly summary = h('p', { class: 'summary', 'aria-live': 'polite' });
  /** Shown to a user logged in with a password (a session cookie), not to share links. */
  private readonly logout = h('a', { class: 'logout', href: 'logout', hidden: true }, 'Log out');
  private readonly empty = h(
    'div',
    { class: 'empty', hidden: true },
    h('h2', {}, 'No cameras configured'),
    h('p', {}, 'Start camrelay with ', h('code', {}, '--camera ID=SOURCE'), ', or list cameras in its config file.'),
  );
  private readonly tiles = new Map<string, Tile>();
  private readonly unsubscribe: () => void;
  private readonly motion = new MotionWatch(() => this.renderMotion());

  constructor(feed: CameraFeed) {
    this.element = h(
      'div',
      { class: 'view grid-view' },
      h(
        'header',
        { class: 'topbar' },
        h('a', { class: 'brand', href: '#/' }, h('span', { class: 'brand-mark', 'aria-hidden': 'true' }), 'camrelay'),
        h(
          'div',
          { class: 'topbar-end' },
          this.summary,
          h('a', { class: 'events-link', href: '#/events' }, 'Motion events'),
          this.logout,
        ),
      ),
      h('main', { class: 'grid-main' }, this.grid, this.empty),
    );
    this.unsubscribe = feed.subscribe((state) => this.render(state));
    this.logout.addEventListener('click', (event) => {
      event.preventDefault();
      void logOut();
    });
    void whoAmI().then((me) => {
      this.logout.hidden = me?.kind !== 'user';
    });
  }

  destroy(): void {
    this.unsubscribe();
    this.motion.destroy();
    for (const tile of this.tiles.values()) tile.destroy();
    this.tiles.clear();
    this.element.remove();
  }

  private render(state: FeedState): void {
    const cameras = state.cameras;
    if (!cameras) {
      setText(this.summary, state.reachable ? 'Loading cameras…' : '');
      return;
    }
    this.reconcile(cameras);
    this.motion.setCameras(cameras.map((c) => c.id));
    this.renderMotion();
    this.empty.hidden = cameras.length > 0;
    this.renderSummary();
  }

  private renderMotion(): void {
    for (const [id, tile] of this.tiles) tile.setMotion(this.motion.inMotion(id));
  }

  private renderSummary(): void {
    const count = this.tiles.size;
    let live = 0;
    for (const tile of this.tiles.values()) if (tile.live) live++;
    const noun = count === 1 ? 'camera' : 'cameras';
    setText(this.summary, count === 0 ? '' : `${count} ${noun} · ${live} live`);
  }

  private reconcile(cameras: Camera[]): void {
    const seen = new Set<string>();
    let previous: Element | null = null;
    for (const camera of cameras) {
      seen.add(camera.id);
      let tile = this.tiles.get(camera.id);
      if (tile) tile.update(camera);
      else {
        tile = new Tile(camera, () => this.renderSummary());
        this.tiles.set(camera.id, tile);
      }
      // Moves only what is out of place: moving a player's element restarts it.
      const expected: Element | null = previous ? previous.nextElementSibling : this.grid.firstElementChild;
      if (expected !== tile.element) {
        if (previous) previous.after(tile.element);
        else this.grid.prepend(tile.element);
      }
      previous = tile.element;
    }
    for (const [id, tile] of this.tiles) {
      if (!seen.has(id)) {
        tile.destroy();
        this.tiles.delete(id);
      }
    }
  }
}

/**
 * Logging out is a POST from this page (the server refuses one from another site). The page's own
 * policy is no-referrer, which would send `Origin: null`: this request names its origin.
 */
async function logOut(): Promise<void> {
  try {
    await fetch('logout', { method: 'POST', credentials: 'same-origin', referrerPolicy: 'origin' });
  } finally {
    location.assign('login');
  }
}
