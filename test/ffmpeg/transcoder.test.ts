/**
 * The transcoder (src/ffmpeg/transcoder.ts) with real ffmpeg: JPEGs in, H.264 out that
 * ffmpeg decodes without a single error; H.264 in, valid JPEGs of the right size out. push() never
 * blocks: a thousand units pushed at once leave a bounded backlog, the rest dropped and counted,
 * and what comes out still decodes. A new picture size restarts ffmpeg; malformed input is dropped;
 * an ffmpeg that dies ends the transcoder with a reason. Each unit's pts comes out on its output.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { avcToAnnexB } from '../../src/codec/h264/nal.js';
import { jpegConfig } from '../../src/media/jpeg.js';
import { NalStream } from '../../src/codec/nal-stream.js';
import { nalSourceUnit, tsPacketParser, type PacketTime } from '../../src/ffmpeg/output.js';
import { locateFfmpeg } from '../../src/ffmpeg/locate.js';
import { createTranscoder, type Transcoder } from '../../src/ffmpeg/transcoder.js';
import { readJpegSize } from '../../src/codec/jpeg.js';
import { MpjpegParser } from '../../src/ffmpeg/mpjpeg-parser.js';
import type { SourceUnit } from '../../src/media/index.js';
import { ffmpegH264 } from '../codec/fixtures.js';
import { decodeJpeg, ffmpegChildren, quietLogger, sleep, waitFor } from '../support/index.js';

const log = quietLogger();

/** Real, different JPEG pictures from ffmpeg's test pattern. */
function jpegs(count: number, width = 320, height = 240): Buffer[] {
  const out = execFileSync(locateFfmpeg().path, [
    '-hide_banner',
    '-loglevel',
    'error',
    '-f',
    'lavfi',
    '-i',
    `testsrc2=size=${width}x${height}:rate=25`,
    '-frames:v',
    String(count),
    '-c:v',
    'mjpeg',
    '-q:v',
    '5',
    '-f',
    'mpjpeg',
    'pipe:1',
  ]);
  const frames: Buffer[] = [];
  new MpjpegParser((j) => frames.push(j)).push(out);
  return frames;
}

function jpegUnit(jpeg: Buffer): SourceUnit {
  const size = readJpegSize(jpeg)!;
  return { config: jpegConfig(size.width, size.height), keyframe: true, data: jpeg };
}

/** H.264 units as an H.264 camera gives them. */
function h264Units(frames: number, gop: number, width = 320, height = 240): SourceUnit[] {
  const units: SourceUnit[] = [];
  const stream = new NalStream((u) => units.push(nalSourceUnit(u)), {
    maxAccessUnitBytes: 1 << 20,
    log,
    label: 'fixture',
    onFatal: (r) => assert.fail(r),
  });
  stream.push(Buffer.from(ffmpegH264({ width, height, frames, gop, aud: true })));
  stream.flush();
  return units;
}

