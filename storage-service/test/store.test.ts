import { DatabaseSync } from 'node:sqlite';
import test from 'ava';
import { IdempotencyKeyReused, ItemNotFound, OutOfStock, PreconditionFailed, ProductNotFound, UnknownCursor } from '../src/store/errors.ts';
import { openSqliteStore } from '../src/store/sqlite/sqlite-store.ts';
import type { Idempotency, Order } from '../src/store/store.ts';
import type { StoredBody } from '../src/store/stored-body.ts';
import { openTestStore, sampleData, SERVER_ENTRY, tempStorePath } from './helpers.ts';

const parse = (body: StoredBody | undefined): any => (body ? JSON.parse(body.bytes.toString()) : undefined);
const none = {};

function sequentialIds(): () => string {
  let next = 0;
  return () => `m-${++next}`;
}

function orderKey(key: string, fingerprint = 'same-request'): Idempotency<Order> {
  return { scope: 'POST /orders', key, fingerprint, answer: (order) => ({ status: 201, headers: { Location: `/orders/${order.orderId}` }, body: JSON.stringify(order) }) };
}

test('seeding happens once: a second seed, from this or another connection, changes nothing', async (t) => {
  const { store, path } = await openTestStore(t);
  t.true(await store.seeded());
  await store.putItem('users', 'u-1', { name: 'changed' }, none);
  t.false(await store.seed(sampleData));
  const other = await openSqliteStore({ path, idempotencyTtlMs: 1000 });
  t.teardown(() => other.close());
  t.true(await other.seeded());
  t.false(await other.seed({ users: { 'u-9': {} } }));
  t.deepEqual(parse(await other.item('users', 'u-1')), { id: 'u-1', name: 'changed' });
  t.is(await other.item('users', 'u-9'), undefined);
});

test('a new store is not seeded until seed() runs; seeding stores every object with its id', async (t) => {
  const store = await openSqliteStore({ path: await tempStorePath(t), idempotencyTtlMs: 1000 });
  t.teardown(() => store.close());
  t.false(await store.seeded());
  t.deepEqual(parse(await store.partitions()), { partitions: [] });
  t.true(await store.seed(sampleData));
  t.deepEqual(parse(await store.item('users', 'u-1')), { id: 'u-1', name: 'Ada Lovelace', tags: ['admin'] });
});

test('reopening a migrated file migrates nothing and keeps the data', async (t) => {
  const { store, path } = await openTestStore(t);
  await store.putItem('notes', 'n-1', { text: 'kept' }, none);
  await store.close();
  const reopened = await openSqliteStore({ path, idempotencyTtlMs: 1000 });
  t.teardown(() => reopened.close());
  t.deepEqual(parse(await reopened.item('notes', 'n-1')), { id: 'n-1', text: 'kept' });
});

test('a file written by a newer release (a higher schema version) is refused, not touched', async (t) => {
  const path = await tempStorePath(t);
  const newer = new DatabaseSync(path);
  newer.exec('PRAGMA user_version = 99');
  newer.close();
  await t.throwsAsync(openSqliteStore({ path, idempotencyTtlMs: 1000 }), {
    name: 'StoreOpenError',
    message: `cannot open store ${path}: its schema version is 99, this release knows up to 1 (a newer release wrote it)`,
  });
});

test('a store path that cannot be created is a StoreOpenError naming it', async (t) => {
  // The folder would have to be made inside a file.
  const path = `${SERVER_ENTRY}/var/storage.sqlite`;
  await t.throwsAsync(openSqliteStore({ path, idempotencyTtlMs: 1000 }), { name: 'StoreOpenError', message: new RegExp(`^cannot open store ${path}: `) });
});

test('putItem creates, then replaces in place; the entity tag follows the content', async (t) => {
  const { store } = await openTestStore(t);
  const created = await store.putItem('notes', 'n-1', { text: 'a' }, none);
  t.true(created.created);
  t.deepEqual(parse(created.item), { id: 'n-1', text: 'a' });
  const replaced = await store.putItem('notes', 'n-1', { text: 'b' }, none);
  t.false(replaced.created);
  t.not(replaced.item.etag, created.item.etag);
  t.is((await store.item('notes', 'n-1'))?.etag, replaced.item.etag);
  const back = await store.putItem('notes', 'n-1', { text: 'a' }, none);
  t.is(back.item.etag, created.item.etag, 'the same bytes have the same tag');
  t.deepEqual(parse(await store.partitions()), { partitions: ['products', 'users', 'notes'] });
});

