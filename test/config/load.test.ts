import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative as relativePath } from 'node:path';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig } from '../../src/config/load.js';

const dir = mkdtempSync(join(tmpdir(), 'camrelay-config-'));
function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

async function configError(text: string): Promise<string> {
  try {
    await loadConfig({ config: file('bad.yaml', text) });
  } catch (err) {
    assert.ok(err instanceof ConfigError);
    assert.equal(err.exitCode, 2);
    return err.message;
  }
  throw new Error('expected a ConfigError');
}

describe('config file', () => {
  it('defaults to one testsrc camera on 127.0.0.1:8080', async () => {
    const config = await loadConfig({});
    assert.equal(config.host, '127.0.0.1');
    assert.equal(config.port, 8080);
    assert.equal(config.cameras.length, 1);
    assert.equal(config.cameras[0]!.spec.kind, 'testsrc');
    assert.equal(config.cameras[0]!.idleGraceMs, 10_000);
    assert.equal(config.cameras[0]!.stallTimeoutMs, 5000);
  });

  it('reads cameras, defaults and overrides; the command line adds cameras and wins for host/port', async () => {
    const path = file(
      'good.yaml',
      `server: { host: 0.0.0.0, port: 9000 }
camera_defaults: { idle_grace: 30, quality: 70 }
cameras:
  - id: door
    name: Front door
    source: /dev/video0?format=mjpeg
    always_on: true
  - id: yard
    source: rtsp://10.0.0.9/live
    quality: 90
    stall_timeout: 8
`,
    );
    const config = await loadConfig({ config: path, port: 9100, cameras: ['extra=testsrc?fps=5'] });
    assert.equal(config.host, '0.0.0.0');
    assert.equal(config.port, 9100);
    assert.deepEqual(
      config.cameras.map((c) => c.id),
      ['door', 'yard', 'extra'],
    );
    const [door, yard, extra] = config.cameras;
    assert.equal(door!.name, 'Front door');
    assert.equal(door!.alwaysOn, true);
    assert.equal(door!.idleGraceMs, 30_000);
    assert.equal(yard!.quality, 90);
    assert.equal(yard!.stallTimeoutMs, 8000);
    assert.equal(extra!.quality, 70);
    assert.equal(extra!.spec.kind, 'testsrc');
  });

  it('names the key, the value and what was expected', async () => {
    assert.match(await configError('server:\n  port: "eighty"\n'), /server\.port: got "eighty", expected number/);
    assert.match(
      await configError('cameras:\n  - id: Door\n    source: testsrc\n'),
      /cameras\[0\]\.id: got "Door", expected an id of 1 to 64 characters/,
    );
    assert.match(
      await configError('cameras:\n  - id: a\n    source: webcam\n'),
      /cameras\[0\]\.source: got "webcam", expected .*not a source/,
    );
    assert.match(
      await configError('cameras:\n  - id: a\n    source: testsrc\n    qualty: 5\n'),
      /cameras\[0\]\.qualty: unknown key \(value 5\)/,
    );
    assert.match(
      await configError('cameras:\n  - id: a\n    source: testsrc\n  - id: a\n    source: testsrc\n'),
      /cameras\[1\]\.id: got "a", expected a camera id used only once/,
    );
    assert.match(await configError('camera_defaults:\n  idle_grace: -1\n'), /camera_defaults\.idle_grace: got -1/);
    assert.match(await configError('log:\n  level: loud\n'), /log\.level: got "loud", expected one of/);
    assert.match(await configError('cameras:\n  - id: a\n'), /cameras\[0\]\.source: got \(missing\)/);
  });

  it('suggests the known key nearest to an unknown one, wherever it is', async () => {
    assert.match(
      await configError('cameras:\n  - id: a\n    source: testsrc\n    stall_timout: 20\n'),
      /^ {2}cameras\[0\]\.stall_timout: unknown key \(value 20\); did you mean cameras\[0\]\.stall_timeout\?$/m,
    );
    assert.match(await configError('sever:\n  port: 80\n'), /sever: unknown key \(value .*\); did you mean server\?/);
    assert.match(
      await configError('camera_defaults:\n  record: { retain_dys: 3 }\n'),
      /camera_defaults\.record\.retain_dys: unknown key \(value 3\); did you mean camera_defaults\.record\.retain_days\?/,
    );
    assert.match(
      await configError('recordings:\n  Path: /tmp/x\n'),
      /recordings\.Path: unknown key \(value "\/tmp\/x"\); did you mean recordings\.path\?/,
    );
    assert.match(
      await configError('server:\n  allowedOrigins: []\n'),
      /server\.allowedOrigins: unknown key .*; did you mean server\.allowed_origins\?/,
    );
    // Nothing near: no guess.
    const far = await configError('cameras:\n  - id: a\n    source: testsrc\n    colour: red\n');
    assert.match(far, /cameras\[0\]\.colour: unknown key \(value "red"\)$/m);
    assert.doesNotMatch(far, /did you mean/);
  });

  it('reports YAML syntax errors with the line, the column and the offending line under a caret', async () => {
    const message = await configError('server:\n  host: 127.0.0.1\n  port: 80: 81\n');
    const [first, ...excerpt] = message.split('\n');
    assert.match(first!, /bad\.yaml: not valid YAML at line 3, column 9: Nested mappings are not allowed/);
    assert.doesNotMatch(first!, /:$/, 'the reason is whole, not cut after a colon');
    assert.deepEqual(excerpt, ['  2 |   host: 127.0.0.1', '  3 |   port: 80: 81', '    |         ^']);
    // A flow collection left open: the parser finds out at the end of the file.
    const open = await configError('server:\n  port: [1,\n');
    assert.match(open, /not valid YAML at line 3, column 1: Flow sequence .* end with a \]\n/);
    assert.ok(open.endsWith('\n  2 |   port: [1,\n  3 | (end of file)\n    | ^'), open);
    // Tabs before the column are kept, so the caret lines up in a terminal.
    const tabs = await configError('cameras:\n\t- id: a\n');
    assert.match(tabs, /line 2, column 1: Tabs are not allowed as indentation\n/);
    assert.ok(tabs.endsWith('\n  2 | \t- id: a\n    | ^'), tabs);
  });

  it('reports a missing file and a bad --camera', async () => {
    const missing = join(dir, 'nope.yaml');
    await assert.rejects(
      loadConfig({ config: missing }),
      (e: Error) => e.message === `cannot read config file ${missing}: no such file (ENOENT)`,
    );
    // A relative path: which file was tried, from which directory.
    const relative = relativePath(process.cwd(), missing);
    const tried = `cannot read config file ${relative} (${missing}, relative to the working directory ${process.cwd()}): no such file`;
    await assert.rejects(
      loadConfig({ config: relative }),
      (e: Error) => e instanceof ConfigError && e.message.startsWith(tried),
    );
    await assert.rejects(loadConfig({ config: dir }), /cannot read config file .*: it is a directory \(EISDIR\)/);
    await assert.rejects(
      loadConfig({ cameras: ['x=foo'] }),
      (e: Error) => e instanceof ConfigError && /--camera x: "foo" is not a source/.test(e.message),
    );
    await assert.rejects(loadConfig({ cameras: ['x=testsrc', 'x=testsrc'] }), /already defined/);
  });
});
