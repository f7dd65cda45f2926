// test lane: waiting (npm pack and two installs: mostly waiting on npm and the disk)
/**
 * The package as users get it: `npm pack`, then installed from that tarball into an empty
 * folder (production only) and globally, and run from there: no checkout, no dev tool.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  realpathSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CamrelayProcess, freePort, portOf, ROOT } from '../support/index.js';
import { npm, npmEnv, run } from '../support/npm.js';
import { analyzeUnit, systemdAnalyzeMissing } from '../support/systemd.js';

const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { name: string; version: string };
const work = mkdtempSync(join(tmpdir(), 'camrelay-package-'));
let tarball = '';
let files: string[] = [];

/** The lines of an install's output that say a package does not support this Node. */
function installWarnings(output: string): string[] {
  return output.split('\n').filter((line) => /EBADENGINE/.test(line));
}

before(async () => {
  // prepack builds dist/ and web/dist/ when they are stale (scripts/build-if-stale.sh).
  const packed = await npm(['pack', '--json', '--pack-destination', work], ROOT, 180_000);
  assert.equal(packed.code, 0, packed.stderr);
  const [info] = JSON.parse(packed.stdout) as { filename: string; files: { path: string }[] }[];
  tarball = join(work, info!.filename);
  files = info!.files.map((f) => f.path);
});

after(() => rmSync(work, { recursive: true, force: true }));

