import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { formatDevices } from '../../../src/cli/devices.js';
import { listVideoDevices, parseFfmpegFormats, parseV4l2CtlFormats } from '../../../src/sources/devices/v4l2.js';

// What `v4l2-ctl --list-formats-ext` prints for a common UVC webcam.
const V4L2_CTL = `ioctl: VIDIOC_ENUM_FMT
	Type: Video Capture

	[0]: 'MJPG' (Motion-JPEG, compressed)
		Size: Discrete 1280x720
			Interval: Discrete 0.033s (30.000 fps)
			Interval: Discrete 0.067s (15.000 fps)
		Size: Discrete 640x480
			Interval: Discrete 0.033s (30.000 fps)
	[1]: 'YUYV' (YUYV 4:2:2)
		Size: Discrete 640x480
			Interval: Discrete 0.033s (30.000 fps)
`;

// What ffmpeg -f v4l2 -list_formats all prints on stderr for the same camera.
const FFMPEG = `[video4linux2,v4l2 @ 0x55d] Compressed:       mjpeg :          Motion-JPEG : 1280x720 640x480
[video4linux2,v4l2 @ 0x55d] Raw       :     yuyv422 :           YUYV 4:2:2 : 640x480
/dev/video0: Immediate exit requested`;

describe('V4L2 discovery', () => {
  it('parses v4l2-ctl formats, sizes and frame rates', () => {
    const formats = parseV4l2CtlFormats(V4L2_CTL);
    assert.deepEqual(
      formats.map((f) => f.format),
      ['mjpeg', 'yuyv'],
    );
    assert.deepEqual(formats[0]!.sizes[0], { width: 1280, height: 720, fps: [30, 15] });
    assert.equal(formats[1]!.sizes.length, 1);
  });

  it('parses ffmpeg -list_formats output', () => {
    const formats = parseFfmpegFormats(FFMPEG);
    assert.deepEqual(
      formats.map((f) => f.format),
      ['mjpeg', 'yuyv'],
    );
    assert.deepEqual(
      formats[0]!.sizes.map((s) => `${s.width}x${s.height}`),
      ['1280x720', '640x480'],
    );
  });

  it('finds /dev/video* in numeric order and formats them for the terminal', async () => {
    const dev = mkdtempSync(join(tmpdir(), 'camrelay-dev-'));
    for (const n of ['video10', 'video2', 'video0', 'null', 'videoX']) writeFileSync(join(dev, n), '');
    assert.deepEqual(await listVideoDevices(dev), [`${dev}/video0`, `${dev}/video2`, `${dev}/video10`]);
    const text = formatDevices([{ path: '/dev/video0', name: 'USB Camera', formats: parseV4l2CtlFormats(V4L2_CTL) }]);
    assert.match(text, /\/dev\/video0 {2}USB Camera/);
    assert.match(text, /1280x720 @ 30, 15 fps/);
    assert.match(text, /--camera cam=v4l2:\/dev\/video0\?format=mjpeg/);
    assert.match(formatDevices([]), /No V4L2 cameras found/);
  });
});
