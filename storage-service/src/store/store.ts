import type { Preconditions } from './preconditions.ts';
import type { StoredBody } from './stored-body.ts';

/**
 * The storage behind the HTTP API, in the domain's terms: partitions of JSON objects, a product
 * catalogue whose stock orders take from, an order log, and the answers kept for Idempotency-Keys.
 * Every method returns a promise, so a store that talks to a server (Postgres) fits the same shape
 * as the embedded one; refusals are the errors of errors.ts.
 */
export interface Store {
  /** Whether a data file was ever loaded into the store (see seed). */
  seeded(): Promise<boolean>;
  /** Loads `data` if no data file was ever loaded, atomically: of replicas starting together, one seeds. True if this call did. */
  seed(data: SeedData): Promise<boolean>;

  /** `{"partitions": [...]}`: the partitions holding at least one item, oldest first. */
  partitions(): Promise<StoredBody>;
  /** `{"partition", "ids", "next"}`: ids in insertion order; undefined when the partition does not exist. Throws UnknownCursor. */
  partitionPage(partitionKey: string, page: PageRequest<string>): Promise<StoredBody | undefined>;
  hasPartition(partitionKey: string): Promise<boolean>;
  item(partitionKey: string, id: string): Promise<StoredBody | undefined>;

  /** Creates or replaces the item (`object` carries its `id`). Throws PreconditionFailed. */
  putItem(partitionKey: string, id: string, object: JsonObject, preconditions: Preconditions): Promise<PutResult>;
  /** Throws ItemNotFound, PreconditionFailed. The partition goes with its last item. */
  deleteItem(partitionKey: string, id: string, preconditions: Preconditions): Promise<void>;
  /** Appends the object under a new id, after every item of the partition. */
  appendItem(partitionKey: string, object: JsonObject, idempotency?: Idempotency<AppendResult>): Promise<Outcome<AppendResult>>;

  /** Takes `quantity` from the product's stock and logs the order, at once or not at all. Throws ProductNotFound, OutOfStock. */
  placeOrder(productId: string, quantity: number, idempotency?: Idempotency<Order>): Promise<Outcome<Order>>;
  /** The order as JSON (an Order); undefined when there is none with that id. */
  order(orderId: number): Promise<StoredBody | undefined>;
  /** `{"orders": [...], "next"}`: orders in the order they were placed. */
  ordersPage(page: PageRequest<number>): Promise<StoredBody>;

  /** Forgets the answers kept for keys past their time to live; how many. */
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

export interface AppendResult {
  id: string;
  item: StoredBody;
}

export interface Order {
  orderId: number;
  productId: string;
  quantity: number;
  /** The product's stock right after this order. */
  remaining: number;
  createdAt: string;
  /** The Idempotency-Key it was placed with, so that an audit of the log can tell a duplicate effect; null without one. */
  idempotencyKey: string | null;
}

/** The answer a POST gave, kept with its Idempotency-Key so that a retry gets it again. */
export interface RecordedAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** A POST's Idempotency-Key, and how to make the answer kept with it. */
export interface Idempotency<Result> {
  /** What the key is scoped to: the route, e.g. `POST /orders`. */
  scope: string;
  key: string;
  /** Of method, path and canonical body: the same key with another request is refused (IdempotencyKeyReused). */
  fingerprint: string;
  /** The answer to keep, made from the result inside the transaction of the effect, so both commit or neither. */
  answer: (result: Result) => RecordedAnswer;
}

/** What a POST did; or, for a key already used for the same request, the answer given then, with no second effect. */
export type Outcome<Result> = { result: Result; replay?: undefined } | { replay: RecordedAnswer; result?: undefined };
