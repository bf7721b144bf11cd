import test, { type ExecutionContext } from 'ava';
import pg from 'pg';
import { within } from 'testkit/poll';
import { startPostgres, type PostgresServer } from 'testkit/postgres';
import { IdempotencyKeyInFlight, StoreUnavailable } from '../../src/store/errors.ts';
import { MIGRATIONS } from '../../src/store/postgres/migrations.ts';
import { OPERATION_TIMEOUT_MS, openPostgresStore, type PostgresStoreOptions } from '../../src/store/postgres/postgres-store.ts';
import type { Store } from '../../src/store/store.ts';
import { sampleData, storeContract } from '../store-contract.ts';

// The Store contract, and what only a networked store has to show, on a real PostgreSQL server
// (POSTGRES_IMAGE, see testkit/postgres): one database per test, one server per file.

let server: PostgresServer;
test.before(async () => {
  server = await startPostgres();
});
test.after.always(async () => {
  await server?.stop();
});

/**
 * A store on the test's database. Its operations may take longer than a replica's (10 s, not 2.5 s): the
 * file's tests run at once beside other files on a busy CI machine, and a slow query there is not what
 * they test. The two tests of a server that is down or hung use the replica's deadline.
 */
async function openOn(t: ExecutionContext, url: string, options: Partial<PostgresStoreOptions> = {}): Promise<Store> {
  const store = await openPostgresStore({ url, poolSize: 4, idempotencyTtlMs: 86_400_000, operationTimeoutMs: 10_000, ...options });
  t.teardown(() => store.close());
  return store;
}

storeContract('PostgreSQL', async (t) => {
  const url = await server.createDatabase();
  return (options = {}) => openOn(t, url, options);
});

const parse = (body: { bytes: Buffer }): any => JSON.parse(body.bytes.toString());

/** A session of its own on the test's database, to look at it or hold locks from outside the store; closed at the end. */
async function session(t: ExecutionContext, url: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  t.teardown(() => client.end());
  return client;
}

test('PostgreSQL: a request with a key still in its transaction is IdempotencyKeyInFlight; once it commits, the replay', async (t) => {
  const url = await server.createDatabase();
  const store = await openOn(t, url);
  await store.seed(sampleData);
  // Both instances are open before the first order starts: its transaction lives at most the store's deadline,
  // and the second request has to see it in flight within that window (its own wait for the key is 1 s).
  const other = await openOn(t, url);
  // Another session holds the product's row, so the first order waits inside its transaction with its key claimed.
  const blocker = await session(t, url);
  await blocker.query('BEGIN');
  await blocker.query("SELECT 1 FROM items WHERE partition_key = 'products' AND id = 'p-1' FOR UPDATE");
  const first = store.placeOrder('p-1', 1, { key: 'k-1', fingerprint: 'f' });
  first.catch(() => {}); // awaited below; a failure there is the test's, not an unhandled rejection
  // The first has claimed its key (its advisory lock is held) before the other request with it starts.
  // pg_locks lists the whole server's locks: only this test's database counts (other tests run beside it).
  const keyHeld = async () =>
    (
      await blocker.query(
        "SELECT count(*)::int AS held FROM pg_locks WHERE locktype = 'advisory' AND granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database())",
      )
    ).rows[0].held > 0;
  await within('the first order holding its key', 2_000, keyHeld, { intervalMs: 10 });
  const inFlight = await other.placeOrder('p-1', 1, { key: 'k-1', fingerprint: 'f' }).then(
    () => t.fail('a second effect'),
    (err: unknown) => err,
  );
  t.true(inFlight instanceof IdempotencyKeyInFlight, `expected IdempotencyKeyInFlight, got ${String(inFlight)}`);
  await blocker.query('COMMIT');
  const placed = await first;
  t.false(placed.replayed);
  t.deepEqual(await other.placeOrder('p-1', 1, { key: 'k-1', fingerprint: 'f' }), { order: placed.order, replayed: true });
  t.is(parse(await store.item('products', 'p-1')).quantity, 3);
});