describe('the npm package', () => {
  it("is ignored by git where `npm pack` leaves it, in the checkout's root", () => {
    const name = `${pkg.name}-${pkg.version}.tgz`;
    const ignored = spawnSync('git', ['check-ignore', '--quiet', name], { cwd: ROOT });
    assert.equal(ignored.status, 0, `${name} is not in .gitignore`);
  });

  it('carries what runs and nothing else', () => {
    const needed = ['package.json', 'README.md', 'bin/camrelay.js', 'dist/cli/main.js', 'dist/server/run.js'];
    needed.push('web/dist/index.html', 'web/dist/player.js', 'deploy/camrelay.service');
    for (const file of needed) assert.ok(files.includes(file), `${file} is in the package`);
    assert.ok(
      files.some((f) => /^web\/dist\/assets\/.+\.js$/.test(f)),
      "the viewer's assets are in the package",
    );
    const extra = files.filter((f) => /^(src|test|bench|\.ci|scripts|docs|web\/src)\//.test(f) || f.endsWith('.map'));
    assert.deepEqual(extra, [], 'no sources, tests, benchmarks, CI or source maps');
  });

  it('installs in an empty folder without dev tools or engine warnings, and serves', { timeout: 150_000 }, async () => {
    const app = join(work, 'app');
    mkdirSync(app);
    writeFileSync(join(app, 'package.json'), '{ "private": true }\n');
    const installed = await npm(['install', '--omit=dev', tarball], app);
    assert.equal(installed.code, 0, installed.stderr);
    assert.deepEqual(installWarnings(installed.stdout + installed.stderr), []);
    for (const devTool of ['typescript', 'vite', 'tsx', 'eslint']) {
      assert.ok(!existsSync(join(app, 'node_modules', devTool)), `${devTool} is not installed`);
    }

    const bin = join(app, 'node_modules/.bin/camrelay');
    const version = await run(bin, ['--version'], app, 30_000);
    assert.equal(version.code, 0, version.stderr);
    assert.equal(version.stdout.trim(), pkg.version);
    const help = await run(bin, ['--help'], app, 30_000);
    assert.equal(help.code, 0, help.stderr);
    for (const command of ['serve', 'check', 'publish', 'devices', 'hash-password']) {
      assert.match(help.stdout, new RegExp(`^  ${command}\\b`, 'm'));
    }
    const npx = await run('npx', ['--no-install', 'camrelay', '--version'], app, 60_000);
    assert.equal(npx.code, 0, npx.stderr);
    assert.equal(npx.stdout.trim(), pkg.version);

    const port = await freePort();
    const proc = new CamrelayProcess(
      spawn(bin, ['serve', '--port', String(port), '--log-level', 'info', '--camera', 'cam=testsrc?size=320x240'], {
        cwd: app,
        env: npmEnv(),
        stdio: ['ignore', 'pipe', 'pipe'],
      }),
    );
    try {
      const url = await proc.waitListening(30_000);
      assert.equal(portOf(url), port);
      const listening = await proc.waitLog((l) => l.msg === 'camrelay is listening', 5000, 'the listening log line');
      assert.equal(listening.version, pkg.version, 'the start-up log says the version');
      const ffmpeg = await proc.waitLog((l) => l.msg === 'using ffmpeg', 5000, 'the ffmpeg log line');
      assert.ok(String(ffmpeg.ffmpeg).length > 0);

      const snapshot = await fetch(`${url}api/cameras/cam/snapshot.jpg`);
      assert.equal(snapshot.status, 200);
      assert.equal(snapshot.headers.get('content-type'), 'image/jpeg');
      const jpeg = Buffer.from(await snapshot.arrayBuffer());
      assert.deepEqual([jpeg[0], jpeg[1]], [0xff, 0xd8]);

      const page = await fetch(url);
      assert.equal(page.status, 200);
      assert.match(page.headers.get('content-type') ?? '', /^text\/html/);
      const html = await page.text();
      const asset = /src="\.?\/(assets\/[^"]+\.js)"/.exec(html)?.[1];
      assert.ok(asset, 'the page loads its script from /assets/');
      assert.equal((await fetch(`${url}${asset}`)).status, 200, 'the web viewer is served from web/dist');
      assert.equal((await fetch(`${url}player.js`)).status, 200);
      assert.equal(await proc.stop(), 0);
    } finally {
      await proc.stop('SIGKILL');
    }
  });

  it(
    'installs and serves live video where better-sqlite3 can be neither downloaded nor built (no g++, make, python3)',
    { timeout: 200_000 },
    async () => {
      // A PATH with node, npm and sh alone: the native module's build (node-gyp: python3, make, g++) cannot
      // run, and no prebuilt binary is fetched.
      const tools = join(work, 'node-only-bin');
      mkdirSync(tools);
      symlinkSync(process.execPath, join(tools, 'node'));
      symlinkSync('/bin/sh', join(tools, 'sh')); // npm runs install scripts with it
      symlinkSync(
        realpathSync(execFileSync('sh', ['-c', 'command -v npm'], { encoding: 'utf8' }).trim()),
        join(tools, 'npm'),
      );
      const env: NodeJS.ProcessEnv = { ...npmEnv(), PATH: tools, npm_config_build_from_source: 'true' };
      delete env.PYTHON;
      const app = join(work, 'app-without-sqlite');
      mkdirSync(app);
      writeFileSync(join(app, 'package.json'), '{ "private": true }\n');
      const installed = await npm(['install', '--omit=dev', tarball], app, 180_000, env);
      assert.equal(installed.code, 0, installed.stdout + installed.stderr);
      assert.ok(!existsSync(join(app, 'node_modules/better-sqlite3')), 'better-sqlite3 could not be built here');

      const bin = join(app, 'node_modules/camrelay/bin/camrelay.js');
      const proc = new CamrelayProcess(
        spawn(process.execPath, [bin, 'serve', '--port', '0', '--camera', 'cam=testsrc?size=320x240'], {
          cwd: app,
          env: npmEnv(),
          stdio: ['ignore', 'pipe', 'pipe'],
        }),
      );
      try {
        const url = await proc.waitListening(30_000);
        const snapshot = await fetch(`${url}api/cameras/cam/snapshot.jpg`);
        assert.equal(snapshot.status, 200);
        assert.equal(Buffer.from(await snapshot.arrayBuffer())[0], 0xff);
        assert.equal(await proc.stop(), 0);
      } finally {
        await proc.stop('SIGKILL');
      }
    },
  );

  it('installs globally (npm install -g): the command works, the unit verifies', { timeout: 150_000 }, async () => {
    const prefix = join(work, 'global');
    const installed = await npm(['install', '--global', '--prefix', prefix, tarball], work);
    assert.equal(installed.code, 0, installed.stderr);
    assert.deepEqual(installWarnings(installed.stdout + installed.stderr), []);
    const bin = join(prefix, 'bin/camrelay');
    const version = await run(bin, ['--version'], work, 30_000);
    assert.equal(version.code, 0, version.stderr);
    assert.equal(version.stdout.trim(), pkg.version);
    const check = await run(bin, ['check', '--camera', 'cam=testsrc?size=160x120'], work, 60_000);
    assert.equal(check.code, 0, check.stdout + check.stderr);

    const missing = systemdAnalyzeMissing();
    if (missing) return; // the unit's own test says so
    const unit = join(prefix, 'lib/node_modules', pkg.name, 'deploy/camrelay.service');
    const verified = await analyzeUnit(unit, bin, ['verify']);
    assert.equal(verified.code, 0, verified.output);
    assert.equal(verified.output.trim(), '');
  });

  it('installs from the lock file with --omit=dev: no build step, no dev tool', { timeout: 150_000 }, async () => {
    const checkout = join(work, 'checkout');
    mkdirSync(checkout);
    copyFileSync(join(ROOT, 'package.json'), join(checkout, 'package.json'));
    copyFileSync(join(ROOT, 'package-lock.json'), join(checkout, 'package-lock.json'));
    const installed = await npm(['ci', '--omit=dev'], checkout);
    assert.equal(installed.code, 0, installed.stdout + installed.stderr);
    assert.deepEqual(installWarnings(installed.stdout + installed.stderr), []);
    assert.ok(existsSync(join(checkout, 'node_modules/fastify')));
    assert.ok(!existsSync(join(checkout, 'node_modules/typescript')));
  });
});
