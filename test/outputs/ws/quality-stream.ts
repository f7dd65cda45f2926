/**
 * What the quality tests check of an H.264 viewer that may move between qualities: every message in the
 * order it came (a `config` or a `quality` between units), the stream cut into runs of one configuration,
 * and the whole stream decoded by real ffmpeg as one Annex B stream (each configuration's SPS/PPS where it
 * came), with zero errors.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { WebSocket } from 'ws';
import { avcToAnnexB, joinAnnexB } from '../../../src/codec/h264/nal.js';
import { decodeHeader } from '../../../src/wire/header.js';
import type { TextMessage } from '../../support/index.js';
import { locateFfmpeg } from '../../../src/ffmpeg/locate.js';
import { checkConfig, type ReceivedConfig } from './h264-viewer.js';

export interface OrderedUnit {
  seq: number;
  flags: number;
  capturedAt: number;
  /** Receipt, ms since the epoch (the same machine clock as capturedAt). */
  at: number;
  /** AVC access unit. */
  data: Buffer;
}

/** A text message with its receipt time, or a unit. */
export type Event = { text: TextMessage; at: number } | { unit: OrderedUnit };

export interface OrderedViewer {
  ws: WebSocket;
  events: Event[];
  /** Units received so far. */
  units(): OrderedUnit[];
  close(): void;
}

/** Opens a viewer that records every message in order from the first one, acking each unit as it comes. */
export function openOrdered(url: string): Promise<OrderedViewer> {
  const ws = new WebSocket(url);
  const events = recordOrdered(ws, [], true);
  ws.on('error', () => {});
  const viewer: OrderedViewer = {
    ws,
    events,
    units: () => events.flatMap((e) => ('unit' in e ? [e.unit] : [])),
    close: () => ws.close(1000),
  };
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(viewer));
    ws.once('unexpected-response', (_req, res) => reject(new Error(`upgrade answered ${res.statusCode}`)));
    ws.once('error', reject);
  });
}

/** Records every message of `ws` in order (alongside whatever else listens); `ack`: acks each unit. */
export function recordOrdered(ws: WebSocket, into: Event[] = [], ack = false): Event[] {
  ws.on('message', (data, isBinary) => {
    const at = performance.timeOrigin + performance.now();
    const buf = Buffer.from(data as Buffer);
    if (!isBinary) {
      into.push({ text: JSON.parse(buf.toString()) as TextMessage, at });
      return;
    }
    const h = decodeHeader(buf);
    if (ack) ws.send(JSON.stringify({ type: 'ack', seq: h.seq }));
    into.push({
      unit: { seq: h.seq, flags: h.flags, capturedAt: h.capturedAt, at, data: buf.subarray(h.headerLength) },
    });
  });
  return into;
}

export interface Run {
  config: ReceivedConfig;
  /** The quality last announced before the run's first unit (undefined: none announced). */
  quality: string | undefined;
  units: OrderedUnit[];
}

/** The units in runs of one configuration; every run starts with a keyframe, and every gap is followed by one. */
export function runsOf(events: Event[]): Run[] {
  const runs: Run[] = [];
  let config: ReceivedConfig | undefined;
  let quality: string | undefined;
  let current: Run | undefined;
  let last: OrderedUnit | undefined;
  for (const e of events) {
    if ('text' in e) {
      if (e.text.type === 'config') {
        config = checkConfig(e.text);
        current = undefined;
      }
      if (e.text.type === 'quality') quality = e.text.quality as string;
      continue;
    }
    const u = e.unit;
    assert.ok(config, 'a config before the first unit');
    if (!current) {
      current = { config, quality, units: [] };
      runs.push(current);
      assert.equal(u.flags & 1, 1, `a new configuration starts at a keyframe (seq ${u.seq})`);
    } else if (last && u.seq !== (last.seq + 1) >>> 0) {
      assert.equal(u.flags & 1, 1, `after a skip (${last.seq} → ${u.seq}): a keyframe`);
    }
    if (last) assert.ok(((u.seq - last.seq) | 0) > 0, `sequence numbers grow (${last.seq} → ${u.seq})`);
    current.units.push(u);
    last = u;
  }
  return runs;
}

/**
 * The whole received stream as ffmpeg reads it (`-f h264 -i -`), each configuration's parameter sets before its
 * first unit; returns the number of pictures decoded. Fails on any decoder message.
 */
export function decodeAll(runs: Run[]): number {
  const parts: Buffer[] = [];
  for (const run of runs) {
    const sets = joinAnnexB([...run.config.sps, ...run.config.pps]);
    parts.push(Buffer.from(sets.buffer, sets.byteOffset, sets.byteLength));
    for (const u of run.units) {
      const annexB = avcToAnnexB(u.data);
      parts.push(Buffer.from(annexB.buffer, annexB.byteOffset, annexB.byteLength));
    }
  }
  const result = spawnSync(
    locateFfmpeg().path,
    ['-hide_banner', '-v', 'error', '-f', 'h264', '-i', '-', '-f', 'framemd5', '-'],
    { input: Buffer.concat(parts), encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
  );
  assert.equal(result.status, 0, `ffmpeg failed: ${result.stderr}`);
  assert.equal(result.stderr.trim(), '', `decoder errors: ${result.stderr}`);
  return result.stdout.split('\n').filter((l) => l && !l.startsWith('#')).length;
}

/** The `quality` messages received, in order. */
export function qualities(events: Event[]): { quality: string; reason: string }[] {
  return events
    .filter((e): e is { text: TextMessage; at: number } => 'text' in e && e.text.type === 'quality')
    .map((e) => ({ quality: e.text.quality as string, reason: e.text.reason as string }));
}
