import test, { type ExecutionContext } from 'ava';
import { IdempotencyKeyInFlight, IdempotencyKeyReused, ItemNotFound, OrderNotFound, OutOfStock, PartitionNotFound, PreconditionFailed, ProductNotFound, UnknownCursor } from '../src/store/errors.ts';
import type { IdempotencyKey, Order, SeedData, Store } from '../src/store/store.ts';
import type { StoredBody } from '../src/store/stored-body.ts';

/**
 * The Store contract: what every implementation must do, whatever it stores in. A file per store
 * calls storeContract with a way to make a new, empty database and to open store instances on it;
 * two instances on one database stand for two replicas.
 */

export interface ContractOptions {
  /** Epoch milliseconds now: order times and key expiry. */
  now?: () => number;
  idempotencyTtlMs?: number;
  /** The id of an appended item. */
  newId?: () => string;
}

/** Opens a store instance on one database; the backend closes it when the test ends. */
export type OpenStore = (options?: ContractOptions) => Promise<Store>;

/** A new, empty database of the store under test, for one test. */
export type NewDatabase = (t: ExecutionContext) => Promise<OpenStore>;

export const sampleData: SeedData = {
  products: {
    'p-1': { name: 'Kettle', price: { amount: 79, currency: 'EUR' }, quantity: 4 },
    'p-2': { name: 'Grinder', price: { amount: 149, currency: 'EUR' }, quantity: 0 },
  },
  users: { 'u-1': { name: 'Ada Lovelace', tags: ['admin'] } },
  empty: {},
};

const parse = (body: StoredBody): any => JSON.parse(body.bytes.toString());
const none = {};
const DAY_MS = 86_400_000;

function sequentialIds(): () => string {
  let next = 0;
  return () => `m-${++next}`;
}

const key = (name: string, fingerprint = 'same-request'): IdempotencyKey => ({ key: name, fingerprint });

