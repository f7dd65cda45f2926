/**
 * readFragmentedFile: src/codec/mp4/fragments.ts over a file on disk (src/codec stays free of
 * Node built-ins). Reads box headers, the moov and the moof boxes only, each read bounded.
 */
import { open, type FileHandle } from 'node:fs/promises';
import {
  readFragments,
  type FragmentedFile,
  type RandomAccess,
  type ReadFragmentsOptions,
} from '../codec/mp4/fragments.js';

export type { FragmentedFile, FragmentInfo } from '../codec/mp4/fragments.js';

/** A RandomAccess over an open file, `size` fixed when made (a growing file is re-read from its new size). */
export function fileAccess(handle: FileHandle, size: number): RandomAccess {
  return {
    size,
    async read(offset, length) {
      const want = Math.max(0, Math.min(length, size - offset));
      const buffer = Buffer.alloc(want);
      let got = 0;
      while (got < want) {
        const { bytesRead } = await handle.read(buffer, got, want - got, offset + got);
        if (bytesRead === 0) break; // the file shrank meanwhile
        got += bytesRead;
      }
      return new Uint8Array(buffer.buffer, buffer.byteOffset, got);
    },
  };
}

/**
 * Parses a fragmented MP4 file: a truncated or garbage tail ends at validEnd; a file without a whole
 * init segment throws CodecError; I/O errors (ENOENT…) are thrown as they are.
 */
export async function readFragmentedFile(path: string, options: ReadFragmentsOptions = {}): Promise<FragmentedFile> {
  const handle = await open(path, 'r');
  try {
    const { size } = await handle.stat();
    return await readFragments(fileAccess(handle, size), options);
  } finally {
    await handle.close();
  }
}
