/**
 * Progressive MP4 (src/codec/mp4/progressive.ts): header + sample bytes make a file that ffprobe
 * reads without a word, that decodes to the same frames as the raw stream, with the durations
 * asked for (held frames), B-frames through ctts and an edit list, and co64 past 4 GiB.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { CodecError } from '../../../src/codec/errors.js';
import { toAvc } from '../../../src/codec/h264/nal.js';
import { findPath, readBoxes } from '../../../src/codec/mp4/boxes.js';
import { bytesAccess, readFragments } from '../../../src/codec/mp4/fragments.js';
import { progressiveHeader, type ProgressiveOptions } from '../../../src/codec/mp4/progressive.js';
import { concat, encodedTrack, ffmpeg, ffmpegDecode, ffmpegH264, type EncodeOptions } from '../fixtures.js';

const dir = mkdtempSync(join(tmpdir(), 'camrelay-progressive-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function ffprobe(args: string[]): string {
  return execFileSync('ffprobe', ['-v', 'error', ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** ffprobe's complaints about a file, reading every packet: '' when clean. */
function probeErrors(path: string): string {
  try {
    execFileSync('ffprobe', ['-v', 'error', '-show_packets', '-of', 'compact', path], {
      stdio: ['ignore', 'ignore', 'pipe'],
      encoding: 'utf8',
    });
    return '';
  } catch (error) {
    return (error as { stderr?: string }).stderr ?? String(error);
  }
}

function probeDuration(path: string): number {
  return Number(ffprobe(['-show_entries', 'format=duration', '-of', 'csv=p=0', path]).trim());
}

interface Made {
  path: string;
  options: ProgressiveOptions;
  samples: Uint8Array[];
}

function make(name: string, encode: EncodeOptions, tune: (o: ProgressiveOptions) => void = () => {}): Made {
  const track = encodedTrack(encode);
  const samples = track.aus.map((au) => toAvc(au.nalus));
  const options: ProgressiveOptions = {
    width: track.width,
    height: track.height,
    avcC: track.avcC,
    timescale: 45000,
    sizes: samples.map((s) => s.length),
    durations: samples.map(() => 1500),
    keyframes: track.aus.map((au) => (au.keyframe ? 1 : 0)),
    creationTimeMs: Date.UTC(2026, 11, 1),
  };
  tune(options);
  const { header, payloadLength } = progressiveHeader(options);
  assert.equal(
    payloadLength,
    samples.reduce((n, s) => n + s.length, 0),
  );
  const path = join(dir, `${name}.mp4`);
  writeFileSync(path, concat([header, ...samples]));
  return { path, options, samples };
}

