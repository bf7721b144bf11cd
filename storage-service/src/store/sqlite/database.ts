import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { StoreOpenError } from '../errors.ts';
import { migrate } from './migrations.ts';

/** How long a write waits for another process's transaction before the store answers "busy". */
const BUSY_TIMEOUT_MS = 5_000;
/** At start, replicas wait for each other's migration and seeding, which for a large data file takes seconds. */
export const STARTUP_BUSY_TIMEOUT_MS = 120_000;

/** Runs `work` with another busy timeout (PRAGMA busy_timeout is per connection). */
export function withBusyTimeout<T>(db: DatabaseSync, timeoutMs: number, work: () => T): T {
  db.exec(`PRAGMA busy_timeout = ${Math.trunc(timeoutMs)}`);
  try {
    return work();
  } finally {
    db.exec(`PRAGMA busy_timeout = ${BUSY_TIMEOUT_MS}`);
  }
}

/**
 * Opens (creating it and its folder if need be) the database file every replica shares, and migrates it.
 * WAL: readers never wait for the writer, and every process sees each commit at its next read.
 * synchronous=FULL: a commit is on disk before it is acknowledged, so an acknowledged write survives a
 * crash of the process or of the machine. The -wal and -shm files sit beside the database file, and
 * temporary tables stay in memory: nothing is written outside the file's folder.
 */
export function openDatabase(path: string): DatabaseSync {
  let db: DatabaseSync | undefined;
  try {
    mkdirSync(dirname(path), { recursive: true });
    db = new DatabaseSync(path, { timeout: STARTUP_BUSY_TIMEOUT_MS });
    const { journal_mode: mode } = db.prepare('PRAGMA journal_mode = WAL').get() as { journal_mode: string };
    if (mode !== 'wal') throw new Error(`the file system refuses write-ahead logging (journal mode ${mode})`);
    db.exec('PRAGMA synchronous = FULL');
    db.exec('PRAGMA temp_store = MEMORY');
    migrate(db);
    db.exec(`PRAGMA busy_timeout = ${BUSY_TIMEOUT_MS}`);
    return db;
  } catch (err) {
    db?.close();
    const reason = (err as { errstr?: string }).errstr ?? (err as Error).message;
    throw new StoreOpenError(`cannot open store ${path}: ${reason}`);
  }
}
