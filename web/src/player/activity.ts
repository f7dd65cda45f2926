/**
 * Whether a player is worth feeding: its page is visible and it is on (or
 * near) the screen. Reports changes only.
 */

export class ActivityWatcher {
  /** True where there is no IntersectionObserver to say otherwise. */
  private intersecting = true;
  private observer: IntersectionObserver | undefined;
  private last: boolean | undefined;

  constructor(
    private readonly element: Element,
    private readonly changed: (active: boolean) => void,
  ) {}

  get active(): boolean {
    return document.visibilityState !== 'hidden' && this.intersecting;
  }

  start(): void {
    document.addEventListener('visibilitychange', this.check);
    if (typeof IntersectionObserver === 'function') {
      // Unknown until the observer's first report (it always sends one, within a frame):
      // a player below the fold then never opens a connection it would pause at once.
      this.intersecting = false;
      // A margin starts tiles just before they scroll into view.
      this.observer = new IntersectionObserver(
        (entries) => {
          const entry = entries[entries.length - 1];
          if (entry) this.intersecting = entry.isIntersecting;
          this.check();
        },
        { rootMargin: '200px' },
      );
      this.observer.observe(this.element);
    }
    this.last = this.active;
  }

  stop(): void {
    document.removeEventListener('visibilitychange', this.check);
    this.observer?.disconnect();
    this.observer = undefined;
    this.last = undefined;
  }

  private readonly check = (): void => {
    const active = this.active;
    if (active === this.last) return;
    this.last = active;
    this.changed(active);
  };
}
