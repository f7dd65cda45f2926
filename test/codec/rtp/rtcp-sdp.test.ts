/** RTCP sender reports, SDP and base64 for DESCRIBE. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { splitAnnexB } from '../../../src/codec/annexb.js';
import { H264_RULES } from '../../../src/codec/h264/access-units.js';
import {
  aacMedia,
  audioSpecificConfig,
  base64,
  buildSdp,
  g711Media,
  h264Media,
  h265Media,
  opusMedia,
  readSenderReport,
  senderReport,
} from '../../../src/codec/rtp/index.js';
import { ffmpegH264, seededRandom } from '../fixtures.js';

describe('RTCP sender report', () => {
  it('SR then SDES CNAME, lengths in words, NTP time of the wall time', () => {
    const wallTimeMs = Date.UTC(2026, 11, 6, 12, 0, 0, 250);
    const packet = senderReport({
      ssrc: 7,
      wallTimeMs,
      rtpTimestamp: 123456,
      packets: 10,
      octets: 5000,
      cname: 'camrelay',
    });
    assert.equal(packet.length % 4, 0);
    assert.equal(packet[1], 200);
    assert.equal(((packet[2]! << 8) | packet[3]!) * 4 + 4, 28);
    const sdes = packet.subarray(28);
    assert.equal(sdes[1], 202);
    assert.equal(((sdes[2]! << 8) | sdes[3]!) * 4 + 4, sdes.length);
    assert.equal(sdes[8], 1);
    assert.equal(new TextDecoder().decode(sdes.subarray(10, 10 + sdes[9]!)), 'camrelay');
    const read = readSenderReport(packet)!;
    assert.equal(read.ssrc, 7);
    assert.equal(read.rtpTimestamp, 123456);
    assert.equal(read.packets, 10);
    assert.equal(read.octets, 5000);
    assert.ok(Math.abs(read.wallTimeMs - wallTimeMs) < 0.001);
    assert.equal(new DataView(packet.buffer).getUint32(8), Math.floor(wallTimeMs / 1000) + 2_208_988_800);
  });
});

describe('base64', () => {
  it('equals Node’s for every length 0..64', () => {
    const random = seededRandom(9);
    for (let n = 0; n <= 64; n++) {
      const bytes = Uint8Array.from({ length: n }, () => Math.floor(random() * 256));
      assert.equal(base64(bytes), Buffer.from(bytes).toString('base64'));
    }
  });
});

describe('SDP', () => {
  const nalus = splitAnnexB(ffmpegH264({ width: 320, height: 240, frames: 1, profile: 'high' }));
  const sps = nalus.filter((n) => H264_RULES.type(n[0]!) === 7);
  const pps = nalus.filter((n) => H264_RULES.type(n[0]!) === 8);

  it('H.264: profile-level-id from the SPS, its parameter sets, packetization mode 1', () => {
    const media = h264Media(96, sps, pps);
    assert.equal(media.rtpmap, 'H264/90000');
    const hex = [...sps[0]!.subarray(1, 4)].map((b) => b.toString(16).padStart(2, '0')).join('');
    assert.ok(hex.startsWith('64'), 'high profile');
    assert.equal(
      media.fmtp,
      `packetization-mode=1;profile-level-id=${hex};sprop-parameter-sets=${Buffer.from(sps[0]!).toString('base64')},${Buffer.from(pps[0]!).toString('base64')}`,
    );
    assert.throws(() => h264Media(96, [], pps), RangeError);
  });

  it('H.265, AAC, G.711, Opus', () => {
    const h265 = h265Media(96, {
      vps: [new Uint8Array([0x40, 1])],
      sps: [new Uint8Array([0x42, 1])],
      pps: [new Uint8Array([0x44, 1])],
    });
    assert.equal(h265.fmtp, 'sprop-vps=QAE=;sprop-sps=QgE=;sprop-pps=RAE=');
    assert.throws(() => h265Media(96, { vps: [], sps: [], pps: [] }), RangeError);
    const aac = aacMedia(97, 44100, 2, audioSpecificConfig(44100, 2));
    assert.equal(aac.rtpmap, 'MPEG4-GENERIC/44100/2');
    assert.match(aac.fmtp!, /mode=AAC-hbr;sizelength=13;indexlength=3;indexdeltalength=3;config=1210$/);
    assert.deepEqual(g711Media('pcma'), { kind: 'audio', payloadType: 8, rtpmap: 'PCMA/8000', clockRate: 8000 });
    assert.equal(g711Media('pcmu').payloadType, 0);
    assert.equal(opusMedia(98, false).rtpmap, 'opus/48000/2');
  });

  it('a session: CRLF lines, one media section per track with its control', () => {
    const text = buildSdp({
      sessionId: '42',
      address: '127.0.0.1',
      name: 'door\r\nx',
      media: [
        { ...h264Media(96, sps, pps), control: 'trackID=0', framerate: 29.97 },
        { ...g711Media('pcma'), control: 'trackID=1' },
      ],
    });
    assert.ok(text.endsWith('\r\n'));
    const lines = text.split('\r\n').slice(0, -1);
    assert.equal(lines[0], 'v=0');
    assert.equal(lines[1], 'o=- 42 1 IN IP4 127.0.0.1');
    assert.equal(lines[2], 's=door  x', 'no line break from a name');
    assert.ok(lines.includes('m=video 0 RTP/AVP 96'));
    assert.ok(lines.includes('a=control:trackID=0'));
    assert.ok(lines.includes('a=framerate:29.97'));
    assert.ok(lines.includes('m=audio 0 RTP/AVP 8'));
    assert.ok(lines.includes('a=rtpmap:8 PCMA/8000'));
    assert.match(buildSdp({ sessionId: '1', address: '::1', name: 'x', media: [] }), /IN IP6 ::1/);
  });
});
