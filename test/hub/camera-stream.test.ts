import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CameraStream, type CameraStreamOptions } from '../../src/hub/camera-stream.js';
import type { CameraStatus, Consumer } from '../../src/hub/consumer.js';
import type { AccessUnit as Frame, SourceSink } from '../../src/media/index.js';
import { ViewerEvents } from '../../src/hub/viewer-events.js';
import type { FrameSource } from '../../src/sources/source.js';
import type { Transcoder, TranscoderFactory } from '../../src/hub/derived-track.js';
import type { Quality } from '../../src/hub/consumer.js';
import { ScriptedSource } from '../support/hub.js';
import { ffmpegJpeg, jpegUnit, quietLogger, sleep, waitFor } from '../support/index.js';

const JPEG = ffmpegJpeg(64, 48);
const PLACEHOLDER = ffmpegJpeg(32, 32, 'testsrc');

function stream(source: FrameSource, overrides: Partial<CameraStreamOptions> = {}): CameraStream {
  return new CameraStream(
    {
      id: 'cam',
      name: 'Cam',
      kind: 'test',
      alwaysOn: false,
      idleGraceMs: 200,
      stallTimeoutMs: 400,
      snapshotTimeoutMs: 500,
      backoffInitialMs: 50,
      backoffMaxMs: 200,
      placeholderIntervalMs: 50,
      ...overrides,
    },
    source,
    async () => PLACEHOLDER,
    quietLogger(),
  );
}

