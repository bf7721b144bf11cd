import { randomUUID } from 'node:crypto';
import type { DatabaseSync, StatementSync } from 'node:sqlite';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { IdempotencyKeyReused, ItemNotFound, PreconditionFailed, ProductNotFound, UnknownCursor } from '../errors.ts';
import { withId } from '../item-object.ts';
import { preconditionsHold, type Preconditions } from '../preconditions.ts';
import { takeFromStock } from '../stock.ts';
import {
  PRODUCTS_PARTITION,
  type AppendResult,
  type Idempotency,
  type JsonObject,
  type Order,
  type Outcome,
  type PageRequest,
  type PutResult,
  type RecordedAnswer,
  type SeedData,
  type Store,
} from '../store.ts';
import { serialise, type StoredBody } from '../stored-body.ts';
import { openDatabase, STARTUP_BUSY_TIMEOUT_MS, withBusyTimeout } from './database.ts';
import { ReadCache } from './read-cache.ts';
import { immediateTransaction } from './transaction.ts';

export interface SqliteStoreOptions {
  /** The database file; every replica opens the same one. */
  path: string;
  /** How long the answer to an Idempotency-Key is kept. */
  idempotencyTtlMs: number;
  /** Epoch milliseconds now: order times and key expiry. */
  now?: () => number;
  /** The id of an appended item. */
  newId?: () => string;
}

/** Expired keys are removed this many per transaction, so that requests get the lock in between. */
const EXPIRY_BATCH = 500;

interface ItemRow {
  body: string;
  etag: string;
}

interface OrderRow {
  id: number;
  product_id: string;
  quantity: number;
  remaining: number;
  created_at: string;
  idempotency_key: string | null;
}

interface KeptAnswerRow {
  fingerprint: string;
  status: number;
  headers: string;
  body: string;
}

const toOrder = (row: OrderRow): Order => ({
  orderId: row.id,
  productId: row.product_id,
  quantity: row.quantity,
  remaining: row.remaining,
  createdAt: row.created_at,
  idempotencyKey: row.idempotency_key,
});

/** The store in one SQLite file shared by every replica (node:sqlite, no native add-on). */
export async function openSqliteStore(options: SqliteStoreOptions): Promise<Store> {
  return new SqliteStore(openDatabase(options.path), options);
}

class SqliteStore implements Store {
  readonly #db: DatabaseSync;
  readonly #cache: ReadCache;
  readonly #ttlMs: number;
  readonly #now: () => number;
  readonly #newId: () => string;
  readonly #sql: ReturnType<typeof prepareStatements>;

  constructor(db: DatabaseSync, { idempotencyTtlMs, now = Date.now, newId = randomUUID }: SqliteStoreOptions) {
    this.#db = db;
    this.#cache = new ReadCache(db);
    this.#ttlMs = idempotencyTtlMs;
    this.#now = now;
    this.#newId = newId;
    this.#sql = prepareStatements(db);
  }

  async seeded(): Promise<boolean> {
    return this.#sql.seedMarker.get() !== undefined;
  }

  async seed(data: SeedData): Promise<boolean> {
    // Other replicas starting on the same file wait for this one transaction, however large the file.
    const seeded = withBusyTimeout(this.#db, STARTUP_BUSY_TIMEOUT_MS, () =>
      immediateTransaction(this.#db, () => {
        if (this.#sql.seedMarker.get()) return false;
        let items = 0;
        for (const [partitionKey, partition] of Object.entries(data)) {
          for (const [id, object] of Object.entries(partition)) {
            this.#insertItem(partitionKey, id, serialise(withId(id, object)));
            items++;
          }
        }
        this.#sql.markSeeded.run(JSON.stringify({ seededAt: new Date(this.#now()).toISOString(), items }));
        return true;
      }),
    );
    this.#cache.clear();
    return seeded;
  }

