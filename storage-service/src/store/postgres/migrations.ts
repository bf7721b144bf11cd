import type { Database } from './connection.ts';

/**
 * The schema, one entry per version; store_meta's 'schema_version' is the version a database is at.
 * Append new versions, never edit a released one: a database is only ever moved forward.
 */
export const MIGRATIONS: readonly string[] = [
  // 1: the same model as the SQLite store's (schema 2 there).
  `
  -- 'schema_version', and 'seeded' (when and from how many items; its presence means "never seed again").
  CREATE TABLE store_meta (
    name text PRIMARY KEY,
    value text NOT NULL
  );

  -- A partition exists while it holds an item; position orders GET /data (oldest first).
  CREATE TABLE partitions (
    position bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    key text NOT NULL UNIQUE,
    items integer NOT NULL CHECK (items > 0)
  );

  -- seq is the insertion order a partition lists its ids in; a replacing PUT keeps it. body is the JSON
  -- answered, serialised once when written, with its entity tag. stock is a product's quantity (see
  -- stock.ts), kept beside its body so that an order can take it with one conditional UPDATE.
  CREATE TABLE items (
    seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    partition_key text NOT NULL,
    id text NOT NULL,
    body text NOT NULL,
    etag text NOT NULL,
    stock bigint,
    UNIQUE (partition_key, id)
  );
  CREATE INDEX items_in_order ON items (partition_key, seq);

  -- Only ever appended to, with ids from the counter (sequences leave gaps on rollback).
  CREATE TABLE orders (
    id bigint PRIMARY KEY,
    product_id text NOT NULL,
    quantity bigint NOT NULL,
    remaining bigint NOT NULL,
    created_at text NOT NULL,
    idempotency_key text
  );
  CREATE TABLE counters (
    name text PRIMARY KEY,
    value bigint NOT NULL
  );
  INSERT INTO counters (name, value) VALUES ('orders', 0);

  -- result is null only inside the transaction that claimed the key: it commits with the effect.
  CREATE TABLE idempotency_results (
    scope text NOT NULL,
    key text NOT NULL,
    fingerprint text NOT NULL,
    result text,
    expires_at bigint NOT NULL,
    PRIMARY KEY (scope, key)
  );
  CREATE INDEX idempotency_results_by_expiry ON idempotency_results (expires_at);
  `,
];

export const SCHEMA_VERSION = MIGRATIONS.length;

/** Advisory lock (one bigint key, this database only) held while a replica migrates. */
const MIGRATION_LOCK = 0x5354_4f52_4531; // "STORE1"

export class SchemaTooNew extends Error {
  override name = 'SchemaTooNew';
}

/**
 * Brings the database to SCHEMA_VERSION, in one transaction under an advisory lock: of replicas
 * starting together on a new database, the first migrates and the others, once they get the lock,
 * find nothing left to do. DDL is transactional in PostgreSQL, so a failed migration leaves nothing.
 */
export async function migrate(db: Database, timeoutMs: number): Promise<void> {
  await db.transaction(async (query) => {
    await query({ text: 'SELECT pg_advisory_xact_lock($1)', values: [MIGRATION_LOCK] });
    const { rows } = await query({ text: "SELECT to_regclass('store_meta') IS NOT NULL AS exists" });
    let current = 0;
    if (rows[0].exists) {
      const version = await query({ text: "SELECT value FROM store_meta WHERE name = 'schema_version'" });
      current = Number(version.rows[0]?.value ?? 0);
    }
    if (current > SCHEMA_VERSION) {
      throw new SchemaTooNew(`its schema version is ${current}, this release knows up to ${SCHEMA_VERSION} (a newer release wrote it)`);
    }
    for (let version = current + 1; version <= SCHEMA_VERSION; version++) await query({ text: MIGRATIONS[version - 1]! });
    if (current !== SCHEMA_VERSION) {
      await query({
        text: `INSERT INTO store_meta (name, value) VALUES ('schema_version', $1)
          ON CONFLICT (name) DO UPDATE SET value = excluded.value`,
        values: [String(SCHEMA_VERSION)],
      });
    }
  }, timeoutMs);
}
