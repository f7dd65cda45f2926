/** npm as a real child process, for the tests of the package itself (pack, install, npx). */
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { ROOT } from './paths.js';

export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * The environment for a nested npm: this one without the npm_* variables that `npm test` sets
 * (they would point the nested npm at this checkout), with node's own directory first on PATH
 * (the bins' `#!/usr/bin/env node`) and npm's notices off.
 */
export function npmEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) if (!/^npm_/i.test(key)) env[key] = value;
  env.PATH = `${dirname(process.execPath)}:${process.env.PATH ?? ''}`;
  env.npm_config_update_notifier = 'false';
  env.npm_config_fund = 'false';
  env.npm_config_audit = 'false';
  env.npm_config_better_sqlite3_local_prebuilds = localPrebuilds();
  return env;
}

let prebuilds: string | undefined;

/**
 * A folder holding better-sqlite3's native module, already built by this checkout's install, packed as
 * prebuild-install looks for it (its `local_prebuilds` setting, the same one an offline install uses): nested
 * installs unpack it instead of compiling SQLite again (about a minute of CPU each on this machine).
 */
function localPrebuilds(): string {
  if (prebuilds) return prebuilds;
  const pkgDir = join(ROOT, 'node_modules', 'better-sqlite3');
  const built = join(pkgDir, 'build', 'Release', 'better_sqlite3.node');
  prebuilds = mkdtempSync(join(tmpdir(), 'camrelay-prebuilds-'));
  if (!existsSync(built)) return prebuilds; // nothing to offer: the nested install builds it
  const { version } = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8')) as { version: string };
  const name = `better-sqlite3-v${version}-node-v${process.versions.modules}-${process.platform}-${process.arch}.tar.gz`;
  execFileSync('tar', ['-czf', join(prebuilds, name), '-C', pkgDir, 'build/Release/better_sqlite3.node']);
  return prebuilds;
}

/**
 * Runs `command args` in `cwd` to its end (killed after `timeoutMs`); never throws on a non-zero exit.
 * `env`: npmEnv() unless given.
 */
export function run(
  command: string,
  args: string[],
  cwd: string,
  timeoutMs = 120_000,
  env: NodeJS.ProcessEnv = npmEnv(),
): Promise<CommandResult> {
  return new Promise((resolve) => {
    execFile(
      command,
      args,
      { cwd, env, timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024, encoding: 'utf8' },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/** `npm args` in `cwd`, with the npm cache preferred over the registry. */
export function npm(args: string[], cwd: string, timeoutMs = 120_000, env?: NodeJS.ProcessEnv): Promise<CommandResult> {
  return run('npm', [...args, '--prefer-offline', '--no-audit', '--no-fund'], cwd, timeoutMs, env);
}
