import type { DatabaseSync } from 'node:sqlite';
import { immediateTransaction } from './transaction.ts';

/**
 * The schema, one entry per version; PRAGMA user_version is the version a file is at. Append new
 * versions, never edit a released one: a file is only ever moved forward.
 */
export const MIGRATIONS: readonly string[] = [
  // 1: partitions of items, the order log, answers kept for Idempotency-Keys, the seed marker.
  `
  -- A partition exists while it holds an item; position orders GET /data (oldest first).
  CREATE TABLE partitions (
    position INTEGER PRIMARY KEY,
    key TEXT NOT NULL UNIQUE,
    items INTEGER NOT NULL CHECK (items > 0)
  );

  -- seq is the insertion order a partition lists its ids in; a replacing PUT keeps it.
  -- body is the JSON answered, serialised once when written, with its entity tag.
  CREATE TABLE items (
    seq INTEGER PRIMARY KEY,
    partition_key TEXT NOT NULL,
    id TEXT NOT NULL,
    body TEXT NOT NULL,
    etag TEXT NOT NULL,
    UNIQUE (partition_key, id)
  );
  CREATE INDEX items_in_order ON items (partition_key, seq);

  -- Only ever appended to, inside the transaction that takes the stock (see SqliteStore.placeOrder).
  CREATE TABLE orders (
    id INTEGER PRIMARY KEY,
    product_id TEXT NOT NULL,
    quantity INTEGER NOT NULL,
    remaining INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    idempotency_key TEXT
  );

  CREATE TABLE idempotency_keys (
    scope TEXT NOT NULL,
    key TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    status INTEGER NOT NULL,
    headers TEXT NOT NULL,
    body TEXT NOT NULL,
    expires_at INTEGER NOT NULL,
    PRIMARY KEY (scope, key)
  ) WITHOUT ROWID;
  CREATE INDEX idempotency_keys_by_expiry ON idempotency_keys (expires_at);

  -- 'seeded': when and from which file the store was seeded; its presence means "never seed again".
  CREATE TABLE store_meta (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL
  ) WITHOUT ROWID;
  `,
  // 2: a key keeps the write's result (the order, the appended item, as JSON), not an HTTP answer, so
  // every API renders it alike. The answers kept by version 1 were all 201s whose body is that JSON;
  // their scope loses the method ('POST /orders' → 'orders').
  `
  CREATE TABLE idempotency_results (
    scope TEXT NOT NULL,
    key TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    result TEXT NOT NULL,
    expires_at INTEGER NOT NULL,
    PRIMARY KEY (scope, key)
  ) WITHOUT ROWID;
  INSERT INTO idempotency_results (scope, key, fingerprint, result, expires_at)
    SELECT substr(scope, 7), key, fingerprint, body, expires_at FROM idempotency_keys WHERE status = 201;
  DROP TABLE idempotency_keys;
  CREATE INDEX idempotency_results_by_expiry ON idempotency_results (expires_at);
  `,
];

const SCHEMA_VERSION = MIGRATIONS.length;

/**
 * Brings the file to SCHEMA_VERSION. In one BEGIN IMMEDIATE transaction: of replicas starting together
 * on a new file, the first migrates and the others, once they get the lock, find nothing left to do.
 */
export function migrate(db: DatabaseSync): void {
  immediateTransaction(db, () => {
    const { user_version: current } = db.prepare('PRAGMA user_version').get() as { user_version: number };
    if (current > SCHEMA_VERSION) {
      throw new Error(`its schema version is ${current}, this release knows up to ${SCHEMA_VERSION} (a newer release wrote it)`);
    }
    for (let version = current + 1; version <= SCHEMA_VERSION; version++) db.exec(MIGRATIONS[version - 1]!);
    // PRAGMA takes no bound parameters; the value is this module's own integer.
    if (current !== SCHEMA_VERSION) db.exec(`PRAGMA user_version = ${SCHEMA_VERSION}`);
  });
}
