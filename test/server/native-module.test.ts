/**
 * Live view does not depend on the recording index's native module (better-sqlite3): a server
 * that records nothing runs where it cannot be loaded, and one that records says which module is
 * missing and what building it needs, while its live view goes on.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { BIN, ROOT, startCamrelay, type CamrelayProcess } from '../support/index.js';

const PRELOAD = ['--import', join(ROOT, 'test/support/no-better-sqlite3.mjs')];
const dir = mkdtempSync(join(tmpdir(), 'camrelay-native-'));
after(() => rmSync(dir, { recursive: true, force: true }));

async function liveSnapshot(url: string): Promise<void> {
  const res = await fetch(`${url}api/cameras/cam/snapshot.jpg`);
  assert.equal(res.status, 200);
  assert.equal(Buffer.from(await res.arrayBuffer())[0], 0xff, 'a JPEG');
}

describe('without better-sqlite3', () => {
  it('serves live video when nothing records', async () => {
    let proc: CamrelayProcess | undefined;
    try {
      const started = await startCamrelay(['serve', '--port', '0', '--camera', 'cam=testsrc?size=320x240'], {
        nodeArgs: PRELOAD,
      });
      proc = started.proc;
      await liveSnapshot(started.url);
      assert.equal((await fetch(`${started.url}api/cameras`)).status, 200);
    } finally {
      await proc?.stop();
    }
  });

  it('serves live video when a camera records, and says recording needs the module', async () => {
    const cfg = join(dir, 'record.yaml');
    writeFileSync(
      cfg,
      `recordings:\n  path: ${join(dir, 'recordings')}\ncameras:\n  - id: cam\n    source: testsrc?size=320x240\n    record: true\n`,
    );
    let proc: CamrelayProcess | undefined;
    try {
      const started = await startCamrelay(['serve', '--port', '0', '--config', cfg], { nodeArgs: PRELOAD });
      proc = started.proc;
      await liveSnapshot(started.url);
      const line = await proc.waitLog((l) => /^recording is off: /.test(l.msg ?? ''), 10_000, 'the error');
      assert.match(line.msg!, /needs the native module better-sqlite3, which did not load .*\(g\+\+, make, python3\)/);
      assert.equal(line.level, 50, 'an error');
    } finally {
      await proc?.stop();
    }
    // check says so before serve runs.
    const check = spawnSync(process.execPath, [...PRELOAD, BIN, 'check', '--config', cfg, '--timeout', '60'], {
      encoding: 'utf8',
      timeout: 70_000,
    });
    assert.equal(check.status, 1, check.stdout + check.stderr);
    assert.match(check.stderr, /^camrelay: recording needs the native module better-sqlite3, which did not load /m);
  });
});
