/**
 * The one error the codec layer throws. Its input comes from cameras and remote
 * edges, so a malformed byte stream is an expected event: every parser either
 * returns a result or throws a CodecError, never a RangeError or a TypeError.
 */

export type CodecErrorCode =
  /** The data ends before the structure it announces. */
  | 'truncated'
  /** A field holds a value the standard forbids, or a length lies. */
  | 'invalid'
  /** Well formed, but outside what camrelay handles (or what is plausible). */
  | 'unsupported'
  /** Over a size bound (bytes, count or picture size). */
  | 'too-large';

export class CodecError extends Error {
  override readonly name = 'CodecError';

  constructor(
    readonly code: CodecErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export function isCodecError(error: unknown): error is CodecError {
  return error instanceof CodecError;
}
