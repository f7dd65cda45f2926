/** Parsing and validation of what a viewer sends (text JSON). No side effects. */
import { parseTypedObject } from './json-message.js';

export type ClientMessage =
  | { type: 'ack'; seq: number }
  | { type: 'ping'; t: number }
  | { type: 'pause' }
  | { type: 'resume' }
  /** A type this server does not know: ignored, so clients can use newer messages safely. */
  | { type: 'unknown'; name: string };

export type ParseResult = { ok: true; message: ClientMessage } | { ok: false; reason: string };

const U32_MAX = 0xffff_ffff;

export function parseClientMessage(text: string): ParseResult {
  const parsed = parseTypedObject(text);
  if (!parsed.ok) return parsed;
  const fields = parsed.message;
  const type = fields.type;
  switch (type) {
    case 'ack': {
      const seq = fields.seq;
      if (typeof seq !== 'number' || !Number.isInteger(seq) || seq < 0 || seq > U32_MAX)
        return { ok: false, reason: 'ack without a u32 "seq"' };
      return { ok: true, message: { type, seq } };
    }
    case 'ping': {
      const t = fields.t;
      if (typeof t !== 'number' || !Number.isFinite(t)) return { ok: false, reason: 'ping without a numeric "t"' };
      return { ok: true, message: { type, t } };
    }
    case 'pause':
    case 'resume':
      return { ok: true, message: { type } };
    default:
      return { ok: true, message: { type: 'unknown', name: type } };
  }
}
