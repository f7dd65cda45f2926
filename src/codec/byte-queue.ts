/**
 * The splitter's pending bytes (access-units.ts): bytes in arrival order, held as a list of pieces,
 * references to the pushed chunks where they are large, copies into blocks of its own where they are
 * small (a stream pushed a byte at a time must not hold an object per byte), with the memory it keeps
 * alive counted, so that the splitter can bound it.
 */

/** Pieces shorter than this are copied into blocks of BLOCK_BYTES. */
const SMALL_PIECE = 4096;
const BLOCK_BYTES = 64 * 1024;

/**
 * Bytes in arrival order, as a list of pieces: references to the pushed chunks,
 * or views into blocks of its own for small pieces.
 */
export class ByteQueue {
  length = 0;
  /** Memory this queue keeps alive, approximately: referenced buffers whole, own bytes as used. */
  retained = 0;
  private pieces: Uint8Array[] = [];
  private costs: number[] = [];
  /** The piece is a view of one of this queue's own blocks. */
  private owned: boolean[] = [];
  private block: Uint8Array | undefined;
  private blockFill = 0;
  /** The last piece is a view of `block` ending at blockFill, and can grow in place. */
  private lastInBlock = false;

  /** Appends `bytes` (kept by reference, or copied when keeping it would pass `maxRetained`). */
  append(bytes: Uint8Array, maxRetained: number): void {
    if (bytes.length === 0) return;
    if (bytes.length < SMALL_PIECE) {
      this.appendOwned(bytes);
      return;
    }
    const cost = bytes.buffer.byteLength;
    const piece = this.retained + cost > maxRetained ? bytes.slice() : bytes;
    this.pieces.push(piece);
    this.owned.push(false);
    this.costs.push(piece === bytes ? cost : piece.length);
    this.retained += this.costs[this.costs.length - 1]!;
    this.length += bytes.length;
    this.lastInBlock = false;
  }

  private appendOwned(bytes: Uint8Array): void {
    if (!this.block || BLOCK_BYTES - this.blockFill < bytes.length) {
      this.block = new Uint8Array(BLOCK_BYTES);
      this.blockFill = 0;
      this.lastInBlock = false;
    }
    this.block.set(bytes, this.blockFill);
    const end = this.blockFill + bytes.length;
    const last = this.pieces.length - 1;
    if (this.lastInBlock && last >= 0) {
      this.pieces[last] = this.block.subarray(this.pieces[last]!.byteOffset, end);
      this.costs[last] = this.costs[last]! + bytes.length;
    } else {
      this.pieces.push(this.block.subarray(this.blockFill, end));
      this.owned.push(true);
      this.costs.push(bytes.length);
      this.lastInBlock = true;
    }
    this.blockFill = end;
    this.retained += bytes.length;
    this.length += bytes.length;
  }

  /** A new array holding bytes [0, end). */
  copyOut(end: number): Uint8Array {
    const out = new Uint8Array(end);
    let at = 0;
    for (const piece of this.pieces) {
      if (at >= end) break;
      const n = Math.min(piece.length, end - at);
      out.set(n === piece.length ? piece : piece.subarray(0, n), at);
      at += n;
    }
    return out;
  }

  /** Forgets bytes [0, count). */
  dropFront(count: number): void {
    let left = Math.min(count, this.length);
    this.length -= left;
    let drop = 0;
    while (left > 0 && drop < this.pieces.length) {
      const piece = this.pieces[drop]!;
      if (piece.length <= left) {
        left -= piece.length;
        this.retained -= this.costs[drop]!;
        drop++;
      } else {
        this.pieces[drop] = piece.subarray(left);
        if (this.owned[drop]) {
          this.costs[drop] = piece.length - left;
          this.retained -= left;
        }
        left = 0;
      }
    }
    if (drop > 0) {
      this.pieces.splice(0, drop);
      this.costs.splice(0, drop);
      this.owned.splice(0, drop);
    }
    if (this.pieces.length === 0) this.lastInBlock = false;
  }

  clear(): void {
    this.pieces = [];
    this.costs = [];
    this.owned = [];
    this.length = 0;
    this.retained = 0;
    this.lastInBlock = false;
  }
}
