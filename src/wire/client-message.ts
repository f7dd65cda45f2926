/** What a viewer sends (text JSON): encoding for clients, parsing and validation for the server. No side effects. */
import { isU32, parseTypedObject, type Parsed } from './json.js';

export type ClientMessage =
  { type: 'ack'; seq: number } | { type: 'ping'; t: number } | { type: 'pause' } | { type: 'resume' };

/** What the server reads: a known message, or a type it does not know (ignored, so clients can use newer ones). */
export type ReceivedClientMessage = ClientMessage | { type: 'unknown'; name: string };

export function encodeClientMessage(message: ClientMessage): string {
  return JSON.stringify(message);
}

/** How every client writes an ack (encodeClientMessage): read without JSON.parse, as acks come once per unit. */
const ACK_PREFIX = '{"type":"ack","seq":';
/** The longest canonical ack: the prefix, a u32's 10 digits, the closing brace. */
const ACK_MAX_LENGTH = ACK_PREFIX.length + 11;

export function parseClientMessage(text: string): Parsed<ReceivedClientMessage> {
  const seq = canonicalAckSeq(text);
  if (seq !== undefined) return { ok: true, message: { type: 'ack', seq } };
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

/**
 * The seq of an ack written exactly as encodeClientMessage writes it (`{"type":"ack","seq":N}`, N a u32 without
 * leading zeros); undefined for anything else, which then takes the general path with the same result.
 */
function canonicalAckSeq(text: string): number | undefined {
  const end = text.length - 1;
  if (end > ACK_MAX_LENGTH - 1 || end <= ACK_PREFIX.length || text.charCodeAt(end) !== 0x7d /* } */) return undefined;
  if (!text.startsWith(ACK_PREFIX)) return undefined;
  const first = ACK_PREFIX.length;
  if (text.charCodeAt(first) === 0x30 /* 0 */ && end - first > 1) return undefined;
  let seq = 0;
  for (let i = first; i < end; i++) {
    const digit = text.charCodeAt(i) - 0x30;
    if (digit < 0 || digit > 9) return undefined;
    seq = seq * 10 + digit;
  }
  return seq <= 0xffff_ffff ? seq : undefined;
}
