/**
 * mjpg-streamer's `?action=` values: `stream` and `snapshot` for the first
 * camera, and its `stream_N` / `snapshot_N` (input N, from 0) for the Nth.
 */
import { HttpError } from '../http-errors.js';

export interface Action {
  kind: 'stream' | 'snapshot';
  /** Index of the camera in configuration order. */
  index: number;
}

const ACTION = /^(stream|snapshot)(?:_(\d{1,3}))?$/;

/** Throws a 400 for an action mjpg-streamer clients would not send. */
export function parseAction(action: string): Action {
  const m = ACTION.exec(action);
  if (!m) throw new HttpError(400, `unknown action "${action}" (expected stream or snapshot)`);
  return { kind: m[1] as Action['kind'], index: m[2] === undefined ? 0 : Number(m[2]) };
}
