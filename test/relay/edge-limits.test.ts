// test lane: waiting (mostly waits on real time: runs one file at a time, beside the browser files)
/**
 * What an edge cannot make the hub do with its pictures. Two edges change their camera's H.264
 * configuration on every frame (two sizes in turn, 40 a second) with an MJPEG viewer on each camera,
 * reconnecting as soon as they are closed: the hub's live transcoders (its ffmpeg children reading a
 * pipe) never exceed `limits.transcoders`, its own camera keeps delivering frames, and each edge is
 * closed with 1008 and the reason, each close counted (GET /api/publishers, /metrics) and logged once.
 * An edge's picture over its `max_size` (an 8192x8192 SPS against the 4096x2160 default; a 1280x720
 * JPEG against `max_size: 640x480`) closes its connection with 1008 and a reason naming both sizes.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { toAvc } from '../../src/codec/h264/nal.js';
import { buildAvcC } from '../../src/codec/h264/avcc.js';
import { codecString, parseSps } from '../../src/codec/h264/sps.js';
import { loadConfig } from '../../src/config/load.js';
import { hashToken } from '../../src/security/secrets.js';
import { buildServer, type Server } from '../../src/server/app.js';
import { encodedTrack } from '../codec/fixtures.js';
import { openMjpeg, type MjpegClient } from '../outputs/mjpeg/mjpeg-client.js';
import { ffmpegChildren, ffmpegJpeg, sleep, waitFor } from '../support/index.js';
import { getJson, RawEdge, TOKEN_A, TOKEN_B } from './helpers.js';

const TOKEN_C = 'edge-c-token-0123456789abcdef';
const LIMIT = 2;

/** The hub's transcoders: its ffmpeg children that read their input from a pipe (captures and renders do not). */
function liveTranscoders(): number {
  return ffmpegChildren().filter((pid) => {
    try {
      return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').includes('pipe:0');
    } catch {
      return false; // exited while we looked
    }
  }).length;
}

/** A camera's config message and one keyframe, from an encoded track of that size. */
function sized(width: number, height: number): { config: object; keyframe: Buffer } {
  const track = encodedTrack({ width, height, frames: 1, gop: 1, source: 'testsrc' });
  const avc = toAvc(track.aus[0]!.nalus.filter((n) => (n[0]! & 0x1f) !== 9));
  return {
    config: {
      type: 'config',
      camera: 'cam',
      codec: track.codec,
      width,
      height,
      description: Buffer.from(track.avcC).toString('base64'),
    },
    keyframe: Buffer.from(avc.buffer, avc.byteOffset, avc.byteLength),
  };
}

/** An SPS of `width`x`height` written by hand (baseline, level 5.1): nothing decodes it, the hub only reads it. */
function bigConfig(width: number, height: number): object {
  const ue = (v: number): string => {
    const b = (v + 1).toString(2);
    return '0'.repeat(b.length - 1) + b;
  };
  let bits = `${ue(0)}${ue(0)}${ue(2)}${ue(1)}0${ue(width / 16 - 1)}${ue(height / 16 - 1)}11001`;
  while (bits.length % 8) bits += '0';
  const body: number[] = [];
  for (let i = 0; i < bits.length; i += 8) body.push(parseInt(bits.slice(i, i + 8), 2));
  const sps = Uint8Array.from([0x67, 66, 0xc0, 51, ...body]);
  const avcC = buildAvcC({ sps: [sps], pps: [Uint8Array.from([0x68, 0xce, 0x3c, 0x80])] });
  const parsed = parseSps(sps);
  assert.deepEqual([parsed.width, parsed.height], [width, height]);
  const description = Buffer.from(avcC).toString('base64');
  return { type: 'config', camera: 'cam', codec: codecString(parsed), width, height, description };
}

const CAM = { id: 'cam', name: 'cam', width: 320, height: 240, fps: 50, channel: 1 };

interface PublisherRow {
  name: string;
  configChurnCloses: number;
  oversizeCloses: number;
}