test('a replaced item keeps its place in the partition order', async (t) => {
  const { store } = await openTestStore(t);
  await store.putItem('products', 'p-1', { name: 'Kettle 2' }, none);
  t.deepEqual(parse(await store.partitionPage('products', { limit: 10 })).ids, ['p-1', 'p-2']);
});

test('deleteItem removes the item; the partition goes with its last item and comes back last', async (t) => {
  const { store } = await openTestStore(t);
  await store.deleteItem('users', 'u-1', none);
  t.is(await store.item('users', 'u-1'), undefined);
  t.false(await store.hasPartition('users'));
  t.is(await store.partitionPage('users', { limit: 10 }), undefined);
  t.deepEqual(parse(await store.partitions()), { partitions: ['products'] });
  await store.putItem('users', 'u-2', {}, none);
  await store.putItem('aaa', 'x', {}, none);
  t.deepEqual(parse(await store.partitions()), { partitions: ['products', 'users', 'aaa'] });
});

test('deleting a missing item says whether its partition exists', async (t) => {
  const { store } = await openTestStore(t);
  await t.throwsAsync(store.deleteItem('users', 'u-9', none), { instanceOf: ItemNotFound, message: 'partition "users" has no item "u-9"' });
  const err = await t.throwsAsync(store.deleteItem('nope', 'u-9', none), { instanceOf: ItemNotFound });
  t.false(err.partitionExists);
});

test('If-Match: the write happens only when the tag is current (or * and the item exists)', async (t) => {
  const { store } = await openTestStore(t);
  const { etag } = (await store.item('users', 'u-1'))!;
  await t.throwsAsync(store.putItem('users', 'u-1', { v: 1 }, { ifMatch: ['"stale"'] }), { instanceOf: PreconditionFailed });
  await t.throwsAsync(store.putItem('users', 'u-1', { v: 1 }, { ifMatch: [`W/${etag}`] }), { instanceOf: PreconditionFailed }, 'weak tags never match');
  await t.throwsAsync(store.putItem('users', 'u-9', { v: 1 }, { ifMatch: '*' }), { instanceOf: PreconditionFailed });
  t.is(await store.item('users', 'u-9'), undefined);
  const replaced = await store.putItem('users', 'u-1', { v: 1 }, { ifMatch: ['"other"', etag] });
  await t.throwsAsync(store.deleteItem('users', 'u-1', { ifMatch: [etag] }), { instanceOf: PreconditionFailed });
  await store.deleteItem('users', 'u-1', { ifMatch: [replaced.item.etag] });
  t.is(await store.item('users', 'u-1'), undefined);
});

test('If-None-Match: * creates only; a listed tag refuses to overwrite that version', async (t) => {
  const { store } = await openTestStore(t);
  const { etag } = (await store.item('users', 'u-1'))!;
  await t.throwsAsync(store.putItem('users', 'u-1', { v: 1 }, { ifNoneMatch: '*' }), { instanceOf: PreconditionFailed });
  await t.throwsAsync(store.putItem('users', 'u-1', { v: 1 }, { ifNoneMatch: [`W/${etag}`] }), { instanceOf: PreconditionFailed });
  t.true((await store.putItem('users', 'u-2', { v: 1 }, { ifNoneMatch: '*' })).created);
  t.false((await store.putItem('users', 'u-1', { v: 1 }, { ifNoneMatch: ['"other"'] })).created);
});

test('appendItem is a message log: new ids, listed in insertion order after the seeded ones', async (t) => {
  const { store } = await openTestStore(t, { newId: sequentialIds() });
  const outcomes = [];
  for (const text of ['one', 'two', 'three']) outcomes.push(await store.appendItem('messages', { text }));
  t.deepEqual(
    outcomes.map((o) => o.result?.id),
    ['m-1', 'm-2', 'm-3'],
  );
  t.deepEqual(parse(outcomes[1]!.result!.item), { id: 'm-2', text: 'two' });
  await store.appendItem('products', { name: 'Appended' });
  t.deepEqual(parse(await store.partitionPage('messages', { limit: 10 })), { partition: 'messages', ids: ['m-1', 'm-2', 'm-3'], next: null });
  t.deepEqual(parse(await store.partitionPage('products', { limit: 10 })).ids, ['p-1', 'p-2', 'm-4']);
});

