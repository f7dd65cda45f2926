import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createServer, type AddressInfo } from 'node:net';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { BIN, CamrelayProcess, ffmpegChildren, runCamrelay } from '../support/index.js';

const dir = mkdtempSync(join(tmpdir(), 'camrelay-cli-'));

const camrelay = (args: string[]) => runCamrelay(args);

describe('camrelay CLI', () => {
  it('exits 2 on a bad config file, naming the key, the value and what was expected', () => {
    const cfg = join(dir, 'bad.yaml');
    writeFileSync(
      cfg,
      'server:\n  port: 70000\ncameras:\n  - id: door\n    source: /dev/video0\n    always_on: "yes"\n',
    );
    const r = camrelay(['serve', '--config', cfg]);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /server\.port: got 70000, expected number to be <=65535/);
    assert.match(r.stderr, /cameras\[0\]\.always_on: got "yes", expected boolean/);
  });

  it('exits 2 on a config file that is not YAML, or missing, saying where', () => {
    const cfg = join(dir, 'broken.yaml');
    writeFileSync(cfg, 'cameras:\n  - id: door\n    source: "rtsp://10.0.0.7/stream1\n');
    const broken = camrelay(['serve', '--config', cfg]);
    assert.equal(broken.status, 2);
    assert.match(broken.stderr, /broken\.yaml: not valid YAML at line 4, column 1: Missing closing "quote\n/);
    assert.ok(broken.stderr.includes('\n  3 |     source: "rtsp://10.0.0.7/stream1\n'), broken.stderr);
    const missing = spawnSync(process.execPath, [BIN, 'serve', '--config', 'camrelay.yaml'], {
      cwd: dir,
      encoding: 'utf8',
      timeout: 20_000,
    });
    assert.equal(missing.status, 2);
    const tried = `cannot read config file camrelay.yaml (${join(dir, 'camrelay.yaml')}, relative to the working directory ${dir})`;
    assert.ok(missing.stderr.includes(tried), missing.stderr);
  });

  it('exits 2 on a bad --camera or flag', () => {
    const r = camrelay(['serve', '--camera', 'door=v4l2:video0']);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /--camera door: "video0" is not a device path like \/dev\/video0/);
    assert.equal(camrelay(['serve', '--port', 'http']).status, 2);
  });

  it('exits 2 on a bad --log-level with the same clear line as the config file', () => {
    const r = camrelay(['serve', '--log-level', 'loud', '--port', '0']);
    assert.equal(r.status, 2, r.stderr);
    assert.equal(
      r.stderr,
      'camrelay: --log-level: got "loud", expected one of fatal, error, warn, info, debug, trace, silent\n',
    );
    const publish = camrelay(['publish', '--log-level', 'loud', '--hub', 'ws://127.0.0.1:9', '--name', 'shed']);
    assert.equal(publish.status, 2, publish.stderr);
    assert.match(publish.stderr, /^camrelay: --log-level: got "loud"/);
  });

  it('exits 1 when its port is in use, naming the address and what to do', async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const { port } = taken.address() as AddressInfo;
    try {
      const r = spawnSync(process.execPath, [BIN, 'serve', '--port', String(port), '--log-level', 'silent'], {
        encoding: 'utf8',
        timeout: 20_000,
      });
      assert.equal(r.status, 1, r.stderr);
      assert.equal(
        r.stderr,
        `camrelay: cannot listen on 127.0.0.1:${port}: the port is already in use by another program ` +
          '(another camrelay?): stop it, or choose another port (--port or server.port)\n',
      );
    } finally {
      taken.close();
    }
  });

  it("names the TLS redirect's port, and its key, when that one is in use", async () => {
    const cert = join(dir, 'cert.pem');
    const key = join(dir, 'key.pem');
    spawnSync('openssl', [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=localhost',
      '-keyout',
      key,
      '-out',
      cert,
    ]);
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const { port } = taken.address() as AddressInfo;
    try {
      const cfg = join(dir, 'redirect.yaml');
      writeFileSync(cfg, `server:\n  tls:\n    cert: ${cert}\n    key: ${key}\n    redirect_http_port: ${port}\n`);
      const r = camrelay(['serve', '--port', '0', '--log-level', 'silent', '--config', cfg]);
      assert.equal(r.status, 1, r.stderr);
      assert.equal(
        r.stderr,
        `camrelay: cannot listen on 127.0.0.1:${port}: the port is already in use by another program ` +
          '(another camrelay?): stop it, or choose another port (server.tls.redirect_http_port)\n',
      );
    } finally {
      taken.close();
    }
  });

  it('serves, then ends every ffmpeg child on SIGTERM', async () => {
    const args = ['serve', '--port', '0', '--log-level', 'warn', '--camera', 'cam=testsrc?size=320x240'];
    const proc = CamrelayProcess.spawn(args);
    const { child, exited } = proc;
    try {
      const url = await proc.waitListening(15_000);
      const res = await fetch(`${url}api/cameras/cam/snapshot.jpg`);
      assert.equal(res.status, 200);
      assert.equal(Buffer.from(await res.arrayBuffer())[0], 0xff);
      const ffmpeg = ffmpegChildren(child.pid);
      assert.equal(ffmpeg.length, 1, 'one capture process');
      child.kill('SIGTERM');
      assert.equal(await exited, 0);
      assert.throws(() => process.kill(ffmpeg[0]!, 0), /ESRCH/, 'ffmpeg is gone, not orphaned');
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('lists V4L2 devices, or says plainly there are none', () => {
    const r = camrelay(['devices']);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^(No V4L2 cameras found|\/dev\/video\d+)/);
    const json = camrelay(['devices', '--json']);
    assert.ok(Array.isArray((JSON.parse(json.stdout) as { devices: unknown[] }).devices));
  });
});
