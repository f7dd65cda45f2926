/**
 * Native H.264 sources and codec detection, with real ffmpeg: an RTSP camera's H.264 (GStreamer's
 * RTSP server, test/support/rtsp-camera.ts) is copied, not decoded or encoded, into units whose
 * SPS gives the camera's size and whose keyframes come at its keyframe interval; what a source
 * sends is asked of the source, not guessed from its URL (an MJPEG camera at `/stream` passes
 * through byte for byte, an H.264 file is copied, an MPEG-4 file is encoded to JPEG); a v4l2
 * camera with format=h264 is copied; broken H.264 and a source that cannot be opened end the
 * capture with a reason.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server as HttpServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parseAvcC } from '../../../src/codec/h264/avcc.js';
import { avcToAnnexB } from '../../../src/codec/h264/nal.js';
import { parseSps } from '../../../src/codec/h264/sps.js';
import { parseSource } from '../../../src/config/camera-source.js';
import { H264_COPY_FILTERS, H265_COPY_FILTERS } from '../../../src/ffmpeg/capture-args.js';
import { ffmpegArgs } from '../../../src/sources/ffmpeg/capture-plan.js';
import { FfmpegSource } from '../../../src/sources/ffmpeg/ffmpeg-source.js';
import { rememberNalFraming } from '../../../src/ffmpeg/capabilities.js';
import { locateFfmpeg } from '../../../src/ffmpeg/locate.js';
import { classifyCodec, mjpegContentType, videoCodecOf } from '../../../src/sources/ffmpeg/probe.js';
import type { SourceUnit } from '../../../src/media/index.js';
import type { SourceSpec } from '../../../src/sources/spec.js';
import {
  ffmpegJpeg,
  freePort,
  quietLogger,
  requireInCi,
  rtspCameraMissing,
  skipOutsideCi,
  startRtspCamera,
  waitFor,
} from '../../support/index.js';

const missing = rtspCameraMissing();
const skip = skipOutsideCi(missing);
const options = { quality: 80, passthrough: 'auto' as const, maxFrameBytes: 8 * 1024 * 1024 };

/** Runs a source until `enough` says so; returns its units and its ffmpeg's command line. */
async function capture(
  spec: SourceSpec,
  enough: (units: SourceUnit[]) => boolean,
  what: string,
  passthrough: 'auto' | boolean = 'auto',
): Promise<{ units: SourceUnit[]; cmdline: string[] }> {
  const source = new FfmpegSource('cam', spec, { ...options, passthrough }, quietLogger());
  const units: SourceUnit[] = [];
  const ended: string[] = [];
  source.start({ unit: (u) => units.push(u), ended: (r) => ended.push(r) });
  try {
    // No pid: camrelay reads the camera itself (an HTTP camera's multipart MJPEG).
    const pid = await waitFor(
      () => source.pid ?? (ended.length || units.length ? -1 : undefined),
      30_000,
      'ffmpeg to start',
    );
    assert.deepEqual(ended, [], 'the source did not end');
    const cmdline = pid > 0 ? readFileSync(`/proc/${pid}/cmdline`, 'latin1').split('\0') : [];
    await waitFor(() => enough(units) || ended.length > 0, 30_000, what);
    assert.deepEqual(ended, []);
    return { units, cmdline };
  } finally {
    await source.stop();
  }
}

function keyframeIndexes(units: SourceUnit[]): number[] {
  return units.flatMap((u, i) => (u.keyframe ? [i] : []));
}