describe('CameraStream', () => {
  it('gives every consumer the very same Buffer and frame object', async () => {
    const source = new ScriptedSource();
    const s = stream(source);
    const got: Frame[][] = [[], [], []];
    const unsubs = got.map((list) => s.subscribe({ onUnit: (f) => list.push(f) }));
    source.emit(jpegUnit(JPEG));
    source.emit(jpegUnit(JPEG));
    assert.equal(got[0]!.length, 2);
    for (let i = 0; i < 2; i++) {
      assert.equal(got[1]![i], got[0]![i]);
      assert.equal(got[2]![i]!.data, got[0]![i]!.data);
      assert.equal(got[0]![i]!.data, JPEG, 'not copied from what the source produced');
    }
    assert.ok(Object.isFrozen(got[0]![0]));
    unsubs.forEach((u) => u());
    await s.close();
  });

  it('numbers frames with strictly increasing sequence numbers, placeholders included', async () => {
    const source = new ScriptedSource();
    const s = stream(source);
    const seqs: number[] = [];
    s.subscribe({ onUnit: (f) => seqs.push(f.seq) });
    for (let i = 0; i < 5; i++) source.emit(jpegUnit(JPEG));
    source.sink!.ended('test failure');
    await waitFor(() => seqs.length >= 8, 2000, 'placeholder frames');
    source.emit(jpegUnit(JPEG)); // the restarted source delivers again
    await waitFor(() => source.starts >= 2 && source.sink, 2000, 'restart');
    source.emit(jpegUnit(JPEG));
    for (let i = 1; i < seqs.length; i++) assert.ok(seqs[i]! > seqs[i - 1]!, `seq ${seqs[i]} after ${seqs[i - 1]}`);
    await s.close();
  });

  it('starts the source on the first consumer and stops it after the idle grace', async () => {
    const source = new ScriptedSource();
    const s = stream(source, { idleGraceMs: 300, stallTimeoutMs: 10_000 });
    assert.equal(source.starts, 0, 'nothing runs without consumers');
    assert.equal(s.state, 'idle');
    const unsubscribe = s.subscribe({ onUnit: () => {} });
    assert.equal(source.starts, 1);
    source.emit(jpegUnit(JPEG));
    assert.equal(s.state, 'online');
    unsubscribe();
    await sleep(100);
    assert.equal(source.stops, 0, 'still running during the grace');
    const again = s.subscribe({ onUnit: () => {} }); // a consumer returning within the grace keeps it running
    again();
    await waitFor(() => source.stops === 1, 2000, 'idle stop');
    assert.equal(s.state, 'idle');
    assert.equal(source.starts, 1);
    s.subscribe({ onUnit: () => {} });
    assert.equal(source.starts, 2, 'started again by the next consumer');
    await s.close();
  });

  it('keeps an always_on camera running with no consumers', async () => {
    const source = new ScriptedSource();
    const s = stream(source, { alwaysOn: true, idleGraceMs: 50 });
    assert.equal(source.starts, 1);
    source.emit(jpegUnit(JPEG));
    await sleep(200);
    assert.equal(source.stops, 0);
    assert.equal(s.state, 'online');
    await s.close();
  });

  it('goes offline on a stall, sends placeholders and status, restarts, and recovers without resubscribing', async () => {
    const source = new ScriptedSource();
    const s = stream(source, { stallTimeoutMs: 150 });
    const frames: Frame[] = [];
    const statuses: CameraStatus[] = [];
    s.subscribe({ onUnit: (f) => frames.push(f), onStatus: (st) => statuses.push(st) });
    source.emit(jpegUnit(JPEG));
    await waitFor(() => s.state === 'offline', 2000, 'offline after a stall');
    assert.equal(statuses.at(-1)?.online, false);
    assert.match(statuses.at(-1)?.reason ?? '', /no frame/);
    await waitFor(() => frames.filter((f) => f.placeholder).length >= 2, 2000, 'placeholders');
    assert.equal(frames.find((f) => f.placeholder)!.data, PLACEHOLDER);
    await waitFor(() => source.starts >= 2 && source.sink, 2000, 'a restart');
    source.emit(jpegUnit(JPEG));
    assert.equal(s.state, 'online');
    assert.equal(statuses.at(-1)?.online, true);
    // Fed well within the stall timeout, the camera stays online: nothing but live frames follow.
    const before = frames.length;
    for (let i = 0; i < 6; i++) {
      await sleep(20);
      source.emit(jpegUnit(JPEG));
    }
    const after = frames.slice(before);
    assert.equal(after.length, 6, 'the live frames arrive');
    assert.ok(
      after.every((f) => !f.placeholder),
      'no more placeholders once online',
    );
    assert.ok(s.counters.restarts >= 1);
    assert.ok(s.offlineMs() > 0);
    await s.close();
  });

  it('backs off between failed restarts', async () => {
    const source = new ScriptedSource();
    const s = stream(source, { backoffInitialMs: 40, backoffMaxMs: 160, stallTimeoutMs: 10_000 });
    s.subscribe({ onUnit: () => {} });
    const startTimes: number[] = [];
    const origStart = source.start.bind(source);
    source.start = (sink) => {
      startTimes.push(Date.now());
      origStart(sink);
      setImmediate(() => sink.ended('refused'));
    };
    source.sink!.ended('refused');
    await waitFor(() => startTimes.length >= 4, 3000, 'four restarts');
    const gaps = startTimes.slice(1).map((t, i) => t - startTimes[i]!);
    // 40, 80, 160 ms between attempts: each gap at least the scheduled delay.
    assert.ok(gaps[0]! >= 75 && gaps[1]! >= 155, `gaps ${gaps.join(', ')}`);
    await s.close();
  });

  it('waits for a live frame for a snapshot, starting an idle camera, and gives up after the timeout', async () => {
    const source = new ScriptedSource();
    const s = stream(source);
    const pending = s.liveUnit('jpeg', 1000);
    assert.equal(source.starts, 1, 'a snapshot starts an on-demand camera');
    source.emit(jpegUnit(JPEG));
    const frame = await pending;
    assert.equal(frame?.data, JPEG);
    const silent = new ScriptedSource();
    const s2 = stream(silent, { stallTimeoutMs: 5000 });
    const t0 = Date.now();
    assert.equal(await s2.liveUnit('jpeg', 200), undefined);
    assert.ok(Date.now() - t0 >= 190);
    const ph = await s2.placeholderUnit();
    assert.equal(ph.placeholder, true);
    await s.close();
    await s2.close();
  });

  it('drops a consumer that throws without disturbing the others', async () => {
    const source = new ScriptedSource();
    const s = stream(source);
    let good = 0;
    s.subscribe({
      onUnit: () => {
        throw new Error('broken viewer');
      },
    });
    s.subscribe({ onUnit: () => good++ });
    source.emit(jpegUnit(JPEG));
    source.emit(jpegUnit(JPEG));
    assert.equal(good, 2);
    assert.equal(s.consumerCount, 1);
    await s.close();
  });

  it('ignores frames from a run that was stopped', async () => {
    const source = new ScriptedSource();
    const s = stream(source, { idleGraceMs: 10 });
    const frames: Frame[] = [];
    const unsub = s.subscribe({ onUnit: (f) => frames.push(f) });
    const oldSink = source.sink!;
    unsub();
    await waitFor(() => s.state === 'idle', 1000, 'idle');
    s.subscribe({ onUnit: (f) => frames.push(f) });
    oldSink.unit(jpegUnit(JPEG));
    assert.equal(frames.length, 0, 'a late frame of the old run is not delivered');
    source.emit(jpegUnit(JPEG));
    assert.equal(frames.length, 1);
    await s.close();
  });

  it('answers a snapshot at once while offline, and a waiting one as soon as the camera fails', async () => {
    const source = new ScriptedSource();
    const s = stream(source, { snapshotTimeoutMs: 60_000, backoffInitialMs: 60_000 });
    const waiting = s.liveUnit('jpeg');
    source.sink!.ended('ffmpeg exited with code 1: no such file');
    assert.equal(await waiting, undefined, 'not after snapshot_timeout: at the failure');
    assert.equal(s.state, 'offline');
    assert.equal(await s.liveUnit('jpeg'), undefined, 'in backoff: at once');
    await s.close();
  });

  it('keeps the newest failure and its time, idle or not, until a frame comes', async () => {
    const source = new ScriptedSource();
    const s = stream(source, { idleGraceMs: 10, backoffInitialMs: 20 });
    assert.equal(s.info().lastError, null);
    const unsub = s.subscribe({ onUnit: () => {} });
    source.sink!.ended('refused');
    const first = s.info();
    assert.equal(first.lastError, 'refused');
    assert.ok(first.lastErrorAt !== null && first.lastErrorAt <= Date.now());
    await waitFor(() => source.starts === 2, 2000, 'the restart');
    source.sink!.ended('refused again');
    assert.equal(s.info().lastError, 'refused again', 'the newest, while offline');
    assert.equal(s.info().offlineReason, 'refused', 'the outage keeps its first reason');
    unsub();
    await waitFor(() => s.state === 'idle', 2000, 'idle');
    assert.equal(s.info().offlineReason, null);
    assert.equal(s.info().lastError, 'refused again', 'still there once idle');
    s.subscribe({ onUnit: () => {} });
    source.emit(jpegUnit(JPEG));
    assert.equal(s.info().lastError, null, 'a frame clears it');
    assert.equal(s.info().lastErrorAt, null);
    await s.close();
  });

  it("tells the registry's viewer events of every viewer that leaves, however it leaves", async () => {
    const source = new ScriptedSource();
    const s = stream(source);
    const left: string[] = [];
    const events = new ViewerEvents();
    events.listen({ left: (camera, stats) => left.push(`${camera}/${stats.id}/${stats.framesSent}`) });
    s.viewerEvents = events;
    const STATS = { protocol: 't', remoteAddress: '-', connectedAt: 0, framesDropped: 0, bytesSent: 0 };
    const viewer = (id: string, onFrame = (): void => {}): Consumer => {
      let sent = 0;
      return {
        onUnit: () => {
          onFrame();
          sent++;
        },
        stats: () => ({ ...STATS, id, framesSent: sent }),
      };
    };
    const unsub = s.subscribe(viewer('a'));
    s.subscribe(
      viewer('broken', () => {
        throw new Error('broken viewer');
      }),
    );
    s.subscribe(viewer('b'));
    s.subscribe({ onUnit: () => {} }); // a snapshot: no statistics, not a viewer
    source.emit(jpegUnit(JPEG));
    unsub();
    unsub();
    assert.deepEqual(left, ['cam/broken/0', 'cam/a/1'], 'once each');
    await s.close();
    assert.deepEqual(left, ['cam/broken/0', 'cam/a/1', 'cam/b/1']);
  });

  it('an H.264 sub track: its own transcoder, on demand; a viewer in both tracks counted once', async () => {
    const source = new ScriptedSource();
    const made: { to: string; from: string | undefined; stopped: boolean }[] = [];
    const SUB = { codec: 'h264' as const, codecString: 'avc1.42E01E', width: 32, height: 24, description: undefined };
    const factory: TranscoderFactory = (to, input) => {
      const t = { to, from: input.rung ? input.from : undefined, stopped: false };
      made.push(t);
      let sink: SourceSink | undefined;
      const transcoder: Transcoder = {
        start: (s) => (sink = s),
        push: (unit) => sink?.unit({ config: SUB, keyframe: unit.keyframe, data: Buffer.alloc(4) }),
        stop: async () => void (t.stopped = true),
      };
      return transcoder;
    };
    const s = stream(source, { transcoders: factory, idleGraceMs: 100 });
    const left: string[] = [];
    const events = new ViewerEvents();
    events.listen({ left: (_camera, stats) => left.push(stats.id) });
    s.viewerEvents = events;
    const got: { quality: Quality | undefined; seq: number }[] = [];
    const viewer: Consumer = {
      onUnit: (unit, quality) => void got.push({ quality, seq: unit.seq }),
      stats: () => ({
        id: 'v',
        protocol: 't',
        remoteAddress: '-',
        connectedAt: 0,
        framesSent: 0,
        framesDropped: 0,
        bytesSent: 0,
      }),
    };
    assert.equal(
      s.trackInfo().some((t) => t.quality === 'sub'),
      false,
      'not listed before anyone wants it',
    );
    const offSub = s.subscribe(viewer, 'h264', 'sub');
    source.emit(jpegUnit(JPEG));
    source.emit(jpegUnit(JPEG));
    assert.deepEqual(
      made.map((m) => [m.to, m.from]),
      [['h264', 'jpeg']],
      'one sub transcoder, from the camera’s JPEGs; no main H.264 encoder',
    );
    assert.deepEqual(
      got.map((g) => g.quality),
      ['sub', 'sub'],
    );
    const info = s.trackInfo().find((t) => t.quality === 'sub');
    assert.deepEqual([info?.codec, info?.width, info?.running, info?.consumers], ['h264', 32, true, 1]);
    assert.equal(s.trackInfo().find((t) => t.codec === 'h264')!.quality, 'main', 'main first');
    // In both tracks for a moment (a move): one viewer, and leaving one track is not leaving.
    const offMain = s.subscribe(viewer, 'h264');
    assert.equal(s.viewers().length, 1);
    offSub();
    assert.deepEqual(left, []);
    offMain();
    assert.deepEqual(left, ['v']);
    await waitFor(() => made[0]!.stopped, 2000, 'the sub transcoder stopped after the grace');
    // A hub consumer of 'h264' (the recorder's way) still gets main.
    const mainUnits: (Quality | undefined)[] = [];
    s.subscribe({ onUnit: (_u, q) => void mainUnits.push(q) }, 'h264');
    source.emit(jpegUnit(JPEG));
    // One unit, or two when the main encoder was still in its idle grace: its track still held what it made.
    assert.ok(mainUnits.length >= 1 && mainUnits.every((q) => q === 'main'), JSON.stringify(mainUnits));
    assert.ok(
      made.some((m) => m.to === 'h264' && m.from === undefined),
      'the main encoder',
    );
    await s.close();
  });
});
