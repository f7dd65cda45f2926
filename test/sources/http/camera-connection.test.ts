// test lane: waiting (cameras that start slowly and serve one client: mostly waiting on them)
/**
 * HTTP cameras as they are, against real servers: ones that serve a single connection (an
 * `ffmpeg -listen 1` server, like the ESP32-CAM sketch and many cheap cameras), sending multipart MJPEG
 * with or without its Content-Type, or H.264 in MPEG-TS; and one whose first part of each connection
 * declares a wrong Content-Length (VLC's MJPEG output). All must stream.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer, type Server, type ServerResponse } from 'node:http';
import { after, describe, it } from 'node:test';
import type { SourceUnit } from '../../../src/media/index.js';
import { locateFfmpeg } from '../../../src/ffmpeg/locate.js';
import { FfmpegSource } from '../../../src/sources/ffmpeg/ffmpeg-source.js';
import { openHttpStream } from '../../../src/sources/http/camera-connection.js';
import {
  ffmpegJpeg,
  freePort,
  quietLogger,
  sleep,
  startServer,
  V1Client,
  waitFor,
  wsUrl,
} from '../../support/index.js';

const options = { quality: 80, passthrough: 'auto' as const, maxFrameBytes: 8 * 1024 * 1024 };

/** Whether something listens on 127.0.0.1:port, read from /proc (connecting would spend a one-client server). */
function listening(port: number): boolean {
  const hex = port.toString(16).toUpperCase().padStart(4, '0');
  return readFileSync('/proc/net/tcp', 'utf8')
    .split('\n')
    .some((line) => {
      const f = line.trim().split(/\s+/);
      return f[1] === `0100007F:${hex}` && f[3] === '0A';
    });
}

/** Runs an HTTP source until it gave `count` units; fails if it ended. */
async function units(url: string, count: number): Promise<SourceUnit[]> {
  const source = new FfmpegSource('cam', { kind: 'http', url }, options, quietLogger());
  const got: SourceUnit[] = [];
  const ended: string[] = [];
  source.start({ unit: (u) => got.push(u), ended: (r) => ended.push(r) });
  try {
    await waitFor(() => got.length >= count || ended.length > 0, 30_000, `${count} JPEGs`);
    assert.deepEqual(ended, [], 'the source did not end');
    return got;
  } finally {
    await source.stop();
  }
}

