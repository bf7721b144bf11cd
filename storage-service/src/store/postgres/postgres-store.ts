import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { IdempotencyKeyInFlight, IdempotencyKeyReused, ItemNotFound, OrderNotFound, OutOfStock, PartitionNotFound, PreconditionFailed, ProductNotFound, UnknownCursor } from '../errors.ts';
import { keptAppend, keptOrder, type KeptResult } from '../kept-results.ts';
import { preconditionsHold, type Preconditions } from '../preconditions.ts';
import { stockOf, takeFromStock } from '../stock.ts';
import { idempotencyScope, PRODUCTS_PARTITION, type AppendResult, type IdempotencyKey, type JsonObject, toOrder, type OrderRow, type OrderResult, type PageRequest, type PutResult, type SeedData, type Store } from '../store.ts';
import { serialise, serialiseItem, type StoredBody } from '../stored-body.ts';
import { Database, type Query } from './connection.ts';
import { migrate } from './migrations.ts';

export interface PostgresStoreOptions {
  /** postgres://user:password@host:port/database; every replica uses the same database. */
  url: string;
  /** Connections this replica keeps at most. */
  poolSize: number;
  /** How long the result kept with an idempotency key lives. */
  idempotencyTtlMs: number;
  /** One operation's budget, waiting for a connection included: past it, StoreUnavailable (503). */
  operationTimeoutMs?: number;
  /** Told of a connection that failed while idle (the server restarted, the network broke). */
  onIdleError?: (err: Error) => void;
  /** Epoch milliseconds now: order times and key expiry. */
  now?: () => number;
  /** The id of an appended item. */
  newId?: () => string;
}

/** A client's request must be answered (a 503 at worst) within 3 s, pool wait included. */
export const OPERATION_TIMEOUT_MS = 2_500;
/** Migrating, and seeding from a large data file, take longer; replicas starting together wait for each other that long. */
const STARTUP_TIMEOUT_MS = 120_000;

/** Advisory locks of two int4 keys are a space apart from the migration's one bigint key: this class is an idempotency key in flight. */
const KEY_IN_FLIGHT_LOCK_CLASS = 0x4b45_5931; // "KEY1"

/**
 * A duplicate that arrives while the first request with its key is still in its transaction (a gateway
 * retry racing a replica that died mid-write, whose transaction the server has yet to abort) waits this
 * long for it, looking every KEY_POLL_MS, and then replays it or does it; past the wait, it is 409 in flight.
 */
const KEY_IN_FLIGHT_WAIT_MS = 1_000;
const KEY_POLL_MS = 20;

/** A create that lost a race to a concurrent create of the same item is tried again, as a replace. */
const PUT_ATTEMPTS = 3;

const ORDER_COLUMNS = 'id, product_id, quantity, remaining, created_at, idempotency_key';

/**
 * The hot statements, prepared once per connection (a named query is parsed and planned on its first
 * use on a connection, then only bound and executed).
 */
