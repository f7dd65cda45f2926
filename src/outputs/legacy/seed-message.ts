/** The replaced system's answer, `{"img":"data:image/jpeg;base64,…"}`, built once per frame. */
import type { AccessUnit } from '../../media/index.js';

// Kept as UTF-8 bytes, not a string: ws would encode a string again for every client.
const messages = new WeakMap<AccessUnit, Buffer>();

export function seedMessage(frame: AccessUnit): Buffer {
  let message = messages.get(frame);
  if (!message) {
    message = Buffer.from(`{"img":"data:image/jpeg;base64,${frame.data.toString('base64')}"}`, 'latin1');
    messages.set(frame, message);
  }
  return message;
}
