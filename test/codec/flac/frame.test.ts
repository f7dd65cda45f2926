import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { CodecError } from '../../../src/codec/errors.js';
import { flacFrame, flacMetadataBlocks, flacStreamInfo, type FlacStreamInfo } from '../../../src/codec/flac/frame.js';
import { decodeG711 } from '../../../src/codec/g711.js';
import { decodeFile, g711 } from '../audio-fixtures.js';

const dir = mkdtempSync(join(tmpdir(), 'camrelay-flac-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** A .flac file: the marker, the metadata, then the frames. */
function flacFile(info: FlacStreamInfo, frames: Uint8Array[]): Uint8Array {
  const meta = flacMetadataBlocks(info);
  const size = 4 + meta.length + frames.reduce((n, f) => n + f.length, 0);
  const out = new Uint8Array(size);
  out.set([0x66, 0x4c, 0x61, 0x43], 0); // fLaC
  out.set(meta, 4);
  let at = 4 + meta.length;
  for (const f of frames) {
    out.set(f, at);
    at += f.length;
  }
  return out;
}

function encode(info: FlacStreamInfo, pcm: Int16Array, perFrame: number): Uint8Array[] {
  const frames: Uint8Array[] = [];
  const step = perFrame * info.channels;
  for (let i = 0, n = 0; i < pcm.length; i += step, n++) frames.push(flacFrame(info, n, pcm.subarray(i, i + step)));
  return frames;
}

function roundTrip(name: string, info: FlacStreamInfo, pcm: Int16Array, perFrame: number): number {
  const frames = encode(info, pcm, perFrame);
  const path = join(dir, `${name}.flac`);
  writeFileSync(path, flacFile(info, frames));
  const decoded = decodeFile(path);
  assert.equal(decoded.stderr, '', `${name}: ffmpeg decodes it without an error`);
  assert.deepEqual(decoded.pcm, pcm, `${name}: lossless`);
  return frames.reduce((n, f) => n + f.length, 0);
}

describe('FLAC frames', () => {
  it('repack decoded A-law and µ-law losslessly, in about the size of the G.711', () => {
    for (const law of ['alaw', 'mulaw'] as const) {
      const bytes = g711(law, 2);
      const pcm = decodeG711(law === 'alaw' ? 'alaw' : 'ulaw', bytes);
      // 20 ms packets (160 samples), as cameras send them; the last one shorter.
      const size = roundTrip(
        law,
        { sampleRate: 8000, channels: 1, bitsPerSample: 16, blockSize: 160 },
        pcm.subarray(0, 15990),
        160,
      );
      assert.ok(size < bytes.length * 1.6, `${law}: ${size} bytes of FLAC for ${bytes.length} of G.711`);
    }
  });

  it('codes silence, full-scale noise, stereo, long blocks, high frame numbers and odd rates', () => {
    const noise = Int16Array.from({ length: 8192 }, (_, i) => ((i * 2654435761) >>> 16) - 32768);
    roundTrip(
      'silence',
      { sampleRate: 8000, channels: 1, bitsPerSample: 16, blockSize: 160 },
      new Int16Array(1600),
      160,
    );
    roundTrip('noise', { sampleRate: 48000, channels: 2, bitsPerSample: 16, blockSize: 1024 }, noise, 1024);
    roundTrip('long', { sampleRate: 44100, channels: 1, bitsPerSample: 16, blockSize: 4096 }, noise, 4096);
    roundTrip(
      'odd-rate',
      { sampleRate: 11025, channels: 1, bitsPerSample: 16, blockSize: 256 },
      noise.subarray(0, 2048),
      256,
    );
    // Frame numbers past one byte of FLAC's UTF-8 coding: a stream that has run for a while.
    const info = { sampleRate: 8000, channels: 1, bitsPerSample: 16, blockSize: 160 };
    const frames = [0x7f, 0x80, 0x7ff, 0x800, 0xffff, 0x10000, 0x1fffff, 0x200000, 0x7fffffff].map((n) =>
      flacFrame(info, n, noise.subarray(0, 160)),
    );
    // Each frame begins with the sync code and carries its number (ffmpeg reads them in a file).
    for (const f of frames) assert.deepEqual([f[0], f[1]! & 0xfe], [0xff, 0xf8]);
  });

  it('writes STREAMINFO and refuses what FLAC cannot hold', () => {
    const info = flacStreamInfo({ sampleRate: 8000, channels: 1, bitsPerSample: 16, blockSize: 160 });
    assert.equal(info.length, 34);
    assert.equal(((info[10]! << 12) | (info[11]! << 4) | (info[12]! >> 4)) >>> 0, 8000);
    const bad = (i: Partial<FlacStreamInfo>) => ({
      sampleRate: 8000,
      channels: 1,
      bitsPerSample: 16,
      blockSize: 160,
      ...i,
    });
    assert.throws(() => flacStreamInfo(bad({ channels: 9 })), CodecError);
    assert.throws(() => flacStreamInfo(bad({ bitsPerSample: 24 })), /24 bits/);
    assert.throws(() => flacStreamInfo(bad({ blockSize: 70000 })), /block size/);
    assert.throws(() => flacFrame(bad({}), 0, new Int16Array(161)), /161 samples in a block of 160/);
    assert.throws(() => flacFrame(bad({ channels: 2 }), 0, new Int16Array(3)), /3 samples for 2 channels/);
    assert.throws(() => flacFrame(bad({}), -1, new Int16Array(16)), /frame number/);
  });
});