describe('native H.264 sources', () => {
  it(
    "copies an RTSP camera's H.264: its size in the SPS, keyframes at its interval, no encoder",
    { skip },
    async () => {
      requireInCi(missing);
      const cam = await startRtspCamera({ width: 320, height: 240, fps: 15, keyint: 15 });
      try {
        const { units, cmdline } = await capture(
          { kind: 'rtsp', url: cam.url },
          (u) => keyframeIndexes(u).length >= 3,
          'three keyframes',
        );
        assert.ok(cmdline.join(' ').includes('-c:v copy'), cmdline.join(' '));
        assert.ok(!cmdline.includes('mjpeg') && !cmdline.includes('libx264'), 'no encoder');
        assert.ok(units[0]!.keyframe, 'starts at a keyframe');
        const config = units[0]!.config;
        assert.equal(config.codec, 'h264');
        const sps = parseSps(parseAvcC(config.description!).sps[0]!);
        assert.deepEqual([sps.width, sps.height, config.width, config.height], [320, 240, 320, 240]);
        const keys = keyframeIndexes(units);
        for (let i = 1; i < keys.length; i++) assert.equal(keys[i]! - keys[i - 1]!, 15, `keyframes ${keys.join(',')}`);
        assert.ok(units.every((u) => u.config === config));
        // What came out decodes cleanly.
        const annexB = Buffer.concat(units.map((u) => Buffer.from(avcToAnnexB(u.data))));
        const errors = execFileSync(
          locateFfmpeg().path,
          ['-v', 'error', '-f', 'h264', '-i', 'pipe:0', '-f', 'null', '-'],
          {
            input: annexB,
            encoding: 'utf8',
          },
        );
        assert.equal(errors, '');
      } finally {
        await cam.stop();
      }
    },
  );

  const variants = [
    { codec: 'h264', audio: 'aac', what: 'H.264 of an RTSP camera that also sends AAC audio' },
    { codec: 'h264', audio: 'pcma', what: 'H.264 of an RTSP camera that also sends G.711 A-law audio' },
    { codec: 'h265', audio: 'aac', what: 'H.265 of an RTSP camera that also sends AAC audio' },
    { codec: 'h264', bframes: 2, what: 'H.264 with B-frames of an RTSP camera' },
  ] as const;
  for (const variant of variants) {
    const audio = 'audio' in variant ? variant.audio : undefined;
    const noCamera = rtspCameraMissing(variant.codec, audio);
    it(`copies the ${variant.what}`, { skip: skipOutsideCi(noCamera) }, async () => {
      requireInCi(noCamera);
      // With two streams, ffmpeg's first-packet probe once ended before the video's size was known.
      const cam = await startRtspCamera({
        width: 320,
        height: 240,
        fps: 15,
        keyint: 15,
        codec: variant.codec,
        ...(audio ? { audio } : {}),
        ...('bframes' in variant ? { bframes: variant.bframes } : {}),
      });
      try {
        const { units } = await capture(
          { kind: 'rtsp', url: cam.url },
          (u) => keyframeIndexes(u).length >= 2,
          'two keyframes',
        );
        assert.ok(units[0]!.keyframe);
        assert.deepEqual(
          units
            .map((u) => [u.config.codec, u.config.width, u.config.height].join(' '))
            .filter((x, i, a) => a.indexOf(x) === i),
          [`${variant.codec} 320 240`],
        );
        // What came out decodes cleanly (B-frames too: units in decoding order).
        const annexB = Buffer.concat(units.map((u) => Buffer.from(avcToAnnexB(u.data))));
        const format = variant.codec === 'h265' ? 'hevc' : 'h264';
        const errors = execFileSync(
          locateFfmpeg().path,
          ['-v', 'error', '-f', format, '-i', 'pipe:0', '-f', 'null', '-'],
          {
            input: annexB,
            encoding: 'utf8',
          },
        );
        assert.equal(errors, '');
      } finally {
        await cam.stop();
      }
    });
  }

  it('builds the copy plan for v4l2 format=h264, H.264 cameras and files', () => {
    const v4l2 = parseSource('v4l2:/dev/video2?format=h264&size=1280x720&fps=30');
    assert.deepEqual(v4l2, { kind: 'v4l2', device: '/dev/video2', format: 'h264', width: 1280, height: 720, fps: 30 });
    const plan = ffmpegArgs(v4l2, options, 'cam');
    assert.equal(plan.output, 'h264');
    assert.ok(plan.passthrough);
    const text = plan.args.join(' ');
    assert.ok(text.includes('-input_format h264') && text.includes('-c:v copy'), text);
    assert.ok(text.includes(`-bsf:v ${H264_COPY_FILTERS}`), text);
    assert.throws(() => parseSource('/dev/video0?format=hevc'), /not one of mjpeg, yuyv, nv12, h264/);
    // Without a probe result, an RTSP camera is encoded to JPEG as before; with one, H.264 is copied.
    assert.equal(ffmpegArgs({ kind: 'rtsp', url: 'rtsp://cam/x' }, options, 'cam').output, 'jpeg');
    assert.equal(ffmpegArgs({ kind: 'rtsp', url: 'rtsp://cam/x' }, options, 'cam', 'h264').output, 'h264');
    assert.equal(ffmpegArgs({ kind: 'rtsp', url: 'rtsp://cam/x' }, options, 'cam', 'other').output, 'jpeg');
    // H.265 is copied too, as Annex B with its VPS/SPS/PPS before each keyframe.
    assert.equal(classifyCodec('hevc'), 'h265');
    const h265 = ffmpegArgs({ kind: 'rtsp', url: 'rtsp://cam/x' }, options, 'cam', 'h265', 'raw');
    assert.equal(h265.output, 'h265');
    assert.ok(h265.passthrough);
    assert.ok(h265.args.join(' ').includes(`-c:v copy -bsf:v ${H265_COPY_FILTERS} -flush_packets 1 -f hevc pipe:1`));
    // An HTTP URL that looks like MJPEG but sends H.264: copied. Explicit passthrough wins over the probe.
    const http: SourceSpec = { kind: 'http', url: 'http://cam/video.mjpg' };
    assert.equal(ffmpegArgs(http, options, 'cam', 'h264').output, 'h264');
    assert.equal(ffmpegArgs(http, options, 'cam', 'other').passthrough, false);
    assert.equal(ffmpegArgs(http, { ...options, passthrough: false }, 'cam', 'mjpeg').passthrough, false);
    // A file at another fps needs decoding: JPEG.
    assert.equal(ffmpegArgs({ kind: 'file', path: '/v.mp4', fps: 5 }, options, 'cam', 'h264').output, 'jpeg');
    assert.equal(videoCodecOf('  Stream #0:0(und): Video: hevc (Main), yuv420p'), 'hevc');
    assert.equal(videoCodecOf('  Stream #0:1[0x100]: Video: h264 (High)'), 'h264');
    assert.ok(mjpegContentType('multipart/x-mixed-replace; boundary=frame'));
    assert.ok(!mjpegContentType('video/mp4'));
  });
});

