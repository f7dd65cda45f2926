/** Home Assistant discovery configs: topics and ids Home Assistant accepts, for a relayed camera's dotted id too. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { discoveryMessages } from '../../src/notify/index.js';

const config = { url: 'mqtt://b', topicPrefix: 'cr', discovery: true, discoveryPrefix: 'ha' };

describe('discovery', () => {
  it("writes a relayed camera's edge.camera as edge_camera in discovery, and keeps the id in its own topics", () => {
    const [sensor, camera] = discoveryMessages(config, { id: 'shed.yard', name: 'Yard' }, '1.2.3');
    assert.equal(sensor!.topic, 'ha/binary_sensor/cr/shed_yard_motion/config');
    assert.equal(camera!.topic, 'ha/camera/cr/shed_yard_snapshot/config');
    const s = JSON.parse(sensor!.payload) as Record<string, unknown>;
    assert.equal(s.state_topic, 'cr/shed.yard/motion');
    assert.equal(s.unique_id, 'cr_shed_yard_motion');
    assert.equal(s.availability_topic, 'cr/available');
    assert.deepEqual(s.device, {
      identifiers: ['cr_shed_yard'],
      name: 'Yard',
      manufacturer: 'camrelay',
      model: 'camera',
      sw_version: '1.2.3',
    });
    assert.equal((JSON.parse(camera!.payload) as { topic: string }).topic, 'cr/shed.yard/snapshot');
    for (const m of [sensor!, camera!])
      assert.match(m.topic.split('/').slice(2, 4).join('/'), /^[A-Za-z0-9_-]+\/[A-Za-z0-9_-]+$/);
  });
});
