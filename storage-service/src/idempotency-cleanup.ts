import type { Logger } from 'pino';
import type { Store } from './store/store.ts';

const LONGEST_INTERVAL_MS = 10 * 60_000;

/**
 * Removes expired Idempotency-Keys now and then. Lookups ignore expired keys anyway: this only keeps the
 * table from growing. Every replica does it; two doing it at once remove nothing twice.
 */
export function removeExpiredKeysPeriodically(store: Store, logger: Logger, ttlMs: number): void {
  const timer = setInterval(() => {
    store.removeExpiredIdempotencyKeys().then(
      (removed) => {
        if (removed > 0) logger.info({ removed }, 'expired idempotency keys removed');
      },
      (err: unknown) => logger.warn({ err }, 'removing expired idempotency keys failed; trying again at the next interval'),
    );
  }, Math.min(ttlMs, LONGEST_INTERVAL_MS));
  // It must not keep the process alive on its own (graceful shutdown waits for nothing but requests).
  timer.unref();
}
