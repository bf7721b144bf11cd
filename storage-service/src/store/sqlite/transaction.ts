import type { DatabaseSync } from 'node:sqlite';
import { StoreUnavailable } from '../errors.ts';

const SQLITE_BUSY = 5;
const SQLITE_LOCKED = 6;

function isBusy(err: unknown): boolean {
  const code = (err as { errcode?: unknown }).errcode;
  // The low byte is the primary result code; the extended ones (SQLITE_BUSY_SNAPSHOT…) share it.
  return typeof code === 'number' && [SQLITE_BUSY, SQLITE_LOCKED].includes(code & 0xff);
}

/**
 * Runs `work` in a BEGIN IMMEDIATE transaction: the write lock is taken first, so what `work` reads
 * cannot change before it commits, in this process (work is synchronous) or in any other (the lock).
 * Waiting for the lock blocks the event loop up to the busy timeout, which is why transactions stay
 * tiny. A lock not had in time is StoreUnavailable; any failure rolls everything back.
 */
export function immediateTransaction<T>(db: DatabaseSync, work: () => T): T {
  try {
    db.exec('BEGIN IMMEDIATE');
  } catch (err) {
    throw isBusy(err) ? new StoreUnavailable('the store is busy: its write lock was not free within the busy timeout') : err;
  }
  try {
    const result = work();
    db.exec('COMMIT');
    return result;
  } catch (err) {
    if (db.isTransaction) db.exec('ROLLBACK');
    throw err;
  }
}
