/**
 * What each TCP connection has written that its peer has not acknowledged yet, from Linux's own tables
 * (/proc/net/tcp and tcp6: `tx_queue`). RTSP has no acknowledgements of its own, and a socket's send
 * buffer grows to megabytes: on a link slower than the stream, seconds of video would wait in the kernel,
 * out of reach of the skip to the next keyframe. Knowing what the kernel holds, a client gets no more
 * than a fraction of a second of it (transports.ts), and the rest waits in its send queue, which skips.
 *
 * The tables cost milliseconds to read (the kernel walks every socket), so they are read on a timer for
 * every connection at once: every BUSY_EVERY_MS while a connection holds much in the kernel, else every
 * CALM_EVERY_MS; between reads a connection estimates from its own writes and delivery rate. Elsewhere
 * than Linux nothing is read, and the send buffer alone bounds what waits.
 */
import { readFileSync } from 'node:fs';

const BUSY_EVERY_MS = 200;
const CALM_EVERY_MS = 1000;
const FILES = ['/proc/net/tcp', '/proc/net/tcp6'];
// "  12: 0100007F:1F90 0100007F:D2A4 01 00001A2B:00000000 ..."
const LINE = /^\s*\d+: [0-9A-F]+:([0-9A-F]{4}) [0-9A-F]+:([0-9A-F]{4}) [0-9A-F]{2} ([0-9A-F]{8}):/gm;

export interface KernelWatcher {
  /** The connection's ports, its key in the tables. */
  readonly localPort: number;
  readonly remotePort: number;
  /** What the kernel held for it at `now` (performance.now()); undefined when it is not in the tables. */
  kernelRead(unacked: number | undefined, now: number): void;
  /** It holds enough in the kernel to be read often. */
  readonly busy: boolean;
}

export class KernelQueues {
  private readonly watchers = new Set<KernelWatcher>();
  private timer: NodeJS.Timeout | undefined;
  readonly available: boolean;

  constructor() {
    this.available = FILES.some((file) => {
      try {
        readFileSync(file, 'latin1');
        return true;
      } catch {
        return false;
      }
    });
  }

  watch(watcher: KernelWatcher): () => void {
    if (!this.available) return () => undefined;
    this.watchers.add(watcher);
    this.schedule();
    return () => {
      this.watchers.delete(watcher);
      if (this.watchers.size === 0) {
        clearTimeout(this.timer);
        this.timer = undefined;
      }
    };
  }

  private schedule(): void {
    if (this.timer || this.watchers.size === 0) return;
    let busy = false;
    for (const w of this.watchers) busy ||= w.busy;
    this.timer = setTimeout(
      () => {
        this.timer = undefined;
        this.read();
        this.schedule();
      },
      busy ? BUSY_EVERY_MS : CALM_EVERY_MS,
    );
    this.timer.unref();
  }

  private read(): void {
    const table = new Map<number, number>();
    for (const file of FILES) {
      let text: string;
      try {
        text = readFileSync(file, 'latin1');
      } catch {
        continue;
      }
      for (const match of text.matchAll(LINE)) {
        const key = parseInt(match[1]!, 16) * 65536 + parseInt(match[2]!, 16);
        // Two peers with the same port on another address: the larger queue (never too little held back).
        table.set(key, Math.max(table.get(key) ?? 0, parseInt(match[3]!, 16)));
      }
    }
    const now = performance.now();
    for (const w of this.watchers) w.kernelRead(table.get(w.localPort * 65536 + w.remotePort), now);
  }
}