const SQL = {
  item: 'SELECT body, etag FROM items WHERE partition_key = $1 AND id = $2',
  partitionExists: 'SELECT EXISTS (SELECT 1 FROM partitions WHERE key = $1) AS exists',
  itemForUpdate: 'SELECT etag FROM items WHERE partition_key = $1 AND id = $2 FOR UPDATE',
  // Takes the partition's row lock first: an item inserted after it is committed after it, so ids
  // list (by seq) in the order they became visible, and a reader paging behind a writer misses none.
  countItemIn: 'INSERT INTO partitions (key, items) VALUES ($1, 1) ON CONFLICT (key) DO UPDATE SET items = partitions.items + 1',
  insertItem: `INSERT INTO items (partition_key, id, body, etag, stock) VALUES ($1, $2, $3, $4, $5)
    ON CONFLICT (partition_key, id) DO NOTHING`,
  updateItem: 'UPDATE items SET body = $3, etag = $4, stock = $5 WHERE partition_key = $1 AND id = $2',
  takeStock: `UPDATE items SET stock = stock - $2 WHERE partition_key = '${PRODUCTS_PARTITION}' AND id = $1 AND stock >= $2 RETURNING body`,
  stock: `SELECT stock FROM items WHERE partition_key = '${PRODUCTS_PARTITION}' AND id = $1`,
  // The rest of an order in one statement: the product's new body, the next id (the counter's row is
  // locked from here to commit, so ids are given in commit order, without gaps; a sequence would leave
  // gaps), the order row, and with a key its result, as keptOrder decodes it (json_build_object keeps the
  // keys in Order's order). One round trip and the COMMIT are all that hold the counter, which every
  // order takes: a second and third trip there were what orders waited for.
  placeOrder: `WITH product AS (
      UPDATE items SET body = $6, etag = $7, stock = $3 WHERE partition_key = '${PRODUCTS_PARTITION}' AND id = $1
    ), next AS (
      UPDATE counters SET value = value + 1 WHERE name = 'orders' RETURNING value
    ), placed AS (
      INSERT INTO orders (id, product_id, quantity, remaining, created_at, idempotency_key)
      SELECT value, $1, $2, $3, $4, $5 FROM next RETURNING id
    ), kept AS (
      UPDATE idempotency_results SET result = json_build_object('orderId', placed.id, 'productId', $1::text, 'quantity', $2::bigint,
        'remaining', $3::bigint, 'createdAt', $4::text, 'idempotencyKey', $5::text)::text
      FROM placed WHERE scope = $8 AND key = $5
    )
    SELECT id FROM placed`,
  order: `SELECT ${ORDER_COLUMNS} FROM orders WHERE id = $1`,
  // Claims a new key, or one whose result expired, if no other transaction holds it now (its advisory
  // lock, taken first, says so): `held` false is a key in flight; `claimed` false, a live result kept.
  claimKey: `WITH lock AS (
      SELECT pg_try_advisory_xact_lock(${KEY_IN_FLIGHT_LOCK_CLASS}, hashtext($1::text || E'\\n' || $2::text)) AS held
    ), claimed AS (
      INSERT INTO idempotency_results (scope, key, fingerprint, result, expires_at) SELECT $1, $2, $3, NULL, $4 FROM lock WHERE held
      ON CONFLICT (scope, key) DO UPDATE SET fingerprint = excluded.fingerprint, result = NULL, expires_at = excluded.expires_at
      WHERE idempotency_results.expires_at <= $5
      RETURNING 1
    )
    SELECT held, EXISTS (SELECT 1 FROM claimed) AS claimed FROM lock`,
  keptResult: 'SELECT fingerprint, result FROM idempotency_results WHERE scope = $1 AND key = $2',
  keepResult: 'UPDATE idempotency_results SET result = $3 WHERE scope = $1 AND key = $2',
};

const named = (name: keyof typeof SQL, values: unknown[]) => ({ name, text: SQL[name], values });

/** A product's stock as kept beside its body; null outside the products partition. */
const stockColumn = (partitionKey: string, object: JsonObject): number | null => (partitionKey === PRODUCTS_PARTITION ? stockOf(object) : null);

/**
 * The store in one PostgreSQL database shared by every replica, on any number of hosts. Every read is
 * a statement on the database (no cache: nothing a replica answers can be older than the last commit);
 * every write is one transaction at READ COMMITTED whose row locks order what must be ordered.
 */
export async function openPostgresStore(options: PostgresStoreOptions): Promise<Store> {
  const db = new Database({
    url: options.url,
    poolSize: options.poolSize,
    operationTimeoutMs: options.operationTimeoutMs ?? OPERATION_TIMEOUT_MS,
    onIdleError: options.onIdleError,
  });
  try {
    await migrate(db, STARTUP_TIMEOUT_MS);
  } catch (err) {
    await db.close();
    throw err;
  }
  return new PostgresStore(db, options);
}

class PostgresStore implements Store {
  readonly #db: Database;
  readonly #ttlMs: number;
  readonly #now: () => number;
  readonly #newId: () => string;

