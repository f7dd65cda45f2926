/**
 * The worker thread that builds export headers (header-builder.ts runs it). A day's export has
 * millions of samples, and its header takes a second or more to write: here it never holds up the
 * event loop that serves live video. The sample arrays come in and the header goes out as
 * transferred buffers, not copies.
 */
import { parentPort } from 'node:worker_threads';
import { isCodecError } from '../codec/errors.js';
import { progressiveHeader, type ProgressiveOptions } from '../codec/mp4/progressive.js';

export type HeaderReply =
  | { ok: true; header: Uint8Array; payloadLength: number; duration: number }
  | { ok: false; codecError?: string; message: string };

parentPort?.on('message', (options: ProgressiveOptions) => {
  let reply: HeaderReply;
  try {
    const built = progressiveHeader(options);
    reply = { ok: true, ...built };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    reply = isCodecError(error) ? { ok: false, codecError: error.code, message } : { ok: false, message };
  }
  parentPort!.postMessage(reply, reply.ok ? [reply.header.buffer as ArrayBuffer] : []);
});
