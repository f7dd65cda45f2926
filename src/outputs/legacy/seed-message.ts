/** The replaced system's answer, `{"img":"data:image/jpeg;base64,…"}`, built once per frame. */
import type { Frame } from '../../hub/frame.js';

// Kept as UTF-8 bytes, not a string: ws would encode a string again for every client.
const messages = new WeakMap<Frame, Buffer>();

export function seedMessage(frame: Frame): Buffer {
  let message = messages.get(frame);
  if (!message) {
    message = Buffer.from(`{"img":"data:image/jpeg;base64,${frame.data.toString('base64')}"}`, 'latin1');
    messages.set(frame, message);
  }
  return message;
}