  constructor(db: Database, { idempotencyTtlMs, now = Date.now, newId = randomUUID }: PostgresStoreOptions) {
    this.#db = db;
    this.#ttlMs = idempotencyTtlMs;
    this.#now = now;
    this.#newId = newId;
  }

  async seeded(): Promise<boolean> {
    const { rowCount } = await this.#db.query({ text: "SELECT 1 FROM store_meta WHERE name = 'seeded'" });
    return rowCount === 1;
  }

  async seed(data: SeedData): Promise<boolean> {
    const rows = Object.entries(data).flatMap(([partitionKey, partition]) =>
      Object.entries(partition).map(([id, object]) => ({ partitionKey, id, item: serialiseItem(id, object), stock: stockColumn(partitionKey, object) })),
    );
    return this.#db.transaction(async (query) => {
      // Replicas seeding together: the first insert of the marker wins; the others wait for its
      // transaction and, once it commits, insert nothing.
      const marker = JSON.stringify({ seededAt: new Date(this.#now()).toISOString(), items: rows.length });
      const claimed = await query({ text: "INSERT INTO store_meta (name, value) VALUES ('seeded', $1) ON CONFLICT (name) DO NOTHING", values: [marker] });
      if (claimed.rowCount === 0) return false;
      const counts = new Map<string, number>();
      for (const { partitionKey } of rows) counts.set(partitionKey, (counts.get(partitionKey) ?? 0) + 1);
      await query({
        text: 'INSERT INTO partitions (key, items) SELECT key, items FROM unnest($1::text[], $2::int[]) WITH ORDINALITY AS p(key, items, n) ORDER BY n',
        values: [[...counts.keys()], [...counts.values()]],
      });
      await query({
        text: `INSERT INTO items (partition_key, id, body, etag, stock)
          SELECT partition_key, id, body, etag, stock
          FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bigint[]) WITH ORDINALITY AS i(partition_key, id, body, etag, stock, n)
          ORDER BY n`,
        values: [
          rows.map((row) => row.partitionKey),
          rows.map((row) => row.id),
          rows.map((row) => row.item.bytes.toString()),
          rows.map((row) => row.item.etag),
          rows.map((row) => row.stock),
        ],
      });
      return true;
    }, STARTUP_TIMEOUT_MS);
  }

  async ping(): Promise<void> {
    await this.#db.query({ text: 'SELECT 1' });
  }

  async partitions(): Promise<StoredBody> {
    const { rows } = await this.#db.query({ name: 'partitions', text: 'SELECT key FROM partitions ORDER BY position' });
    return serialise({ partitions: rows.map((row: { key: string }) => row.key) });
  }

  async partitionPage(partitionKey: string, { after, limit }: PageRequest<string>): Promise<StoredBody> {
    // One statement, so the partition, the cursor and the ids are of one snapshot.
    const { rows } = await this.#db.query({
      name: 'partitionPage',
      text: `WITH after_item AS (SELECT seq FROM items WHERE partition_key = $1 AND id = $2)
        SELECT EXISTS (SELECT 1 FROM partitions WHERE key = $1) AS partition_exists,
          EXISTS (SELECT 1 FROM after_item) AS cursor_exists,
          ARRAY (SELECT id FROM items WHERE partition_key = $1 AND seq > COALESCE((SELECT seq FROM after_item), 0) ORDER BY seq LIMIT $3) AS ids`,
      // One more than asked, to know whether a next page exists.
      values: [partitionKey, after ?? null, limit + 1],
    });
    const { partition_exists: partitionExists, cursor_exists: cursorExists, ids: found } = rows[0] as { partition_exists: boolean; cursor_exists: boolean; ids: string[] };
    if (!partitionExists) throw new PartitionNotFound({ partitionKey });
    if (after !== undefined && !cursorExists) throw new UnknownCursor({ partitionKey, after });
    const ids = found.slice(0, limit);
    return serialise({ partition: partitionKey, ids, next: found.length > limit ? ids.at(-1) : null });
  }

  async item(partitionKey: string, id: string): Promise<StoredBody> {
    const { rows } = await this.#db.query(named('item', [partitionKey, id]));
    const row = rows[0] as { body: string; etag: string } | undefined;
    if (row) return { bytes: Buffer.from(row.body), etag: row.etag };
    const exists = await this.#db.query(named('partitionExists', [partitionKey]));
    throw new ItemNotFound({ partitionKey, id, partitionExists: exists.rows[0].exists as boolean });
  }

  async putItem(partitionKey: string, id: string, object: JsonObject, preconditions: Preconditions): Promise<PutResult> {
    const item = serialiseItem(id, object);
    const stock = stockColumn(partitionKey, object);
    for (let attempt = 1; ; attempt++) {
      const result = await this.#db.transaction(async (query) => {
        const current = (await query(named('itemForUpdate', [partitionKey, id]))).rows[0] as { etag: string } | undefined;
        if (!preconditionsHold(current?.etag, preconditions)) throw new PreconditionFailed({ partitionKey, id, current: current?.etag });
        if (current) {
          await query(named('updateItem', [partitionKey, id, item.bytes.toString(), item.etag, stock]));
          return { created: false, item };
        }
        return (await this.#insertItem(query, partitionKey, id, item, stock)) ? { created: true, item } : undefined;
      });
      if (result) return result;
      // Another request created the item between our look and our insert: look again, now it exists.
      if (attempt === PUT_ATTEMPTS) throw new Error(`item "${id}" of partition "${partitionKey}" kept changing under PUT`);
    }
  }

  async deleteItem(partitionKey: string, id: string, preconditions: Preconditions): Promise<void> {
    await this.#db.transaction(async (query) => {
      const current = (await query(named('itemForUpdate', [partitionKey, id]))).rows[0] as { etag: string } | undefined;
      // RFC 9110 §13.2.1: preconditions are ignored when the answer without them would not be a 2xx.
      if (!current) throw new ItemNotFound({ partitionKey, id, partitionExists: (await query(named('partitionExists', [partitionKey]))).rows[0].exists as boolean });
      if (!preconditionsHold(current.etag, preconditions)) throw new PreconditionFailed({ partitionKey, id, current: current.etag });
      await query({ name: 'deleteItem', text: 'DELETE FROM items WHERE partition_key = $1 AND id = $2', values: [partitionKey, id] });
      const dropped = await query({ name: 'dropLastOfPartition', text: 'DELETE FROM partitions WHERE key = $1 AND items = 1', values: [partitionKey] });
      if (dropped.rowCount === 0) await query({ name: 'countItemOut', text: 'UPDATE partitions SET items = items - 1 WHERE key = $1', values: [partitionKey] });
    });
  }

  async appendItem(partitionKey: string, object: JsonObject, idempotencyKey?: IdempotencyKey): Promise<AppendResult> {
    const id = this.#newId();
    const item = serialiseItem(id, object);
    const { result, replayed } = await this.#idempotentWrite(idempotencyScope.append(partitionKey), idempotencyKey, keptAppend, async (query) => {
      if (!(await this.#insertItem(query, partitionKey, id, item, stockColumn(partitionKey, object)))) throw new Error(`new id "${id}" is taken`);
      return { id, item };
    });
    return { ...result, replayed };
  }

  async placeOrder(productId: string, quantity: number, idempotencyKey?: IdempotencyKey): Promise<OrderResult> {
    const { result, replayed } = await this.#idempotentWrite(idempotencyScope.orders, idempotencyKey, keptOrder, async (query) => {
      // The stock is taken by one conditional UPDATE, which also locks the product's row until commit:
      // concurrent orders for it wait here, and each sees the stock the one before it left.
      const taken = (await query(named('takeStock', [productId, quantity]))).rows[0] as { body: string } | undefined;
      if (!taken) {
        const row = (await query(named('stock', [productId]))).rows[0] as { stock: number | null } | undefined;
        if (!row) throw new ProductNotFound({ productId });
        throw new OutOfStock({ productId, requested: quantity, available: row.stock ?? 0 });
      }
      const { product, remaining } = takeFromStock(productId, JSON.parse(taken.body) as JsonObject, quantity);
      const item = serialise(product);
      const createdAt = new Date(this.#now()).toISOString();
      const key = idempotencyKey?.key ?? null;
      const values = [productId, quantity, remaining, createdAt, key, item.bytes.toString(), item.etag, idempotencyScope.orders];
      const { rows } = await query(named('placeOrder', values));
      return toOrder({ id: rows[0].id as number, product_id: productId, quantity, remaining, created_at: createdAt, idempotency_key: key });
    }, { keptByEffect: true });
    return { order: result, replayed };
  }

  async order(orderId: number): Promise<StoredBody> {
    const { rows } = await this.#db.query(named('order', [orderId]));
    if (rows.length === 0) throw new OrderNotFound({ orderId });
    return serialise(toOrder(rows[0] as OrderRow));
  }

  async ordersPage({ after = 0, limit }: PageRequest<number>): Promise<StoredBody> {
    const { rows } = await this.#db.query({
      name: 'ordersPage',
      text: `SELECT ${ORDER_COLUMNS} FROM orders WHERE id > $1 ORDER BY id LIMIT $2`,
      values: [after, limit + 1],
    });
    const orders = (rows as OrderRow[]).slice(0, limit).map(toOrder);
    return serialise({ orders, next: rows.length > limit ? orders.at(-1)!.orderId : null });
  }

  async removeExpiredIdempotencyKeys(): Promise<number> {
    // Rows are deleted without blocking writes: a key being claimed is a row of its own.
    const { rowCount } = await this.#db.query({ text: 'DELETE FROM idempotency_results WHERE expires_at <= $1', values: [this.#now()] });
    return rowCount ?? 0;
  }

  async close(): Promise<void> {
    await this.#db.close();
  }

  /** Inserts the item and counts it in its partition; false when the id is taken. */
  async #insertItem(query: Query, partitionKey: string, id: string, item: StoredBody, stock: number | null): Promise<boolean> {
    await query(named('countItemIn', [partitionKey]));
    const inserted = await query(named('insertItem', [partitionKey, id, item.bytes.toString(), item.etag, stock]));
    return inserted.rowCount === 1;
  }

  /**
   * The effect, and with an idempotency key the result kept for it, in one transaction. The key is
   * claimed first (an advisory lock says whether another transaction holds it right now, and is waited
   * for a moment; the row says whether one committed it): a retry, from any replica, finds the key in flight, or its result, or
   * (if the first attempt failed and rolled back) neither. A failed effect keeps nothing.
   */
  async #idempotentWrite<Result>(
    scope: string,
    idempotencyKey: IdempotencyKey | undefined,
    kept: KeptResult<Result>,
    effect: (query: Query) => Promise<Result>,
    /** The effect keeps its result with the claimed key itself (in its last statement); else it is kept after it. */
    { keptByEffect = false } = {},
  ): Promise<{ result: Result; replayed: boolean }> {
    return this.#db.transaction(async (query) => {
      if (idempotencyKey) {
        const { key, fingerprint } = idempotencyKey;
        const waitUntil = performance.now() + KEY_IN_FLIGHT_WAIT_MS;
        for (;;) {
          const now = this.#now();
          const { held, claimed } = (await query(named('claimKey', [scope, key, fingerprint, now + this.#ttlMs, now]))).rows[0] as { held: boolean; claimed: boolean };
          if (held && claimed) break;
          if (held) {
            const row = (await query(named('keptResult', [scope, key]))).rows[0] as { fingerprint: string; result: string };
            if (row.fingerprint !== fingerprint) throw new IdempotencyKeyReused({ key });
            return { result: kept.decode(row.result), replayed: true };
          }
          if (performance.now() >= waitUntil) throw new IdempotencyKeyInFlight({ key });
          await sleep(KEY_POLL_MS);
        }
      }
      const result = await effect(query);
      if (idempotencyKey && !keptByEffect) await query(named('keepResult', [scope, idempotencyKey.key, kept.encode(result)]));
      return { result, replayed: false };
    });
  }
}
