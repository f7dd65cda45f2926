/**
 * `cluster:` in the config file (src/cluster/config.ts): settled from a real file, and every bad value
 * refused with a line that names its key and the value (never a password or token).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { ConfigError, loadConfig } from '../../src/config/load.js';

const dir = mkdtempSync(join(tmpdir(), 'camrelay-cluster-config-'));
let n = 0;
function load(yaml: string) {
  const file = join(dir, `c${n++}.yaml`);
  writeFileSync(file, yaml);
  return loadConfig({ config: file }, {});
}

async function refusal(yaml: string): Promise<string> {
  const err = await load(yaml).then(
    () => undefined,
    (e: unknown) => e,
  );
  assert.ok(err instanceof ConfigError, `refused: ${yaml}`);
  return err.message;
}

describe('cluster: in the config file', () => {
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('changes nothing without it', async () => {
    const config = await load('cameras: [{ id: c, source: testsrc }]\n');
    assert.equal(config.cluster, undefined);
  });

  it('settles URLs, name, credentials and heartbeat', async () => {
    const creds = join(dir, 'hub.creds');
    writeFileSync(creds, '-----BEGIN NATS USER JWT-----\nx\n------END NATS USER JWT------\n');
    const one = await load('cluster: { nats: "nats://n1:4222", name: hub-a, credentials: { user: u, pass: p } }\n');
    assert.deepEqual(one.cluster?.servers, ['nats://n1:4222']);
    assert.equal(one.cluster?.name, 'hub-a');
    assert.equal(one.cluster?.user, 'u');
    assert.equal(one.cluster?.heartbeatMs, 1000);
    assert.equal(one.cameras.length, 0, 'no default test pattern on a hub of a cluster');
    const list = await load(
      `cluster: { nats: ["nats://n1:4222", "tls://n2:4222"], name: b, heartbeat: 0.5, credentials: { creds_file: ${creds} } }\n`,
    );
    assert.deepEqual(list.cluster?.servers, ['nats://n1:4222', 'tls://n2:4222']);
    assert.equal(list.cluster?.heartbeatMs, 500);
    assert.ok(list.cluster?.creds && list.cluster.creds.length > 0);
  });

  it('refuses bad values, naming the key and the value', async () => {
    assert.match(
      await refusal('cluster: { nats: "http://n1:4222", name: a }\n'),
      /cluster\.nats: got "http:\/\/n1:4222"/,
    );
    assert.match(await refusal('cluster: { nats: "nats://n1:4222", name: "Hub A" }\n'), /cluster\.name: got "Hub A"/);
    assert.match(await refusal('cluster: { nats: "nats://n1:4222" }\n'), /cluster\.name/);
    assert.match(await refusal('cluster: { nats: "nats://n1:4222", name: a, heartbeat: 0 }\n'), /cluster\.heartbeat/);
    const halfCredentials = await refusal(
      'cluster: { nats: "nats://n1:4222", name: a, credentials: { user: u, token: secret-token-value } }\n',
    );
    assert.match(halfCredentials, /cluster\.credentials/);
    assert.doesNotMatch(halfCredentials, /secret-token-value/);
    assert.match(
      await refusal(
        'cluster: { nats: "nats://n1:4222", name: a, credentials: { creds_file: /nonexistent/hub.creds } }\n',
      ),
      /cluster\.credentials\.creds_file: cannot read "\/nonexistent\/hub.creds"/,
    );
    assert.match(
      await refusal('cameras: [{ id: c, source: testsrc, record: { on: hub-b } }]\n'),
      /cameras c: record\.on: got "hub-b", but this hub has no cluster: section/,
    );
  });
});
