import { Counter, Histogram, type Registry } from 'prom-client';
import { OutOfStock } from './errors.ts';
import type { IdempotencyKey, JsonObject, PageRequest, SeedData, Store } from './store.ts';
import type { Preconditions } from './preconditions.ts';

/** From a cached SQLite read (tens of microseconds) to a PostgreSQL transaction that waits for a lock. */
const OPERATION_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

type OrderOutcome = 'placed' | 'out_of_stock' | 'replayed';

/** The Store methods timed, each an `operation` label value. */
const OPERATIONS = ['ping', 'partitions', 'partitionPage', 'item', 'putItem', 'deleteItem', 'appendItem', 'placeOrder', 'order', 'ordersPage', 'removeExpiredIdempotencyKeys'] as const;
type Operation = (typeof OPERATIONS)[number];

/**
 * A Store that records what the store does, for Prometheus: `storage_store_operation_duration_seconds`
 * by operation (the Store method; failures included), and `storage_orders_total` by outcome. Everything
 * else is the wrapped store's.
 */
export class MeasuredStore implements Store {
  readonly #store: Store;
  /** One child per operation, made at start: `labels()` parses and validates its arguments on every call. */
  readonly #durationOf: Record<Operation, Histogram.Internal<'operation'>>;
  readonly #orders: Counter<'outcome'>;

  constructor(store: Store, registry: Registry) {
    this.#store = store;
    const durations = new Histogram({
      name: 'storage_store_operation_duration_seconds',
      help: 'Duration of store operations, by operation (the Store method).',
      labelNames: ['operation'],
      buckets: OPERATION_BUCKETS,
      registers: [registry],
    });
    this.#durationOf = Object.fromEntries(OPERATIONS.map((operation) => [operation, durations.labels(operation)])) as Record<Operation, Histogram.Internal<'operation'>>;
    this.#orders = new Counter({
      name: 'storage_orders_total',
      help: 'Orders answered, by outcome: placed (stock taken), out_of_stock (refused), replayed (an idempotency key seen before; nothing taken).',
      labelNames: ['outcome'],
      registers: [registry],
    });
    // Every outcome from 0, so that a rate over it exists before the first order of each kind.
    for (const outcome of ['placed', 'out_of_stock', 'replayed'] satisfies OrderOutcome[]) this.#orders.inc({ outcome }, 0);
  }

  async #timed<T>(operation: Operation, run: () => Promise<T>): Promise<T> {
    const started = performance.now();
    try {
      return await run();
    } finally {
      this.#durationOf[operation].observe((performance.now() - started) / 1000);
    }
  }

  seeded() {
    return this.#store.seeded();
  }

  seed(data: SeedData) {
    return this.#store.seed(data);
  }

  ping() {
    return this.#timed('ping', () => this.#store.ping());
  }

  partitions() {
    return this.#timed('partitions', () => this.#store.partitions());
  }

  partitionPage(partitionKey: string, page: PageRequest<string>) {
    return this.#timed('partitionPage', () => this.#store.partitionPage(partitionKey, page));
  }

  item(partitionKey: string, id: string) {
    return this.#timed('item', () => this.#store.item(partitionKey, id));
  }

  putItem(partitionKey: string, id: string, object: JsonObject, preconditions: Preconditions) {
    return this.#timed('putItem', () => this.#store.putItem(partitionKey, id, object, preconditions));
  }

  deleteItem(partitionKey: string, id: string, preconditions: Preconditions) {
    return this.#timed('deleteItem', () => this.#store.deleteItem(partitionKey, id, preconditions));
  }

  appendItem(partitionKey: string, object: JsonObject, idempotencyKey?: IdempotencyKey) {
    return this.#timed('appendItem', () => this.#store.appendItem(partitionKey, object, idempotencyKey));
  }

  async placeOrder(productId: string, quantity: number, idempotencyKey?: IdempotencyKey) {
    try {
      const result = await this.#timed('placeOrder', () => this.#store.placeOrder(productId, quantity, idempotencyKey));
      this.#orders.inc({ outcome: result.replayed ? 'replayed' : 'placed' });
      return result;
    } catch (err) {
      if (err instanceof OutOfStock) this.#orders.inc({ outcome: 'out_of_stock' });
      throw err;
    }
  }

  order(orderId: number) {
    return this.#timed('order', () => this.#store.order(orderId));
  }

  ordersPage(page: PageRequest<number>) {
    return this.#timed('ordersPage', () => this.#store.ordersPage(page));
  }

  removeExpiredIdempotencyKeys() {
    return this.#timed('removeExpiredIdempotencyKeys', () => this.#store.removeExpiredIdempotencyKeys());
  }

  close() {
    return this.#store.close();
  }
}
