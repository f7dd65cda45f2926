/**
 * What the H.264 (and H.265) viewer tests check of what a codec-2 (codec-3) viewer received: avcC
 * (hvcC), keyframes, and a real decode.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAvcC } from '../../../src/codec/h264/avcc.js';
import { avcToAnnexB, joinAnnexB } from '../../../src/codec/h264/nal.js';
import { parseSps } from '../../../src/codec/h264/sps.js';
import { parseHvcC } from '../../../src/codec/h265/hvcc.js';
import { parseHevcSps } from '../../../src/codec/h265/sps.js';
import { locateFfmpeg } from '../../../src/ffmpeg/locate.js';
import type { TextMessage, V1Frame } from '../../support/index.js';

export interface ReceivedConfig {
  codec: string;
  width: number;
  height: number;
  /** H.265 only. */
  vps?: Uint8Array[];
  sps: Uint8Array[];
  pps: Uint8Array[];
}

/** The config message's avcC, parsed; its SPS's size is checked against the message's. */
export function checkConfig(message: TextMessage): ReceivedConfig {
  assert.equal(message.type, 'config');
  assert.equal(typeof message.description, 'string');
  const avcC = parseAvcC(Buffer.from(message.description as string, 'base64'));
  assert.ok(avcC.sps.length > 0 && avcC.pps.length > 0, 'SPS and PPS in the avcC');
  const sps = parseSps(avcC.sps[0]!);
  assert.equal(sps.width, message.width, 'SPS width = config width');
  assert.equal(sps.height, message.height, 'SPS height = config height');
  assert.match(message.codec as string, /^avc1\.[0-9A-Fa-f]{6}$/);
  return {
    codec: message.codec as string,
    width: sps.width,
    height: sps.height,
    sps: [...avcC.sps],
    pps: [...avcC.pps],
  };
}

/** The config message of an H.265 viewer: its hvcC, parsed; its SPS's size is checked against the message's. */
export function checkHevcConfig(message: TextMessage): ReceivedConfig {
  assert.equal(message.type, 'config');
  assert.equal(typeof message.description, 'string');
  const hvcC = parseHvcC(Buffer.from(message.description as string, 'base64'));
  assert.ok(hvcC.vps.length > 0 && hvcC.sps.length > 0 && hvcC.pps.length > 0, 'VPS, SPS and PPS in the hvcC');
  const sps = parseHevcSps(hvcC.sps[0]!);
  assert.equal(sps.width, message.width, 'SPS width = config width');
  assert.equal(sps.height, message.height, 'SPS height = config height');
  assert.match(message.codec as string, /^hvc1\.[A-C]?\d+\.[0-9A-F]+\.[LH]\d+(\.[0-9A-F]{2})+$/);
  return {
    codec: message.codec as string,
    width: sps.width,
    height: sps.height,
    vps: [...hvcC.vps],
    sps: [...hvcC.sps],
    pps: [...hvcC.pps],
  };
}

/** Every gap in the sequence numbers is followed by a keyframe, and the first unit is one. */
export function assertNoBrokenPicture(frames: V1Frame[]): void {
  assert.ok(frames.length > 0, 'units received');
  assert.equal(frames[0]!.flags & 1, 1, 'the first unit is a keyframe');
  for (let i = 1; i < frames.length; i++) {
    const gap = frames[i]!.seq !== (frames[i - 1]!.seq + 1) >>> 0;
    if (gap)
      assert.equal(frames[i]!.flags & 1, 1, `after a skip (${frames[i - 1]!.seq} → ${frames[i]!.seq}): a keyframe`);
  }
}

/**
 * Writes the units as an Annex B file (the config's parameter sets first) and decodes it with ffmpeg
 * (`format`: h264, or hevc for H.265); returns the number of pictures decoded. Fails on any decoder error.
 */
export function decodeWithFfmpeg(config: ReceivedConfig, frames: V1Frame[], format = 'h264'): number {
  const dir = mkdtempSync(join(tmpdir(), 'camrelay-h264-'));
  try {
    const file = join(dir, 'stream.h264');
    const sets = [...(config.vps ?? []), ...config.sps, ...config.pps];
    const parts = [joinAnnexB(sets), ...frames.map((f) => avcToAnnexB(f.jpeg))];
    writeFileSync(file, Buffer.concat(parts.map((p) => Buffer.from(p.buffer, p.byteOffset, p.byteLength))));
    const run = spawnSync(
      locateFfmpeg().path,
      ['-hide_banner', '-v', 'error', '-f', format, '-i', file, '-f', 'framemd5', '-'],
      { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
    );
    assert.equal(run.status, 0, `ffmpeg failed: ${run.stderr}`);
    assert.equal(run.stderr.trim(), '', `decoder errors: ${run.stderr}`);
    return run.stdout.split('\n').filter((l) => l && !l.startsWith('#')).length;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