  async partitions(): Promise<StoredBody> {
    const partitions = await this.#cache.get('partitions', () => {
      const rows = this.#sql.partitionKeys.all() as Array<{ key: string }>;
      return serialise({ partitions: rows.map((row) => row.key) });
    });
    return partitions!;
  }

  async partitionPage(partitionKey: string, { after, limit }: PageRequest<string>): Promise<StoredBody | undefined> {
    return this.#cache.get(`page\0${partitionKey}\0${after ?? ''}\0${limit}`, () =>
      // One read transaction: the partition, the cursor and the ids are of the same moment.
      this.#readTransaction(() => {
        if (!this.#sql.partitionExists.get(partitionKey)) return undefined;
        let from = 0;
        if (after !== undefined) {
          const cursor = this.#sql.itemSeq.get(partitionKey, after) as { seq: number } | undefined;
          if (!cursor) throw new UnknownCursor(partitionKey, after);
          from = cursor.seq;
        }
        // One more than asked, to know whether a next page exists.
        const rows = this.#sql.idsAfter.all(partitionKey, from, limit + 1) as Array<{ id: string }>;
        const ids = rows.slice(0, limit).map((row) => row.id);
        return serialise({ partition: partitionKey, ids, next: rows.length > limit ? ids.at(-1) : null });
      }),
    );
  }

  async hasPartition(partitionKey: string): Promise<boolean> {
    return this.#sql.partitionExists.get(partitionKey) !== undefined;
  }

  async item(partitionKey: string, id: string): Promise<StoredBody | undefined> {
    return this.#cache.get(`item\0${partitionKey}\0${id}`, () => {
      const row = this.#sql.item.get(partitionKey, id) as ItemRow | undefined;
      return row && { bytes: Buffer.from(row.body), etag: row.etag };
    });
  }

  async putItem(partitionKey: string, id: string, object: JsonObject, preconditions: Preconditions): Promise<PutResult> {
    // Serialised before the transaction: the lock is held for the SQL alone.
    const item = serialise(withId(id, object));
    return this.#write(() => {
      const current = this.#sql.item.get(partitionKey, id) as ItemRow | undefined;
      if (!preconditionsHold(current?.etag, preconditions)) throw new PreconditionFailed(partitionKey, id, current?.etag);
      if (current) this.#sql.updateItem.run(item.bytes.toString(), item.etag, partitionKey, id);
      else this.#insertItem(partitionKey, id, item);
      return { created: !current, item };
    });
  }

  async deleteItem(partitionKey: string, id: string, preconditions: Preconditions): Promise<void> {
    this.#write(() => {
      const current = this.#sql.item.get(partitionKey, id) as ItemRow | undefined;
      // RFC 9110 §13.2.1: preconditions are ignored when the answer without them would not be a 2xx.
      if (!current) throw new ItemNotFound(partitionKey, id, this.#sql.partitionExists.get(partitionKey) !== undefined);
      if (!preconditionsHold(current.etag, preconditions)) throw new PreconditionFailed(partitionKey, id, current.etag);
      this.#sql.deleteItem.run(partitionKey, id);
      if (this.#sql.dropLastOfPartition.run(partitionKey).changes === 0) this.#sql.countItemOut.run(partitionKey);
    });
  }

  async appendItem(partitionKey: string, object: JsonObject, idempotency?: Idempotency<AppendResult>): Promise<Outcome<AppendResult>> {
    const id = this.#newId();
    const item = serialise(withId(id, object));
    return this.#idempotentWrite(idempotency, () => {
      this.#insertItem(partitionKey, id, item);
      return { id, item };
    });
  }

  async placeOrder(productId: string, quantity: number, idempotency?: Idempotency<Order>): Promise<Outcome<Order>> {
    return this.#idempotentWrite(idempotency, () => {
      const row = this.#sql.item.get(PRODUCTS_PARTITION, productId) as ItemRow | undefined;
      if (!row) throw new ProductNotFound(productId);
      const { product, remaining } = takeFromStock(productId, JSON.parse(row.body) as JsonObject, quantity);
      const item = serialise(product);
      this.#sql.updateItem.run(item.bytes.toString(), item.etag, PRODUCTS_PARTITION, productId);
      const createdAt = new Date(this.#now()).toISOString();
      // orders.id is an INTEGER PRIMARY KEY, so SQLite gives a new row the largest id so far + 1. Rows
      // are only ever inserted here, under the write lock, and never deleted; an insert rolled back gives
      // its id back. So order ids increase strictly in commit order, across replicas, without gaps.
      const idempotencyKey = idempotency?.key ?? null;
      const { lastInsertRowid } = this.#sql.insertOrder.run(productId, quantity, remaining, createdAt, idempotencyKey);
      return toOrder({ id: Number(lastInsertRowid), product_id: productId, quantity, remaining, created_at: createdAt, idempotency_key: idempotencyKey });
    });
  }

  async order(orderId: number): Promise<StoredBody | undefined> {
    return this.#cache.get(`order\0${orderId}`, () => {
      const row = this.#sql.order.get(orderId) as OrderRow | undefined;
      return row && serialise(toOrder(row));
    });
  }

  async ordersPage({ after = 0, limit }: PageRequest<number>): Promise<StoredBody> {
    const page = await this.#cache.get(`orders\0${after}\0${limit}`, () => {
      const rows = this.#sql.ordersAfter.all(after, limit + 1) as unknown as OrderRow[];
      const orders = rows.slice(0, limit).map(toOrder);
      return serialise({ orders, next: rows.length > limit ? orders.at(-1)!.orderId : null });
    });
    return page!;
  }

  async removeExpiredIdempotencyKeys(): Promise<number> {
    let removed = 0;
    for (;;) {
      const { changes } = immediateTransaction(this.#db, () => this.#sql.removeExpiredKeys.run(this.#now(), EXPIRY_BATCH));
      removed += Number(changes);
      if (Number(changes) < EXPIRY_BATCH) return removed;
      await nextTurn();
    }
  }

  async close(): Promise<void> {
    if (this.#db.isOpen) this.#db.close();
  }

  #insertItem(partitionKey: string, id: string, item: StoredBody): void {
    this.#sql.insertItem.run(partitionKey, id, item.bytes.toString(), item.etag);
    this.#sql.countItemIn.run(partitionKey);
  }

  #write<T>(work: () => T): T {
    try {
      return immediateTransaction(this.#db, work);
    } finally {
      // Whatever happened, this connection's own commits are not in data_version.
      this.#cache.clear();
    }
  }

  /**
   * The effect, and with an Idempotency-Key the answer kept for it, in one transaction: a retry, from
   * any replica, either finds the key with its answer, or (if the first attempt failed) finds neither.
   * A failed effect (an error thrown) keeps nothing, so a corrected retry with the same key can succeed.
   */
  #idempotentWrite<T>(idempotency: Idempotency<T> | undefined, effect: () => T): Outcome<T> {
    return this.#write(() => {
      if (idempotency) {
        const kept = this.#sql.keptAnswer.get(idempotency.scope, idempotency.key, this.#now()) as KeptAnswerRow | undefined;
        if (kept) {
          if (kept.fingerprint !== idempotency.fingerprint) throw new IdempotencyKeyReused(idempotency.key);
          return { replay: { status: kept.status, headers: JSON.parse(kept.headers) as Record<string, string>, body: kept.body } };
        }
      }
      const result = effect();
      if (idempotency) this.#keep(idempotency, idempotency.answer(result));
      return { result };
    });
  }

  #keep<T>({ scope, key, fingerprint }: Idempotency<T>, answer: RecordedAnswer): void {
    const expiresAt = this.#now() + this.#ttlMs;
    this.#sql.keepAnswer.run(scope, key, fingerprint, answer.status, JSON.stringify(answer.headers), answer.body, expiresAt);
  }

  #readTransaction<T>(read: () => T): T {
    this.#db.exec('BEGIN');
    try {
      return read();
    } finally {
      this.#db.exec('COMMIT');
    }
  }
}

