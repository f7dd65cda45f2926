/**
 * One segment file on disk: created with its init segment, then whole fragments appended, each
 * followed by fdatasync (a power cut loses at most the fragment being written). After a failed
 * write the file is cut back to its last whole fragment, so it never ends in a partial one.
 */
import { mkdir, open, stat, unlink, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';

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
   * gone, or unmounted, must not write into the folder beneath) and writes the init segment.
   */
  static async create(root: string, path: string, init: Uint8Array): Promise<SegmentWriter> {
    await stat(root);
    // Video of people: readable by the server's user and group only.
    const folder = () => mkdir(dirname(path), { recursive: true, mode: 0o750 });
    await folder();
    let fh: FileHandle;
    try {
      fh = await open(path, 'wx', 0o640);
    } catch (err) {
      // Retention removes a day's folder with its last segment: it may have done so just now.
      if ((err as { code?: string }).code !== 'ENOENT') throw err;
      await stat(root);
      await folder();
      fh = await open(path, 'wx', 0o640);
    }
    const writer = new SegmentWriter(path, fh);
    try {
      await writer.write(init);
      writer.bytes = init.length;
    } catch (err) {
      await fh.close().catch(() => undefined);
      await unlink(path).catch(() => undefined);
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
