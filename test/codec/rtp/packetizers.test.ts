/**
 * The RTP payloaders, exhaustively around their limits: every NAL unit size from 1 to a few times the
 * payload limit for H.264 and H.265, with the FU headers' bits checked and the units reassembled
 * byte-exact; real libx264 and libx265 streams; AAC fragments, G.711 cuts, Opus; packets stamped per
 * receiver.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { splitAnnexB } from '../../../src/codec/annexb.js';
import {
  aacDepacketize,
  aacPayloads,
  audioSpecificConfig,
  g711Payloads,
  h264Depacketize,
  h264Payloads,
  h265Depacketize,
  h265Payloads,
  opusPayloads,
  readRtpHeader,
  RtpPackets,
} from '../../../src/codec/rtp/index.js';
import { ffmpegH264, ffmpegH265, hasEncoder, seededRandom } from '../fixtures.js';

function randomBytes(random: () => number, length: number, first?: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = Math.floor(random() * 256);
  if (first !== undefined && length > 0) out[0] = first;
  return out;
}

describe('H.264 payloads (RFC 6184)', () => {
  const random = seededRandom(1);
  for (const max of [3, 4, 10, 1200]) {
    it(`every NAL size from 1 to 3×${max}+3 round-trips, none over ${max}`, () => {
      for (let size = 1; size <= 3 * max + 3; size++) {
        const nal = randomBytes(random, size, 0x65); // nal_ref_idc 3, IDR
        const payloads = h264Payloads([nal], max);
        for (const p of payloads) assert.ok(p.data.length <= max, `${p.data.length} > ${max}`);
        assert.deepEqual(
          payloads.map((p) => p.marker),
          payloads.map((_, i) => i === payloads.length - 1),
        );
        if (size <= max) {
          assert.equal(payloads.length, 1);
          assert.equal(payloads[0]!.data, nal, 'a NAL unit that fits is passed as it is');
        } else {
          assert.equal(payloads.length, Math.ceil((size - 1) / (max - 2)));
          payloads.forEach((p, i) => {
            assert.equal(p.data[0], 0x60 | 28, 'FU indicator: the NAL unit F and NRI, type 28');
            const start = i === 0 ? 0x80 : 0;
            const end = i === payloads.length - 1 ? 0x40 : 0;
            assert.equal(p.data[1], start | end | 5, 'FU header: S, E, R=0, the type');
          });
        }
        assert.deepEqual(h264Depacketize(payloads.map((p) => p.data)), [nal], `size ${size}`);
      }
    });
  }

  it('an access unit of several NAL units: one marker, at its end; the units back in order', () => {
    const nalus = [randomBytes(random, 20, 0x67), randomBytes(random, 4, 0x68), randomBytes(random, 5000, 0x65)];
    const payloads = h264Payloads(nalus, 1400);
    assert.equal(payloads.filter((p) => p.marker).length, 1);
    assert.ok(payloads.at(-1)!.marker);
    assert.deepEqual(h264Depacketize(payloads.map((p) => p.data)), nalus);
  });

  it('a real libx264 stream round-trips byte-exact at a 1400-byte payload limit', () => {
    const stream = ffmpegH264({ width: 320, height: 240, frames: 30, gop: 10 });
    const nalus = splitAnnexB(stream);
    assert.ok(
      nalus.some((n) => n.length > 1400),
      'the stream has NAL units to fragment',
    );
    for (const nal of nalus) {
      const payloads = h264Payloads([nal], 1400);
      assert.deepEqual(h264Depacketize(payloads.map((p) => p.data)), [nal]);
    }
  });

  it('refuses a payload limit too small for FU-A', () => {
    assert.throws(() => h264Payloads([new Uint8Array([0x65, 1, 2])], 2), RangeError);
  });
});

describe('H.265 payloads (RFC 7798)', () => {
  const random = seededRandom(2);
  for (const max of [4, 5, 11, 1200]) {
    it(`every NAL size from 2 to 3×${max}+3 round-trips, none over ${max}`, () => {
      for (let size = 2; size <= 3 * max + 3; size++) {
        // IDR_W_RADL (19), layer 0, TID 1: header 0x26 0x01.
        const nal = randomBytes(random, size, 0x26);
        nal[1] = 0x01;
        const payloads = h265Payloads([nal], max);
        for (const p of payloads) assert.ok(p.data.length <= max);
        assert.ok(payloads.at(-1)!.marker);
        if (size > max) {
          payloads.forEach((p, i) => {
            assert.equal((p.data[0]! >> 1) & 0x3f, 49, 'payload header type FU');
            assert.equal(p.data[1], 0x01, 'TID kept');
            const start = i === 0 ? 0x80 : 0;
            const end = i === payloads.length - 1 ? 0x40 : 0;
            assert.equal(p.data[2], start | end | 19, 'FU header: S, E, the type');
          });
        }
        assert.deepEqual(h265Depacketize(payloads.map((p) => p.data)), [nal], `size ${size}`);
      }
    });
  }

  it('a real libx265 stream round-trips byte-exact', { skip: !hasEncoder('libx265') && 'no libx265' }, () => {
    const nalus = splitAnnexB(ffmpegH265({ width: 320, height: 240, frames: 10, gop: 5 }));
    assert.ok(nalus.length > 10);
    for (const nal of nalus) {
      assert.deepEqual(h265Depacketize(h265Payloads([nal], 1000).map((p) => p.data)), [nal]);
    }
  });
});

describe('AAC payloads (RFC 3640 AAC-hbr)', () => {
  const random = seededRandom(3);
  it('one frame per packet, AU header with its size, markers; frames back byte-exact', () => {
    const frames = [randomBytes(random, 300), randomBytes(random, 1), randomBytes(random, 371)];
    const payloads = aacPayloads(frames, 1400);
    assert.equal(payloads.length, 3);
    payloads.forEach((p, i) => {
      assert.deepEqual([...p.data.subarray(0, 2)], [0, 16]);
      assert.equal(((p.data[2]! << 8) | p.data[3]!) >> 3, frames[i]!.length);
      assert.equal(p.data[3]! & 7, 0, 'AU-index 0');
      assert.ok(p.marker);
      assert.equal(p.timeOffset, i * 1024);
    });
    assert.deepEqual(aacDepacketize(payloads.map((p) => p.data)), frames);
  });

  it('a frame over the limit in fragments: the whole size in each, the marker on the last', () => {
    for (let size = 1; size <= 60; size++) {
      const frame = randomBytes(random, size);
      const payloads = aacPayloads([frame], 12);
      assert.equal(payloads.length, Math.ceil(size / 8));
      for (const p of payloads) {
        assert.ok(p.data.length <= 12);
        assert.equal(((p.data[2]! << 8) | p.data[3]!) >> 3, size);
      }
      assert.deepEqual(
        payloads.map((p) => p.marker),
        payloads.map((_, i) => i === payloads.length - 1),
      );
      assert.deepEqual(aacDepacketize(payloads.map((p) => p.data)), [frame]);
    }
  });

  it('refuses frames AAC-hbr cannot size', () => {
    assert.throws(() => aacPayloads([new Uint8Array(8192)], 1400), RangeError);
  });

  it('AudioSpecificConfig: AAC-LC 44.1 kHz stereo is 1210, 48 kHz mono 1188', () => {
    assert.deepEqual([...audioSpecificConfig(44100, 2)], [0x12, 0x10]);
    assert.deepEqual([...audioSpecificConfig(48000, 1)], [0x11, 0x88]);
    assert.throws(() => audioSpecificConfig(44000, 2), RangeError);
  });
});

describe('G.711 and Opus payloads', () => {
  it('G.711: cut at the limit, each packet timed by the samples before it', () => {
    const samples = new Uint8Array(1000).map((_, i) => i & 0xff);
    const payloads = g711Payloads(samples, 320);
    assert.deepEqual(
      payloads.map((p) => [p.data.length, p.timeOffset]),
      [
        [320, 0],
        [320, 320],
        [320, 640],
        [40, 960],
      ],
    );
    assert.deepEqual(Uint8Array.from(payloads.flatMap((p) => [...p.data])), samples);
  });

  it('Opus: one packet each, as it is, `packetTicks` apart', () => {
    const packets = [new Uint8Array([1, 2, 3]), new Uint8Array([4])];
    const payloads = opusPayloads(packets, 960);
    assert.deepEqual(
      payloads.map((p) => [p.data, p.timeOffset, p.marker]),
      [
        [packets[0], 0, false],
        [packets[1], 960, false],
      ],
    );
  });
});

describe('RtpPackets', () => {
  it('laid out once, stamped per receiver: channel, sequence (wrapping), timestamp plus offsets, SSRC', () => {
    const payloads = [
      { data: new Uint8Array([1, 2, 3]), marker: false },
      { data: new Uint8Array([4]), marker: true, timeOffset: 160 },
    ];
    const packets = new RtpPackets(payloads, 96);
    assert.equal(packets.count, 2);
    assert.equal(packets.payloadBytes, 4);
    const copy = packets.bytes.slice();
    const next = packets.stamp(copy, { channel: 2, sequence: 0xffff, timestamp: 0xfffffff0, ssrc: 0xdeadbeef });
    assert.equal(next, 1);
    const first = copy.subarray(4, 4 + packets.length(0));
    const second = copy.subarray(packets.starts[1]! + 4, packets.starts[1]! + 4 + packets.length(1));
    assert.deepEqual([...copy.subarray(0, 4)], [0x24, 2, 0, 15]);
    assert.deepEqual(readRtpHeader(first), {
      marker: false,
      payloadType: 96,
      sequence: 0xffff,
      timestamp: 0xfffffff0,
      ssrc: 0xdeadbeef,
    });
    assert.deepEqual(readRtpHeader(second), {
      marker: true,
      payloadType: 96,
      sequence: 0,
      timestamp: (0xfffffff0 + 160) % 2 ** 32,
      ssrc: 0xdeadbeef,
    });
    assert.deepEqual([...first.subarray(12)], [1, 2, 3]);
    assert.deepEqual([...second.subarray(12)], [4]);
    assert.equal(packets.bytes[1], 0, 'the shared layout is not written to');
  });

  it('refuses a packet an interleaved frame cannot carry, and bad payload types', () => {
    assert.throws(() => new RtpPackets([{ data: new Uint8Array(65530), marker: true }], 96), RangeError);
    assert.throws(() => new RtpPackets([], 128), RangeError);
  });
});
