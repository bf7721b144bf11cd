import { setTimeout as sleep } from 'node:timers/promises';

export interface Waited<T> {
  value: T;
  /** Milliseconds from the call (or from `since`) until the probe succeeded. */
  elapsedMs: number;
}

/**
 * Polls `probe` until it returns a value other than undefined/false, or fails once `deadlineMs` has
 * passed. `since` (a performance.now() timestamp) lets the deadline count from an earlier event, e.g.
 * the moment a replica was killed. Errors thrown by the probe count as "not yet" and are reported.
 */
export async function within<T>(
  what: string,
  deadlineMs: number,
  probe: () => T | undefined | false | Promise<T | undefined | false>,
  { intervalMs = 50, since = performance.now() }: { intervalMs?: number; since?: number } = {},
): Promise<Waited<T>> {
  let last = 'no answer yet';
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined && value !== false) {
        const elapsedMs = performance.now() - since;
        if (elapsedMs > deadlineMs) break;
        return { value, elapsedMs };
      }
      last = 'condition not met';
    } catch (error) {
      last = error instanceof Error ? error.message : String(error);
    }
    if (performance.now() - since > deadlineMs) break;
    await sleep(intervalMs);
  }
  throw new Error(`${what}: not within ${deadlineMs} ms (last observation: ${last})`);
}
