/** systemd-analyze on a copy of the shipped unit whose commands point at a real camrelay. */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const SYSTEMD_ANALYZE = '/usr/bin/systemd-analyze';

/** Why units cannot be analysed here, or undefined when they can. */
export function systemdAnalyzeMissing(): string | undefined {
  return existsSync(SYSTEMD_ANALYZE) ? undefined : `${SYSTEMD_ANALYZE} is not installed (Debian: systemd)`;
}

/**
 * `systemd-analyze VERB ...args UNIT` on a copy of `unitFile` whose `/usr/local/bin/camrelay` is
 * replaced by `bin` (verify checks that ExecStart's binary exists). Returns the exit code and
 * everything it printed: verify's warnings (an unknown key, a bad value) only show on stderr.
 */
export async function analyzeUnit(
  unitFile: string,
  bin: string,
  args: string[],
): Promise<{ code: number; output: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'camrelay-unit-'));
  try {
    const unit = join(dir, 'camrelay.service');
    writeFileSync(unit, readFileSync(unitFile, 'utf8').replaceAll('/usr/local/bin/camrelay', bin));
    const env = { ...process.env, SYSTEMD_COLORS: '0', SYSTEMD_PAGER: '' };
    return await new Promise((resolve) => {
      const options = { encoding: 'utf8' as const, timeout: 60_000, env };
      execFile(SYSTEMD_ANALYZE, [...args, unit], options, (error, stdout, stderr) => {
        resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, output: stdout + stderr });
      });
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