test('appendItem ids are UUIDs by default', async (t) => {
  const { store } = await openTestStore(t);
  const { result } = await store.appendItem('messages', {});
  t.regex(result!.id, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
});

test('pages: limit ids at a time, next is the after of the following page, null at the end', async (t) => {
  const { store } = await openTestStore(t, { newId: sequentialIds() });
  for (let i = 0; i < 5; i++) await store.appendItem('log', { i });
  t.deepEqual(parse(await store.partitionPage('log', { limit: 2 })), { partition: 'log', ids: ['m-1', 'm-2'], next: 'm-2' });
  t.deepEqual(parse(await store.partitionPage('log', { limit: 2, after: 'm-2' })), { partition: 'log', ids: ['m-3', 'm-4'], next: 'm-4' });
  t.deepEqual(parse(await store.partitionPage('log', { limit: 2, after: 'm-4' })), { partition: 'log', ids: ['m-5'], next: null });
  t.deepEqual(parse(await store.partitionPage('log', { limit: 5 })).next, null, 'a full last page has no next');
  t.deepEqual(parse(await store.partitionPage('log', { limit: 2, after: 'm-5' })), { partition: 'log', ids: [], next: null });
});

test('a page after an id the partition does not hold is UnknownCursor', async (t) => {
  const { store } = await openTestStore(t);
  await t.throwsAsync(store.partitionPage('products', { limit: 2, after: 'u-1' }), { instanceOf: UnknownCursor });
});

test('a read cached by one connection sees a write committed by another at once', async (t) => {
  const { store, path } = await openTestStore(t);
  const other = await openSqliteStore({ path, idempotencyTtlMs: 1000 });
  t.teardown(() => other.close());
  const before = await store.item('users', 'u-1');
  t.is((await store.item('users', 'u-1'))?.bytes, before?.bytes, 'served from the cache');
  await other.putItem('users', 'u-1', { name: 'new' }, none);
  t.deepEqual(parse(await store.item('users', 'u-1')), { id: 'u-1', name: 'new' });
  await other.deleteItem('products', 'p-2', none);
  t.deepEqual(parse(await store.partitionPage('products', { limit: 10 })).ids, ['p-1']);
});

test('placeOrder takes from the stock and logs the order; the product gets a new entity tag', async (t) => {
  const { store } = await openTestStore(t, { now: () => Date.UTC(2026, 0, 2, 3, 4, 5) });
  const before = await store.item('products', 'p-1');
  const { result } = await store.placeOrder('p-1', 3);
  t.deepEqual(result, { orderId: 1, productId: 'p-1', quantity: 3, remaining: 1, createdAt: '2026-01-02T03:04:05.000Z', idempotencyKey: null });
  const after = await store.item('products', 'p-1');
  t.is(parse(after).quantity, 1);
  t.not(after?.etag, before?.etag);
  t.deepEqual(parse(await store.order(1)), result);
});

test('an order larger than the stock is OutOfStock with what is available, and nothing changes', async (t) => {
  const { store } = await openTestStore(t);
  const before = await store.item('products', 'p-1');
  const err = await t.throwsAsync(store.placeOrder('p-1', 5), { instanceOf: OutOfStock });
  t.is(err.available, 4);
  await t.throwsAsync(store.placeOrder('p-2', 1), { instanceOf: OutOfStock });
  t.is((await store.item('products', 'p-1'))?.etag, before?.etag);
  t.deepEqual(parse(await store.ordersPage({ limit: 10 })), { orders: [], next: null });
});

test('a product whose quantity is not a non-negative integer has no stock', async (t) => {
  const { store } = await openTestStore(t);
  for (const quantity of [2.5, '7', -3, null]) {
    await store.putItem('products', 'odd', { quantity }, none);
    const err = await t.throwsAsync(store.placeOrder('odd', 1), { instanceOf: OutOfStock });
    t.is(err.available, 0);
  }
});

test('ordering an unknown product is ProductNotFound', async (t) => {
  const { store } = await openTestStore(t);
  await t.throwsAsync(store.placeOrder('p-404', 1), { instanceOf: ProductNotFound });
  await t.throwsAsync(store.placeOrder('u-1', 1), { instanceOf: ProductNotFound }, 'only the products partition sells');
});

test('order ids increase by one, without gaps, across failed orders and two connections', async (t) => {
  const { store, path } = await openTestStore(t);
  const other = await openSqliteStore({ path, idempotencyTtlMs: 1000 });
  t.teardown(() => other.close());
  await store.putItem('products', 'p-9', { quantity: 10 }, none);
  const ids = [];
  for (let i = 0; i < 12; i++) {
    const via = i % 2 ? other : store;
    try {
      ids.push((await via.placeOrder('p-9', 1)).result!.orderId);
    } catch (err) {
      t.true(err instanceof OutOfStock);
    }
  }
  t.deepEqual(ids, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  t.is(parse(await store.item('products', 'p-9')).quantity, 0);
});

test('ordersPage lists orders in order, a page at a time', async (t) => {
  const { store } = await openTestStore(t);
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
  t.deepEqual(parse(await store.ordersPage({ limit: 2, after: 2 })).orders.map((o: Order) => o.orderId), [3]);
  t.is(parse(await store.ordersPage({ limit: 2, after: 2 })).next, null);
  t.deepEqual(parse(await store.ordersPage({ limit: 2, after: 99 })), { orders: [], next: null });
  t.is(await store.order(4), undefined);
});

test('the same Idempotency-Key and request again: the kept answer, and no second effect', async (t) => {
  const { store } = await openTestStore(t);
  const first = await store.placeOrder('p-1', 1, orderKey('k-1'));
  const again = await store.placeOrder('p-1', 1, orderKey('k-1'));
  t.is(first.result?.idempotencyKey, 'k-1', 'the log tells which key placed the order');
  t.deepEqual(again.replay, { status: 201, headers: { Location: '/orders/1' }, body: JSON.stringify(first.result) });
  t.is(parse(await store.item('products', 'p-1')).quantity, 3);
  t.is(parse(await store.ordersPage({ limit: 10 })).orders.length, 1);
});

test('the same Idempotency-Key with another request is IdempotencyKeyReused, and changes nothing', async (t) => {
  const { store } = await openTestStore(t);
  await store.placeOrder('p-1', 1, orderKey('k-1'));
  await t.throwsAsync(store.placeOrder('p-1', 2, orderKey('k-1', 'another-request')), { instanceOf: IdempotencyKeyReused });
  t.is(parse(await store.item('products', 'p-1')).quantity, 3);
});

test('keys are scoped: the same key on another route is another key', async (t) => {
  const { store } = await openTestStore(t);
  await store.placeOrder('p-1', 1, orderKey('k-1'));
  const appended = await store.appendItem('log', {}, { scope: 'POST /data/log', key: 'k-1', fingerprint: 'x', answer: () => ({ status: 201, headers: {}, body: '' }) });
  t.truthy(appended.result);
});

test('a request that fails keeps nothing: the same key succeeds once the stock is there', async (t) => {
  const { store } = await openTestStore(t);
  await t.throwsAsync(store.placeOrder('p-2', 1, orderKey('k-restock')), { instanceOf: OutOfStock });
  await store.putItem('products', 'p-2', { quantity: 1 }, none);
  const { result } = await store.placeOrder('p-2', 1, orderKey('k-restock'));
  t.is(result?.remaining, 0);
});

test('an expired key is forgotten: the request has its effect again; clean-up removes expired keys only', async (t) => {
  let clock = Date.UTC(2026, 0, 1);
  const { store } = await openTestStore(t, { now: () => clock, idempotencyTtlMs: 60_000 });
  await store.placeOrder('p-1', 1, orderKey('k-old'));
  clock += 30_000;
  await store.placeOrder('p-1', 1, orderKey('k-young'));
  clock += 30_000;
  t.is(await store.removeExpiredIdempotencyKeys(), 1);
  t.is(await store.removeExpiredIdempotencyKeys(), 0);
  t.truthy((await store.placeOrder('p-1', 1, orderKey('k-young'))).replay, 'still kept');
  t.truthy((await store.placeOrder('p-1', 1, orderKey('k-old'))).result, 'expired: a new effect');
  clock += 60_000;
  t.truthy((await store.placeOrder('p-1', 1, orderKey('k-young'))).result, 'expired but not yet cleaned up: ignored all the same');
  t.is(parse(await store.item('products', 'p-1')).quantity, 0, 'four orders took four');
});

test('clean-up removes any number of expired keys', async (t) => {
  let clock = 0;
  const { store } = await openTestStore(t, { now: () => clock, idempotencyTtlMs: 1 });
  const keyed = (key: string) => ({ scope: 'POST /data/log', key, fingerprint: 'f', answer: () => ({ status: 201, headers: {}, body: '' }) });
  for (let i = 0; i < 1200; i++) await store.appendItem('log', {}, keyed(`k-${i}`));
  clock = 10;
  t.is(await store.removeExpiredIdempotencyKeys(), 1200);
});
