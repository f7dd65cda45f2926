/**
 * Whether the player's camera is live (web/src/player/liveness.ts), without a browser: the
 * messages and pictures a connection brings, in order, with the clock mocked.
 */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it, mock } from 'node:test';
import {
  Liveness,
  VIDEO_OFFLINE_AFTER_MS,
  VIDEO_STARTING_OFFLINE_AFTER_MS,
  type LiveState,
} from '../../web/src/player/liveness.js';
import type { StatusMessage } from '../../web/src/player/protocol.js';
import type { OfflineEventDetail } from '../../web/src/player/types.js';

interface Heard {
  states: LiveState[];
  online: number;
  offline: OfflineEventDetail[];
}

function watch(): { liveness: Liveness; heard: Heard } {
  const heard: Heard = { states: [], online: 0, offline: [] };
  const liveness = new Liveness({
    changed: (state) => heard.states.push(state),
    online: () => heard.online++,
    offline: (detail) => heard.offline.push(detail),
  });
  return { liveness, heard };
}

const offline = (reason?: string, since = 1000): StatusMessage => ({ type: 'status', online: false, since, reason });
const online: StatusMessage = { type: 'status', online: true, since: 2000 };

describe('the player’s liveness', () => {
  beforeEach(() => mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 50_000 }));
  afterEach(() => mock.timers.reset());

  it('goes connecting → starting → live with the first picture, and says online once', () => {
    const { liveness, heard } = watch();
    liveness.reset('connecting');
    liveness.hello();
    assert.equal(liveness.state, 'starting');
    liveness.jpegPicture();
    liveness.jpegPicture();
    liveness.video();
    assert.equal(liveness.state, 'live');
    assert.equal(liveness.online, true);
    assert.equal(heard.online, 1);
    assert.deepEqual(heard.states, ['connecting', 'starting', 'live']);
  });

  it('JPEG: an offline status before any picture is held until a (NO SIGNAL) picture confirms it', () => {
    const { liveness, heard } = watch();
    liveness.reset('connecting');
    liveness.hello();
    liveness.status(offline('capture failed'), false);
    assert.equal(liveness.state, 'starting', 'held: the camera may only be starting');
    mock.timers.tick(60_000);
    assert.equal(liveness.state, 'starting', 'JPEG waits for a picture, not for time');
    liveness.jpegPicture();
    assert.equal(liveness.state, 'offline');
    assert.deepEqual(heard.offline, [{ cause: 'camera', since: 1000, reason: 'capture failed' }]);
    assert.equal(heard.online, 0);
  });

  it('JPEG: a status online after the held offline one makes it live without an offline event', () => {
    const { liveness, heard } = watch();
    liveness.reset('connecting');
    liveness.hello();
    liveness.status(offline('not started'), false);
    liveness.status(online, false);
    liveness.jpegPicture();
    assert.equal(liveness.state, 'live');
    assert.deepEqual(heard.offline, []);
  });

  it(`video: a held offline status is confirmed after ${VIDEO_OFFLINE_AFTER_MS} ms without video`, () => {
    const { liveness, heard } = watch();
    liveness.reset('connecting');
    liveness.hello();
    liveness.status(offline('capture failed'), true);
    mock.timers.tick(VIDEO_OFFLINE_AFTER_MS - 1);
    assert.equal(liveness.state, 'starting');
    mock.timers.tick(1);
    assert.equal(liveness.state, 'offline');
    assert.equal(heard.offline.length, 1);
  });

  it(`video: a camera only being started gets ${VIDEO_STARTING_OFFLINE_AFTER_MS} ms, and video in time makes it live`, () => {
    const { liveness, heard } = watch();
    liveness.reset('connecting');
    liveness.hello();
    liveness.status(offline('not started'), true);
    mock.timers.tick(VIDEO_OFFLINE_AFTER_MS + 1);
    assert.equal(liveness.state, 'starting', 'still within the starting allowance');
    liveness.video();
    assert.equal(liveness.state, 'live');
    mock.timers.tick(VIDEO_STARTING_OFFLINE_AFTER_MS);
    assert.equal(liveness.state, 'live', 'the timer went with the video');
    assert.deepEqual(heard.offline, []);
    assert.equal(heard.online, 1);
  });

  it('a live camera goes offline at once with its status, and live again with the next', () => {
    const { liveness, heard } = watch();
    liveness.reset('connecting');
    liveness.hello();
    liveness.video();
    liveness.status(offline('stalled', 3000), true);
    assert.equal(liveness.state, 'offline');
    assert.equal(liveness.online, false);
    assert.equal(liveness.offline?.reason, 'stalled');
    liveness.status(offline('stalled', 3000), true);
    assert.equal(heard.offline.length, 1, 'the same outage is told once');
    liveness.video();
    assert.equal(liveness.state, 'live');
    assert.equal(liveness.offline, null);
    assert.equal(heard.online, 2);
  });

  it('a lost connection is `disconnected`, told once however many retries fail', () => {
    const { liveness, heard } = watch();
    liveness.reset('connecting');
    liveness.hello();
    liveness.video();
    liveness.lost();
    liveness.lost();
    assert.equal(liveness.state, 'disconnected');
    assert.equal(heard.offline.length, 1);
    assert.equal(heard.offline[0]!.cause, 'connection');
    assert.equal(heard.offline[0]!.since, 50_000);
    liveness.hello();
    assert.equal(liveness.state, 'starting');
    liveness.video();
    assert.equal(liveness.state, 'live');
  });

  it('a lost connection cancels a held offline status', () => {
    const { liveness, heard } = watch();
    liveness.reset('connecting');
    liveness.hello();
    liveness.status(offline(), true);
    liveness.lost();
    mock.timers.tick(VIDEO_STARTING_OFFLINE_AFTER_MS * 2);
    assert.equal(liveness.state, 'disconnected');
    assert.deepEqual(
      heard.offline.map((o) => o.cause),
      ['connection'],
    );
  });

  it('MJPEG is live with its first picture; a reset forgets everything', () => {
    const { liveness } = watch();
    liveness.reset('connecting');
    liveness.mjpegLoaded();
    assert.equal(liveness.state, 'live');
    liveness.reset('idle');
    assert.equal(liveness.state, 'idle');
    assert.equal(liveness.online, false);
    assert.equal(liveness.offline, null);
  });

  it('stopped, a held offline status is never confirmed', () => {
    const { liveness, heard } = watch();
    liveness.reset('connecting');
    liveness.hello();
    liveness.status(offline(), true);
    liveness.stop();
    mock.timers.tick(VIDEO_STARTING_OFFLINE_AFTER_MS * 2);
    assert.equal(liveness.state, 'idle');
    assert.deepEqual(heard.offline, []);
  });
});
