/**
 * One HTTP connection to a camera, opened once and used for both questions: what it sends (its
 * Content-Type), and, when that is multipart MJPEG, the pictures themselves, read from the same
 * response. Many cheap cameras (the ESP32-CAM sketch, an `ffmpeg -listen 1` server) serve one client at a
 * time: a probe that hung up and connected again would find the camera gone or busy. The JPEGs are
 * split here (multipart-parser.ts), not by ffmpeg, so that a part whose headers lie costs that part only.
 */
import { readJpegSize } from '../../codec/jpeg.js';
import type { SourceSink } from '../../media/index.js';
import { jpegConfig } from '../../media/jpeg.js';
import { multipartBoundary, MultipartJpegParser } from './multipart-parser.js';

export interface HttpStream {
  /** The response's Content-Type, if it gave one. */
  readonly contentType: string | undefined;
  /** Its boundary when it is multipart MJPEG (what readMjpeg() reads). */
  readonly boundary: string | undefined;
  readonly body: ReadableStream<Uint8Array> | null;
  /** Hangs up. */
  close(): void;
}

/** Opens `raw` with its credentials as basic auth; undefined when it does not answer 2xx within timeoutMs. */
export async function openHttpStream(raw: string, timeoutMs = 5000): Promise<HttpStream | undefined> {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return undefined;
  }
  const headers: Record<string, string> = {};
  if (url.username || url.password) {
    const user = decodeURIComponent(url.username);
    const password = decodeURIComponent(url.password);
    headers.authorization = `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
    url.username = '';
    url.password = '';
  }
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  try {
    const res = await fetch(url, { headers, signal: controller.signal, redirect: 'follow' });
    if (!res.ok) {
      controller.abort();
      return undefined;
    }
    const contentType = res.headers.get('content-type') ?? undefined;
    return {
      contentType,
      boundary: multipartBoundary(contentType),
      body: res.body,
      close: () => controller.abort(),
    };
  } catch {
    controller.abort();
    return undefined;
  } finally {
    clearTimeout(timer);
  }
}

export interface MjpegRun {
  /** No process: the JPEGs are read here. */
  readonly pid: undefined;
  stop(): Promise<void>;
}

/**
 * Reads the multipart JPEGs of an open stream into the sink until it ends (sink.ended with why) or
 * stop() is called. A stall (the camera sends nothing) is the hub's to notice: it stops and restarts.
 */
export function readMjpeg(stream: HttpStream, sink: SourceSink, maxFrameBytes: number): MjpegRun {
  let stopping = false;
  const parser = new MultipartJpegParser(
    stream.boundary ?? '',
    (jpeg) => {
      const size = readJpegSize(jpeg);
      if (size) sink.unit({ config: jpegConfig(size.width, size.height), keyframe: true, data: jpeg });
    },
    maxFrameBytes,
  );
  const reader = stream.body?.getReader();
  const done = (async (): Promise<void> => {
    let reason = 'stream ended (the camera closed the connection)';
    try {
      if (!reader) throw new Error('no body');
      for (;;) {
        const { value, done: end } = await reader.read();
        if (end) break;
        if (!stopping) parser.push(Buffer.from(value.buffer, value.byteOffset, value.byteLength));
      }
    } catch (err) {
      reason = `connection lost: ${(err as Error).message}`;
    }
    parser.reset();
    if (!stopping) sink.ended(reason);
  })();
  return {
    pid: undefined,
    async stop() {
      stopping = true;
      stream.close();
      await done;
    },
  };
}