function prepareStatements(db: DatabaseSync) {
  const sql = (text: string): StatementSync => db.prepare(text);
  return {
    seedMarker: sql(`SELECT value FROM store_meta WHERE name = 'seeded'`),
    markSeeded: sql(`INSERT INTO store_meta (name, value) VALUES ('seeded', ?)`),

    partitionKeys: sql('SELECT key FROM partitions ORDER BY position'),
    partitionExists: sql('SELECT 1 FROM partitions WHERE key = ?'),
    countItemIn: sql('INSERT INTO partitions (key, items) VALUES (?, 1) ON CONFLICT (key) DO UPDATE SET items = items + 1'),
    countItemOut: sql('UPDATE partitions SET items = items - 1 WHERE key = ?'),
    dropLastOfPartition: sql('DELETE FROM partitions WHERE key = ? AND items = 1'),

    item: sql('SELECT body, etag FROM items WHERE partition_key = ? AND id = ?'),
    itemSeq: sql('SELECT seq FROM items WHERE partition_key = ? AND id = ?'),
    idsAfter: sql('SELECT id FROM items WHERE partition_key = ? AND seq > ? ORDER BY seq LIMIT ?'),
    insertItem: sql('INSERT INTO items (partition_key, id, body, etag) VALUES (?, ?, ?, ?)'),
    updateItem: sql('UPDATE items SET body = ?, etag = ? WHERE partition_key = ? AND id = ?'),
    deleteItem: sql('DELETE FROM items WHERE partition_key = ? AND id = ?'),

    order: sql('SELECT id, product_id, quantity, remaining, created_at, idempotency_key FROM orders WHERE id = ?'),
    ordersAfter: sql('SELECT id, product_id, quantity, remaining, created_at, idempotency_key FROM orders WHERE id > ? ORDER BY id LIMIT ?'),
    insertOrder: sql('INSERT INTO orders (product_id, quantity, remaining, created_at, idempotency_key) VALUES (?, ?, ?, ?, ?)'),

    // Expired rows are ignored here, so expiry holds even between two clean-ups.
    keptAnswer: sql('SELECT fingerprint, status, headers, body FROM idempotency_keys WHERE scope = ? AND key = ? AND expires_at > ?'),
    // An expired row of the same key may still be there: it is replaced.
    keepAnswer: sql(`INSERT INTO idempotency_keys (scope, key, fingerprint, status, headers, body, expires_at)
      VALUES (?, ?, ?, ?, ?, ?, ?)
      ON CONFLICT (scope, key) DO UPDATE SET fingerprint = excluded.fingerprint, status = excluded.status,
        headers = excluded.headers, body = excluded.body, expires_at = excluded.expires_at`),
    removeExpiredKeys: sql(`DELETE FROM idempotency_keys WHERE (scope, key) IN
      (SELECT scope, key FROM idempotency_keys WHERE expires_at <= ? LIMIT ?)`),
  };
}
