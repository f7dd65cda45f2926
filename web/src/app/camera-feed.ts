/**
 * Polls the camera list and tells listeners about it and about whether the
 * server can be reached. One poller for the whole page, whatever the view.
 */
import { fetchCameras, type Camera } from './api.js';
import { AuthRequired, goToLogin, Refused } from './credentials.js';

const POLL_MS = 5000;
/** Polls sooner while the server is unreachable, so its return shows quickly. */
const RETRY_MS = 2500;

export interface FeedState {
  /** undefined until the first answer. */
  cameras: Camera[] | undefined;
  reachable: boolean;
  /** When the server last answered (browser clock), for "last contact". */
  lastContactAt: number | undefined;
  error: string | undefined;
  /** The server answered but refused this page's credential: why. */
  refused?: string;
}

type Listener = (state: FeedState) => void;

export class CameraFeed {
  private state: FeedState = { cameras: undefined, reachable: true, lastContactAt: undefined, error: undefined };
  private readonly listeners = new Set<Listener>();
  private timer = 0;
  private running = false;

  get current(): FeedState {
    return this.state;
  }

  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    listener(this.state);
    return () => this.listeners.delete(listener);
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    document.addEventListener('visibilitychange', this.onVisibility);
    void this.poll();
  }

  /** Polls now (e.g. after the user navigated), instead of at the next tick. */
  refresh(): void {
    if (this.running) void this.poll();
  }

  private readonly onVisibility = (): void => {
    // A hidden page does not poll; it catches up the moment it is shown.
    if (document.visibilityState === 'visible') this.refresh();
  };

  private async poll(): Promise<void> {
    clearTimeout(this.timer);
    try {
      const cameras = await fetchCameras();
      this.update({ cameras, reachable: true, lastContactAt: Date.now(), error: undefined });
    } catch (err) {
      if (err instanceof AuthRequired) return goToLogin();
      if (err instanceof Refused) {
        // Polling again will not help: the link itself is bad.
        this.update({ ...this.state, reachable: true, lastContactAt: Date.now(), refused: err.message });
        return;
      }
      this.update({ ...this.state, reachable: false, error: err instanceof Error ? err.message : String(err) });
    }
    if (document.visibilityState === 'hidden') return;
    clearTimeout(this.timer);
    this.timer = window.setTimeout(() => void this.poll(), this.state.reachable ? POLL_MS : RETRY_MS);
  }

  private update(state: FeedState): void {
    this.state = state;
    for (const listener of this.listeners) listener(state);
  }
}
