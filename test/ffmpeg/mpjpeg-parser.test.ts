import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MpjpegParser } from '../../src/ffmpeg/mpjpeg-parser.js';
import { checkJpeg, readJpegSize } from '../../src/codec/jpeg.js';
import { ffmpegJpeg } from '../support/index.js';

const A = ffmpegJpeg(320, 240, 'testsrc2');
const B = ffmpegJpeg(160, 120, 'testsrc');

function part(jpeg: Buffer, boundary = 'camrelay', length = jpeg.length): Buffer {
  return Buffer.concat([
    Buffer.from(`--${boundary}\r\nContent-type: image/jpeg\r\nContent-length: ${length}\r\n\r\n`),
    jpeg,
    Buffer.from('\r\n'),
  ]);
}

function collect(): { frames: Buffer[]; parser: MpjpegParser } {
  const frames: Buffer[] = [];
  const parser = new MpjpegParser((f) => frames.push(f), { boundary: 'camrelay' });
  return { frames, parser };
}

/** A JPEG with an APP1 (EXIF) segment that holds a whole thumbnail JPEG, EOI and all. */
function withExifThumbnail(main: Buffer, thumbnail: Buffer): Buffer {
  // "Exif\0\0" + a little-endian TIFF header with no IFD entries, then the thumbnail bytes.
  const payload = Buffer.concat([
    Buffer.from('Exif\0\0', 'latin1'),
    Buffer.from([0x49, 0x49, 0x2a, 0x00, 0x08, 0, 0, 0, 0, 0]),
    thumbnail,
  ]);
  const header = Buffer.from([0xff, 0xe1, 0, 0]);
  header.writeUInt16BE(payload.length + 2, 2);
  return Buffer.concat([main.subarray(0, 2), header, payload, main.subarray(2)]);
}

describe('MpjpegParser', () => {
  it('reads one frame in one chunk, byte-identical', () => {
    const { frames, parser } = collect();
    parser.push(part(A));
    assert.equal(frames.length, 1);
    assert.ok(frames[0]!.equals(A));
  });

  it('reads several frames in one chunk', () => {
    const { frames, parser } = collect();
    parser.push(Buffer.concat([part(A), part(B), part(A)]));
    assert.deepEqual(
      frames.map((f) => f.length),
      [A.length, B.length, A.length],
    );
    assert.ok(frames[1]!.equals(B));
  });

  it('reads a frame split across many chunks, at every possible cut, including inside headers', () => {
    const stream = Buffer.concat([part(B), part(A)]);
    for (const size of [1, 2, 3, 7, 13, 64, 1000, 4096]) {
      const { frames, parser } = collect();
      for (let at = 0; at < stream.length; at += size) parser.push(stream.subarray(at, at + size));
      assert.equal(frames.length, 2, `chunk size ${size}`);
      assert.ok(frames[0]!.equals(B) && frames[1]!.equals(A), `chunk size ${size}`);
    }
  });

  it('skips garbage between frames and before the first', () => {
    const { frames, parser } = collect();
    parser.push(
      Buffer.concat([
        Buffer.from('noise\r\n--camrel'),
        Buffer.from('ay-not\r\n'),
        part(A),
        Buffer.from('\x00\x01garbage--xx\r\n'),
        part(B),
      ]),
    );
    assert.equal(frames.length, 2);
    assert.ok(frames[0]!.equals(A) && frames[1]!.equals(B));
    assert.ok(parser.counters.skippedBytes > 0);
  });

  it('drops a truncated frame and recovers at the next boundary', () => {
    const { frames, parser } = collect();
    // The first part claims its whole length but the stream carries only half of it, then a new part starts.
    const cut = part(A).subarray(0, 80 + A.length / 2);
    parser.push(Buffer.concat([cut, part(B), part(B)]));
    // The cut part swallows bytes of the next one and fails JPEG validation; the parser then resyncs.
    assert.ok(frames.length >= 1, 'recovers');
    assert.ok(frames.every((f) => f.equals(B)));
    assert.ok(parser.counters.rejected >= 1);
  });

  it('drops a partial frame when the stream ends (reset), and starts clean', () => {
    const { frames, parser } = collect();
    parser.push(part(A).subarray(0, 500));
    parser.reset();
    parser.push(part(B));
    assert.equal(frames.length, 1);
    assert.ok(frames[0]!.equals(B));
  });

  it('rejects a part whose body is not a JPEG, and one without Content-length', () => {
    const { frames, parser } = collect();
    const notJpeg = Buffer.alloc(400, 7);
    parser.push(Buffer.concat([part(notJpeg), Buffer.from('--camrelay\r\nContent-type: image/jpeg\r\n\r\n'), part(A)]));
    assert.equal(frames.length, 1);
    assert.ok(frames[0]!.equals(A));
    assert.equal(parser.counters.rejected, 2);
  });

  it('skips a part longer than maxFrameBytes', () => {
    const frames: Buffer[] = [];
    const parser = new MpjpegParser((f) => frames.push(f), { boundary: 'camrelay', maxFrameBytes: B.length });
    parser.push(Buffer.concat([part(A), part(B)]));
    assert.ok(frames.some((f) => f.equals(B)));
    assert.ok(!frames.some((f) => f.equals(A)));
  });

  it('keeps a JPEG whose EXIF thumbnail has its own EOI whole', () => {
    const withThumb = withExifThumbnail(A, B);
    assert.ok(withThumb.indexOf(Buffer.from([0xff, 0xd9])) < withThumb.length - 2, 'the inner EOI comes first');
    const { frames, parser } = collect();
    for (let at = 0; at < withThumb.length + 200; at += 333) parser.push(part(withThumb).subarray(at, at + 333));
    assert.equal(frames.length, 1);
    assert.ok(frames[0]!.equals(withThumb));
    assert.deepEqual(readJpegSize(frames[0]!), { width: 320, height: 240 });
  });
});

describe('jpeg', () => {
  it('reads the picture size from SOF', () => {
    assert.deepEqual(readJpegSize(A), { width: 320, height: 240 });
    assert.deepEqual(readJpegSize(B), { width: 160, height: 120 });
  });

  it('validates SOI, EOI and minimum size', () => {
    assert.equal(checkJpeg(A), A);
    assert.equal(checkJpeg(A.subarray(0, A.length - 1)), undefined, 'no EOI');
    assert.equal(checkJpeg(A.subarray(1)), undefined, 'no SOI');
    assert.equal(checkJpeg(Buffer.from([0xff, 0xd8, 0xff, 0xd9])), undefined, 'too small');
  });

  it('trims zero padding after EOI (some USB cameras pad frames)', () => {
    const padded = Buffer.concat([A, Buffer.alloc(100)]);
    const checked = checkJpeg(padded);
    assert.ok(checked && checked.equals(A));
  });
});
