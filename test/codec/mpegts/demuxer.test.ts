import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { before, describe, it } from 'node:test';
import { TS_PACKET_SIZE, TsDemuxer, type TsUnit } from '../../../src/codec/mpegts/demuxer.js';
import { parsePesHeader, TimestampUnwrapper } from '../../../src/codec/mpegts/pes.js';
import { parsePmt } from '../../../src/codec/mpegts/psi.js';
import { locateFfmpeg } from '../../../src/ffmpeg/locate.js';
import { ffmpeg, seededRandom } from '../fixtures.js';

const MAX = 4 * 1024 * 1024;

function demux(ts: Uint8Array, chunk = ts.length, endOnStuffing = true): { units: TsUnit[]; demuxer: TsDemuxer } {
  const units: TsUnit[] = [];
  const demuxer = new TsDemuxer((u) => units.push(u), { maxPesBytes: MAX, endOnStuffing });
  for (let i = 0; i < ts.length; i += chunk) demuxer.push(ts.subarray(i, i + chunk));
  demuxer.flush();
  return { units, demuxer };
}

/** What ffprobe says of each packet of the file's stream: pts, dts, size. */
function probePackets(path: string, stream: string): { pts: number; dts: number; size: number }[] {
  const ffprobe = locateFfmpeg().path.replace(/ffmpeg$/, 'ffprobe');
  const out = execFileSync(ffprobe, [
    '-v',
    'error',
    '-select_streams',
    stream,
    '-show_entries',
    'packet=pts,dts,size',
    '-of',
    'csv=p=0',
    path,
  ]).toString();
  return out
    .trim()
    .split('\n')
    .map((line) => {
      const [pts, dts, size] = line.split(',').map(Number);
      return { pts: pts!, dts: dts!, size: size! };
    })
    .filter((p) => Number.isFinite(p.size) && p.size > 0); // side data lines left out
}

// Hand-made packets for what ffmpeg does not make.
function tsPacket(pid: number, start: boolean, cc: number, payload: Uint8Array, stuff = false): Uint8Array {
  const p = new Uint8Array(TS_PACKET_SIZE).fill(0xff);
  p[0] = 0x47;
  p[1] = (start ? 0x40 : 0) | (pid >> 8);
  p[2] = pid & 0xff;
  const room = TS_PACKET_SIZE - 4;
  if (payload.length < room || stuff) {
    const af = room - payload.length - 1; // adaptation_field_length
    p[3] = 0x30 | (cc & 0x0f);
    p[4] = af;
    if (af > 0) p[5] = 0x00;
    p.set(payload, 5 + af);
  } else {
    p[3] = 0x10 | (cc & 0x0f);
    p.set(payload.subarray(0, room), 4);
  }
  return p;
}

function timestampBytes(prefix: number, ts: number): number[] {
  const high = Math.floor(ts / 2 ** 30) & 0x07;
  const mid = Math.floor(ts / 2 ** 15) & 0x7fff;
  const low = ts & 0x7fff;
  return [(prefix << 4) | (high << 1) | 1, mid >> 7, ((mid & 0x7f) << 1) | 1, low >> 7, ((low & 0x7f) << 1) | 1];
}

function pes(payload: number[], pts?: number, dts?: number, declareLength = true): Uint8Array {
  const fields = [
    ...(pts !== undefined ? timestampBytes(dts !== undefined ? 3 : 2, pts) : []),
    ...(dts !== undefined ? timestampBytes(1, dts) : []),
  ];
  const flags = pts === undefined ? 0 : dts === undefined ? 0x80 : 0xc0;
  const length = declareLength ? 3 + fields.length + payload.length : 0;
  return Uint8Array.from([
    0,
    0,
    1,
    0xe0,
    length >> 8,
    length & 0xff,
    0x80,
    flags,
    fields.length,
    ...fields,
    ...payload,
  ]);
}

