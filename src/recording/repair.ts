/**
 * Start-up repair: the index is opened (or, missing or corrupt, set aside and rebuilt from the
 * files: their names give the start times, their fragments the durations and sizes), segments a
 * crash left open are cut back to their last whole fragment, files without one are deleted, and
 * index rows and files are made to agree. No unplayable file is left behind.
 */
import { existsSync, renameSync } from 'node:fs';
import { readdir, truncate, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { SERVED_CAMERA_ID } from '../camera-id.js';
import { CodecError } from '../codec/errors.js';
import { recordCodecString } from '../codec/mp4/sample-entry.js';
import type { FragmentedFile } from '../codec/mp4/fragments.js';
import { readFragmentedFile } from './fragment-file.js';
import { IndexCorrupt, IndexDb, type SegmentRow } from './segment-index.js';

export const INDEX_FILE = 'index.sqlite3';
const DAY = /^\d{4}-\d{2}-\d{2}$/;
/** `<startMs>.mp4`, or `<startMs>-<n>.mp4` for another segment that started in the same millisecond. */
const SEGMENT = /^(\d{1,15})(?:-\d{1,2})?\.mp4$/;

export interface RepairReport {
  rebuilt: boolean;
  trimmed: number;
  deleted: number;
  added: number;
  forgotten: number;
}

interface FileEntry {
  camera: string;
  /** Relative to the root. */
  file: string;
  startMs: number;
}

/** Every `<camera>/<day>/<startMs>.mp4` under the root. */
export async function scanFiles(root: string): Promise<Map<string, FileEntry>> {
  const found = new Map<string, FileEntry>();
  const list = async (dir: string): Promise<string[]> => readdir(dir).catch(() => []);
  for (const camera of await list(root)) {
    if (!SERVED_CAMERA_ID.test(camera)) continue;
    for (const day of await list(join(root, camera))) {
      if (!DAY.test(day)) continue;
      for (const name of await list(join(root, camera, day))) {
        const match = SEGMENT.exec(name);
        if (!match) continue;
        const file = join(camera, day, name);
        found.set(file, { camera, file, startMs: Number(match[1]) });
      }
    }
  }
  return found;
}

/** The index row a segment file's content gives. */
function rowFromFile(entry: FileEntry, parsed: FragmentedFile): Omit<SegmentRow, 'id'> {
  const last = parsed.fragments[parsed.fragments.length - 1]!;
  const ticks = last.baseDecodeTime + last.duration;
  let codecString = parsed.codec === 'h265' ? 'hvc1' : 'avc1';
  try {
    codecString = recordCodecString(parsed);
  } catch {
    // the samples still play with the description in the file
  }
  return {
    camera: entry.camera,
    file: entry.file,
    startMs: entry.startMs,
    endMs: Math.floor(entry.startMs + (ticks * 1000) / parsed.timescale),
    bytes: parsed.validEnd,
    width: parsed.width,
    height: parsed.height,
    codecString,
    open: false,
  };
}

/**
 * Reads a segment file and cuts a partial tail off; undefined (and the file deleted) when it has no
 * whole fragment or is not a segment at all.
 */
async function settleFile(root: string, entry: FileEntry, log: Logger): Promise<Omit<SegmentRow, 'id'> | undefined> {
  const path = join(root, entry.file);
  let parsed: FragmentedFile;
  try {
    parsed = await readFragmentedFile(path);
  } catch (err) {
    if (!(err instanceof CodecError)) {
      // Not the content's fault (gone, unreadable): left alone, and not listed.
      if ((err as { code?: string }).code !== 'ENOENT')
        log.warn({ file: path, err }, 'recording: cannot read a segment');
      return undefined;
    }
    log.warn({ file: path, err: err.message }, 'recording: deleting a file that is not a segment');
    await unlink(path).catch(() => undefined);
    return undefined;
  }
  if (parsed.fragments.length === 0) {
    log.warn({ file: path }, 'recording: deleting a segment without a whole fragment');
    await unlink(path).catch(() => undefined);
    return undefined;
  }
  if (parsed.fileSize > parsed.validEnd) {
    log.warn(
      { file: path, bytes: parsed.fileSize, kept: parsed.validEnd },
      'recording: cutting a segment back to its last whole fragment',
    );
    await truncate(path, parsed.validEnd);
  }
  return rowFromFile(entry, parsed);
}

/** Opens the index, setting a corrupt one aside (renamed `index.sqlite3.corrupt-<ms>`). */
export function openIndex(root: string, log: Logger): { db: IndexDb; fresh: boolean } {
  const file = join(root, INDEX_FILE);
  const existed = existsSync(file);
  try {
    return { db: new IndexDb(file), fresh: !existed };
  } catch (err) {
    if (!(err instanceof IndexCorrupt)) throw err;
    const aside = `${file}.corrupt-${Date.now()}`;
    log.error({ file, aside, err: err.message }, 'recording: the index is corrupt; setting it aside and rebuilding it');
    renameSyncQuiet(file, aside);
    for (const ext of ['-wal', '-shm']) renameSyncQuiet(file + ext, aside + ext);
    return { db: new IndexDb(file), fresh: true };
  }
}

function renameSyncQuiet(from: string, to: string): void {
  // Synchronous on purpose: start-up, before anything records.
  try {
    renameSync(from, to);
  } catch {
    // not there
  }
}

/** Makes the index and the files agree (see the file comment). */
export async function repairStore(root: string, db: IndexDb, fresh: boolean, log: Logger): Promise<RepairReport> {
  const report: RepairReport = { rebuilt: fresh, trimmed: 0, deleted: 0, added: 0, forgotten: 0 };
  const files = await scanFiles(root);
  const rows = db.all();
  const known = new Set<string>();
  for (const row of rows) {
    known.add(row.file);
    if (!files.has(row.file)) {
      db.remove(row.id);
      report.forgotten++;
      continue;
    }
    if (!row.open) continue;
    const entry = files.get(row.file)!;
    const settled = await settleFile(root, entry, log);
    if (!settled) {
      db.remove(row.id);
      report.deleted++;
    } else {
      db.finish(row.id, settled.endMs, settled.bytes);
      report.trimmed++;
    }
  }
  for (const entry of files.values()) {
    if (known.has(entry.file)) continue;
    const settled = await settleFile(root, entry, log);
    if (!settled) {
      report.deleted++;
      continue;
    }
    db.insert(settled);
    report.added++;
  }
  if (fresh && report.added) log.warn({ segments: report.added }, 'recording: rebuilt the index from the files');
  return report;
}
