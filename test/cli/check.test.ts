import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { freePort, runCamrelay } from '../support/index.js';

const dir = mkdtempSync(join(tmpdir(), 'camrelay-check-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('camrelay check', () => {
  it('exits 0 when the config is valid and every camera gives a frame, listing each camera', () => {
    const cfg = join(dir, 'good.yaml');
    writeFileSync(cfg, 'cameras:\n  - id: pattern\n    source: testsrc?size=320x240&fps=10\n');
    // A generous timeout: the probe ends at the first frame, and a busy machine may start ffmpeg slowly.
    const r = runCamrelay(
      ['check', '--config', cfg, '--camera', 'extra=testsrc?size=160x120', '--timeout', '60'],
      undefined,
      70_000,
    );
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /good\.yaml: valid/);
    assert.match(r.stdout, /cameras: 2/);
    assert.match(r.stdout, /pattern\s+ok\s+320x240 in .* testsrc\?size=320x240/);
    assert.match(r.stdout, /extra\s+ok\s+160x120 in /);
    assert.equal(r.stderr, '');
  });

  it('exits non-zero with a line naming each camera that gives no frame, and why', async () => {
    const closed = await freePort(); // nothing listens there
    const r = runCamrelay([
      'check',
      '--camera',
      'fine=testsrc?size=160x120',
      '--camera',
      'gone=file:/nonexistent/camrelay-check.mp4',
      '--camera',
      `shed=rtsp://user:secret@127.0.0.1:${closed}/stream1`,
      '--timeout',
      '15',
    ]);
    assert.equal(r.status, 1, r.stdout + r.stderr);
    assert.match(r.stdout, /fine\s+ok/);
    assert.match(r.stdout, /gone\s+FAILED/);
    const lines = r.stderr.trim().split('\n');
    assert.equal(lines.length, 2, r.stderr);
    assert.match(lines[0]!, /^camrelay: camera gone \(file:\/nonexistent\/camrelay-check\.mp4\): .*no such file/i);
    const shed = `camrelay: camera shed (rtsp://user:***@127.0.0.1:${closed}/stream1): `;
    assert.ok(lines[1]!.startsWith(shed), lines[1]);
    assert.match(lines[1]!, /refused/i);
    assert.doesNotMatch(r.stdout + r.stderr, /secret/, 'the password is never printed');
  });

  it('exits 2 on a bad config, naming the key, and probes nothing', () => {
    const cfg = join(dir, 'bad.yaml');
    writeFileSync(cfg, 'cameras:\n  - id: door\n    source: testsrc\n    always_on: "yes"\n');
    const r = runCamrelay(['check', '--config', cfg]);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /cameras\[0\]\.always_on/);
    assert.doesNotMatch(r.stdout, /door\s+(ok|FAILED)/);
  });

  it('reports what serve would refuse: an open address without credentials', () => {
    const cfg = join(dir, 'open.yaml');
    writeFileSync(cfg, 'server:\n  host: 0.0.0.0\ncameras:\n  - id: pattern\n    source: testsrc?size=160x120\n');
    const r = runCamrelay(['check', '--config', cfg]);
    assert.equal(r.status, 2, r.stdout + r.stderr);
    assert.match(r.stderr, /^camrelay: server: /m);
    assert.match(r.stdout, /pattern\s+ok/, 'the cameras are still probed');
  });

  it('reports TLS files that serve could not read', () => {
    const cfg = join(dir, 'tls.yaml');
    const tls = `server:\n  tls:\n    cert: ${join(dir, 'no-cert.pem')}\n    key: ${join(dir, 'no-key.pem')}\n`;
    writeFileSync(cfg, `${tls}cameras:\n  - id: pattern\n    source: testsrc?size=160x120\n`);
    const r = runCamrelay(['check', '--config', cfg]);
    assert.equal(r.status, 2, r.stdout + r.stderr);
    assert.match(r.stderr, /^camrelay: server\.tls\.cert: .*no-cert\.pem/m);
  });
});
