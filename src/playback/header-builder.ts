/**
 * Builds export headers in a worker thread (header-worker.ts), one at a time, in order. The worker
 * starts on the first export and stays while exports come (unref'd: it never keeps the process
 * alive); a worker that dies is replaced for the next header, and the header it was building fails.
 */
import { Worker } from 'node:worker_threads';
import { CodecError, type CodecErrorCode } from '../codec/errors.js';
import type { ProgressiveHeader, ProgressiveOptions } from '../codec/mp4/progressive.js';
import type { HeaderReply } from './header-worker.js';

/** The worker's file beside this one: .js when built; .ts when run from the sources (tests, tsx), loaded through tsx. */
const FROM_SOURCES = import.meta.url.endsWith('.ts');
const WORKER_URL = new URL(`./header-worker${FROM_SOURCES ? '.ts' : '.js'}`, import.meta.url);

interface Job {
  options: ProgressiveOptions;
  resolve: (header: ProgressiveHeader) => void;
  reject: (error: Error) => void;
}

export class HeaderBuilder {
  private worker: Worker | undefined;
  private readonly jobs: Job[] = [];
  private current: Job | undefined;
  private closed = false;

  /**
   * The header of `options`. Its typed arrays are handed to the worker (transferred): the caller
   * must not use them afterwards.
   */
  build(options: ProgressiveOptions): Promise<ProgressiveHeader> {
    if (this.closed) return Promise.reject(new Error('the header builder is closed'));
    return new Promise<ProgressiveHeader>((resolve, reject) => {
      this.jobs.push({ options, resolve, reject });
      this.next();
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const job of this.jobs.splice(0)) job.reject(new Error('the server is closing'));
    const worker = this.worker;
    this.worker = undefined;
    if (worker) await worker.terminate();
  }

  private next(): void {
    if (this.current || this.closed) return;
    const job = this.jobs.shift();
    if (!job) return;
    this.current = job;
    const worker = this.start();
    const transfer = [job.options.sizes, job.options.durations, job.options.keyframes, job.options.compositionOffsets]
      .filter((a): a is Uint32Array | Uint8Array | Int32Array => ArrayBuffer.isView(a))
      .map((a) => a.buffer as ArrayBuffer);
    worker.postMessage(job.options, [...new Set(transfer)]);
  }

  private start(): Worker {
    if (this.worker) return this.worker;
    // From the sources, the worker registers tsx before it imports its .ts file (a worker does not
    // inherit the loader the main thread registered).
    const worker = FROM_SOURCES
      ? new Worker(
          `import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(WORKER_URL.href)}); });`,
          { eval: true },
        )
      : new Worker(WORKER_URL);
    worker.unref();
    worker.on('message', (reply: HeaderReply) => {
      const job = this.current;
      this.current = undefined;
      if (job) {
        if (reply.ok)
          job.resolve({ header: reply.header, payloadLength: reply.payloadLength, duration: reply.duration });
        else if (reply.codecError) job.reject(new CodecError(reply.codecError as CodecErrorCode, reply.message));
        else job.reject(new Error(reply.message));
      }
      this.next();
    });
    const lost = (error: Error): void => {
      if (this.worker !== worker) return;
      this.worker = undefined;
      const job = this.current;
      this.current = undefined;
      job?.reject(error);
      this.next();
    };
    worker.on('error', lost);
    worker.on('exit', (code) => lost(new Error(`the export header worker exited (code ${code})`)));
    this.worker = worker;
    return worker;
  }
}
