/**
 * Waiting for a camera's next live picture (a snapshot of an idle camera, or
 * of one whose JPEG track is derived and not running yet): subscribes, takes
 * the first live unit, and gives up on timeout or when the camera fails.
 */
import type { AccessUnit } from '../media/index.js';
import type { Consumer } from './consumer.js';

export function nextLiveUnit(
  subscribe: (consumer: Consumer) => () => void,
  timeoutMs: number,
): Promise<AccessUnit | undefined> {
  return new Promise<AccessUnit | undefined>((resolve) => {
    let done = false;
    // Filled once subscribe() returns: a source may deliver before it does.
    const subscription: { unsubscribe?: () => void } = {};
    const timer = setTimeout(() => finish(undefined), timeoutMs);
    function finish(unit: AccessUnit | undefined): void {
      if (done) return;
      done = true;
      clearTimeout(timer);
      subscription.unsubscribe?.();
      resolve(unit);
    }
    const unsubscribe = subscribe({
      onUnit: (unit) => {
        if (!unit.placeholder) finish(unit);
      },
      onStatus: (status) => {
        if (!status.online) finish(undefined); // it failed while we waited
      },
    });
    subscription.unsubscribe = unsubscribe;
    if (done) unsubscribe();
  });
}
