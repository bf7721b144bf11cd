import { createHash, randomUUID } from 'node:crypto';
import { openSqliteStore } from '../../storage-service/src/store/sqlite/sqlite-store.ts';
import { PRODUCTS_PARTITION } from '../../storage-service/src/store/store.ts';

/**
 * The limit of an order on this disk without HTTP: the store's own transaction (BEGIN IMMEDIATE, stock
 * read and decremented, order appended, the result kept with its Idempotency-Key, COMMIT with
 * synchronous=FULL), one after another in one process, as fast as node:sqlite commits them.
 *   node bench/src/bare-order-loop.ts STORE_PATH SECONDS PRODUCTS
 * Creates PRODUCTS products with ample stock in a new store at STORE_PATH, orders one unit of a random
 * one per transaction for SECONDS, and prints `{"placed", "seconds"}`.
 */
const [path, secondsArg, productsArg] = process.argv.slice(2);
const seconds = Number(secondsArg);
const products = Number(productsArg);
if (!path || !(seconds > 0) || !(products >= 1)) throw new Error('usage: node bench/src/bare-order-loop.ts STORE_PATH SECONDS PRODUCTS');

const store = await openSqliteStore({ path, idempotencyTtlMs: 86_400_000 });
const productIds = Array.from({ length: products }, (_, i) => `bench-${i}`);
for (const id of productIds) await store.putItem(PRODUCTS_PARTITION, id, { id, name: id, quantity: 1_000_000_000 }, {});

let placed = 0;
const started = performance.now();
const deadline = started + seconds * 1000;
while (performance.now() < deadline) {
  const productId = productIds[Math.floor(Math.random() * productIds.length)]!;
  // What the route does around the transaction: the request's fingerprint, and its order serialised.
  const fingerprint = createHash('sha256').update(`POST /orders\n${JSON.stringify({ productId, quantity: 1 })}`).digest('base64url');
  JSON.stringify((await store.placeOrder(productId, 1, { key: randomUUID(), fingerprint })).order);
  placed++;
}
const elapsed = (performance.now() - started) / 1000;
await store.close();
process.stdout.write(`${JSON.stringify({ placed, seconds: elapsed })}\n`);
