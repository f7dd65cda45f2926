/**
 * The disk under the store: what an I/O error means (full, read-only, gone), the free space
 * (statfs), and the backoff between attempts to write again after a problem.
 */
import { constants } from 'node:fs';
import { access, stat, statfs } from 'node:fs/promises';
import { dirname } from 'node:path';

/** The reason label of camrelay_recording_errors_total and RecordingStatus.error. */
export type DiskProblem = 'disk-full' | 'read-only' | 'missing' | 'permission' | 'io';

const MESSAGES: Record<DiskProblem, string> = {
  'disk-full': 'the disk is full',
  'read-only': 'the file system is read-only',
  missing: 'the recordings folder is gone (removed or unmounted)',
  permission: 'no permission to write the recordings folder',
  io: 'an I/O error',
};

/** What an error from fs or SQLite means for the store. */
export function classifyError(err: unknown): DiskProblem {
  const code = String((err as { code?: unknown }).code ?? '');
  if (code === 'ENOSPC' || code === 'EDQUOT' || code === 'SQLITE_FULL') return 'disk-full';
  if (code === 'EROFS' || code.startsWith('SQLITE_READONLY')) return 'read-only';
  if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'SQLITE_CANTOPEN') return 'missing';
  if (code === 'EACCES' || code === 'EPERM' || code === 'SQLITE_PERM' || code === 'SQLITE_AUTH') return 'permission';
  return 'io';
}

export function describeProblem(problem: DiskProblem, err?: unknown): string {
  const code = (err as { code?: unknown } | undefined)?.code;
  return `${MESSAGES[problem]}${typeof code === 'string' ? ` (${code})` : ''}`;
}

export interface DiskSpace {
  total: number;
  free: number;
}

/** Free and total bytes of the file system holding `path` (what an unprivileged writer may use). */
export async function diskSpace(path: string): Promise<DiskSpace> {
  const s = await statfs(path);
  return { total: s.blocks * s.bsize, free: s.bavail * s.bsize };
}

/**
 * Why the store could not write at `path` (undefined: it can): the folder, or the nearest folder
 * above it that exists (where it would be created), must be a writable directory.
 */
export async function unwritable(path: string): Promise<string | undefined> {
  let dir = path;
  for (;;) {
    try {
      const s = await stat(dir);
      if (!s.isDirectory()) return `${dir} is not a directory`;
      await access(dir, constants.W_OK);
      return undefined;
    } catch (err) {
      const code = (err as { code?: string }).code;
      if ((code === 'ENOENT' || code === 'ENOTDIR') && dirname(dir) !== dir) {
        dir = dirname(dir);
        continue;
      }
      return `${dir}: ${describeProblem(classifyError(err), err)}`;
    }
  }
}
