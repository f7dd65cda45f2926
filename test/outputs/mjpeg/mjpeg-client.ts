/** Test client for MJPEG streams: a real HTTP request, parts parsed by meros. */
import { get, IncomingMessage } from 'node:http';
import { meros } from 'meros/node';

/** camrelay's MJPEG Content-Type: the boundary is random, drawn once per server process. */
export const MJPEG_TYPE = /^multipart\/x-mixed-replace; boundary=camrelay[0-9a-f]{32}$/;

export interface MjpegPart {
  headers: Record<string, string>;
  body: Buffer;
  /** Date.now() when the part was parsed. */
  capturedAt: number;
}

export interface MjpegClient {
  response: IncomingMessage;
  parts: MjpegPart[];
  /** Resolves with the first part. */
  first: Promise<MjpegPart>;
  close(): void;
}

/** Opens a stream and collects its parts in the background until close(). */
export async function openMjpeg(url: string): Promise<MjpegClient> {
  const request = get(url);
  const response = await new Promise<IncomingMessage>((resolve, reject) => {
    request.once('response', resolve);
    request.once('error', reject);
  });
  const reader = await meros(response);
  if (reader instanceof IncomingMessage)
    throw new Error(`not a multipart response: ${response.statusCode} ${response.headers['content-type']}`);
  const parts: MjpegPart[] = [];
  let gotFirst: (part: MjpegPart) => void = () => {};
  let failed: (err: unknown) => void = () => {};
  const first = new Promise<MjpegPart>((resolve, reject) => {
    gotFirst = resolve;
    failed = reject;
  });
  let closed = false;
  void (async () => {
    try {
      for await (const part of reader) {
        if (part.json) throw new Error('a part parsed as JSON');
        const p = { headers: part.headers, body: part.body, capturedAt: Date.now() };
        parts.push(p);
        if (parts.length === 1) gotFirst(p);
      }
      failed(new Error('stream ended'));
    } catch (err) {
      if (!closed) failed(err);
    }
  })();
  return {
    response,
    parts,
    first,
    close() {
      closed = true;
      request.destroy();
    },
  };
}
