/** The first step of reading any JSON text message: an object with a string `type`. */

export type Parsed<T> = { ok: true; message: T } | { ok: false; reason: string };

export type TypedObject = Record<string, unknown> & { type: string };

export function parseTypedObject(text: string): Parsed<TypedObject> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { ok: false, reason: 'not JSON' };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    return { ok: false, reason: 'not a JSON object' };
  const fields = value as Record<string, unknown>;
  if (typeof fields.type !== 'string') return { ok: false, reason: 'no "type"' };
  return { ok: true, message: fields as TypedObject };
}

/** A u32 (sequence numbers, channels). */
export function isU32(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 0xffff_ffff;
}
