import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  cpSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { BIN, freePort, requireInCi, ROOT, runCamrelay, skipOutsideCi } from '../support/index.js';

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

  it('ends quietly when its reader goes away (`check | head -1`)', () => {
    // head leaves after the first line; check writes on while it probes, into a closed pipe.
    const r = spawnSync(
      'bash',
      ['-c', `"${process.execPath}" "${BIN}" check --camera a=testsrc?size=160x120 | head -1`],
      { encoding: 'utf8', timeout: 30_000 },
    );
    assert.equal(r.stdout, 'config: (none: command line only): valid\n');
    assert.equal(r.stderr, '', 'no stack trace');
  });

  const notRoot = process.getuid?.() === 0 ? undefined : 'needs root, to run check as another user';
  it(
    "checks the recordings' default where serve under the systemd unit puts it, run as the unit's user from another's directory",
    { skip: skipOutsideCi(notRoot) },
    () => {
      requireInCi(notRoot);
      // The package as installed (bin, dist, deploy), its unit's User= a user this machine has.
      const pkg = mkdtempSync(join(tmpdir(), 'camrelay-check-pkg-'));
      const state = `camrelay-check-${process.pid}`;
      const stateDir = join('/var/lib', state);
      // An admin's home: the service's user cannot write there.
      const admin = mkdtempSync(join(tmpdir(), 'camrelay-check-admin-'));
      try {
        chmodSync(pkg, 0o755);
        for (const part of ['bin', 'dist', 'package.json'])
          cpSync(join(ROOT, part), join(pkg, part), { recursive: true });
        symlinkSync(join(ROOT, 'node_modules'), join(pkg, 'node_modules'));
        mkdirSync(join(pkg, 'deploy'));
        const unit = readFileSync(join(ROOT, 'deploy/camrelay.service'), 'utf8')
          .replace(/^User=.*$/m, 'User=nobody')
          .replace(/^StateDirectory=.*$/m, `StateDirectory=${state}`);
        writeFileSync(join(pkg, 'deploy/camrelay.service'), unit);
        mkdirSync(stateDir, { mode: 0o750 });
        chownSync(stateDir, 65534, 65534);
        const cfg = join(pkg, 'camrelay.yaml');
        writeFileSync(cfg, 'cameras:\n  - id: door\n    source: testsrc?size=160x120\n    record: true\n', {
          mode: 0o644,
        });
        const check = (uid: number) =>
          spawnSync(process.execPath, [join(pkg, 'bin/camrelay.js'), 'check', '--config', cfg, '--timeout', '60'], {
            cwd: admin,
            uid,
            gid: uid,
            encoding: 'utf8',
            timeout: 70_000,
          });

        const asService = check(65534);
        assert.equal(asService.status, 0, asService.stdout + asService.stderr);
        const unitFile = join(pkg, 'deploy/camrelay.service');
        assert.ok(
          asService.stdout.includes(
            `recordings: ${stateDir}/recordings (the default, $STATE_DIRECTORY/recordings, as serve under ` +
              `${unitFile} (User=nobody, StateDirectory=${stateDir})) (1 camera(s) recorded)\n`,
          ),
          asService.stdout,
        );

        // Anyone else (not under systemd): the working directory's, and check says so.
        const asRoot = check(0);
        assert.equal(asRoot.status, 0, asRoot.stdout + asRoot.stderr);
        assert.ok(
          asRoot.stdout.includes(
            `recordings: ${admin}/recordings (the default, ./recordings in the working directory ${admin}) (`,
          ),
          asRoot.stdout,
        );
      } finally {
        rmSync(pkg, { recursive: true, force: true });
        rmSync(admin, { recursive: true, force: true });
        rmSync(stateDir, { recursive: true, force: true });
      }
    },
  );
});
