import test from 'ava';
import pg from 'pg';
import { startPostgres, type PostgresServer } from 'testkit/postgres';

// In the integration suite: a real PostgreSQL container (POSTGRES_IMAGE), stopped and started for real.
// The tests share one server and run one after the other: stopContainer() would fail a neighbour.

let server: PostgresServer;

test.before(async () => {
  server = await startPostgres();
});

test.after.always(async () => {
  await server?.stop();
});

async function query<R extends pg.QueryResultRow>(url: string, sql: string): Promise<R[]> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3_000 });
  await client.connect();
  try {
    return (await client.query<R>(sql)).rows;
  } finally {
    await client.end();
  }
}

test.serial('two createDatabase calls give two distinct, usable databases', async (t) => {
  const [a, b] = await Promise.all([server.createDatabase(), server.createDatabase()]);
  t.not(a, b);
  for (const [url, value] of [[a, 'in a'], [b, 'in b']] as const) {
    await query(url, 'CREATE TABLE items (value text)');
    await query(url, `INSERT INTO items VALUES ('${value}')`);
  }
  t.deepEqual(await query(a, 'SELECT value FROM items'), [{ value: 'in a' }]);
  t.deepEqual(await query(b, 'SELECT value FROM items'), [{ value: 'in b' }]);
  const [row] = await query<{ name: string }>(a, 'SELECT current_database() AS name');
  t.regex(row?.name ?? '', /^test_/);
});

test.serial('a stopped container refuses at once; started again, it keeps its data on the same URL', async (t) => {
  const url = await server.createDatabase();
  await query(url, 'CREATE TABLE kept (n int)');
  await query(url, 'INSERT INTO kept VALUES (42)');

  await server.stopContainer();
  const started = performance.now();
  const error = await t.throwsAsync(query(url, 'SELECT 1'));
  t.true(performance.now() - started < 3_000, `failed after ${Math.round(performance.now() - started)} ms`);
  t.log(`while stopped: ${(error as NodeJS.ErrnoException).code ?? error?.message}`);

  await server.startContainer();
  t.deepEqual(await query(url, 'SELECT n FROM kept'), [{ n: 42 }]);
});