describe('progressiveHeader', () => {
  it('makes a plain MP4, moov first, that ffprobe reads cleanly and decodes to the raw stream', () => {
    const encode = { width: 320, height: 240, frames: 60, gop: 15 };
    const { path } = make('plain', encode);
    const raw = join(dir, 'plain.h264');
    writeFileSync(raw, ffmpegH264(encode));
    assert.equal(probeErrors(path), '');
    const file = new Uint8Array(execFileSync('cat', [path]));
    assert.deepEqual(
      readBoxes(file).map((b) => b.type),
      ['ftyp', 'moov', 'mdat'],
    );
    assert.ok(findPath(file, ['moov', 'trak', 'mdia', 'minf', 'stbl', 'stss']), 'keyframes listed');
    assert.ok(findPath(file, ['moov', 'trak', 'mdia', 'minf', 'stbl', 'stco']));
    const decoded = ffmpegDecode(path);
    assert.equal(decoded.stderr, '');
    assert.deepEqual(decoded.frames, ffmpegDecode(raw, 'h264').frames);
    assert.equal(probeDuration(path), 2);
    const stream = ffprobe([
      '-select_streams',
      'v',
      '-show_entries',
      'stream=width,height,nb_frames',
      '-of',
      'json',
      path,
    ]);
    assert.deepEqual(JSON.parse(stream).streams[0], { width: 320, height: 240, nb_frames: '60' });
  });

  it('holds a frame: a long duration is a gap the picture stays through', () => {
    const { path } = make('held', { width: 160, height: 120, frames: 30, gop: 10 }, (o) => {
      const durations = Array.from(o.durations);
      durations[14] = 45000 * 3600; // one hour
      o.durations = durations;
    });
    assert.equal(probeErrors(path), '');
    assert.ok(Math.abs(probeDuration(path) - (29 * 1500 + 45000 * 3600) / 45000) < 0.002);
    const pts = ffprobe(['-select_streams', 'v', '-show_entries', 'packet=pts_time', '-of', 'csv=p=0', path])
      .trim()
      .split('\n')
      .map(Number);
    assert.equal(pts[15]! - pts[14]!, 3600);
  });

  it('B-frames: ctts and an edit list, and the frames decode in order', async () => {
    // libx264 with B-frames straight into a fragmented MP4: its samples and composition offsets.
    const fragmented = ffmpeg([
      '-f',
      'lavfi',
      '-i',
      'testsrc2=size=160x120:rate=30',
      '-frames:v',
      '30',
      '-c:v',
      'libx264',
      '-g',
      '10',
      '-bf',
      '2',
      '-sc_threshold',
      '0',
      '-video_track_timescale',
      '45000',
      '-movflags',
      'frag_keyframe+empty_moov+default_base_moof',
      '-f',
      'mp4',
      'pipe:1',
    ]);
    const fragPath = join(dir, 'b-fragmented.mp4');
    writeFileSync(fragPath, fragmented);
    const parsed = await readFragments(bytesAccess(fragmented));
    assert.equal(parsed.timescale, 45000);
    const samples = parsed.fragments.flatMap((f) => f.samples);
    assert.ok(
      samples.some((s) => s.compositionOffset !== samples[0]!.compositionOffset),
      'the stream has B-frames',
    );
    const { header } = progressiveHeader({
      width: parsed.width,
      height: parsed.height,
      avcC: parsed.description,
      timescale: parsed.timescale,
      sizes: samples.map((s) => s.size),
      durations: samples.map((s) => s.duration),
      keyframes: samples.map((s) => (s.keyframe ? 1 : 0)),
      compositionOffsets: samples.map((s) => s.compositionOffset),
    });
    const path = join(dir, 'bframes.mp4');
    writeFileSync(path, concat([header, ...samples.map((s) => fragmented.subarray(s.offset, s.offset + s.size))]));
    assert.equal(probeErrors(path), '');
    const ours = ffmpegDecode(path);
    assert.equal(ours.stderr, '');
    assert.equal(ours.frames.length, 30);
    assert.deepEqual(ours.frames, ffmpegDecode(fragPath).frames);
    const file = new Uint8Array(execFileSync('cat', [path]));
    assert.ok(findPath(file, ['moov', 'trak', 'mdia', 'minf', 'stbl', 'ctts']));
    assert.ok(findPath(file, ['moov', 'trak', 'edts', 'elst']));
    const first = ffprobe(['-select_streams', 'v', '-show_entries', 'frame=pts_time', '-of', 'csv=p=0', path])
      .trim()
      .split('\n')[0]!;
    assert.equal(parseFloat(first), 0, 'the first picture is shown at time 0');
  });

  it('past 4 GiB: co64 chunk offsets and a 64-bit mdat (a sparse file)', () => {
    const track = encodedTrack({ width: 160, height: 120, frames: 20, gop: 10 });
    const real = track.aus.map((au) => toAvc(au.nalus));
    const filler = 100 * 1024 * 1024;
    const fillers = 45; // 4.4 GiB of samples nobody decodes
    const sizes = [
      ...real.slice(0, 10).map((s) => s.length),
      ...Array(fillers).fill(filler),
      ...real.slice(10).map((s) => s.length),
    ];
    const keyframes = [
      ...track.aus.slice(0, 10).map((a) => (a.keyframe ? 1 : 0)),
      ...Array(fillers).fill(0),
      1,
      ...Array(9).fill(0),
    ];
    const { header, payloadLength } = progressiveHeader({
      width: track.width,
      height: track.height,
      avcC: track.avcC,
      timescale: 45000,
      sizes,
      durations: sizes.map(() => 1500),
      keyframes,
    });
    assert.ok(payloadLength > 2 ** 32);
    const file = header; // the header only: its boxes (the mdat's is the last 16 bytes)
    const moov = readBoxes(file, 0, file.length - 16).find((b) => b.type === 'moov')!;
    const stbl = findPath(file.subarray(0, moov.end), ['moov', 'trak', 'mdia', 'minf', 'stbl'])!;
    const types = readBoxes(file, stbl.start + 8, stbl.end).map((b) => b.type);
    assert.ok(types.includes('co64') && !types.includes('stco'), types.join());
    const path = join(dir, 'big.mp4');
    const fd = openSync(path, 'w');
    try {
      let at = 0;
      const write = (bytes: Uint8Array): void => {
        writeSync(fd, bytes, 0, bytes.length, at);
        at += bytes.length;
      };
      write(header);
      for (const s of real.slice(0, 10)) write(s);
      at += filler * fillers; // a hole
      for (const s of real.slice(10)) write(s);
    } finally {
      closeSync(fd);
    }
    // The last chunk (the second GOP) starts past 4 GiB, where its first sample was written.
    const co64 = readBoxes(file, stbl.start + 8, stbl.end).find((b) => b.type === 'co64')!;
    const view = new DataView(file.buffer, file.byteOffset);
    assert.equal(view.getUint32(co64.start + 12), 2); // a chunk per GOP (the filler is in the first)
    const lastChunk = Number(view.getBigUint64(co64.start + 16 + 8));
    assert.equal(lastChunk, header.length + payloadLength - real.slice(10).reduce((n, s) => n + s.length, 0));
    assert.ok(lastChunk > 2 ** 32);
    const streams = ffprobe(['-show_entries', 'stream=nb_frames', '-of', 'csv=p=0', path]);
    assert.equal(streams.trim(), '65');
    // The second GOP, past 4 GiB, decodes (seek there, decode its ten frames).
    const t = (10 + fillers) * (1500 / 45000);
    const out = execFileSync('ffmpeg', ['-v', 'error', '-ss', String(t), '-i', path, '-f', 'framemd5', '-'], {
      encoding: 'utf8',
    });
    assert.equal(out.split('\n').filter((l) => l && !l.startsWith('#')).length >= 10, true);
  });

  it('rejects what it cannot write', () => {
    const track = encodedTrack({ width: 160, height: 120, frames: 2, gop: 10 });
    const base: ProgressiveOptions = {
      width: track.width,
      height: track.height,
      avcC: track.avcC,
      timescale: 45000,
      sizes: [100, 100],
      durations: [1500, 1500],
      keyframes: [1, 0],
    };
    assert.throws(() => progressiveHeader({ ...base, sizes: [], durations: [], keyframes: [] }), CodecError);
    assert.throws(() => progressiveHeader({ ...base, keyframes: [0, 1] }), CodecError);
    assert.throws(() => progressiveHeader({ ...base, durations: [2 ** 32, 1] }), CodecError);
    assert.throws(() => progressiveHeader({ ...base, sizes: [100] }), CodecError);
    assert.throws(() => progressiveHeader({ ...base, avcC: new Uint8Array([1, 2, 3]) }), CodecError);
  });
});
