import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import test from 'ava';
import { DataFile } from '../../storage-service/src/schemas.ts';
import { openSqliteStore } from '../../storage-service/src/store/sqlite/sqlite-store.ts';
import { itemId, partitionKeys, productTemplates, writeDataFile } from '../src/data-gen.ts';
import { runOrderLoad } from '../src/order-load.ts';
import { startServerProcess } from 'testkit/processes';
import { getRaw, startStorageService } from '../src/server-process.ts';

// The parts of the data-size, storage-vs-bare and orders benchmarks that decide what they measure; never timings.

const exec = promisify(execFile);
const BARE_ENTRY = fileURLToPath(new URL('../src/bare-server.ts', import.meta.url));
const KOA_ENTRY = fileURLToPath(new URL('../src/koa-server.ts', import.meta.url));
const BARE_ORDER_LOOP = fileURLToPath(new URL('../src/bare-order-loop.ts', import.meta.url));
let dir: string;

test.before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'bench-sections-test-'));
});
test.after.always(() => rm(dir, { recursive: true, force: true }));

test('data generator: N unique ids spread over the partitions, a file storage-service’s schema accepts', async (t) => {
  const file = join(dir, 'data.json');
  const bytes = await writeDataFile(file, 1003, 4);
  t.is((await stat(file)).size, bytes);
  const parsed = DataFile.safeParse(JSON.parse(await readFile(file, 'utf8')));
  if (!parsed.success) return t.fail(parsed.error.message);
  const data = parsed.data;
  t.deepEqual(Object.keys(data), partitionKeys(4));
  t.deepEqual(Object.values(data).map((partition) => Object.keys(partition).length), [251, 251, 251, 250]);
  const ids = Object.values(data).flatMap((partition) => Object.keys(partition));
  t.is(new Set(ids).size, 1003);
  t.deepEqual([ids[0], ids.at(-1)], [itemId(1), itemId(1003)]);
  // Shaped like the shipped products: the same fields, each item's own id inside.
  const fields = Object.keys((await productTemplates())[0]!).sort();
  for (const partition of Object.values(data)) {
    for (const [id, item] of Object.entries(partition)) {
      t.is(item.id, id);
      t.deepEqual(Object.keys(item).sort(), fields);
    }
  }
});

test('data generator: the same size and seed write the same bytes', async (t) => {
  await writeDataFile(join(dir, 'a.json'), 50);
  await writeDataFile(join(dir, 'b.json'), 50);
  t.deepEqual(await readFile(join(dir, 'a.json')), await readFile(join(dir, 'b.json')));
});

for (const [name, entry] of [
  ['bare server', BARE_ENTRY],
  ['Koa server', KOA_ENTRY],
] as const) {
  test(`${name}: answers exactly the bytes and Content-Type it was given, 404 elsewhere`, async (t) => {
    const item = Buffer.from('{"id":"p-1","name":"Caf\u00e9 \u2615"}');
    const listing = Buffer.from('{"partition":"products","ids":["p-1"]}');
    const answersFile = join(dir, `answers-${name}.json`);
    await writeFile(
      answersFile,
      JSON.stringify({
        '/data/products/p-1': { contentType: 'application/json; charset=utf-8', body: item.toString('base64') },
        '/data/products': { contentType: 'application/json; charset=utf-8', body: listing.toString('base64') },
      }),
    );
    const server = await startServerProcess(entry, {}, { args: [answersFile], stdoutFile: join(dir, `${name}.log`) });
    try {
      const [a, b, missing] = await Promise.all([getRaw(`${server.url}/data/products/p-1`), getRaw(`${server.url}/data/products`), getRaw(`${server.url}/data/products/p-2`)]);
      t.like(a, { status: 200, contentType: 'application/json; charset=utf-8' });
      t.true(a.body.equals(item));
      t.like(b, { status: 200, contentType: 'application/json; charset=utf-8' });
      t.true(b.body.equals(listing));
      t.is(missing.status, 404);
      t.true((await server.rssMiB()) > 0);
      t.true((await server.cpuSeconds()) >= 0);
    } finally {
      await server.stop();
    }
  });
}

test('bare order loop: every order it counts is in the store, and the stock went down by as many', async (t) => {
  const storePath = join(dir, 'bare-orders.sqlite');
  const run = await exec(process.execPath, [BARE_ORDER_LOOP, `sqlite:${storePath}`, '0.3', '3', '2']);
  const { placed } = JSON.parse(run.stdout) as { placed: number };
  t.true(placed > 0);
  const store = await openSqliteStore({ path: storePath, idempotencyTtlMs: 60_000 });
  try {
    const { orders, next } = JSON.parse((await store.ordersPage({ limit: placed + 1 })).bytes.toString()) as { orders: Array<{ idempotencyKey: string }>; next: unknown };
    t.is(orders.length, placed);
    t.is(next, null);
    t.is(new Set(orders.map((order) => order.idempotencyKey)).size, placed);
    let taken = 0;
    for (const id of ['bench-0', 'bench-1', 'bench-2']) {
      const product = JSON.parse((await store.item('products', id))!.bytes.toString()) as { quantity: number };
      taken += 1_000_000_000 - product.quantity;
    }
    t.is(taken, placed);
  } finally {
    await store.close();
  }
});

test('order load: every order answered 201 took its unit of stock, none failed', async (t) => {
  const service = await startStorageService({ stdoutFile: join(dir, 'order-load.log') });
  try {
    const put = await fetch(`${service.url}/data/products/bench-0`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ id: 'bench-0', quantity: 1_000_000 }),
    });
    t.is(put.status, 201);
    const load = await runOrderLoad({ base: service.url, productIds: ['bench-0'], connections: 2, durationSeconds: 1 });
    t.deepEqual(load.failed, {});
    t.true(load.placed > 0);
    const product = (await (await fetch(`${service.url}/data/products/bench-0`)).json()) as { quantity: number };
    // Orders still in flight when the time is up may be placed without their answer being counted: one per connection at most.
    const taken = 1_000_000 - product.quantity;
    t.true(taken >= load.placed && taken <= load.placed + 2, `${taken} taken, ${load.placed} counted`);
  } finally {
    await service.stop();
  }
});
