/**
 * Reading ffmpeg's stdout (src/ffmpeg/output.ts): H.264 packets framed as mpjpeg parts go into the NAL
 * stream one by one, and a part over the bound makes the stream skip to the next keyframe.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pino } from 'pino';
import { NalType, splitAnnexB } from '../../src/codec/h264/nal.js';
import { NalStream, type NalStreamUnit } from '../../src/codec/nal-stream.js';
import { nalPacketParser } from '../../src/ffmpeg/output.js';
import { ffmpegH264 } from '../codec/fixtures.js';

function buf(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** The stream's NAL units grouped per access unit (split at each AUD), as Annex B buffers. */
function accessUnits(annexB: Uint8Array): Buffer[] {
  const out: Uint8Array[][] = [];
  for (const nal of splitAnnexB(annexB)) {
    if ((nal[0]! & 0x1f) === NalType.AUD || out.length === 0) out.push([]);
    out[out.length - 1]!.push(nal);
  }
  return out.map((nals) => Buffer.concat(nals.flatMap((n) => [Buffer.from([0, 0, 0, 1]), buf(n)])));
}

function collect() {
  const units: NalStreamUnit[] = [];
  const stream = new NalStream((u) => units.push(u), {
    maxAccessUnitBytes: 1024 * 1024,
    log: pino({ level: 'silent' }),
    label: 'test',
    onFatal: () => {},
  });
  return { stream, units };
}

describe('ffmpeg output', () => {
  it('skips to the next keyframe when a packet over the bound is dropped before the splitter', () => {
    const aus = accessUnits(ffmpegH264({ width: 320, height: 240, frames: 10, gop: 5, aud: true }));
    const { stream, units } = collect();
    const parser = nalPacketParser(stream, 64 * 1024);
    const part = (body: Buffer) =>
      Buffer.concat([Buffer.from(`--camrelay\r\nContent-length: ${body.length}\r\n\r\n`), body, Buffer.from('\r\n')]);
    parser.push(Buffer.concat([part(aus[0]!), part(aus[1]!)]));
    assert.equal(units.length, 2);
    parser.push(part(Buffer.alloc(100_000, 0x41)));
    parser.push(Buffer.concat(aus.slice(2).map(part)));
    assert.deepEqual(
      units.map((u) => u.keyframe),
      [true, false, true, false, false, false, false],
      'units 2..4 skipped, on from the keyframe at 5',
    );
  });
});
