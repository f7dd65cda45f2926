/** The notifiers' config keys (`mqtt:`, `webhooks:`) and `record: {mode: events}`: defaults, and errors that name the key and the value. */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { ConfigError, loadConfig } from '../../src/config/load.js';

const dir = mkdtempSync(join(tmpdir(), 'camrelay-notify-config-'));
const load = (text: string) => {
  const path = join(dir, 'c.yaml');
  writeFileSync(path, text);
  return loadConfig({ config: path });
};

describe('notify config', () => {
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('settles mqtt and webhooks with their defaults, and record: {mode: events}', async () => {
    const c = await load(
      'mqtt: { url: "mqtt://broker:1883" }\nwebhooks:\n  - { url: "https://h.example/x" }\n' +
        'cameras:\n  - { id: a, source: testsrc, record: { mode: events, retain_days: 7, events_retain_days: 60 } }\n',
    );
    assert.deepEqual(c.mqtt, {
      url: 'mqtt://broker:1883',
      topicPrefix: 'camrelay',
      discovery: true,
      discoveryPrefix: 'homeassistant',
    });
    assert.deepEqual(c.webhooks, [{ url: 'https://h.example/x', events: ['start', 'end'], timeoutMs: 5000 }]);
    assert.deepEqual(c.cameras[0]!.record, { mode: 'events', retainDays: 7, eventsRetainDays: 60 });
  });

  it('names the key and the value of a bad one', async () => {
    const err = await load(
      'mqtt: { url: "http://x", topic_prefix: "a/b" }\nwebhooks:\n  - { url: "ftp://x", events: [begin], secret: short }\n' +
        'cameras:\n  - { id: a, source: testsrc, record: { mode: sometimes } }\n',
    ).catch((e: unknown) => e);
    assert.ok(err instanceof ConfigError);
    for (const line of [
      'mqtt.url: got "http://x"',
      'mqtt.topic_prefix: got "a/b"',
      'webhooks[0].url: got "ftp://x"',
      'webhooks[0].events[0]: got "begin"',
      'webhooks[0].secret: got "short"',
      'cameras[0].record.mode: got "sometimes", expected continuous or events',
    ])
      assert.ok(err.message.includes(line), `${line} in ${err.message}`);
  });
});
