/**
 * Reads a byte range of an export's virtual file: the header from memory, then the pieces of
 * segment files, as a Readable that reads at most CHUNK bytes at a time and only when the client
 * takes them (backpressure: a slow client holds one chunk, never the range). HTTP Range parsing.
 */
import { open, type FileHandle } from 'node:fs/promises';
import { Readable } from 'node:stream';
import type { ExportPlan, Piece } from './export.js';

/** Bytes read from a file at once. */
export const CHUNK = 256 * 1024;

/** The index of the piece holding virtual offset `at` (binary search), or pieces.length. */
function pieceAt(pieces: readonly Piece[], at: number): number {
  let lo = 0;
  let hi = pieces.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const p = pieces[mid]!;
    if (at < p.at) hi = mid - 1;
    else if (at >= p.at + p.length) lo = mid + 1;
    else return mid;
  }
  return lo;
}

/**
 * The bytes [start, end] (inclusive) of the plan's file. A client that takes nothing for `idleMs`
 * (its socket full, never drained) has the stream destroyed: it holds an export slot and file handles.
 */
export function readRange(plan: ExportPlan, start: number, end: number, idleMs = 30_000): Readable {
  let at = start;
  let lastRead = Date.now();
  let piece = pieceAt(plan.pieces, Math.max(start, plan.header.length));
  const handles = new Map<string, FileHandle>();
  const closeAll = async (): Promise<void> => {
    const all = [...handles.values()];
    handles.clear();
    await Promise.allSettled(all.map((h) => h.close()));
  };
  const stream = new Readable({
    highWaterMark: CHUNK,
    async read() {
      lastRead = Date.now();
      try {
        if (at > end) {
          await closeAll();
          this.push(null);
          return;
        }
        if (at < plan.header.length) {
          const stop = Math.min(end + 1, plan.header.length);
          const bytes = plan.header.subarray(at, stop);
          at = stop;
          this.push(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
          return;
        }
        const p = plan.pieces[piece];
        if (!p || at < p.at || at >= p.at + p.length) throw new Error(`no piece at ${at}`);
        const length = Math.min(CHUNK, end + 1 - at, p.at + p.length - at);
        let handle = handles.get(p.file);
        if (!handle) {
          // One file open at a time: pieces come file after file.
          await closeAll();
          handle = await open(p.file, 'r');
          if (this.destroyed) {
            // The client left while the file opened: destroy() has closed the others already.
            await handle.close();
            return;
          }
          handles.set(p.file, handle);
        }
        const buffer = Buffer.allocUnsafe(length);
        let got = 0;
        while (got < length) {
          const { bytesRead } = await handle.read(buffer, got, length - got, p.offset + (at - p.at) + got);
          if (bytesRead === 0) throw new Error(`${p.file} is shorter than its recorded fragments`);
          got += bytesRead;
        }
        at += length;
        if (at >= p.at + p.length) piece++;
        this.push(buffer);
      } catch (error) {
        await closeAll();
        this.destroy(error instanceof Error ? error : new Error(String(error)));
      }
    },
    destroy(error, callback) {
      clearInterval(idle);
      closeAll().then(
        () => callback(error),
        () => callback(error),
      );
    },
  });
  const idle = setInterval(
    () => {
      if (Date.now() - lastRead >= idleMs) stream.destroy(new Error(`the client read nothing for ${idleMs} ms`));
    },
    Math.min(idleMs, 5000),
  );
  idle.unref();
  stream.once('end', () => clearInterval(idle));
  return stream;
}

export type ByteRange = { start: number; end: number } | 'unsatisfiable' | undefined;

/**
 * A Range header against a file of `size` bytes: one range (`bytes=a-b`, `bytes=a-`, `bytes=-n`);
 * undefined for no header, a malformed one or several ranges (answered with the whole file, as
 * RFC 9110 allows); 'unsatisfiable' for a range that starts past the end (416).
 */
export function parseRange(header: string | undefined, size: number): ByteRange {
  if (!header) return undefined;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === '' && m[2] === '')) return undefined;
  if (m[1] === '') {
    const suffix = Number(m[2]);
    if (suffix === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(m[1]);
  const end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  if (start >= size) return 'unsatisfiable';
  if (end < start) return undefined;
  return { start, end };
}
