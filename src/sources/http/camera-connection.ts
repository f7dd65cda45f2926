/**
 * One HTTP connection to a camera, opened once and used for both questions: what it sends (its
 * Content-Type; for anything but MJPEG, ffmpeg's look at the first bytes), and the pictures themselves,
 * read from the same response: multipart MJPEG here, anything else by ffmpeg on its stdin. Many cheap cameras (the ESP32-CAM sketch, an `ffmpeg -listen 1` server) serve one client at a
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
  /** The body's next chunk (what was given back with unread() first); undefined at its end or once closed. */
  read(): Promise<Buffer | undefined>;
  /** Gives chunks back, to be read again first (what a probe read is the capture's too). */
  unread(chunks: Buffer[]): void;
  /** Hangs up. */
  close(): void;
}

function bodyStream(
  contentType: string | undefined,
  body: ReadableStream<Uint8Array> | null,
  close: () => void,
): HttpStream {
  const reader = body?.getReader();
  const again: Buffer[] = [];
  return {
    contentType,
    boundary: multipartBoundary(contentType),
    async read() {
      const chunk = again.shift();
      if (chunk) return chunk;
      if (!reader) return undefined;
      try {
        const { value, done } = await reader.read();
        return done ? undefined : Buffer.from(value.buffer, value.byteOffset, value.byteLength);
      } catch {
        return undefined; // closed, or the connection broke: the end either way
      }
    },
    unread(chunks) {
      again.unshift(...chunks);
    },
    close,
  };
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
    return bodyStream(res.headers.get('content-type') ?? undefined, res.body, () => controller.abort());
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
  const done = (async (): Promise<void> => {
    for (let chunk = await stream.read(); chunk && !stopping; chunk = await stream.read()) parser.push(chunk);
    parser.reset();
    if (!stopping) sink.ended('stream ended (the camera closed the connection)');
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
