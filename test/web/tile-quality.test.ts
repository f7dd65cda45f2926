/** Which stream a grid tile plays (web/src/app/tile-quality.ts), without a browser. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Camera } from '../../web/src/app/api.js';
import { tileQuality } from '../../web/src/app/tile-quality.js';

const camera = (substream: Camera['substream']): Camera => ({
  id: 'cam',
  name: 'cam',
  kind: 'rtsp',
  state: 'online',
  online: true,
  width: 1280,
  height: 720,
  fps: 30,
  viewerCount: 0,
  lastFrameAt: null,
  offlineSince: null,
  offlineReason: null,
  lastError: null,
  lastErrorAt: null,
  alwaysOn: false,
  codec: 'h264',
  substream,
});

describe('a grid tile’s quality', () => {
  it('plays the sub-stream when it costs nothing more: the camera’s own, or from the encoder a JPEG camera has', () => {
    assert.equal(tileQuality(camera('camera')), 'sub');
    assert.equal(tileQuality(camera('encoder')), 'sub');
  });

  it('plays an H.264 camera’s main stream when a sub-stream would cost a decode and an encode', () => {
    assert.equal(tileQuality(camera('transcoder')), 'main');
  });

  it('plays main while the camera’s codec is not known yet', () => {
    assert.equal(tileQuality(camera(null)), 'main');
  });
});
