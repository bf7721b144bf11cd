import type { Preconditions } from './preconditions.ts';
import type { StoredBody } from './stored-body.ts';

/**
 * The storage behind the APIs, in the domain's terms: partitions of JSON objects, a product catalogue
 * whose stock orders take from, an order log, and the results kept for idempotency keys. It knows
 * nothing of HTTP: it returns domain results and refuses with the errors of errors.ts, which one place
 * per API turns into answers. Every implementation passes test/store-contract.ts.
 */
export interface Store {
  /** Whether a data file was ever loaded into the store (see seed). */
  seeded(): Promise<boolean>;
  /** Loads `data` if no data file was ever loaded, atomically: of replicas starting together, one seeds. True if this call did. */
  seed(data: SeedData): Promise<boolean>;
  /** Resolves when the store can serve requests now; throws StoreUnavailable otherwise. */
  ping(): Promise<void>;

  /** `{"partitions": [...]}`: the partitions holding at least one item, oldest first. */
  partitions(): Promise<StoredBody>;
  /** `{"partition", "ids", "next"}`: ids in insertion order. Throws PartitionNotFound, UnknownCursor. */
  partitionPage(partitionKey: string, page: PageRequest<string>): Promise<StoredBody>;
  /** Throws ItemNotFound. */
  item(partitionKey: string, id: string): Promise<StoredBody>;

  /** Creates or replaces the item (`object` carries its `id`). Throws PreconditionFailed. */
  putItem(partitionKey: string, id: string, object: JsonObject, preconditions: Preconditions): Promise<PutResult>;
  /** Throws ItemNotFound, PreconditionFailed. The partition goes with its last item. */
  deleteItem(partitionKey: string, id: string, preconditions: Preconditions): Promise<void>;
  /** Appends the object under a new id, after every item of the partition. */
  appendItem(partitionKey: string, object: JsonObject, idempotencyKey?: IdempotencyKey): Promise<AppendResult>;

  /** Takes `quantity` from the product's stock and logs the order, at once or not at all. Throws ProductNotFound, OutOfStock. */
  placeOrder(productId: string, quantity: number, idempotencyKey?: IdempotencyKey): Promise<OrderResult>;
  /** The order as JSON (an Order). Throws OrderNotFound. */
  order(orderId: number): Promise<StoredBody>;
  /** `{"orders": [...], "next"}`: orders in the order they were placed. */
  ordersPage(page: PageRequest<number>): Promise<StoredBody>;

  /** Forgets the results kept for keys past their time to live; how many. */
  removeExpiredIdempotencyKeys(): Promise<number>;
  close(): Promise<void>;
}

/** A JSON object as stored: plain data, finite numbers, bounded depth (see json-value.ts). */
export type JsonObject = Record<string, unknown>;

/** Partition key → id → object, in the order to store them. */
export type SeedData = Record<string, Record<string, JsonObject>>;

/** The partition the order log takes stock from. */
export const PRODUCTS_PARTITION = 'products';

export interface PageRequest<Cursor> {
  /** The last id of the previous page (its `next`); absent for the first page. */
  after?: Cursor | undefined;
  limit: number;
}

export interface PutResult {
  created: boolean;
  item: StoredBody;
}

/**
 * A write's idempotency key. With it, the store keeps the write's result with the key, in the
 * transaction of the effect: the same key and request again gets that result, `replayed`, with no
 * second effect; the same key with another request is IdempotencyKeyReused; while the first is still
 * being written, IdempotencyKeyInFlight. Keys are scoped to the operation (orders, appends to one partition).
 */
export interface IdempotencyKey {
  key: string;
  /** Of the whole request: the same key with another fingerprint is another request. */
  fingerprint: string;
}

export interface AppendResult {
  id: string;
  item: StoredBody;
  /** True when this is the result kept for the idempotency key, and nothing was written now. */
  replayed: boolean;
}

export interface OrderResult {
  order: Order;
  /** True when this is the order kept for the idempotency key, and nothing was taken now. */
  replayed: boolean;
}

export interface Order {
  orderId: number;
  productId: string;
  quantity: number;
  /** The product's stock right after this order. */
  remaining: number;
  createdAt: string;
  /** The idempotency key it was placed with, so that an audit of the log can tell a duplicate effect; null without one. */
  idempotencyKey: string | null;
}

/** The scope a key is kept in: the same key for another operation is another key. */
export const idempotencyScope = {
  orders: 'orders',
  append: (partitionKey: string) => `data/${partitionKey}`,
};

/** An order as both stores keep it in their `orders` table. */
export interface OrderRow {
  id: number;
  product_id: string;
  quantity: number;
  remaining: number;
  created_at: string;
  idempotency_key: string | null;
}

export const toOrder = (row: OrderRow): Order => ({
  orderId: row.id,
  productId: row.product_id,
  quantity: row.quantity,
  remaining: row.remaining,
  createdAt: row.created_at,
  idempotencyKey: row.idempotency_key,
});
