/**
 * One segment file on disk: created with its init segment, then whole fragments appended, each
 * followed by fdatasync (a power cut loses at most the fragment being written). After a failed
 * write the file is cut back to its last whole fragment, so it never ends in a partial one.
 */
import { mkdir, open, stat, unlink, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';

/** Segments of one camera starting in the same millisecond, at most (the recorder drops past that). */
export const MAX_SAME_START = 99;

export class SegmentWriter {
  /** Bytes of whole, synced content: the init segment and every fragment appended. */
  bytes = 0;
  fragments = 0;
  private closed = false;

  private constructor(
    readonly path: string,
    private readonly fh: FileHandle,
  ) {}

  /**
   * Creates `path` (its folders under `root` too, never `root` itself: a store whose folder is
   * gone, or unmounted, must not write into the folder beneath) and writes the init segment. Two
   * segments of a camera can start in the same millisecond (its picture settings changed at once):
   * where `path` is taken, the file is `<startMs>-1.mp4`, `-2`… (`writer.path` says which).
   */
  static async create(root: string, path: string, init: Uint8Array): Promise<SegmentWriter> {
    await stat(root);
    // Video of people: readable by the server's user and group only.
    const folder = () => mkdir(dirname(path), { recursive: true, mode: 0o750 });
    await folder();
    let fh: FileHandle | undefined;
    let chosen = path;
    for (let n = 1; !fh; n++) {
      try {
        fh = await open(chosen, 'wx', 0o640);
      } catch (err) {
        const code = (err as { code?: string }).code;
        if (code === 'EEXIST' && n <= MAX_SAME_START) {
          chosen = path.replace(/\.mp4$/, `-${n}.mp4`);
        } else if (code === 'ENOENT' && n === 1) {
          // Retention removes a day's folder with its last segment: it may have done so just now.
          await stat(root);
          await folder();
        } else throw err;
      }
    }
    const writer = new SegmentWriter(chosen, fh);
    try {
      await writer.write(init);
      writer.bytes = init.length;
    } catch (err) {
      await fh.close().catch(() => undefined);
      await unlink(chosen).catch(() => undefined);
      throw err;
    }
    return writer;
  }

  /** Appends one whole fragment (moof + mdat) and syncs it. */
  async append(fragment: Uint8Array): Promise<void> {
    try {
      await this.write(fragment);
      await this.fh.datasync();
    } catch (err) {
      // A partial fragment would make the file end in garbage: back to the last whole one.
      await this.fh.truncate(this.bytes).catch(() => undefined);
      throw err;
    }
    this.bytes += fragment.length;
    this.fragments++;
  }

  private async write(data: Uint8Array): Promise<void> {
    let done = 0;
    while (done < data.length) {
      const { bytesWritten } = await this.fh.write(data, done, data.length - done, this.bytes + done);
      if (bytesWritten <= 0) throw Object.assign(new Error('write wrote nothing'), { code: 'EIO' });
      done += bytesWritten;
    }
  }

  /** Closes the file; one without a fragment is deleted (it would play nothing). True when kept. */
  async close(): Promise<boolean> {
    if (this.closed) return this.fragments > 0;
    this.closed = true;
    await this.fh.close().catch(() => undefined);
    if (this.fragments === 0) {
      await unlink(this.path).catch(() => undefined);
      return false;
    }
    return true;
  }
}