test('PostgreSQL: an order whose last statement fails takes nothing, keeps no key, and its connection serves on', async (t) => {
  const url = await server.createDatabase();
  // One connection: the order after the failed one runs on the connection that failed.
  const store = await openOn(t, url, { poolSize: 1 });
  await store.seed(sampleData);
  const admin = await session(t, url);
  // The order row's INSERT is in the order's last statement, after the stock was taken and the key claimed.
  await admin.query('ALTER TABLE orders ADD CONSTRAINT one_unit_only CHECK (quantity = 1)');
  const failed = await store.placeOrder('p-1', 2, { key: 'k-1', fingerprint: 'f' }).then(
    () => undefined,
    (err: unknown) => err,
  );
  t.true(failed instanceof pg.DatabaseError && failed.code === '23514', `expected the check violation, got ${String(failed)}`);
  t.is(parse(await store.item('products', 'p-1')).quantity, 4, 'the stock taken in the same transaction is back');
  t.deepEqual((await admin.query('SELECT count(*)::int AS n FROM idempotency_results')).rows[0], { n: 0 }, 'no key kept');
  await admin.query('ALTER TABLE orders DROP CONSTRAINT one_unit_only');
  const placed = await store.placeOrder('p-1', 2, { key: 'k-1', fingerprint: 'f' });
  t.like(placed, { replayed: false, order: { orderId: 1, quantity: 2, remaining: 2 } });
});

test('PostgreSQL: a database written by a newer release (a higher schema version) is refused, not touched', async (t) => {
  const url = await server.createDatabase();
  await (await openOn(t, url)).close();
  await (await session(t, url)).query("UPDATE store_meta SET value = '99' WHERE name = 'schema_version'");
  await t.throwsAsync(openPostgresStore({ url, poolSize: 1, idempotencyTtlMs: 1000 }), {
    name: 'SchemaTooNew',
    message: `its schema version is 99, this release knows up to ${MIGRATIONS.length} (a newer release wrote it)`,
  });
});

test('PostgreSQL: five instances migrating a new database together: one schema, no error', async (t) => {
  const url = await server.createDatabase();
  const stores = await Promise.all(Array.from({ length: 5 }, () => openOn(t, url)));
  t.is(stores.length, 5);
  const client = await session(t, url);
  t.deepEqual((await client.query("SELECT value FROM store_meta WHERE name = 'schema_version'")).rows, [{ value: String(MIGRATIONS.length) }]);
});

// Serially (AVA runs these before the others): they stop and start the file's one server.
test.serial('PostgreSQL: while the server is down every operation is StoreUnavailable within 3 s; once it is back, the same store serves again', async (t) => {
  const url = await server.createDatabase();
  const store = await openOn(t, url, { operationTimeoutMs: OPERATION_TIMEOUT_MS });
  await store.seed(sampleData);
  await server.stopContainer();
  try {
    for (const operation of [() => store.ping(), () => store.item('users', 'u-1'), () => store.placeOrder('p-1', 1, { key: 'k', fingerprint: 'f' })]) {
      const started = performance.now();
      await t.throwsAsync(operation(), { instanceOf: StoreUnavailable });
      t.true(performance.now() - started < 3_000);
    }
  } finally {
    await server.startContainer();
  }
  await store.ping();
  t.is((await store.placeOrder('p-1', 1)).order.remaining, 3);
});

test.serial('PostgreSQL: a server that hangs (paused) is StoreUnavailable within 3 s, not a hang; unpaused, the store serves again', async (t) => {
  const url = await server.createDatabase();
  const store = await openOn(t, url, { operationTimeoutMs: OPERATION_TIMEOUT_MS });
  await store.seed(sampleData);
  await server.pause();
  try {
    const started = performance.now();
    const results = await Promise.allSettled([store.item('users', 'u-1'), store.placeOrder('p-1', 1), store.ping()]);
    t.true(performance.now() - started < 3_000, `took ${Math.round(performance.now() - started)} ms`);
    t.true(results.every((r) => r.status === 'rejected' && r.reason instanceof StoreUnavailable));
  } finally {
    await server.unpause();
  }
  await store.ping();
  t.like(parse(await store.item('users', 'u-1')), { id: 'u-1' });
});
