/** What a viewer sends (text JSON): encoding for clients, parsing and validation for the server. No side effects. */
import { isU32, parseTypedObject, type Parsed } from './json.js';

export type ClientMessage =
  { type: 'ack'; seq: number } | { type: 'ping'; t: number } | { type: 'pause' } | { type: 'resume' };

/** What the server reads: a known message, or a type it does not know (ignored, so clients can use newer ones). */
export type ReceivedClientMessage = ClientMessage | { type: 'unknown'; name: string };

export function encodeClientMessage(message: ClientMessage): string {
  return JSON.stringify(message);
}

export function parseClientMessage(text: string): Parsed<ReceivedClientMessage> {
  const parsed = parseTypedObject(text);
  if (!parsed.ok) return parsed;
  const fields = parsed.message;
  const type = fields.type;
  switch (type) {
    case 'ack': {
      const seq = fields.seq;
      if (!isU32(seq)) return { ok: false, reason: 'ack without a u32 "seq"' };
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