describe('HTTP MJPEG cameras', () => {
  const servers: Server[] = [];
  after(async () => {
    for (const server of servers) {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  /** An `ffmpeg -listen 1` camera: it serves one connection, then exits. */
  async function oneConnectionCamera(output: string[], body: (url: string) => Promise<void>): Promise<void> {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}/cam`;
    const input = ['-hide_banner', '-loglevel', 'error', '-re', '-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=10'];
    const camera = spawn(locateFfmpeg().path, [...input, ...output, '-listen', '1', url], { stdio: 'ignore' });
    try {
      await waitFor(() => listening(port), 15_000, 'the one-connection camera to listen');
      await body(url);
    } finally {
      camera.kill('SIGKILL');
    }
  }

  it('streams from a camera that serves one connection only: multipart MJPEG', async () => {
    const mjpeg = ['-c:v', 'mjpeg', '-q:v', '5', '-f', 'mpjpeg'];
    await oneConnectionCamera([...mjpeg, '-content_type', 'multipart/x-mixed-replace;boundary=ffmpeg'], async (url) => {
      const got = await units(url, 10);
      assert.ok(got.every((u) => u.config.codec === 'jpeg' && u.config.width === 320));
    });
  });

  it('streams from a camera that serves one connection only: MJPEG without its type, H.264 in MPEG-TS', async () => {
    await oneConnectionCamera(['-c:v', 'mjpeg', '-q:v', '5', '-f', 'mpjpeg'], async (url) => {
      const got = await units(url, 10);
      assert.ok(got.every((u) => u.config.codec === 'jpeg' && u.config.width === 320));
    });
    const h264 = ['-c:v', 'libx264', '-preset', 'ultrafast', '-tune', 'zerolatency', '-g', '10', '-f', 'mpegts'];
    await oneConnectionCamera(h264, async (url) => {
      const got = await units(url, 15);
      assert.ok(got[0]!.keyframe);
      assert.ok(got.every((u) => u.config.codec === 'h264' && u.config.width === 320));
    });
  });

  it('streams from a camera whose first part of each connection declares a wrong length', async () => {
    const pictures = ['testsrc2', 'testsrc', 'smptebars', 'rgbtestsrc'].map((s) => ffmpegJpeg(320, 240, s));
    for (const error of [+1000, -1000]) {
      const server = createServer((_req, res) => {
        res.writeHead(200, { 'content-type': 'multipart/x-mixed-replace; boundary=vlc' });
        let n = 0;
        const timer = setInterval(() => {
          const jpeg = pictures[n % pictures.length]!;
          const length = n === 0 ? jpeg.length + error : jpeg.length;
          res.write(`--vlc\r\nContent-Type: image/jpeg\r\nContent-Length: ${length}\r\n\r\n`);
          res.write(jpeg);
          res.write('\r\n\r\n');
          n++;
        }, 40);
        res.on('close', () => clearInterval(timer));
      });
      servers.push(server);
      const port = await freePort();
      await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
      const got = await units(`http://127.0.0.1:${port}/stream`, 10);
      const sent = new Set(pictures.map((p) => p.toString('base64')));
      for (const u of got) assert.ok(sent.has(u.data.toString('base64')), 'the very JPEG the camera sent');
    }
  });

  it('asks an HTTP camera with the credentials of its URL', async () => {
    const server = createServer((req, res) => {
      const expected = `Basic ${Buffer.from('admin:s3cr@t').toString('base64')}`;
      if (req.headers.authorization !== expected) {
        res.writeHead(401).end();
        return;
      }
      res.writeHead(200, { 'content-type': 'multipart/x-mixed-replace; boundary=x' });
      res.write('--x\r\n');
    });
    servers.push(server);
    const port = await freePort();
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    const stream = await openHttpStream(`http://admin:s3cr%40t@127.0.0.1:${port}/locked`);
    assert.equal(stream?.boundary, 'x');
    stream!.close();
    assert.equal(await openHttpStream(`http://admin:wrong@127.0.0.1:${port}/locked`), undefined);
  });
});

describe('a slow-starting camera', () => {
  it('comes online though ffmpeg takes longer than the stall timeout to find its stream, at its real frame rate', async () => {
    // A live H.264 MPEG-TS stream, joined between keyframes 4 s apart: seconds of probing.
    const encoder = spawn(
      locateFfmpeg().path,
      [
        ...['-hide_banner', '-loglevel', 'error', '-re', '-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=15'],
        ...['-c:v', 'libx264', '-preset', 'ultrafast', '-tune', 'zerolatency', '-g', '60', '-f', 'mpegts', 'pipe:1'],
      ],
      { stdio: ['ignore', 'pipe', 'ignore'] },
    );
    const clients = new Set<ServerResponse>();
    encoder.stdout.on('data', (chunk: Buffer) => {
      for (const res of clients) res.write(chunk);
    });
    const server = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'video/mp2t' });
      clients.add(res);
      res.on('close', () => clients.delete(res));
    });
    const port = await freePort();
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    // Join in the middle of a group of pictures.
    await sleep(1500);
    const ts = await startServer([`cam=http://127.0.0.1:${port}/live.ts`]);
    const viewer = await V1Client.open(wsUrl(ts.url, 'cam'));
    try {
      const states = new Set<string>();
      const info = async (): Promise<{ state: string; fps: number }> =>
        (await (await fetch(`${ts.url}/api/cameras/cam`)).json()) as { state: string; fps: number };
      await waitFor(
        async () => {
          const { state } = await info();
          states.add(state);
          return state === 'online';
        },
        40_000,
        'the camera online',
      );
      assert.ok(!states.has('offline'), `states seen: ${[...states].join(', ')}`);
      const readings: number[] = [];
      for (let i = 0; i < 6; i++) {
        readings.push((await info()).fps);
        await sleep(500);
      }
      assert.ok(Math.max(...readings) < 30, `fps readings ${readings.join(', ')} for a 15 fps camera`);
    } finally {
      viewer.close();
      await ts.close();
      encoder.kill('SIGKILL');
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
