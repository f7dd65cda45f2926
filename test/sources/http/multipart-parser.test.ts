/**
 * The multipart MJPEG parser (src/sources/http/multipart-parser.ts) with real JPEGs and the ways cameras
 * get the format wrong: a Content-Length off in either direction, none at all, the boundary with or
 * without its dashes, garbage between parts, chunks cut anywhere.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { multipartBoundary, MultipartJpegParser } from '../../../src/sources/http/multipart-parser.js';
import { ffmpegJpeg } from '../../support/index.js';

const pictures = ['testsrc2', 'testsrc', 'smptebars', 'rgbtestsrc'].map((s) => ffmpegJpeg(160, 120, s));

function part(jpeg: Buffer, length: number | undefined = jpeg.length, boundary = '--frame'): Buffer {
  const head = `${boundary}\r\nContent-Type: image/jpeg\r\n${length === undefined ? '' : `Content-Length: ${length}\r\n`}\r\n`;
  return Buffer.concat([Buffer.from(head, 'latin1'), jpeg, Buffer.from('\r\n')]);
}

/** Feeds `bytes` in chunks of `size`; returns the JPEGs out and the parser. */
function parse(bytes: Buffer, size = bytes.length, boundary = 'frame') {
  const out: Buffer[] = [];
  const parser = new MultipartJpegParser(boundary, (jpeg) => out.push(jpeg));
  for (let at = 0; at < bytes.length; at += size) parser.push(bytes.subarray(at, at + size));
  return { out, parser };
}

describe('MultipartJpegParser', () => {
  it('reads the boundary of a Content-Type, quoted or not', () => {
    assert.equal(multipartBoundary('multipart/x-mixed-replace; boundary=frame'), 'frame');
    assert.equal(multipartBoundary('multipart/x-mixed-replace;boundary="--my bound"'), '--my bound');
    assert.equal(multipartBoundary('image/jpeg'), undefined);
    assert.equal(multipartBoundary('multipart/x-mixed-replace'), undefined);
    assert.equal(multipartBoundary(undefined), undefined);
  });

  it('gives out a part as soon as its declared length is in, cut anywhere', () => {
    for (const size of [1, 7, 100, 4096, 1 << 20]) {
      const { out, parser } = parse(Buffer.concat(pictures.map((p) => part(p))), size);
      assert.deepEqual(out, pictures, `chunks of ${size}`);
      assert.equal(parser.counters.badLength, 0);
    }
    // The last part goes out before any boundary follows it.
    const { out } = parse(part(pictures[0]!).subarray(0, -2));
    assert.deepEqual(out, [pictures[0]]);
  });

  it('resyncs on the next boundary when the first part declares a wrong length (too long or too short)', () => {
    for (const wrong of [pictures[0]!.length + 300, pictures[0]!.length - 300, 5, 99_999_999]) {
      const bytes = Buffer.concat([part(pictures[0]!, wrong), ...pictures.slice(1).map((p) => part(p))]);
      for (const size of [13, 1 << 20]) {
        const { out, parser } = parse(bytes, size);
        assert.deepEqual(out, pictures, `declared ${wrong}, chunks of ${size}`);
        // A length a little too long still ends with the JPEG's EOI (as padding would): not counted as wrong.
        assert.ok(parser.counters.badLength <= 1);
        if (wrong < pictures[0]!.length) assert.equal(parser.counters.badLength, 1);
      }
    }
  });

  it('finds parts without a length, with the boundary written bare, after garbage', () => {
    const bare = Buffer.concat(pictures.map((p) => part(p, undefined, 'frame')));
    const { out } = parse(Buffer.concat([Buffer.from('junk before\r\n'), bare, Buffer.from('--frame\r\n')]), 50);
    assert.deepEqual(out, pictures);
    // Declared as `--frame` and written `--frame` (no extra dashes).
    assert.deepEqual(parse(Buffer.concat(pictures.map((p) => part(p))), 64, '--frame').out, pictures);
  });

  it('drops what is not a JPEG and a part over the bound, and goes on', () => {
    const notJpeg = part(Buffer.alloc(500, 0x41));
    const bytes = Buffer.concat([part(pictures[0]!), notJpeg, part(pictures[1]!)]);
    const { out, parser } = parse(bytes, 256);
    assert.deepEqual(out, [pictures[0], pictures[1]]);
    assert.ok(parser.counters.rejected >= 1);
    const small = new MultipartJpegParser('frame', () => assert.fail('over the bound'), 1000);
    small.push(Buffer.concat([part(pictures[0]!, undefined), Buffer.alloc(5000, 0x42)]));
    assert.equal(small.counters.rejected, 1);
  });
});