/** H.264 units with B-frames (decode order), each with its pts and dts, as an RTSP camera's come. */
function bframeUnits(frames: number): SourceUnit[] {
  const ts = execFileSync(locateFfmpeg().path, [
    ...['-v', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=25', '-frames:v', String(frames)],
    ...['-c:v', 'libx264', '-bf', '2', '-g', '25', '-f', 'mpegts', 'pipe:1'],
  ]);
  const units: SourceUnit[] = [];
  const time: PacketTime = {};
  const stream = new NalStream((u) => units.push(nalSourceUnit(u, time)), {
    maxAccessUnitBytes: 1 << 20,
    log,
    label: 'fixture',
    onFatal: (r) => assert.fail(r),
  });
  tsPacketParser(stream, 1 << 20, time).push(ts);
  stream.flush();
  return units;
}

/** ffmpeg's errors decoding H.264 units written out as Annex B: '' when clean. */
function decodeErrors(units: SourceUnit[]): { errors: string; frames: number } {
  const annexB = Buffer.concat(units.map((u) => Buffer.from(avcToAnnexB(u.data))));
  const errors = execFileSync(
    locateFfmpeg().path,
    ['-v', 'error', '-f', 'h264', '-i', 'pipe:0', '-f', 'framemd5', 'pipe:1'],
    { input: annexB, encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'] },
  );
  const frames = errors.split('\n').filter((l) => /^\s*0,/.test(l)).length;
  const stderr = execFileSync(locateFfmpeg().path, ['-v', 'error', '-f', 'h264', '-i', 'pipe:0', '-f', 'null', '-'], {
    input: annexB,
    encoding: 'utf8',
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  return { errors: stderr, frames };
}

function run(t: Transcoder) {
  const units: SourceUnit[] = [];
  const ended: string[] = [];
  t.start({ unit: (u) => units.push(u), ended: (r) => ended.push(r) });
  return { units, ended };
}

/** Pushes the units one each `ms`, stopping early once `enough()` holds. */
async function paced(t: Transcoder, units: SourceUnit[], ms: number, enough = () => false): Promise<void> {
  for (const u of units) {
    if (enough()) return;
    t.push(u);
    await sleep(ms);
  }
}

/**
 * Pushes the units one each `ms`, round and round, until `enough()` holds (or `timeoutMs` passes: an error
 * naming `what`). A transcoder drops what comes while its ffmpeg starts (a bounded backlog), however long
 * that takes on a busy machine: a test that needs outputs keeps feeding, as a camera does.
 */
async function feedUntil(
  t: Transcoder,
  units: SourceUnit[],
  ms: number,
  enough: () => boolean,
  timeoutMs: number,
  what: string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (let i = 0; !enough(); i++) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    t.push(units[i % units.length]!);
    await sleep(ms);
  }
}

describe('transcoder', () => {
  it('encodes JPEGs to H.264 that decodes without an error', async () => {
    const pictures = jpegs(40);
    const t = createTranscoder('h264', { label: 'cam', encoder: 'auto', keyframeInterval: 1, fps: 33 }, log);
    const out = run(t);
    let pushed = 0;
    try {
      // Until the encoder runs (the `auto` probe, ffmpeg starting) at most 3 JPEGs wait and older ones are
      // dropped: feed the pictures round and round, one each 30 ms, until 30 came out.
      const deadline = Date.now() + 20_000;
      while (out.units.length < 30) {
        if (Date.now() > deadline) assert.fail(`timed out waiting for 30 H.264 units (got ${out.units.length})`);
        await paced(t, [jpegUnit(pictures[pushed++ % pictures.length]!)], 30);
      }
    } finally {
      await t.stop();
    }
    assert.deepEqual(out.ended, []);
    assert.ok(out.units[0]!.keyframe, 'the first unit is a keyframe');
    const config = out.units[0]!.config;
    assert.equal(config.codec, 'h264');
    assert.deepEqual([config.width, config.height], [320, 240]);
    assert.ok(config.description && config.description.length > 10);
    assert.ok(out.units.every((u) => u.config === config));
    const keyframes = out.units.filter((u) => u.keyframe).length;
    assert.ok(keyframes >= 1 && keyframes < out.units.length / 3, `${keyframes} keyframes: by time, not every frame`);
    const decoded = decodeErrors(out.units);
    assert.equal(decoded.errors, '');
    assert.equal(decoded.frames, out.units.length);
    assert.equal(t.counters.unitsOut, out.units.length);
    assert.equal(t.counters.unitsIn, pushed);
  });

  it("carries each input unit's pts through to its output, whenever ffmpeg reads it (JPEG to H.264, H.264 to JPEG)", async () => {
    // 15 fps on the input's clock (far from zero, as a track's are), pushed unevenly: 5 ms, then 120 ms apart.
    const start = Math.round(Date.now() * 90);
    const jpegIn = jpegs(20).map((j, i) => ({ ...jpegUnit(j), pts: start + i * 6000 }));
    const h264In = h264Units(20, 10).map((u, i) => ({ ...u, pts: start + i * 6000 }));
    const toH264 = createTranscoder('h264', { label: 'cam', encoder: 'libx264' }, log);
    const toJpeg = createTranscoder('jpeg', { label: 'cam' }, log);
    const h264Out = run(toH264);
    const jpegOut = run(toJpeg);
    const uneven = async (t: Transcoder, units: SourceUnit[]) => {
      for (const [i, u] of units.entries()) {
        t.push(u);
        await sleep(i % 2 ? 120 : 5);
      }
    };
    try {
      await Promise.all([uneven(toH264, jpegIn), uneven(toJpeg, h264In)]);
      await waitFor(() => h264Out.units.length >= 18 && jpegOut.units.length >= 18, 20_000, 'units out');
    } finally {
      await Promise.all([toH264.stop(), toJpeg.stop()]);
    }
    assert.deepEqual([...h264Out.ended, ...jpegOut.ended], []);
    const expected = (units: SourceUnit[]) => units.map((_, i) => start + i * 6000);
    assert.deepEqual(
      h264Out.units.map((u) => u.pts),
      expected(h264Out.units),
    );
    assert.deepEqual(
      h264Out.units.map((u) => u.dts),
      expected(h264Out.units),
      'no B-frames: decode times are the pts',
    );
    assert.deepEqual(
      jpegOut.units.map((u) => u.pts),
      expected(jpegOut.units),
    );
    assert.equal(decodeErrors(h264Out.units).errors, '');
  });

  it("a B-frame camera's sub-stream: its pictures in display order, each at its input's pts", async () => {
    const base = 1e12; // far from zero, as a track's times are
    const input = bframeUnits(40).map((u) => ({ ...u, pts: u.pts! + base, dts: u.dts! + base }));
    assert.ok(
      input.some((u, i) => i > 0 && u.pts < input[i - 1]!.pts),
      'the input has B-frames',
    );
    const t = createTranscoder('h264', { label: 'cam', from: 'h264', maxWidth: 160, fps: 25 }, log);
    const out = run(t);
    try {
      await paced(t, input, 20);
      await waitFor(() => out.units.length >= 35, 20_000, 'sub-stream units');
    } finally {
      await t.stop();
    }
    const shown = input.map((u) => u.pts).sort((a, b) => a - b);
    assert.deepEqual(
      out.units.map((u) => u.pts),
      shown.slice(0, out.units.length),
    );
    assert.equal(decodeErrors(out.units).errors, '');
  });

  it('makes a sub-stream: H.264 (or JPEG) to a 640-wide H.264, the aspect kept, keyframes by time', async () => {
    const input = h264Units(45, 15, 1280, 720);
    const t = createTranscoder('h264', { label: 'cam', from: 'h264', maxWidth: 640, bitrate: 400, fps: 33 }, log);
    const out = run(t);
    const fromJpeg = createTranscoder('h264', { label: 'cam', maxWidth: 640, bitrate: 400, fps: 33 }, log);
    const jpegOut = run(fromJpeg);
    try {
      await Promise.all([paced(t, input, 30), paced(fromJpeg, jpegs(30, 800, 600).map(jpegUnit), 30)]);
      await waitFor(() => out.units.length >= 35 && jpegOut.units.length >= 20, 20_000, 'sub-stream units');
    } finally {
      await Promise.all([t.stop(), fromJpeg.stop()]);
    }
    assert.deepEqual([...out.ended, ...jpegOut.ended], []);
    assert.ok(out.units[0]!.keyframe);
    assert.deepEqual([out.units[0]!.config.width, out.units[0]!.config.height], [640, 360]);
    assert.deepEqual([jpegOut.units[0]!.config.width, jpegOut.units[0]!.config.height], [640, 480]);
    const keyframes = out.units.filter((u) => u.keyframe).length;
    assert.ok(keyframes < out.units.length / 3, `${keyframes} keyframes: by time, not every frame`);
    assert.equal(decodeErrors(out.units).errors, '');
    assert.equal(decodeErrors(jpegOut.units).errors, '');
  });

  it('decodes H.264 to valid JPEGs of the right size', async () => {
    const input = h264Units(30, 10, 320, 240);
    const t = createTranscoder('jpeg', { label: 'cam', quality: 70 }, log);
    const out = run(t);
    try {
      await paced(t, input, 30, () => out.units.length >= 20);
      await waitFor(() => out.units.length >= 20, 20_000, '20 JPEGs');
    } finally {
      await t.stop();
    }
    assert.deepEqual(out.ended, []);
    // A new viewer's transcoder gets the cached group of pictures at once: all of it is decoded.
    const burst = createTranscoder('jpeg', { label: 'cam' }, log);
    const burstOut = run(burst);
    try {
      for (const u of input.slice(10, 20)) burst.push(u);
      await waitFor(() => burstOut.units.length >= 10, 20_000, 'the whole GOP decoded');
    } finally {
      await burst.stop();
    }
    assert.equal(burst.counters.dropped, 0);
    for (const u of out.units) {
      assert.equal(u.config.codec, 'jpeg');
      assert.ok(u.keyframe);
      const image = decodeJpeg(u.data);
      assert.deepEqual([image.width, image.height, u.config.width, u.config.height], [320, 240, 320, 240]);
    }
  });

  it('never blocks: a thousand units at once leave a bounded backlog, drops counted, output decodable', async () => {
    const pictures = jpegs(25).map(jpegUnit);
    const t = createTranscoder('h264', { label: 'cam', encoder: 'libx264', maxBacklogUnits: 3 }, log);
    const out = run(t);
    try {
      let most = 0;
      for (let i = 0; i < 1000; i++) {
        t.push(pictures[i % pictures.length]!);
        most = Math.max(most, t.backlog.units);
      }
      assert.ok(most <= 3, `backlog of ${most} units`);
      assert.equal(t.counters.unitsIn, 1000);
      assert.ok(t.counters.dropped >= 900, `${t.counters.dropped} dropped`);
      // Then at a pace ffmpeg keeps up with.
      await paced(t, pictures, 40, () => out.units.length >= 10);
      await waitFor(() => out.units.length >= 10, 20_000, 'units after the burst');
    } finally {
      await t.stop();
    }
    assert.deepEqual(out.ended, []);
    assert.equal(decodeErrors(out.units).errors, '');

    // H.264 in: after a drop, nothing until the next keyframe, so the decoder never sees a gap.
    const input = h264Units(60, 15);
    const j = createTranscoder('jpeg', { label: 'cam', maxBacklogUnits: 2 }, log);
    const jpegOut = run(j);
    try {
      for (let i = 0; i < 1000; i++) j.push(input[i % input.length]!);
      assert.ok(j.backlog.units <= 2);
      assert.ok(j.counters.dropped >= 900);
      await paced(j, input, 30, () => jpegOut.units.length >= 10);
      await waitFor(() => jpegOut.units.length >= 10, 20_000, 'JPEGs after the burst');
    } finally {
      await j.stop();
    }
    assert.deepEqual(jpegOut.ended, []);
    for (const u of jpegOut.units) assert.equal(decodeJpeg(u.data).width, 320);
  });

  it('restarts for a new picture size, and drops malformed H.264', async () => {
    const t = createTranscoder('h264', { label: 'cam', encoder: 'libx264' }, log);
    const out = run(t);
    try {
      await feedUntil(
        t,
        jpegs(10, 320, 240).map(jpegUnit),
        40,
        () => out.units.length >= 5,
        20_000,
        'units at 320x240',
      );
      const smaller = jpegs(15, 160, 120).map(jpegUnit);
      await feedUntil(t, smaller, 40, () => out.units.some((u) => u.config.width === 160), 20_000, 'units at 160x120');
    } finally {
      await t.stop();
    }
    assert.equal(t.counters.restarts, 1);
    assert.deepEqual(out.ended, []);
    const small = out.units.findIndex((u) => u.config.width === 160);
    assert.ok(out.units[small]!.keyframe, 'the new size starts with a keyframe');
    assert.equal(out.units[small]!.config.height, 120);

    const input = h264Units(20, 10);
    const j = createTranscoder('jpeg', { label: 'cam' }, log);
    const jpegOut = run(j);
    try {
      // A keyframe whose first NAL length lies (runs past the end), then garbage: dropped, counted.
      const lying = Buffer.from(input[0]!.data);
      lying.writeUInt32BE(lying.length * 4, 0);
      j.push({ ...input[0]!, data: lying });
      j.push({ ...input[1]!, data: Buffer.from([0, 0, 0, 9, 1, 2]) });
      j.push({ config: jpegConfig(320, 240), keyframe: true, data: Buffer.alloc(200) }); // wrong codec
      await waitFor(() => j.counters.dropped === 3, 10_000, 'the three malformed units dropped');
      await paced(j, input, 30, () => jpegOut.units.length >= 10);
      await waitFor(() => jpegOut.units.length >= 10, 20_000, 'JPEGs after the malformed units');
    } finally {
      await j.stop();
    }
    assert.deepEqual(jpegOut.ended, []);
  });

  it('ends with a reason when its ffmpeg dies, and leaves no ffmpeg behind when stopped', async () => {
    const t = createTranscoder('h264', { label: 'cam', encoder: 'libx264' }, log);
    const out = run(t);
    const pictures = jpegs(5).map(jpegUnit);
    await paced(t, pictures, 40);
    await waitFor(() => t.pid, 10_000, 'ffmpeg running');
    process.kill(t.pid!, 'SIGKILL');
    await waitFor(() => out.ended.length === 1, 10_000, 'the transcoder to end');
    assert.match(out.ended[0]!, /^transcoder to h264: .*killed by SIGKILL/);
    // After its end, pushes are dropped, not queued.
    t.push(pictures[0]!);
    assert.equal(t.backlog.units, 0);
    // Started again (as the hub does, with backoff): it works again.
    const second = run(t);
    await feedUntil(t, pictures, 40, () => second.units.length >= 3, 20_000, 'units from the restarted transcoder');
    assert.ok(second.units[0]!.keyframe);
    await t.stop();

    // An ffmpeg that stops reading its input (here a stand-in that never reads): ended, saying so.
    const dir = mkdtempSync(join(tmpdir(), 'camrelay-stuck-'));
    const stuck = join(dir, 'ffmpeg');
    writeFileSync(stuck, '#!/bin/sh\ncase "$*" in *lavfi*) exit 0;; esac\nexec sleep 60\n', { mode: 0o755 });
    const s = createTranscoder('h264', { label: 'cam', encoder: 'libx264', binary: stuck, stallTimeoutMs: 300 }, log);
    const stuckOut = run(s);
    const big = { ...pictures[0]!, data: Buffer.concat([pictures[0]!.data, Buffer.alloc(300_000)]) };
    for (let i = 0; i < 100 && stuckOut.ended.length === 0; i++) {
      s.push(big);
      await sleep(50);
    }
    assert.match(stuckOut.ended[0] ?? '', /^transcoder to h264: ffmpeg took no input for 0\.3 s$/);
    assert.ok(s.backlog.units <= 3);
    await s.stop();

    const again = createTranscoder('jpeg', { label: 'cam' }, log);
    run(again);
    again.push(h264Units(2, 1)[0]!);
    await waitFor(() => again.pid, 10_000, 'ffmpeg running');
    const pid = again.pid!;
    assert.ok(ffmpegChildren().includes(pid));
    await again.stop();
    assert.ok(!ffmpegChildren().includes(pid), 'its ffmpeg is gone');
  });
});
