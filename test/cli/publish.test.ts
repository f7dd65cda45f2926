/**
 * `camrelay publish` and the relay flags of `serve`, as real processes: --publish-codec is one
 * spelling for both commands (publish's --codec still works), and a token hash given where the
 * token belongs is refused with a line saying which goes where.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { hashToken } from '../../src/security/secrets.js';
import { BIN, CamrelayProcess, freePort, runCamrelay, waitFor } from '../support/index.js';

const TOKEN = 'shed-token-0123456789abcdef';
const HASH = hashToken(TOKEN);
const WHICH =
  'the edge holds the token itself (the "token:" line of `camrelay hash-token`: --token, publish.token, ' +
  "CAMRELAY_PUBLISH_TOKEN, or the hub's --publisher EDGE=TOKEN); the hub's config file holds its hash " +
  '(publishers[].token_hash: "sha256:…")';

const dir = mkdtempSync(join(tmpdir(), 'camrelay-publish-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('camrelay publish', () => {
  it('takes --publish-codec as serve does (and --codec as before)', async () => {
    const port = await freePort();
    const hubUrl = `http://127.0.0.1:${port}`;
    const hub = CamrelayProcess.spawn([
      'serve',
      '--port',
      String(port),
      '--publisher',
      `e1=${TOKEN}`,
      '--publisher',
      `e2=${TOKEN}x`,
    ]);
    const edges: CamrelayProcess[] = [];
    try {
      await hub.waitListening();
      const edge = (name: string, token: string, flag: string) =>
        CamrelayProcess.spawn([
          'publish',
          '--hub',
          `ws://127.0.0.1:${port}`,
          '--name',
          name,
          '--token',
          token,
          flag,
          'jpeg',
          '--camera',
          'cam=testsrc?size=160x120&fps=5',
        ]);
      edges.push(edge('e1', TOKEN, '--publish-codec'), edge('e2', `${TOKEN}x`, '--codec'));
      // An edge forced to JPEG offers the hub JPEG alone (an auto edge offers H.264 and JPEG).
      const codecs = async (name: string): Promise<unknown> => {
        const res = await fetch(`${hubUrl}/api/publishers`);
        const body = (await res.json()) as { publishers: { name: string; codecs: string[] | null }[] };
        return body.publishers.find((p) => p.name === name)?.codecs ?? undefined;
      };
      for (const name of ['e1', 'e2']) {
        const seen = await waitFor(codecs.bind(null, name), 15_000, `${name} to connect`);
        assert.deepEqual(seen, ['jpeg'], name);
      }
    } finally {
      await Promise.all([...edges.map((e) => e.stop()), hub.stop()]);
    }
  });

  it('lists --publish-codec in its help', () => {
    const r = runCamrelay(['publish', '--help']);
    assert.match(r.stdout, /--publish-codec <codec>/);
  });

  it('refuses a token hash where the token belongs, saying which is which', () => {
    const hub = runCamrelay(['serve', '--port', '0', '--publisher', `shed=${HASH}`]);
    assert.equal(hub.status, 2, hub.stderr);
    assert.equal(hub.stderr, `camrelay: --publisher shed: got a token hash (sha256:…), expected the token: ${WHICH}\n`);

    const edge = runCamrelay(['publish', '--hub', 'ws://127.0.0.1:9', '--name', 'shed', '--token', HASH]);
    assert.equal(edge.status, 2, edge.stderr);
    assert.equal(edge.stderr, `camrelay: --token: got a token hash (sha256:…), expected the token: ${WHICH}\n`);

    const cfg = join(dir, 'edge.yaml');
    writeFileSync(cfg, `publish:\n  hub: ws://127.0.0.1:9\n  name: shed\n  token: "${HASH}"\n`);
    const file = runCamrelay(['publish', '--config', cfg]);
    assert.equal(file.status, 2, file.stderr);
    assert.match(file.stderr, /^camrelay: publish\.token: got a token hash \(sha256:…\), expected the token: /);

    const fromEnv = spawnSync(process.execPath, [BIN, 'publish', '--hub', 'ws://127.0.0.1:9', '--name', 'shed'], {
      encoding: 'utf8',
      timeout: 20_000,
      env: { ...process.env, CAMRELAY_PUBLISH_TOKEN: HASH },
    });
    assert.equal(fromEnv.status, 2, fromEnv.stderr);
    assert.match(
      fromEnv.stderr,
      /^camrelay: CAMRELAY_PUBLISH_TOKEN: got a token hash \(sha256:…\), expected the token: /,
    );

    const rehash = runCamrelay(['hash-token', HASH]);
    assert.equal(rehash.status, 2, rehash.stderr);
    assert.match(rehash.stderr, /^camrelay: that is already a token hash \(sha256:…\): it goes in the hub's config/);
    assert.equal(rehash.stdout, '');

    // And the other way round: a token where the hub's config wants its hash; the token is not echoed.
    const hubCfg = join(dir, 'hub.yaml');
    writeFileSync(hubCfg, `publishers:\n  - name: shed\n    token_hash: ${TOKEN}\n`);
    const wrong = runCamrelay(['serve', '--port', '0', '--config', hubCfg]);
    assert.equal(wrong.status, 2, wrong.stderr);
    assert.match(
      wrong.stderr,
      /publishers\[0\]\.token_hash: got \(hidden\), expected a token hash .*the token itself goes to the edge/,
    );
    assert.doesNotMatch(wrong.stderr, new RegExp(TOKEN));
  });
});