export function storeContract(name: string, newDatabase: NewDatabase): void {
  /** A store on a new database seeded with sampleData, and a way to open more instances on it. */
  async function seeded(t: ExecutionContext, options: ContractOptions = {}): Promise<{ store: Store; open: OpenStore }> {
    const open = await newDatabase(t);
    const store = await open({ idempotencyTtlMs: DAY_MS, ...options });
    await store.seed(sampleData);
    return { store, open };
  }

  test(`${name}: a new store is not seeded until seed() runs; seeding stores every object with its id`, async (t) => {
    const store = await (await newDatabase(t))();
    t.false(await store.seeded());
    t.deepEqual(parse(await store.partitions()), { partitions: [] });
    t.true(await store.seed(sampleData));
    t.true(await store.seeded());
    t.deepEqual(parse(await store.item('users', 'u-1')), { id: 'u-1', name: 'Ada Lovelace', tags: ['admin'] });
    t.deepEqual(parse(await store.partitions()), { partitions: ['products', 'users'] }, 'an empty partition is no partition');
  });

  test(`${name}: seeding happens once: a second seed, from this or another instance, changes nothing`, async (t) => {
    const { store, open } = await seeded(t);
    await store.putItem('users', 'u-1', { name: 'changed' }, none);
    t.false(await store.seed(sampleData));
    const other = await open();
    t.true(await other.seeded());
    t.false(await other.seed({ users: { 'u-9': {} } }));
    t.deepEqual(parse(await other.item('users', 'u-1')), { id: 'u-1', name: 'changed' });
    await t.throwsAsync(other.item('users', 'u-9'), { instanceOf: ItemNotFound });
  });

  test(`${name}: of five instances starting together on a new database, exactly one seeds`, async (t) => {
    const open = await newDatabase(t);
    const stores = await Promise.all(Array.from({ length: 5 }, () => open()));
    const seeders = await Promise.all(stores.map((store) => store.seed(sampleData)));
    t.is(seeders.filter(Boolean).length, 1);
    t.deepEqual(parse(await stores[4]!.partitionPage('products', { limit: 10 })).ids, ['p-1', 'p-2']);
  });

  test(`${name}: ping resolves while the store can serve`, async (t) => {
    const { store } = await seeded(t);
    await t.notThrowsAsync(store.ping());
  });

  test(`${name}: putItem creates, then replaces in place; the entity tag follows the content`, async (t) => {
    const { store } = await seeded(t);
    const created = await store.putItem('notes', 'n-1', { text: 'a' }, none);
    t.true(created.created);
    t.deepEqual(parse(created.item), { id: 'n-1', text: 'a' });
    const replaced = await store.putItem('notes', 'n-1', { text: 'b' }, none);
    t.false(replaced.created);
    t.not(replaced.item.etag, created.item.etag);
    t.is((await store.item('notes', 'n-1')).etag, replaced.item.etag);
    const back = await store.putItem('notes', 'n-1', { text: 'a' }, none);
    t.is(back.item.etag, created.item.etag, 'the same bytes have the same tag');
    t.deepEqual(parse(await store.partitions()), { partitions: ['products', 'users', 'notes'] });
  });

  test(`${name}: an item is stored byte for byte as serialised, with its id first`, async (t) => {
    const { store } = await seeded(t);
    const object = JSON.parse('{"z":1,"a":{"y":[1.5,"é",null],"b":true},"id":"n-1","__proto__":{"kept":1}}') as Record<string, unknown>;
    const { item } = await store.putItem('notes', 'n-1', object, none);
    t.is(item.bytes.toString(), '{"id":"n-1","z":1,"a":{"y":[1.5,"é",null],"b":true},"__proto__":{"kept":1}}');
    t.deepEqual((await store.item('notes', 'n-1')).bytes, item.bytes);
  });

  test(`${name}: a replaced item keeps its place in the partition order`, async (t) => {
    const { store } = await seeded(t);
    await store.putItem('products', 'p-1', { name: 'Kettle 2' }, none);
    t.deepEqual(parse(await store.partitionPage('products', { limit: 10 })).ids, ['p-1', 'p-2']);
  });

  test(`${name}: deleteItem removes the item; the partition goes with its last item and comes back last`, async (t) => {
    const { store } = await seeded(t);
    await store.deleteItem('users', 'u-1', none);
    const gone = await t.throwsAsync(store.item('users', 'u-1'), { instanceOf: ItemNotFound });
    t.false(gone.facts.partitionExists);
    await t.throwsAsync(store.partitionPage('users', { limit: 10 }), { instanceOf: PartitionNotFound });
    t.deepEqual(parse(await store.partitions()), { partitions: ['products'] });
    await store.putItem('users', 'u-2', {}, none);
    await store.putItem('aaa', 'x', {}, none);
    t.deepEqual(parse(await store.partitions()), { partitions: ['products', 'users', 'aaa'] });
  });

  test(`${name}: a missing item, partition or order is not found, saying whether the partition exists`, async (t) => {
    const { store } = await seeded(t);
    const missingItem = await t.throwsAsync(store.item('users', 'u-9'), { instanceOf: ItemNotFound, message: 'partition "users" has no item "u-9"' });
    t.true(missingItem.facts.partitionExists);
    t.false((await t.throwsAsync(store.item('nope', 'u-9'), { instanceOf: ItemNotFound })).facts.partitionExists);
    t.true((await t.throwsAsync(store.deleteItem('users', 'u-9', none), { instanceOf: ItemNotFound })).facts.partitionExists);
    t.false((await t.throwsAsync(store.deleteItem('nope', 'u-9', none), { instanceOf: ItemNotFound })).facts.partitionExists);
    await t.throwsAsync(store.partitionPage('nope', { limit: 10 }), { instanceOf: PartitionNotFound });
    await t.throwsAsync(store.order(1), { instanceOf: OrderNotFound });
  });

  test(`${name}: If-Match: the write happens only when the tag is current (or * and the item exists)`, async (t) => {
    const { store } = await seeded(t);
    const { etag } = await store.item('users', 'u-1');
    await t.throwsAsync(store.putItem('users', 'u-1', { v: 1 }, { ifMatch: ['"stale"'] }), { instanceOf: PreconditionFailed });
    await t.throwsAsync(store.putItem('users', 'u-1', { v: 1 }, { ifMatch: [`W/${etag}`] }), { instanceOf: PreconditionFailed }, 'weak tags never match');
    await t.throwsAsync(store.putItem('users', 'u-9', { v: 1 }, { ifMatch: '*' }), { instanceOf: PreconditionFailed });
    await t.throwsAsync(store.item('users', 'u-9'), { instanceOf: ItemNotFound });
    const replaced = await store.putItem('users', 'u-1', { v: 1 }, { ifMatch: ['"other"', etag] });
    await t.throwsAsync(store.deleteItem('users', 'u-1', { ifMatch: [etag] }), { instanceOf: PreconditionFailed });
    await store.deleteItem('users', 'u-1', { ifMatch: [replaced.item.etag] });
    await t.throwsAsync(store.item('users', 'u-1'), { instanceOf: ItemNotFound });
  });

  test(`${name}: If-None-Match: * creates only; a listed tag refuses to overwrite that version`, async (t) => {
    const { store } = await seeded(t);
    const { etag } = await store.item('users', 'u-1');
    await t.throwsAsync(store.putItem('users', 'u-1', { v: 1 }, { ifNoneMatch: '*' }), { instanceOf: PreconditionFailed });
    await t.throwsAsync(store.putItem('users', 'u-1', { v: 1 }, { ifNoneMatch: [`W/${etag}`] }), { instanceOf: PreconditionFailed });
    t.true((await store.putItem('users', 'u-2', { v: 1 }, { ifNoneMatch: '*' })).created);
    t.false((await store.putItem('users', 'u-1', { v: 1 }, { ifNoneMatch: ['"other"'] })).created);
  });

  test(`${name}: appendItem is a message log: new ids, listed in insertion order after the seeded ones`, async (t) => {
    const { store } = await seeded(t, { newId: sequentialIds() });
    const appended = [];
    for (const text of ['one', 'two', 'three']) appended.push(await store.appendItem('messages', { text }));
    t.deepEqual(
      appended.map(({ id, replayed }) => [id, replayed]),
      [
        ['m-1', false],
        ['m-2', false],
        ['m-3', false],
      ],
    );
    t.deepEqual(parse(appended[1]!.item), { id: 'm-2', text: 'two' });
    await store.appendItem('products', { name: 'Appended' });
    t.deepEqual(parse(await store.partitionPage('messages', { limit: 10 })), { partition: 'messages', ids: ['m-1', 'm-2', 'm-3'], next: null });
    t.deepEqual(parse(await store.partitionPage('products', { limit: 10 })).ids, ['p-1', 'p-2', 'm-4']);
  });

  test(`${name}: appendItem ids are UUIDs by default`, async (t) => {
    const { store } = await seeded(t);
    const { id } = await store.appendItem('messages', {});
    t.regex(id, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  test(`${name}: pages: limit ids at a time, next is the after of the following page, null at the end`, async (t) => {
    const { store } = await seeded(t, { newId: sequentialIds() });
    for (let i = 0; i < 5; i++) await store.appendItem('log', { i });
    t.deepEqual(parse(await store.partitionPage('log', { limit: 2 })), { partition: 'log', ids: ['m-1', 'm-2'], next: 'm-2' });
    t.deepEqual(parse(await store.partitionPage('log', { limit: 2, after: 'm-2' })), { partition: 'log', ids: ['m-3', 'm-4'], next: 'm-4' });
    t.deepEqual(parse(await store.partitionPage('log', { limit: 2, after: 'm-4' })), { partition: 'log', ids: ['m-5'], next: null });
    t.deepEqual(parse(await store.partitionPage('log', { limit: 5 })).next, null, 'a full last page has no next');
    t.deepEqual(parse(await store.partitionPage('log', { limit: 2, after: 'm-5' })), { partition: 'log', ids: [], next: null });
    await t.throwsAsync(store.partitionPage('products', { limit: 2, after: 'u-1' }), { instanceOf: UnknownCursor });
  });

  test(`${name}: read-your-writes across instances: a read after another instance's write sees it`, async (t) => {
    const { store, open } = await seeded(t);
    const other = await open();
    const before = await store.item('users', 'u-1');
    t.deepEqual((await store.item('users', 'u-1')).bytes, before.bytes);
    await other.putItem('users', 'u-1', { name: 'new' }, none);
    t.deepEqual(parse(await store.item('users', 'u-1')), { id: 'u-1', name: 'new' });
    await other.deleteItem('products', 'p-2', none);
    t.deepEqual(parse(await store.partitionPage('products', { limit: 10 })).ids, ['p-1']);
    await other.appendItem('fresh', { n: 1 });
    t.deepEqual(parse(await store.partitions()), { partitions: ['products', 'users', 'fresh'] });
    const { order } = await other.placeOrder('p-1', 1);
    t.deepEqual(parse(await store.order(order.orderId)), order);
    t.is(parse(await store.ordersPage({ limit: 10 })).orders.length, 1);
  });

  test(`${name}: placeOrder takes from the stock and logs the order; the product gets a new entity tag`, async (t) => {
    const { store } = await seeded(t, { now: () => Date.UTC(2026, 0, 2, 3, 4, 5) });
    const before = await store.item('products', 'p-1');
    const placed = await store.placeOrder('p-1', 3);
    const order = { orderId: 1, productId: 'p-1', quantity: 3, remaining: 1, createdAt: '2026-01-02T03:04:05.000Z', idempotencyKey: null };
    t.deepEqual(placed, { order, replayed: false });
    const after = await store.item('products', 'p-1');
    t.is(after.bytes.toString(), '{"id":"p-1","name":"Kettle","price":{"amount":79,"currency":"EUR"},"quantity":1}');
    t.not(after.etag, before.etag);
    t.is((await store.order(1)).bytes.toString(), JSON.stringify(order));
  });

  test(`${name}: an order larger than the stock is OutOfStock with what is available, and nothing changes`, async (t) => {
    const { store } = await seeded(t);
    const before = await store.item('products', 'p-1');
    const err = await t.throwsAsync(store.placeOrder('p-1', 5), { instanceOf: OutOfStock });
    t.deepEqual(err.facts, { productId: 'p-1', requested: 5, available: 4 });
    await t.throwsAsync(store.placeOrder('p-2', 1), { instanceOf: OutOfStock });
    t.is((await store.item('products', 'p-1')).etag, before.etag);
    t.deepEqual(parse(await store.ordersPage({ limit: 10 })), { orders: [], next: null });
  });

  test(`${name}: a product whose quantity is not a non-negative integer has no stock`, async (t) => {
    const { store } = await seeded(t);
    for (const quantity of [2.5, '7', -3, null, 1e300]) {
      await store.putItem('products', 'odd', { quantity }, none);
      const err = await t.throwsAsync(store.placeOrder('odd', 1), { instanceOf: OutOfStock });
      t.is(err.facts.available, 0);
    }
    await store.putItem('products', 'no-quantity', { name: 'x' }, none);
    t.is((await t.throwsAsync(store.placeOrder('no-quantity', 1), { instanceOf: OutOfStock })).facts.available, 0);
  });

  test(`${name}: restocking with PUT is what the next order takes from`, async (t) => {
    const { store } = await seeded(t);
    await store.putItem('products', 'p-2', { name: 'Grinder', quantity: 2 }, none);
    t.is((await store.placeOrder('p-2', 2)).order.remaining, 0);
    t.is(parse(await store.item('products', 'p-2')).quantity, 0);
  });

  test(`${name}: ordering an unknown product is ProductNotFound`, async (t) => {
    const { store } = await seeded(t);
    await t.throwsAsync(store.placeOrder('p-404', 1), { instanceOf: ProductNotFound });
    await t.throwsAsync(store.placeOrder('u-1', 1), { instanceOf: ProductNotFound }, 'only the products partition sells');
  });

  test(`${name}: order ids increase by one, without gaps, across failed orders and two instances`, async (t) => {
    const { store, open } = await seeded(t);
    const other = await open();
    await store.putItem('products', 'p-9', { quantity: 10 }, none);
    const ids = [];
    for (let i = 0; i < 12; i++) {
      const via = i % 2 ? other : store;
      try {
        ids.push((await via.placeOrder('p-9', 1)).order.orderId);
      } catch (err) {
        t.true(err instanceof OutOfStock);
      }
    }
    t.deepEqual(ids, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    t.is(parse(await store.item('products', 'p-9')).quantity, 0);
  });

  test(`${name}: concurrent orders from two instances never oversell; ids are gap-free in the order stock was taken`, async (t) => {
    const { store, open } = await seeded(t);
    const other = await open();
    await store.putItem('products', 'p-9', { quantity: 10 }, none);
    await store.putItem('products', 'p-8', { quantity: 5 }, none);
    const attempts = Array.from({ length: 40 }, (_, i) => (i % 2 ? other : store).placeOrder(i % 4 < 2 ? 'p-9' : 'p-8', 1));
    const settled = await Promise.allSettled(attempts);
    const placed = settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value.order] : []));
    const refused = settled.flatMap((s) => (s.status === 'rejected' ? [s.reason as unknown] : []));
    t.is(placed.length, 15);
    t.true(refused.every((err) => err instanceof OutOfStock));
    t.deepEqual(
      placed.map((o) => o.orderId).sort((a, b) => a - b),
      Array.from({ length: 15 }, (_, i) => i + 1),
    );
    const log: Order[] = parse(await store.ordersPage({ limit: 100 })).orders;
    for (const [productId, stock] of [
      ['p-9', 10],
      ['p-8', 5],
    ] as const) {
      const remaining = log.filter((o) => o.productId === productId).map((o) => o.remaining);
      t.deepEqual(remaining, Array.from({ length: stock }, (_, i) => stock - 1 - i), `${productId}: each order took one, in id order`);
      t.is(parse(await other.item('products', productId)).quantity, 0);
    }
  });

  test(`${name}: ordersPage lists orders in order, a page at a time`, async (t) => {
    const { store } = await seeded(t);
    await store.putItem('products', 'p-9', { quantity: 10 }, none);
    for (let i = 0; i < 3; i++) await store.placeOrder('p-9', 1);
    const first = parse(await store.ordersPage({ limit: 2 }));
    t.deepEqual(
      first.orders.map((o: Order) => [o.orderId, o.remaining]),
      [
        [1, 9],
        [2, 8],
      ],
    );
    t.is(first.next, 2);
    t.deepEqual(parse(await store.ordersPage({ limit: 2, after: 2 })), { orders: [parse(await store.order(3))], next: null });
    t.deepEqual(parse(await store.ordersPage({ limit: 2, after: 99 })), { orders: [], next: null });
    await t.throwsAsync(store.order(4), { instanceOf: OrderNotFound });
  });

  test(`${name}: the same key and request again, from another instance: the kept order, replayed, and no second effect`, async (t) => {
    const { store, open } = await seeded(t);
    const other = await open();
    const first = await store.placeOrder('p-1', 1, key('k-1'));
    t.false(first.replayed);
    t.is(first.order.idempotencyKey, 'k-1', 'the log tells which key placed the order');
    const again = await other.placeOrder('p-1', 1, key('k-1'));
    t.deepEqual(again, { order: first.order, replayed: true });
    t.is(JSON.stringify(again.order), JSON.stringify(first.order), 'the same bytes when serialised');
    t.is(parse(await store.item('products', 'p-1')).quantity, 3);
    t.is(parse(await store.ordersPage({ limit: 10 })).orders.length, 1);
  });

  test(`${name}: a replayed append answers the same id and bytes, even after the item changed`, async (t) => {
    const { store, open } = await seeded(t);
    const first = await store.appendItem('inbox', { text: 'once' }, key('m-1'));
    await store.putItem('inbox', first.id, { text: 'edited' }, none);
    const again = await (await open()).appendItem('inbox', { text: 'once' }, key('m-1'));
    t.true(again.replayed);
    t.is(again.id, first.id);
    t.deepEqual(again.item, first.item);
    t.is(parse(await store.partitionPage('inbox', { limit: 10 })).ids.length, 1);
  });

  test(`${name}: the same key with another request is IdempotencyKeyReused, and changes nothing`, async (t) => {
    const { store } = await seeded(t);
    await store.placeOrder('p-1', 1, key('k-1'));
    await t.throwsAsync(store.placeOrder('p-1', 2, key('k-1', 'another-request')), { instanceOf: IdempotencyKeyReused });
    await t.throwsAsync(store.appendItem('inbox', {}, key('a-1')).then(() => store.appendItem('inbox', {}, key('a-1', 'other'))), {
      instanceOf: IdempotencyKeyReused,
    });
    t.is(parse(await store.item('products', 'p-1')).quantity, 3);
    t.is(parse(await store.partitionPage('inbox', { limit: 10 })).ids.length, 1);
  });

  test(`${name}: keys are scoped to the operation: the same key for orders and for each partition's appends are distinct`, async (t) => {
    const { store } = await seeded(t);
    await store.placeOrder('p-1', 1, key('k-1'));
    t.false((await store.appendItem('log', {}, key('k-1', 'x'))).replayed);
    t.false((await store.appendItem('other-log', {}, key('k-1', 'x'))).replayed);
  });

  test(`${name}: a request that fails keeps nothing: the same key succeeds once the stock is there`, async (t) => {
    const { store } = await seeded(t);
    await t.throwsAsync(store.placeOrder('p-2', 1, key('k-restock')), { instanceOf: OutOfStock });
    await store.putItem('products', 'p-2', { quantity: 1 }, none);
    const { order, replayed } = await store.placeOrder('p-2', 1, key('k-restock'));
    t.false(replayed);
    t.is(order.remaining, 0);
  });

  test(`${name}: concurrent requests with one key, from two instances: one effect; the others replay it or find it in flight`, async (t) => {
    const { store, open } = await seeded(t);
    const other = await open();
    await store.putItem('products', 'p-9', { quantity: 100 }, none);
    const settled = await Promise.allSettled(Array.from({ length: 12 }, (_, i) => (i % 2 ? other : store).placeOrder('p-9', 1, key('same'))));
    const fulfilled = settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
    const refused = settled.flatMap((s) => (s.status === 'rejected' ? [s.reason as unknown] : []));
    t.is(fulfilled.filter((r) => !r.replayed).length, 1);
    t.true(new Set(fulfilled.map((r) => r.order.orderId)).size === 1);
    t.true(refused.every((err) => err instanceof IdempotencyKeyInFlight));
    t.is(parse(await store.item('products', 'p-9')).quantity, 99);
    t.is(parse(await store.ordersPage({ limit: 10 })).orders.length, 1);
  });

  test(`${name}: an expired key is forgotten: the request has its effect again; clean-up removes expired keys only`, async (t) => {
    let clock = Date.UTC(2026, 0, 1);
    const { store } = await seeded(t, { now: () => clock, idempotencyTtlMs: 60_000 });
    await store.placeOrder('p-1', 1, key('k-old'));
    clock += 30_000;
    await store.placeOrder('p-1', 1, key('k-young'));
    clock += 30_000;
    t.is(await store.removeExpiredIdempotencyKeys(), 1);
    t.is(await store.removeExpiredIdempotencyKeys(), 0);
    t.true((await store.placeOrder('p-1', 1, key('k-young'))).replayed, 'still kept');
    t.false((await store.placeOrder('p-1', 1, key('k-old'))).replayed, 'expired: a new effect');
    clock += 60_000;
    t.false((await store.placeOrder('p-1', 1, key('k-young'))).replayed, 'expired but not yet cleaned up: ignored all the same');
    t.is(parse(await store.item('products', 'p-1')).quantity, 0, 'four orders took four');
  });

  test(`${name}: clean-up removes any number of expired keys`, async (t) => {
    let clock = 0;
    const { store } = await seeded(t, { now: () => clock, idempotencyTtlMs: 1 });
    for (let i = 0; i < 1200; i++) await store.appendItem('log', {}, key(`k-${i}`));
    clock = 10;
    t.is(await store.removeExpiredIdempotencyKeys(), 1200);
  });
}
