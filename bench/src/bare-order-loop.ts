import { createHash, randomUUID } from 'node:crypto';
import { openPostgresStore } from '../../storage-service/src/store/postgres/postgres-store.ts';
import { openSqliteStore } from '../../storage-service/src/store/sqlite/sqlite-store.ts';
import { PRODUCTS_PARTITION } from '../../storage-service/src/store/store.ts';

/**
 * The limit of an order without HTTP: the store's own transaction, through the store's code, from
 * CONCURRENCY loops in one process, each placing its next order when its last one committed.
 *   node bench/src/bare-order-loop.ts STORE SECONDS PRODUCTS [CONCURRENCY [POOL_SIZE]]
 * STORE is `sqlite:PATH`, a new SQLite file (BEGIN IMMEDIATE, stock read and decremented, order appended,
 * the result kept with its Idempotency-Key, COMMIT with synchronous=FULL; node:sqlite is synchronous, so
 * the loops take turns), or the postgres:// URL of an empty database, on a pool of POOL_SIZE connections
 * (default 5, storage-service's STORE_POOL_SIZE) that the loops' transactions share as a replica's requests do.
 * Creates PRODUCTS products with ample stock, orders one unit of a random one per transaction for SECONDS
 * (default CONCURRENCY 1), and prints `{"placed", "seconds", "cpuSeconds"}`: cpuSeconds is this process's
 * CPU time during those SECONDS.
 */
const [storeArg, secondsArg, productsArg, concurrencyArg = '1', poolSizeArg = '5'] = process.argv.slice(2);
const seconds = Number(secondsArg);
const products = Number(productsArg);
const concurrency = Number(concurrencyArg);
const poolSize = Number(poolSizeArg);
const sqlitePath = storeArg?.startsWith('sqlite:') ? storeArg.slice('sqlite:'.length) : undefined;
if (!(sqlitePath || storeArg?.startsWith('postgres://')) || !(seconds > 0) || !(products >= 1) || !(concurrency >= 1) || !(poolSize >= 1)) {
  throw new Error('usage: node bench/src/bare-order-loop.ts sqlite:PATH|postgres://… SECONDS PRODUCTS [CONCURRENCY [POOL_SIZE]]');
}

const idempotencyTtlMs = 86_400_000;
const store = sqlitePath ? await openSqliteStore({ path: sqlitePath, idempotencyTtlMs }) : await openPostgresStore({ url: storeArg!, poolSize, idempotencyTtlMs });
const productIds = Array.from({ length: products }, (_, i) => `bench-${i}`);
for (const id of productIds) await store.putItem(PRODUCTS_PARTITION, id, { id, name: id, quantity: 1_000_000_000 }, {});

let placed = 0;
const started = performance.now();
const cpuBefore = process.cpuUsage();
const deadline = started + seconds * 1000;
const loop = async () => {
  while (performance.now() < deadline) {
    const productId = productIds[Math.floor(Math.random() * productIds.length)]!;
    // What the route does around the transaction: the request's fingerprint, and its order serialised.
    const fingerprint = createHash('sha256').update(`POST /orders\n${JSON.stringify({ productId, quantity: 1 })}`).digest('base64url');
    JSON.stringify((await store.placeOrder(productId, 1, { key: randomUUID(), fingerprint })).order);
    placed++;
  }
};
await Promise.all(Array.from({ length: concurrency }, loop));
const elapsed = (performance.now() - started) / 1000;
const cpu = process.cpuUsage(cpuBefore);
await store.close();
process.stdout.write(`${JSON.stringify({ placed, seconds: elapsed, cpuSeconds: (cpu.user + cpu.system) / 1e6 })}\n`);
