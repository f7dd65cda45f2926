import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseCameraArgument, parseSource, SourceSyntaxError } from '../../src/config/camera-source.js';

describe('SOURCE grammar', () => {
  const ok: [string, object][] = [
    ['testsrc', { kind: 'testsrc', width: 1280, height: 720, fps: 30 }],
    ['testsrc?size=640x480&fps=15', { kind: 'testsrc', width: 640, height: 480, fps: 15 }],
    ['v4l2:/dev/video0', { kind: 'v4l2', device: '/dev/video0' }],
    ['/dev/video2', { kind: 'v4l2', device: '/dev/video2' }],
    [
      'v4l2:/dev/video1?format=yuyv&size=1920x1080&fps=30',
      { kind: 'v4l2', device: '/dev/video1', format: 'yuyv', width: 1920, height: 1080, fps: 30 },
    ],
    ['/dev/video0?format=mjpeg', { kind: 'v4l2', device: '/dev/video0', format: 'mjpeg' }],
    ['rtsp://user:pw@10.0.0.5:554/stream1', { kind: 'rtsp', url: 'rtsp://user:pw@10.0.0.5:554/stream1' }],
    ['http://printer.local:8080/?action=stream', { kind: 'http', url: 'http://printer.local:8080/?action=stream' }],
    ['https://cam.example/video.mjpg', { kind: 'http', url: 'https://cam.example/video.mjpg' }],
    ['file:/videos/door.mp4', { kind: 'file', path: '/videos/door.mp4' }],
    ['file:clip.mjpeg?fps=12', { kind: 'file', path: 'clip.mjpeg', fps: 12 }],
  ];
  for (const [text, spec] of ok) {
    it(`parses ${text}`, () => assert.deepEqual(parseSource(text), spec));
  }

  const bad: [string, RegExp][] = [
    ['webcam', /not a source/],
    ['testsrc?size=big', /size "big"/],
    ['testsrc?size=641x480', /even/],
    ['testsrc?fps=0', /fps "0"/],
    ['testsrc?colour=red', /unknown option "colour"/],
    ['v4l2:/dev/video0?format=h265', /format "h265"/],
    ['v4l2:video0', /device path/],
    ['file:', /needs a path/],
    ['http://', /not a valid URL/],
  ];
  for (const [text, message] of bad) {
    it(`rejects ${text}`, () =>
      assert.throws(
        () => parseSource(text),
        (e: Error) => e instanceof SourceSyntaxError && message.test(e.message),
      ));
  }

  it('splits ID=SOURCE at the first = and keeps the rest (URLs have = too)', () => {
    const arg = parseCameraArgument('yard=http://cam/?action=stream&x=1');
    assert.equal(arg.id, 'yard');
    assert.equal(arg.source, 'http://cam/?action=stream&x=1');
  });

  it('rejects a bad camera id with what is expected', () => {
    assert.throws(() => parseCameraArgument('Front Door=testsrc'), /ID=SOURCE with an ID of 1 to 64 characters/);
    assert.throws(() => parseCameraArgument('testsrc'), /ID=SOURCE/);
    assert.throws(() => parseCameraArgument(`${'a'.repeat(65)}=testsrc`), /1 to 64/);
  });
});