const PAT = Uint8Array.from([0, 0x00, 0xb0, 13, 0, 1, 0xc1, 0, 0, 0, 1, 0xf0, 0x00, 0, 0, 0, 0]);
function pmt(streams: { type: number; pid: number; descriptors?: number[] }[]): Uint8Array {
  const body: number[] = [0, 1, 0xc1, 0, 0, 0xe1, 0x00, 0xf0, 0];
  for (const s of streams) {
    const d = s.descriptors ?? [];
    body.push(s.type, 0xe0 | (s.pid >> 8), s.pid & 0xff, 0xf0 | (d.length >> 8), d.length & 0xff, ...d);
  }
  const length = body.length + 4;
  return Uint8Array.from([0, 0x02, 0xb0 | (length >> 8), length & 0xff, ...body, 0, 0, 0, 0]);
}
const PROGRAM = [tsPacket(0, true, 0, PAT), tsPacket(0x1000, true, 0, pmt([{ type: 0x1b, pid: 0x100 }]))];

function join(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

describe('TsDemuxer on ffmpeg output', () => {
  let ts: Uint8Array;
  let video: { pts: number; dts: number; size: number }[];
  let audio: { pts: number; dts: number; size: number }[];
  const path = `/tmp/camrelay-ts-${process.pid}.ts`;

  before(() => {
    // H.264 with two B-frames and a big first keyframe (over 64 KiB: no PES length), and AAC beside it.
    ts = ffmpeg([
      ...[
        '-f',
        'lavfi',
        '-i',
        'testsrc2=size=640x480:rate=30',
        '-f',
        'lavfi',
        '-i',
        'sine=frequency=440:sample_rate=16000',
      ],
      ...[
        '-t',
        '2',
        '-c:v',
        'libx264',
        '-preset',
        'ultrafast',
        '-bf',
        '2',
        '-g',
        '30',
        '-x264-params',
        'keyint_min=30',
      ],
      ...['-b:v', '3M', '-c:a', 'aac', '-omit_video_pes_length', '0', '-f', 'mpegts', '-y', path],
    ]);
    ts = new Uint8Array(execFileSync('cat', [path]));
    video = probePackets(path, 'v:0');
    audio = probePackets(path, 'a:0');
  });

  it('gives every video PES as one unit with the PTS and DTS ffprobe reads, B-frames reordered', () => {
    const { units, demuxer } = demux(ts);
    const v = units.filter((u) => u.codec === 'h264');
    assert.equal(v.length, video.length);
    assert.deepEqual(
      v.map((u) => [u.pts, u.dts, u.data.length]),
      video.map((p) => [p.pts, p.dts, p.size]),
    );
    assert.ok(
      v.some((u) => u.pts! > u.dts!),
      'B-frames: some pts after their dts',
    );
    assert.ok(v[0]!.randomAccess, 'the first keyframe is a random access point');
    assert.equal(demuxer.counters.continuityErrors, 0);
    assert.equal(demuxer.counters.resyncBytes, 0);
    assert.deepEqual(
      demuxer.streams.map((s) => s.codec),
      ['h264', 'aac'],
    );
  });

  it('gives the audio PES (ADTS AAC) of the same stream, with their PTS', () => {
    const { units } = demux(ts);
    const a = units.filter((u) => u.codec === 'aac');
    assert.ok(a.length > 0);
    for (const u of a) assert.deepEqual([u.data[0], u.data[1]! & 0xf6], [0xff, 0xf0], 'an ADTS header');
    // ffmpeg packs several AAC frames in a PES: its PTS is the first's.
    const probed = new Set(audio.map((p) => p.pts));
    for (const u of a) assert.ok(probed.has(u.pts!), `pts ${u.pts}`);
  });

  it('cut anywhere, gives the same units', () => {
    const whole = demux(ts).units;
    for (const chunk of [1, 187, 189, 1000]) {
      const cut = demux(ts, chunk).units;
      assert.equal(cut.length, whole.length, `chunk ${chunk}`);
      cut.forEach((u, i) => {
        assert.equal(u.pts, whole[i]!.pts);
        assert.deepEqual(u.data, whole[i]!.data);
      });
    }
  });

  it('hands a PES out as soon as its last packet is in, without waiting for the next one', () => {
    // Feed packet by packet; after the packet that ends each video PES, that PES must be out.
    const units: TsUnit[] = [];
    const demuxer = new TsDemuxer((u) => units.push(u), { maxPesBytes: MAX, endOnStuffing: true });
    let starts = 0;
    let seenAtStart = 0;
    for (let i = 0; i < ts.length; i += TS_PACKET_SIZE) {
      const p = ts.subarray(i, i + TS_PACKET_SIZE);
      const pid = ((p[1]! & 0x1f) << 8) | p[2]!;
      if (pid === 0x100 && p[1]! & 0x40) {
        // A new video PES begins: every earlier video PES has been handed out already.
        assert.equal(units.filter((u) => u.codec === 'h264').length, starts, `before PES ${starts}`);
        seenAtStart++;
        starts++;
      }
      demuxer.push(p);
    }
    assert.equal(seenAtStart, video.length);
  });

  it('without endOnStuffing, a PES without a length waits for the next one (and flush)', () => {
    const { units } = demux(ts, ts.length, false);
    assert.equal(units.filter((u) => u.codec === 'h264').length, video.length);
  });

  it('resyncs after garbage, drops a PES that lost packets, and never throws on random bytes', () => {
    const random = seededRandom(7);
    const junk = Uint8Array.from({ length: 1000 }, () => Math.floor(random() * 256));
    const clean = demux(ts).units.length;
    const { units, demuxer } = demux(join([junk, ts]), 4096);
    assert.equal(units.length, clean);
    assert.ok(demuxer.counters.resyncBytes >= 1000);

    // Take out one video packet in the middle of a PES: that PES is dropped, the rest come.
    const copy = ts.slice();
    let removeAt = -1;
    for (let i = TS_PACKET_SIZE * 40; i < copy.length; i += TS_PACKET_SIZE) {
      const pid = ((copy[i + 1]! & 0x1f) << 8) | copy[i + 2]!;
      if (pid === 0x100 && !(copy[i + 1]! & 0x40)) {
        removeAt = i;
        break;
      }
    }
    const gap = join([copy.subarray(0, removeAt), copy.subarray(removeAt + TS_PACKET_SIZE)]);
    const lost = demux(gap);
    assert.equal(lost.demuxer.counters.continuityErrors, 1);
    assert.equal(lost.demuxer.counters.droppedPes, 1);
    assert.equal(lost.units.length, clean - 1);

    for (let seed = 1; seed <= 20; seed++) {
      const r = seededRandom(seed);
      const mangled = ts.slice(0, 64 * TS_PACKET_SIZE);
      for (let k = 0; k < 200; k++) mangled[Math.floor(r() * mangled.length)] = Math.floor(r() * 256);
      demux(mangled, 1 + Math.floor(r() * 3000)); // must not throw
      demux(Uint8Array.from({ length: 5000 }, () => (r() < 0.3 ? 0x47 : Math.floor(r() * 256))));
    }
  });

  it('drops a PES over maxPesBytes and goes on', () => {
    const units: TsUnit[] = [];
    const demuxer = new TsDemuxer((u) => units.push(u), { maxPesBytes: 20_000, endOnStuffing: true });
    demuxer.push(ts);
    demuxer.flush();
    const v = units.filter((u) => u.codec === 'h264');
    assert.ok(demuxer.counters.droppedPes >= 1, 'the first keyframe is over 20 kB');
    assert.ok(v.length > 0 && v.length < video.length);
    assert.ok(v.every((u) => u.data.length <= 20_000));
  });
});

describe('TsDemuxer on hand-made packets', () => {
  it('unwraps PTS and DTS across the 33-bit wrap', () => {
    const near = 2 ** 33 - 3000;
    const packets = [
      ...PROGRAM,
      tsPacket(0x100, true, 0, pes([1, 2, 3], near + 6000 - 2 ** 33, near)),
      tsPacket(0x100, true, 1, pes([4], 3000, 0)),
      tsPacket(0x100, true, 2, pes([5], 9000, 3000)),
    ];
    const { units } = demux(join(packets));
    assert.deepEqual(
      units.map((u) => [u.dts, u.pts]),
      [
        [near, near + 6000],
        [2 ** 33, 2 ** 33 + 3000],
        [2 ** 33 + 3000, 2 ** 33 + 9000],
      ],
    );
    assert.deepEqual([...units[0]!.data], [1, 2, 3]);
  });

  it('a PES without timestamps has none; a PES with a PTS alone has dts = pts', () => {
    const { units } = demux(
      join([...PROGRAM, tsPacket(0x100, true, 0, pes([9])), tsPacket(0x100, true, 1, pes([8], 4500))]),
    );
    assert.deepEqual(
      units.map((u) => [u.pts, u.dts]),
      [
        [undefined, undefined],
        [4500, 4500],
      ],
    );
  });

  it('a PES whose length is unset ends at a stuffed packet with endOnStuffing, else at the next start', () => {
    const body = Array.from({ length: 300 }, (_, i) => i & 0xff);
    const whole = pes(body, 90_000, undefined, false);
    const first = tsPacket(0x100, true, 0, whole.subarray(0, 184));
    const last = tsPacket(0x100, false, 1, whole.subarray(184), true);
    const units: TsUnit[] = [];
    const demuxer = new TsDemuxer((u) => units.push(u), { maxPesBytes: MAX, endOnStuffing: true });
    demuxer.push(join([...PROGRAM, first, last]));
    assert.equal(units.length, 1);
    assert.deepEqual([...units[0]!.data], body);
    const late: TsUnit[] = [];
    const waiting = new TsDemuxer((u) => late.push(u), { maxPesBytes: MAX });
    waiting.push(join([...PROGRAM, first, last]));
    assert.equal(late.length, 0);
    waiting.push(tsPacket(0x100, true, 2, pes([1], 93_000)));
    assert.deepEqual(
      late.map((u) => u.pts),
      [90_000, 93_000],
      'the next PES ends the first (and, its length declared, itself)',
    );
  });

  it('ignores packets of PIDs the PMT does not list, and a duplicate packet', () => {
    const p = tsPacket(0x100, true, 0, pes([7], 100));
    const { units } = demux(join([...PROGRAM, tsPacket(0x200, true, 0, pes([1], 1)), p, p]));
    assert.equal(units.length, 1);
  });

  it('reads the stream types of a PMT, Opus and HEVC by their registration descriptors', () => {
    const section = pmt([
      { type: 0x24, pid: 0x100 },
      { type: 0x0f, pid: 0x101 },
      { type: 0x06, pid: 0x102, descriptors: [0x05, 4, 0x4f, 0x70, 0x75, 0x73, 0x7f, 2, 0x80, 1] },
      { type: 0x06, pid: 0x103, descriptors: [0x05, 4, 0x48, 0x45, 0x56, 0x43] },
      { type: 0x90, pid: 0x104 },
    ]);
    assert.deepEqual(
      parsePmt(section).map((s) => [s.pid, s.codec]),
      [
        [0x100, 'h265'],
        [0x101, 'aac'],
        [0x102, 'opus'],
        [0x103, 'h265'],
        [0x104, undefined],
      ],
    );
    assert.throws(() => parsePmt(section.subarray(0, 12)), { name: 'CodecError' });
  });

  it('parses PES headers and refuses bad ones with a CodecError', () => {
    const h = parsePesHeader(pes([1, 2], 2 ** 32 + 5, 2 ** 32 + 1));
    assert.deepEqual([h.pts, h.dts, h.payloadOffset], [2 ** 32 + 5, 2 ** 32 + 1, 19]);
    assert.throws(() => parsePesHeader(Uint8Array.from([0, 0, 2, 0xe0, 0, 0])), { name: 'CodecError' });
    assert.throws(() => parsePesHeader(Uint8Array.from([0, 0, 1, 0xe0, 0, 0, 0x80, 0x80, 2, 0x21])), {
      name: 'CodecError',
    });
  });

  it('TimestampUnwrapper keeps going forward past the wrap and back across it', () => {
    const u = new TimestampUnwrapper();
    assert.equal(u.unwrap(2 ** 33 - 10), 2 ** 33 - 10);
    assert.equal(u.unwrap(5), 2 ** 33 + 5);
    assert.equal(u.unwrap(2 ** 33 - 1), 2 ** 33 - 1, 'a B-frame just before the wrap');
  });
});
