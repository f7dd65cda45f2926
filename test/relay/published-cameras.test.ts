/**
 * The cameras edges publish, on the hub: built by the factory it is given, in the registry from their first
 * announce, withdrawn when the edge leaves them out or stays away past its grace, removed once unwatched.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CameraStream } from '../../src/hub/camera-stream.js';
import { CameraRegistry } from '../../src/hub/registry.js';
import type { PublisherConfig } from '../../src/relay/config.js';
import { type AnnouncedCamera } from '../../src/relay/messages.js';
import {
  PublishedCameras,
  type PublishedCameraFactory,
  type PublishedCameraSpec,
} from '../../src/relay/published-cameras.js';
import type { EdgeLink } from '../../src/relay/remote-source.js';
import { quietLogger, sleep, waitFor } from '../support/index.js';

const TIMING = { idleGraceMs: 100, stallTimeoutMs: 1000, snapshotTimeoutMs: 500 };
const EDGE: PublisherConfig = {
  name: 'shed',
  tokenHash: 'x',
  maxFrameBytes: 1 << 20,
  maxCameras: 4,
  offlineGraceMs: 100,
};

function announced(id: string): AnnouncedCamera {
  return { id, name: id.toUpperCase(), width: 640, height: 480, fps: 10, channel: 1 };
}

/** The link a session binds while its connection carries the camera. */
const LINK: EdgeLink = { start: () => {}, stop: () => {} };

function setup(): {
  cameras: PublishedCameras;
  registry: CameraRegistry;
  specs: PublishedCameraSpec[];
  events: string[];
} {
  const registry = new CameraRegistry();
  const specs: PublishedCameraSpec[] = [];
  const factory: PublishedCameraFactory = {
    published: (spec, source) => {
      specs.push(spec);
      return new CameraStream(
        { ...spec, kind: 'relay', alwaysOn: false },
        source,
        async () => Buffer.alloc(0),
        quietLogger(),
      );
    },
  };
  const cameras = new PublishedCameras(registry, factory, TIMING, quietLogger());
  const events: string[] = [];
  cameras.observer = {
    added: (stream, publisher) => events.push(`+${stream.id} ${publisher.name}`),
    removed: (id) => events.push(`-${id}`),
  };
  return { cameras, registry, specs, events };
}

describe('PublishedCameras', () => {
  it('builds a camera at its first announce through the factory, once; the registry and the observer know it', async () => {
    const { cameras, registry, specs, events } = setup();
    const first = cameras.publish(EDGE, announced('door'));
    const again = cameras.publish(EDGE, announced('door'));
    assert.equal(first, again);
    assert.deepEqual(specs, [
      { id: 'shed.door', name: 'DOOR (shed)', ...TIMING, expectedSize: { width: 640, height: 480 } },
    ]);
    assert.equal(registry.get('shed.door'), first.stream);
    assert.deepEqual(events, ['+shed.door shed']);
    assert.deepEqual(
      cameras.of('shed').map((c) => c.id),
      ['shed.door'],
    );
    cameras.close();
    await registry.close();
  });

  it('a new connection’s announce withdraws the unbound cameras it leaves out; unwatched, they go at once', async () => {
    const { cameras, registry, events } = setup();
    const door = cameras.publish(EDGE, announced('door'));
    cameras.publish(EDGE, announced('yard'));
    door.source.bind(LINK);
    cameras.announced('shed', new Set(['door']));
    assert.deepEqual(events, ['+shed.door shed', '+shed.yard shed', '-shed.yard']);
    assert.equal(registry.get('shed.yard'), undefined);
    assert.ok(registry.get('shed.door'));
    cameras.close();
    await registry.close();
  });

  it('a watched camera that is withdrawn stays (offline) until its last viewer leaves', async () => {
    const { cameras, registry, events } = setup();
    const yard = cameras.publish(EDGE, announced('yard'));
    const leave = yard.stream.subscribe({ onUnit: () => {} });
    cameras.withdrawn(yard);
    assert.equal(yard.withdrawn, true);
    assert.ok(registry.get('shed.yard'), 'still there for its viewer');
    leave();
    await waitFor(() => registry.get('shed.yard') === undefined, 5000, 'removed by the sweep');
    assert.deepEqual(events, ['+shed.yard shed', '-shed.yard']);
    cameras.close();
    await registry.close();
  });

  it('an edge away past its grace: its cameras not announced again are withdrawn', async () => {
    const { cameras, registry } = setup();
    const door = cameras.publish(EDGE, announced('door'));
    cameras.publish(EDGE, announced('yard'));
    cameras.edgeGone('shed', 100);
    door.source.bind(LINK); // announced again on a new connection within the grace
    await sleep(300);
    assert.deepEqual(
      registry.list().map((s) => s.id),
      ['shed.door'],
    );
    cameras.close();
    await registry.close();
  });
});
