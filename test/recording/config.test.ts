/**
 * The recording config keys: sizes in decimal and binary units, `record: true|false` shorthand,
 * camera_defaults merged key by key, the store's defaults (systemd's STATE_DIRECTORY, else the
 * working directory), `camrelay check` on an unwritable path, and errors that name key and value.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, describe, it } from 'node:test';
import { ConfigError, loadConfig } from '../../src/config/load.js';
import { parseSize, settleRecordings } from '../../src/recording/config.js';
import { runCamrelay } from '../support/index.js';

const dir = mkdtempSync(join(tmpdir(), 'camrelay-rec-config-'));
let n = 0;
function file(yaml: string): string {
  const path = join(dir, `c${n++}.yaml`);
  writeFileSync(path, yaml);
  return path;
}
async function configError(yaml: string): Promise<string> {
  try {
    await loadConfig({ config: file(yaml) });
  } catch (err) {
    assert.ok(err instanceof ConfigError);
    return err.message;
  }
  throw new Error('expected a ConfigError');
}

describe('recording config', () => {
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('reads sizes', () => {
    assert.equal(parseSize('50GB'), 50e9);
    assert.equal(parseSize('500MB'), 500e6);
    assert.equal(parseSize('1.5TB'), 1.5e12);
    assert.equal(parseSize('10MiB'), 10 * 2 ** 20);
    assert.equal(parseSize('2 gib'), 2 * 2 ** 30);
    assert.equal(parseSize(123456), 123456);
    assert.equal(parseSize('123456'), 123456);
    for (const bad of ['50XB', '', 'GB', '-1GB', -5, '1e3', true, null])
      assert.equal(parseSize(bad), undefined, String(bad));
  });

  it('settles record: per camera and from camera_defaults, key by key', async () => {
    const config = await loadConfig({
      config: file(
        `camera_defaults: { record: { retain_days: 7, retain_size: 1GB } }\n` +
          `recordings: { path: rec, max_size: 1.5TB, min_free: 10GiB, edge_share: 10%, segment_duration: 30 }\n` +
          `cameras:\n` +
          `  - { id: a, source: testsrc }\n` +
          `  - { id: b, source: testsrc, record: false }\n` +
          `  - { id: c, source: testsrc, record: { retain_days: 2 } }\n` +
          `  - { id: d, source: testsrc, record: { enabled: false } }\n`,
      ),
    });
    const byId = new Map(config.cameras.map((c) => [c.id, c.record]));
    assert.deepEqual(byId.get('a'), { retainDays: 7, retainBytes: 1e9 });
    assert.equal(byId.get('b'), undefined);
    assert.deepEqual(byId.get('c'), { retainDays: 2, retainBytes: 1e9 });
    assert.equal(byId.get('d'), undefined);
    assert.deepEqual(config.recordings, {
      path: resolve('rec'),
      maxBytes: 1.5e12,
      minFree: { bytes: 10 * 2 ** 30 },
      edgeSharePercent: 10,
      segmentDurationMs: 30_000,
      defaultRetainDays: 7,
    });
  });

  it('settles record: for the cameras an edge publishes, from its publishers entry and camera_defaults', async () => {
    const hash = `sha256:${'0'.repeat(64)}`;
    const config = await loadConfig({
      config: file(
        `camera_defaults: { record: { retain_days: 3 } }\n` +
          `publishers:\n` +
          `  - { name: a, token_hash: "${hash}", record: { retain_size: 1GB, max_size: 30MB } }\n` +
          `  - { name: b, token_hash: "${hash}", record: false }\n` +
          `  - { name: c, token_hash: "${hash}" }\n`,
      ),
      publishers: ['d=0123456789abcdef0123'],
    });
    const byName = new Map((config.publishers ?? []).map((p) => [p.name, p.record]));
    assert.deepEqual(byName.get('a'), { retainDays: 3, retainBytes: 1e9, edgeMaxBytes: 30e6 });
    assert.equal(byName.get('b'), undefined);
    assert.deepEqual(byName.get('c'), { retainDays: 3 });
    assert.deepEqual(byName.get('d'), { retainDays: 3 });
  });

  it('records nothing by default; the store path follows STATE_DIRECTORY', async () => {
    const config = await loadConfig({
      config: file(`cameras:\n  - { id: a, source: testsrc, record: true }\n  - { id: b, source: testsrc }\n`),
    });
    assert.deepEqual(config.cameras[0]!.record, { retainDays: 14 });
    assert.equal(config.cameras[1]!.record, undefined);
    assert.deepEqual(config.recordings, {
      path: resolve(process.cwd(), 'recordings'),
      minFree: { percent: 5 },
      edgeSharePercent: 25,
      segmentDurationMs: 60_000,
      defaultRetainDays: 14,
    });
    assert.equal(
      settleRecordings(undefined, undefined, { STATE_DIRECTORY: '/var/lib/camrelay' }).path,
      '/var/lib/camrelay/recordings',
    );
    assert.deepEqual(settleRecordings({ min_free: { percent: 5 } }, undefined, {}).minFree, { percent: 5 });
  });

  it('names the key and the value of a bad setting', async () => {
    const cases: [string, RegExp][] = [
      [
        `cameras:\n  - { id: a, source: testsrc, record: { retain_size: 50XB } }\n`,
        /cameras\[0\]\.record\.retain_size: got "50XB", expected a size like "50GB"/,
      ],
      [
        `cameras:\n  - { id: a, source: testsrc, record: yes }\n`,
        /cameras\[0\]\.record: got "yes", expected true, false or/,
      ],
      [
        `camera_defaults: { record: { retain_days: -1 } }\n`,
        /camera_defaults\.record\.retain_days: got -1, expected days/,
      ],
      [
        `cameras:\n  - { id: a, source: testsrc, record: { keep: 1 } }\n`,
        /cameras\[0\]\.record\.keep: unknown key \(value 1\)/,
      ],
      [`recordings: { max_size: lots }\n`, /recordings\.max_size: got "lots", expected a size/],
      [
        `recordings: { min_free: 120% }\n`,
        /recordings\.min_free: got "120%", expected a size like "2GB" or a percentage/,
      ],
      [
        `recordings: { segment_duration: 0.5 }\n`,
        /recordings\.segment_duration: got 0.5, expected seconds, from 2 to 3600/,
      ],
      [`recordings: { path: "" }\n`, /recordings\.path: got ""/],
      [
        `recordings: { edge_share: 150% }\n`,
        /recordings\.edge_share: got "150%", expected a share of the store like "25%"/,
      ],
      [
        `publishers:\n  - { name: a, token_hash: "sha256:${'0'.repeat(64)}", record: { max_size: plenty } }\n`,
        /publishers\[0\]\.record\.max_size: got "plenty", expected a size/,
      ],
      [
        `cameras:\n  - { id: a, source: testsrc, record: { max_size: 1GB } }\n`,
        /cameras\[0\]\.record\.max_size: unknown key/,
      ],
      [
        `publishers:\n  - { name: a, token_hash: "sha256:${'0'.repeat(64)}", record: { retain_size: 5 apples } }\n`,
        /publishers\[0\]\.record\.retain_size: got "5 apples", expected a size/,
      ],
    ];
    for (const [yaml, expected] of cases) assert.match(await configError(yaml), expected, yaml);
  });

  it('camrelay check reports an unwritable recordings path when a camera records', () => {
    const blocker = join(dir, 'not-a-folder');
    writeFileSync(blocker, 'x');
    const path = file(
      `recordings: { path: ${join(blocker, 'rec')} }\ncameras:\n  - { id: a, source: testsrc, record: true }\n`,
    );
    const result = runCamrelay(['check', '--config', path, '--timeout', '5']);
    assert.equal(result.status, 2, result.stderr);
    assert.match(
      result.stderr,
      /recordings\.path: .*not-a-folder\/rec is not writable: .*not-a-folder is not a directory/,
    );
    const fine = file(
      `recordings: { path: ${join(dir, 'rec')} }\ncameras:\n  - { id: a, source: testsrc, record: true }\n`,
    );
    const ok = runCamrelay(['check', '--config', fine, '--timeout', '10']);
    assert.match(ok.stdout, /recordings: .*rec \(1 camera\(s\) recorded\)/);
  });
});