describe('hub: limits on what edges send', () => {
  let server: Server;
  let url = '';
  const logs: Record<string, unknown>[] = [];

  before(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'camrelay-edge-limits-'));
    const file = join(dir, 'hub.yaml');
    writeFileSync(
      file,
      [
        'limits:',
        `  transcoders: ${LIMIT}`,
        'publishers:',
        '  - name: a',
        `    token_hash: ${hashToken(TOKEN_A)}`,
        '  - name: b',
        `    token_hash: ${hashToken(TOKEN_B)}`,
        '    max_size: 640x480',
        '  - name: c',
        `    token_hash: ${hashToken(TOKEN_C)}`,
        '',
      ].join('\n'),
    );
    const config = await loadConfig({
      config: file,
      host: '127.0.0.1',
      port: 0,
      cameras: ['own=testsrc?size=320x240&fps=10'],
    });
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        for (const line of chunk.toString().split('\n'))
          if (line) logs.push(JSON.parse(line) as Record<string, unknown>);
        done();
      },
    });
    server = await buildServer(config, pino({ level: 'info' }, sink));
    await server.app.listen({ host: '127.0.0.1', port: 0 });
    url = `http://127.0.0.1:${(server.app.server.address() as { port: number }).port}`;
  });

  after(async () => {
    await server.close();
  });

  const publishers = async (): Promise<PublisherRow[]> =>
    (await getJson<{ publishers: PublisherRow[] }>(`${url}/api/publishers`)).publishers;

  /** One edge said hello (offering H.264) and announced its camera. */
  async function connect(name: string, token: string): Promise<RawEdge> {
    const raw = await RawEdge.open(url, token, name);
    raw.hello(name, undefined, ['h264', 'jpeg']);
    await raw.waitMessage((m) => m.type === 'hello', 3000, 'the hub hello');
    raw.announce([CAM]);
    return raw;
  }

  it('an edge whose configuration changes on every frame: transcoders capped, own camera served, edge closed', async () => {
    const sizes = [sized(320, 240), sized(352, 288)];
    const until = performance.now() + 6000;
    const closes: Record<string, { code: number; reason: string }[]> = { a: [], c: [] };
    // Each edge: a new configuration and a keyframe every 25 ms; closed, it connects again at once.
    const misbehave = async (name: 'a' | 'c', token: string): Promise<void> => {
      let seq = 0;
      while (performance.now() < until) {
        const raw = await connect(name, token);
        while (!raw.closedWith && performance.now() < until) {
          const next = sizes[seq % 2]!;
          raw.send(next.config);
          raw.frame(1, ++seq, next.keyframe, 'h264', true);
          await sleep(25);
        }
        if (raw.closedWith) closes[name]!.push(raw.closedWith);
        raw.close();
      }
    };
    const edges = [misbehave('a', TOKEN_A), misbehave('c', TOKEN_C)];
    const viewers: MjpegClient[] = [];
    let most = 0;
    const sampler = setInterval(() => (most = Math.max(most, liveTranscoders())), 20);
    try {
      const own = await openMjpeg(`${url}/api/cameras/own/stream.mjpeg`);
      viewers.push(own);
      await own.first;
      for (const id of ['a.cam', 'c.cam']) {
        await waitFor(
          async () =>
            (await getJson<{ cameras: { id: string }[] }>(`${url}/api/cameras`)).cameras.some((c) => c.id === id),
          3000,
          `${id} published`,
        );
        viewers.push(await openMjpeg(`${url}/api/cameras/${id}/stream.mjpeg`));
      }
      const ownBefore = own.parts.length;
      await Promise.all(edges);
      const ownFrames = own.parts.length - ownBefore;
      clearInterval(sampler);

      assert.ok(most >= 1, 'a decoder ran for the edges (else the cap was never tested)');
      assert.ok(most <= LIMIT, `${most} transcoders alive at once, over limits.transcoders ${LIMIT}`);
      // At 10 fps for about 5 s: about 50 (counted, not timed: the bound is far below).
      assert.ok(ownFrames >= 10, `the hub's own camera delivered ${ownFrames} frames meanwhile`);
      for (const name of ['a', 'c'] as const) {
        const closed = closes[name]!;
        assert.ok(closed.length >= 2, `edge ${name} closed ${closed.length} times`);
        for (const close of closed) {
          assert.equal(close.code, 1008);
          assert.match(close.reason, /^cam: configuration changed \d+ times, over 6 then 1 per 10 s$/);
        }
        const row = (await publishers()).find((p) => p.name === name)!;
        assert.ok(row.configChurnCloses >= closed.length - 1, `${name}: ${row.configChurnCloses} closes counted`);
        // Logged once, however often it came back within the minute.
        const logged = logs.filter((l) => l.msg === 'edge misbehaving: its camera configuration keeps changing');
        assert.equal(logged.filter((l) => l.edge === name).length, 1);
      }
      const metrics = await (await fetch(`${url}/metrics`)).text();
      assert.match(metrics, /camrelay_publisher_config_churn_closes_total\{publisher="a"\} [1-9]/);
      assert.match(metrics, /camrelay_transcoders_limit 2/);
    } finally {
      clearInterval(sampler);
      for (const v of viewers) v.close();
    }
  });

  it("refuses a picture over the edge's max_size with 1008, naming the size and the limit", async () => {
    const a = await connect('a', TOKEN_A);
    a.send(bigConfig(8192, 8192));
    const closedA = await a.waitClosed(3000);
    assert.equal(closedA.code, 1008);
    assert.equal(closedA.reason, "cam: picture 8192x8192 over this hub's limit of 4096x2160");

    const b = await connect('b', TOKEN_B);
    b.send(sized(320, 240).config); // within 640x480: accepted
    b.frame(1, 1, ffmpegJpeg(1280, 720, 'testsrc'));
    const closedB = await b.waitClosed(3000);
    assert.equal(closedB.code, 1008);
    assert.equal(closedB.reason, "cam: picture 1280x720 over this hub's limit of 640x480");
    const rows = await publishers();
    assert.ok(rows.find((p) => p.name === 'a')!.oversizeCloses >= 1);
    assert.equal(rows.find((p) => p.name === 'b')!.oversizeCloses, 1);
    assert.equal(rows.find((p) => p.name === 'b')!.configChurnCloses, 0);
  });
});
