import type { DatabaseSync, StatementSync } from 'node:sqlite';
import type { StoredBody } from '../stored-body.ts';

/** Past this many answers the cache starts over: paging with every possible cursor cannot grow it without bound. */
const MAX_ENTRIES = 10_000;

/**
 * Answers already serialised, kept while the database is unchanged. PRAGMA data_version changes when
 * another connection (another replica) commits; this connection's own commits do not change it, so
 * the store calls clear() after each.
 *
 * Reading data_version costs two system calls (a lock on the shared WAL index), as much as the rest of
 * a cached read. So reads wait for the next check instead of making one each: it runs once per turn of
 * the event loop (setImmediate), after the requests that arrived in that turn. A commit acknowledged
 * before a request was sent is therefore always seen by it (read-your-writes across replicas), and a
 * busy replica pays one check for all the requests of a turn.
 */
export class ReadCache {
  readonly #entries = new Map<string, StoredBody>();
  readonly #dataVersion: StatementSync;
  #version: number;
  #nextCheck: Promise<void> | undefined;

  constructor(db: DatabaseSync) {
    this.#dataVersion = db.prepare('PRAGMA data_version');
    this.#version = this.#currentVersion();
  }

  /** The cached answer for `key`, or `compute`'s, cached unless undefined (misses are not kept). */
  async get(key: string, compute: () => StoredBody | undefined): Promise<StoredBody | undefined> {
    await this.#checked();
    const cached = this.#entries.get(key);
    if (cached) return cached;
    const computed = compute();
    if (computed) {
      if (this.#entries.size >= MAX_ENTRIES) this.#entries.clear();
      this.#entries.set(key, computed);
    }
    return computed;
  }

  clear(): void {
    this.#entries.clear();
  }

  /** Resolves after data_version was read, later than this call; every caller until then shares that one read. */
  #checked(): Promise<void> {
    this.#nextCheck ??= new Promise((resolve, reject) => {
      setImmediate(() => {
        // Callers from here on wait for the next check: this one may already be too early for them.
        this.#nextCheck = undefined;
        try {
          const version = this.#currentVersion();
          if (version !== this.#version) {
            this.#entries.clear();
            this.#version = version;
          }
          resolve();
        } catch (err) {
          reject(err);
        }
      });
    });
    return this.#nextCheck;
  }

  #currentVersion(): number {
    return (this.#dataVersion.get() as { data_version: number }).data_version;
  }
}
