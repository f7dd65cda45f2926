import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeG711, G711_WASTED_BITS } from '../../src/codec/g711.js';
import { decodeToPcm, ffmpegRun } from './audio-fixtures.js';

describe('G.711', () => {
  for (const [law, format] of [
    ['alaw', 'alaw'],
    ['ulaw', 'mulaw'],
  ] as const) {
    it(`decodes every ${law} byte exactly as ffmpeg does`, () => {
      const all = Uint8Array.from({ length: 256 }, (_, i) => i);
      const ours = decodeG711(law, all);
      assert.deepEqual(ours, decodeToPcm(['-f', format, '-ar', '8000', '-ac', '1'], all));
      // Every decoded value has the law's wasted low bits zero (FLAC skips them).
      const mask = (1 << G711_WASTED_BITS[law]) - 1;
      assert.ok(ours.every((s) => (s & mask) === 0));
      // And the encoder maps our decoded values back to the same bytes.
      const pcm = new Uint8Array(ours.buffer);
      const back = ffmpegRun(
        ['-f', 's16le', '-ar', '8000', '-ac', '1', '-i', 'pipe:0', '-c:a', `pcm_${format}`, '-f', format, 'pipe:1'],
        pcm,
      );
      // ±0 and the two zero codes aside, every byte comes back.
      const same = [...back].filter((b, i) => b === all[i]).length;
      assert.ok(same >= 254, `${same} of 256`);
    });
  }
});