describe('codec detection', () => {
  let server: HttpServer;
  let port: number;
  const pictures = [
    ffmpegJpeg(320, 240, 'testsrc2'),
    ffmpegJpeg(320, 240, 'mandelbrot'),
    ffmpegJpeg(320, 240, 'rgbtestsrc'),
  ];
  let dir: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'camrelay-h264-'));
    port = await freePort();
    // An MJPEG camera whose URL says nothing of MJPEG.
    server = createServer((req, res) => {
      if (req.url === '/locked') {
        // Basic auth, as many cameras ask: the probe sends the URL's credentials as a header.
        const ok = req.headers.authorization === `Basic ${Buffer.from('admin:s3cr@t').toString('base64')}`;
        res.writeHead(ok ? 200 : 401, { 'content-type': ok ? 'multipart/x-mixed-replace; boundary=x' : 'text/plain' });
        res.end();
        return;
      }
      if (req.url !== '/stream') {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200, { 'content-type': 'multipart/x-mixed-replace; boundary=frame' });
      let n = 0;
      const timer = setInterval(() => {
        const jpeg = pictures[n++ % pictures.length]!;
        res.write(`--frame\r\nContent-Type: image/jpeg\r\nContent-Length: ${jpeg.length}\r\n\r\n`);
        res.write(jpeg);
        res.write('\r\n');
      }, 50);
      res.on('close', () => clearInterval(timer));
    });
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  });

  after(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('passes an MJPEG camera at /stream through byte for byte, read by camrelay (no ffmpeg)', async () => {
    const spec: SourceSpec = { kind: 'http', url: `http://127.0.0.1:${port}/stream` };
    const { units, cmdline } = await capture(spec, (u) => u.length >= 6, 'six JPEGs');
    assert.deepEqual(cmdline, []);
    const sent = new Set(pictures.map((p) => p.toString('base64')));
    for (const u of units) {
      assert.equal(u.config.codec, 'jpeg');
      assert.ok(sent.has(u.data.toString('base64')), 'the very JPEG the camera sent');
    }
  });

  it('copies an H.264 file and encodes an MPEG-4 one to JPEG', async () => {
    const ffmpeg = locateFfmpeg().path;
    const h264 = join(dir, 'clip.mp4');
    const mpeg4 = join(dir, 'clip.avi');
    const common = ['-hide_banner', '-loglevel', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc2=size=256x144:rate=25'];
    execFileSync(ffmpeg, [...common, '-t', '2', '-c:v', 'libx264', '-bf', '0', '-g', '10', h264]);
    execFileSync(ffmpeg, [...common, '-t', '1', '-c:v', 'mpeg4', mpeg4]);

    const copied = await capture({ kind: 'file', path: h264 }, (u) => u.length >= 12, '12 H.264 units');
    assert.ok(copied.cmdline.join(' ').includes('-c:v copy'));
    assert.equal(copied.units[0]!.config.codec, 'h264');
    assert.ok(copied.units[0]!.keyframe);
    assert.deepEqual([copied.units[0]!.config.width, copied.units[0]!.config.height], [256, 144]);
    assert.deepEqual(keyframeIndexes(copied.units).slice(0, 2), [0, 10]);

    // Where ffmpeg cannot frame H.264 in mpjpeg (7.0 and later): a raw stream, the same units.
    rememberNalFraming(ffmpeg, 'raw');
    try {
      const raw = await capture({ kind: 'file', path: h264 }, (u) => u.length >= 12, '12 H.264 units, raw');
      assert.ok(raw.cmdline.join(' ').includes('-f h264 pipe:1'));
      assert.deepEqual(keyframeIndexes(raw.units).slice(0, 2), [0, 10]);
      assert.equal(raw.units[0]!.config.width, 256);
    } finally {
      rememberNalFraming(ffmpeg, undefined);
    }

    const encoded = await capture({ kind: 'file', path: mpeg4 }, (u) => u.length >= 3, '3 JPEGs');
    assert.ok(!encoded.cmdline.join(' ').includes('-c:v copy'));
    assert.equal(encoded.units[0]!.config.codec, 'jpeg');
    assert.equal(encoded.units[0]!.config.width, 256);
  });

  it('ends saying why on broken H.264: garbage, a stream without SPS/PPS', async () => {
    const ffmpeg = locateFfmpeg().path;
    const garbage = join(dir, 'garbage.h264');
    let seed = 1;
    const bytes = Buffer.alloc(2 * 1024 * 1024);
    for (let i = 0; i < bytes.length; i++) {
      seed = (seed * 1103515245 + 12345) >>> 0;
      bytes[i] = seed >>> 24;
    }
    writeFileSync(garbage, bytes);
    const raw = execFileSync(ffmpeg, [
      ...['-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=256x144:rate=25', '-t', '2'],
      ...['-c:v', 'libx264', '-bf', '0', '-g', '10', '-f', 'h264', 'pipe:1'],
    ]);
    // The same stream with its SPS and PPS taken out.
    const noSps = join(dir, 'nosps.h264');
    const nalus = raw
      .toString('latin1')
      .split('\x00\x00\x00\x01')
      .filter((n) => n && ![7, 8].includes(n.charCodeAt(0) & 0x1f));
    writeFileSync(noSps, Buffer.from(nalus.map((n) => '\x00\x00\x00\x01' + n).join(''), 'latin1'));
    for (const path of [garbage, noSps]) {
      const source = new FfmpegSource('cam', { kind: 'file', path }, options, quietLogger());
      const units: SourceUnit[] = [];
      const ended: string[] = [];
      source.start({ unit: (u) => units.push(u), ended: (r) => ended.push(r) });
      await waitFor(() => ended.length, 20_000, `${path} to end`);
      await source.stop();
      assert.equal(units.length, 0);
      // Raw output fails at its header (code 1); MPEG-TS output copies nothing and ends at the loop (code 0).
      assert.match(ended[0]!, /\(ffmpeg exited with code [01]\): .+/, ended[0]);
    }
  });

  it('says why when the source cannot be opened', async () => {
    const closed = await freePort();
    const source = new FfmpegSource(
      'cam',
      { kind: 'rtsp', url: `rtsp://u:pw@127.0.0.1:${closed}/x` },
      options,
      quietLogger(),
    );
    const ended: string[] = [];
    source.start({ unit: () => {}, ended: (r) => ended.push(r) });
    await waitFor(() => ended.length, 20_000, 'the source to end');
    await source.stop();
    assert.match(ended[0]!, /connection refused/);
    assert.ok(!ended[0]!.includes(':pw@'), 'credentials masked');
  });
});
