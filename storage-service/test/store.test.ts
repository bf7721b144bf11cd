import { DatabaseSync } from 'node:sqlite';
import test from 'ava';
import { MIGRATIONS } from '../src/store/sqlite/migrations.ts';
import { openSqliteStore } from '../src/store/sqlite/sqlite-store.ts';
import { StoreUnavailable } from '../src/store/errors.ts';
import { openTestStore, SERVER_ENTRY, tempStorePath } from './helpers.ts';
import { storeContract } from './store-contract.ts';

storeContract('SQLite', async (t) => {
  const path = await tempStorePath(t);
  return async (options = {}) => {
    const store = await openSqliteStore({ idempotencyTtlMs: 86_400_000, ...options, path });
    t.teardown(() => store.close());
    return store;
  };
});

const parse = (body: { bytes: Buffer }): any => JSON.parse(body.bytes.toString());

test('reopening a migrated file migrates nothing and keeps the data', async (t) => {
  const { store, path } = await openTestStore(t);
  await store.putItem('notes', 'n-1', { text: 'kept' }, {});
  await store.close();
  const reopened = await openSqliteStore({ path, idempotencyTtlMs: 1000 });
  t.teardown(() => reopened.close());
  t.deepEqual(parse(await reopened.item('notes', 'n-1')), { id: 'n-1', text: 'kept' });
});

test('a file of schema version 1 keeps its idempotency keys: a retry after the upgrade replays, with no second effect', async (t) => {
  const path = await tempStorePath(t);
  const v1 = new DatabaseSync(path);
  v1.exec(MIGRATIONS[0]!);
  v1.exec('PRAGMA user_version = 1');
  const order = { orderId: 1, productId: 'p-1', quantity: 1, remaining: 3, createdAt: '2026-01-01T00:00:00.000Z', idempotencyKey: 'k-1' };
  v1.prepare('INSERT INTO items (partition_key, id, body, etag) VALUES (?, ?, ?, ?)').run('products', 'p-1', '{"id":"p-1","quantity":3}', '"t"');
  v1.prepare('INSERT INTO partitions (key, items) VALUES (?, 1)').run('products');
  v1.prepare('INSERT INTO orders (product_id, quantity, remaining, created_at, idempotency_key) VALUES (?, ?, ?, ?, ?)').run('p-1', 1, 3, order.createdAt, 'k-1');
  v1.prepare('INSERT INTO idempotency_keys VALUES (?, ?, ?, ?, ?, ?, ?)').run(
    'POST /orders',
    'k-1',
    'fingerprint-1',
    201,
    JSON.stringify({ Location: '/orders/1' }),
    JSON.stringify(order),
    Date.now() + 60_000,
  );
  v1.close();
  const store = await openSqliteStore({ path, idempotencyTtlMs: 60_000 });
  t.teardown(() => store.close());
  t.deepEqual(await store.placeOrder('p-1', 1, { key: 'k-1', fingerprint: 'fingerprint-1' }), { order, replayed: true });
  t.is(parse(await store.item('products', 'p-1')).quantity, 3);
});

test('a file written by a newer release (a higher schema version) is refused, not touched', async (t) => {
  const path = await tempStorePath(t);
  const newer = new DatabaseSync(path);
  newer.exec('PRAGMA user_version = 99');
  newer.close();
  await t.throwsAsync(openSqliteStore({ path, idempotencyTtlMs: 1000 }), {
    name: 'StoreOpenError',
    message: `cannot open store ${path}: its schema version is 99, this release knows up to ${MIGRATIONS.length} (a newer release wrote it)`,
  });
});

test('a store path that cannot be created is a StoreOpenError naming it', async (t) => {
  // The folder would have to be made inside a file.
  const path = `${SERVER_ENTRY}/var/storage.sqlite`;
  await t.throwsAsync(openSqliteStore({ path, idempotencyTtlMs: 1000 }), { name: 'StoreOpenError', message: new RegExp(`^cannot open store ${path}: `) });
});

test('a closed store is unavailable to ping', async (t) => {
  const { store } = await openTestStore(t);
  await store.close();
  await t.throwsAsync(store.ping(), { instanceOf: StoreUnavailable });
});
