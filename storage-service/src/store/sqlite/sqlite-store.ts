import { randomUUID } from 'node:crypto';
import type { DatabaseSync, StatementSync } from 'node:sqlite';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { IdempotencyKeyReused, ItemNotFound, OrderNotFound, PartitionNotFound, PreconditionFailed, ProductNotFound, StoreUnavailable, UnknownCursor } from '../errors.ts';
import { preconditionsHold, type Preconditions } from '../preconditions.ts';
import { takeFromStock } from '../stock.ts';
import { idempotencyScope, PRODUCTS_PARTITION, type AppendResult, type IdempotencyKey, type JsonObject, toOrder, type OrderRow, type OrderResult, type PageRequest, type PutResult, type SeedData, type Store } from '../store.ts';
import { keptAppend, keptOrder, type KeptResult } from '../kept-results.ts';
import { serialise, serialiseItem, type StoredBody } from '../stored-body.ts';
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

interface KeptResultRow {
  fingerprint: string;
  result: string;
}

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
            this.#insertItem(partitionKey, id, serialiseItem(id, object));
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

  async ping(): Promise<void> {
    if (!this.#db.isOpen) throw new StoreUnavailable('the store is closed');
  }

  async partitions(): Promise<StoredBody> {
    const partitions = await this.#cache.get('partitions', () => {
      const rows = this.#sql.partitionKeys.all() as Array<{ key: string }>;
      return serialise({ partitions: rows.map((row) => row.key) });
    });
    return partitions!;
  }

  async partitionPage(partitionKey: string, { after, limit }: PageRequest<string>): Promise<StoredBody> {
    const page = await this.#cache.get(`page\0${partitionKey}\0${after ?? ''}\0${limit}`, () =>
      // One read transaction: the partition, the cursor and the ids are of the same moment.
      this.#readTransaction(() => {
        if (!this.#sql.partitionExists.get(partitionKey)) return undefined;
        let from = 0;
        if (after !== undefined) {
          const cursor = this.#sql.itemSeq.get(partitionKey, after) as { seq: number } | undefined;
          if (!cursor) throw new UnknownCursor({ partitionKey, after });
          from = cursor.seq;
        }
        // One more than asked, to know whether a next page exists.
        const rows = this.#sql.idsAfter.all(partitionKey, from, limit + 1) as Array<{ id: string }>;
        const ids = rows.slice(0, limit).map((row) => row.id);
        return serialise({ partition: partitionKey, ids, next: rows.length > limit ? ids.at(-1) : null });
      }),
    );
    if (!page) throw new PartitionNotFound({ partitionKey });
    return page;
  }

  async item(partitionKey: string, id: string): Promise<StoredBody> {
    const item = await this.#cache.get(`item\0${partitionKey}\0${id}`, () => {
      const row = this.#sql.item.get(partitionKey, id) as ItemRow | undefined;
      return row && { bytes: Buffer.from(row.body), etag: row.etag };
    });
    if (!item) throw new ItemNotFound({ partitionKey, id, partitionExists: this.#sql.partitionExists.get(partitionKey) !== undefined });
    return item;
  }

  async putItem(partitionKey: string, id: string, object: JsonObject, preconditions: Preconditions): Promise<PutResult> {
    // Serialised before the transaction: the lock is held for the SQL alone.
    const item = serialiseItem(id, object);
    return this.#write(() => {
      const current = this.#sql.item.get(partitionKey, id) as ItemRow | undefined;
      if (!preconditionsHold(current?.etag, preconditions)) throw new PreconditionFailed({ partitionKey, id, current: current?.etag });
      if (current) this.#sql.updateItem.run(item.bytes.toString(), item.etag, partitionKey, id);
      else this.#insertItem(partitionKey, id, item);
      return { created: !current, item };
    });
  }

  async deleteItem(partitionKey: string, id: string, preconditions: Preconditions): Promise<void> {
    this.#write(() => {
      const current = this.#sql.item.get(partitionKey, id) as ItemRow | undefined;
      // RFC 9110 §13.2.1: preconditions are ignored when the answer without them would not be a 2xx.
      if (!current) throw new ItemNotFound({ partitionKey, id, partitionExists: this.#sql.partitionExists.get(partitionKey) !== undefined });
      if (!preconditionsHold(current.etag, preconditions)) throw new PreconditionFailed({ partitionKey, id, current: current.etag });
      this.#sql.deleteItem.run(partitionKey, id);
      if (this.#sql.dropLastOfPartition.run(partitionKey).changes === 0) this.#sql.countItemOut.run(partitionKey);
    });
  }

  async appendItem(partitionKey: string, object: JsonObject, idempotencyKey?: IdempotencyKey): Promise<AppendResult> {
    const id = this.#newId();
    const item = serialiseItem(id, object);
    const { result, replayed } = this.#idempotentWrite(idempotencyScope.append(partitionKey), idempotencyKey, keptAppend, () => {
      this.#insertItem(partitionKey, id, item);
      return { id, item };
    });
    return { ...result, replayed };
  }

  async placeOrder(productId: string, quantity: number, idempotencyKey?: IdempotencyKey): Promise<OrderResult> {
    const { result, replayed } = this.#idempotentWrite(idempotencyScope.orders, idempotencyKey, keptOrder, () => {
      const row = this.#sql.item.get(PRODUCTS_PARTITION, productId) as ItemRow | undefined;
      if (!row) throw new ProductNotFound({ productId });
      const { product, remaining } = takeFromStock(productId, JSON.parse(row.body) as JsonObject, quantity);
      const item = serialise(product);
      this.#sql.updateItem.run(item.bytes.toString(), item.etag, PRODUCTS_PARTITION, productId);
      const createdAt = new Date(this.#now()).toISOString();
      // orders.id is an INTEGER PRIMARY KEY, so SQLite gives a new row the largest id so far + 1. Rows
      // are only ever inserted here, under the write lock, and never deleted; an insert rolled back gives
      // its id back. So order ids increase strictly in commit order, across replicas, without gaps.
      const key = idempotencyKey?.key ?? null;
      const { lastInsertRowid } = this.#sql.insertOrder.run(productId, quantity, remaining, createdAt, key);
      return toOrder({ id: Number(lastInsertRowid), product_id: productId, quantity, remaining, created_at: createdAt, idempotency_key: key });
    });
    return { order: result, replayed };
  }

  async order(orderId: number): Promise<StoredBody> {
    const order = await this.#cache.get(`order\0${orderId}`, () => {
      const row = this.#sql.order.get(orderId) as OrderRow | undefined;
      return row && serialise(toOrder(row));
    });
    if (!order) throw new OrderNotFound({ orderId });
    return order;
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
   * The effect, and with an idempotency key the result kept for it (as JSON), in one transaction: a
   * retry, from any replica, either finds the key with its result, or (if the first attempt failed)
   * finds neither. A failed effect (an error thrown) keeps nothing, so a corrected retry with the same
   * key can succeed. The write lock is held throughout, so no other request with the key is ever in flight.
   */
  #idempotentWrite<Result>(
    scope: string,
    idempotencyKey: IdempotencyKey | undefined,
    kept: KeptResult<Result>,
    effect: () => Result,
  ): { result: Result; replayed: boolean } {
    return this.#write(() => {
      if (idempotencyKey) {
        const row = this.#sql.keptResult.get(scope, idempotencyKey.key, this.#now()) as KeptResultRow | undefined;
        if (row) {
          if (row.fingerprint !== idempotencyKey.fingerprint) throw new IdempotencyKeyReused({ key: idempotencyKey.key });
          return { result: kept.decode(row.result), replayed: true };
        }
      }
      const result = effect();
      if (idempotencyKey) {
        const expiresAt = this.#now() + this.#ttlMs;
        this.#sql.keepResult.run(scope, idempotencyKey.key, idempotencyKey.fingerprint, kept.encode(result), expiresAt);
      }
      return { result, replayed: false };
    });
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
    keptResult: sql('SELECT fingerprint, result FROM idempotency_results WHERE scope = ? AND key = ? AND expires_at > ?'),
    // An expired row of the same key may still be there: it is replaced.
    keepResult: sql(`INSERT INTO idempotency_results (scope, key, fingerprint, result, expires_at) VALUES (?, ?, ?, ?, ?)
      ON CONFLICT (scope, key) DO UPDATE SET fingerprint = excluded.fingerprint, result = excluded.result, expires_at = excluded.expires_at`),
    removeExpiredKeys: sql(`DELETE FROM idempotency_results WHERE (scope, key) IN
      (SELECT scope, key FROM idempotency_results WHERE expires_at <= ? LIMIT ?)`),
  };
}
