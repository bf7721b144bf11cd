import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import test from 'ava';
import { runWriteLoad, stockProduct, type WriteLoadSummary } from 'testkit/write-load';
import { docker, fetchInside } from 'testkit/compose-stack';
import { within } from 'testkit/poll';
import { Assembly, replicaId, scenarioReport, setFaults } from './helpers/assembly.ts';
import { ms } from './helpers/report.ts';

// Writes through the gateway on the real engine: every replica shares one store, a retried POST takes
// effect once, a buy never oversells, and nothing acknowledged is lost when replicas are killed or the
// stack is recreated. The rate limit is lifted: these scenarios load the store, not the limiter.
// E2E_STORE=postgres runs them on PostgreSQL (docker-compose.postgres.yml) instead of the SQLite file
// (npm run test:e2e:postgres).

const STORE = process.env.E2E_STORE === 'postgres' ? 'postgres' : 'sqlite';
const OVERRIDES = STORE === 'postgres' ? ['docker-compose.postgres.yml'] : [];

let assembly: Assembly;

test.before(async (t) => {
  assembly = await Assembly.start(t, `writes-${STORE}`, { GATEWAY_RATE_AVERAGE: '100000', GATEWAY_RATE_BURST: '100000' }, OVERRIDES);
});

test.after.always(async (t) => {
  await assembly?.stop(t);
});

const json = { 'content-type': 'application/json' };
const RESPONSE_HEADER_TIMEOUT_MS = 1000; // traefik/dynamic/storage.yml, storage-transport

async function send(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  const answer = await assembly.get(path, { method, headers: { ...json, ...headers }, body: body === undefined ? undefined : JSON.stringify(body) });
  return { ...answer, body: answer.text ? (JSON.parse(answer.text) as Record<string, unknown>) : null };
}

/** What every replica answers for `path` (the service's own path, without the gateway's prefix), asked inside it. */
async function fromEveryReplica(path: string) {
  const replicas = await assembly.stack.storageReplicas();
  return Promise.all(replicas.map(async (replica) => ({ replica: replicaId(replica), ...(await fetchInside(replica.id, `http://127.0.0.1:3000${path}`)) })));
}

/** The whole order log, page by page. */
async function orderLog(): Promise<Array<{ orderId: number }>> {
  const orders: Array<{ orderId: number }> = [];
  for (let after: number | null = null; ; ) {
    const page = (await send('GET', `/storagesvc/orders?limit=1000${after === null ? '' : `&after=${after}`}`)).body as { orders: Array<{ orderId: number }>; next: number | null };
    orders.push(...page.orders);
    if (page.next === null) return orders;
    after = page.next;
  }
}

/** Sets every product's stock to `quantity`. */
async function restock(quantity: number): Promise<void> {
  const { ids } = (await send('GET', '/storagesvc/data/products?limit=1000')).body as { ids: string[] };
  for (const id of ids) await stockProduct(assembly.stack.url('/storagesvc'), id, quantity);
}

/** Acknowledged along the way, checked again after the stack is recreated (scenario 6). */
const acknowledged = { orders: [] as number[], items: [] as string[] };

test.serial(`1. a write through one replica is read back through every replica; ETags follow the item [${STORE}]`, async (t) => {
  const created = await send('PUT', '/storagesvc/data/notes/n-1', { text: 'first' });
  t.is(created.status, 201, created.text);
  const etag = created.headers.get('etag');
  t.truthy(etag);
  for (const answer of await fromEveryReplica('/data/notes/n-1')) {
    t.is(answer.status, 200, `replica ${answer.replica}`);
    t.deepEqual(JSON.parse(answer.body), created.body, `replica ${answer.replica}`);
  }

  const stale = await send('PUT', '/storagesvc/data/notes/n-1', { text: 'lost update' }, { 'if-match': '"not-the-etag"' });
  t.is(stale.status, 412);
  const replaced = await send('PUT', '/storagesvc/data/notes/n-1', { text: 'second' }, { 'if-match': etag! });
  t.is(replaced.status, 200);
  t.not(replaced.headers.get('etag'), etag);
  for (const answer of await fromEveryReplica('/data/notes/n-1')) t.is((JSON.parse(answer.body) as { text: string }).text, 'second');

  const message = await send('POST', '/storagesvc/data/messages', { text: 'hello' }, { 'idempotency-key': randomUUID() });
  t.is(message.status, 201, message.text);
  const location = message.headers.get('location') ?? '';
  t.regex(location, /^\/storagesvc\/data\/messages\/[0-9a-f-]{36}$/);
  for (const answer of await fromEveryReplica(location.replace('/storagesvc', ''))) t.is(answer.status, 200, `replica ${answer.replica}`);
  acknowledged.items.push(location, '/storagesvc/data/notes/n-1');

  const removed = await send('DELETE', '/storagesvc/data/notes/n-2');
  t.is(removed.status, 404);
  t.regex(removed.type, /^application\/problem\+json/);
});

test.serial(`2. a replayed POST answers the same order with Idempotent-Replayed: true, and takes stock once [${STORE}]`, async (t) => {
  const stockOf = async () => ((await send('GET', '/storagesvc/data/products/p-1001')).body as { quantity: number }).quantity;
  const before = await stockOf();
  const key = randomUUID();
  const first = await send('POST', '/storagesvc/orders', { productId: 'p-1001', quantity: 1 }, { 'idempotency-key': key });
  t.is(first.status, 201, first.text);
  t.is(first.headers.get('idempotent-replayed'), null);
  const again = await send('POST', '/storagesvc/orders', { productId: 'p-1001', quantity: 1 }, { 'idempotency-key': key });
  t.is(again.status, 201);
  t.is(again.headers.get('idempotent-replayed'), 'true');
  t.deepEqual(again.body, first.body);
  t.is(again.headers.get('location'), first.headers.get('location'));
  t.is(await stockOf(), before - 1, 'one order, one unit');
  const reused = await send('POST', '/storagesvc/orders', { productId: 'p-1001', quantity: 2 }, { 'idempotency-key': key });
  t.is(reused.status, 422);
  t.regex(reused.type, /^application\/problem\+json/);
  acknowledged.orders.push((first.body as { orderId: number }).orderId);
});

test.serial(`3. 50 clients buy the same product with stock 20: exactly 20 orders, the rest 409 [${STORE}]`, async (t) => {
  const product = `p-e2e-${Date.now()}`;
  t.is((await send('PUT', `/storagesvc/data/products/${product}`, { name: 'Limited edition', quantity: 20 })).status, 201);
  const answers = await Promise.all(
    Array.from({ length: 50 }, () => send('POST', '/storagesvc/orders', { productId: product, quantity: 1 }, { 'idempotency-key': randomUUID() })),
  );
  const byStatus: Record<number, number> = {};
  for (const answer of answers) byStatus[answer.status] = (byStatus[answer.status] ?? 0) + 1;
  const orderIds = answers.filter((a) => a.status === 201).map((a) => (a.body as { orderId: number }).orderId).sort((a, b) => a - b);
  const remaining = ((await send('GET', `/storagesvc/data/products/${product}`)).body as { quantity: number }).quantity;
  t.log(scenarioReport(`[${STORE}] 3. 50 concurrent buys of a product with stock 20`, {
    answers: JSON.stringify(byStatus),
    'order ids': `${orderIds[0]}…${orderIds.at(-1)}`,
    'stock after': String(remaining),
  }));
  t.deepEqual(byStatus, { 201: 20, 409: 30 });
  t.is(remaining, 0);
  const conflict = answers.find((a) => a.status === 409);
  t.is((conflict?.body as { available?: number }).available, 0);
  acknowledged.orders.push(...orderIds);
});

test.serial(`4. the gateway retries a keyed POST on another replica, and never an unkeyed one [${STORE}]`, async (t) => {
  const [, slow] = await assembly.stack.storageReplicas();
  if (!slow) throw new Error('no replica');
  const [delay] = await setFaults([slow], { delayMs: 3000 });
  t.is(delay?.status, 200, delay?.body);
  const outcomes: Record<'keyed' | 'unkeyed', Record<number, number>> = { keyed: {}, unkeyed: {} };
  const acknowledgedMarkers: Record<'keyed' | 'unkeyed', string[]> = { keyed: [], unkeyed: [] };
  // A 201 that took longer than the response-header timeout: its first attempt went to the slow replica.
  let keyedRetried = 0;
  const run = `${Date.now()}`;
  try {
    for (const kind of ['unkeyed', 'keyed'] as const) {
      // The passive health check took the slow replica out after its first timeout; the active one
      // (every second) puts it back, since its /healthz is not delayed.
      await sleep(2000);
      for (let i = 0; i < 12; i++) {
        const sent = performance.now();
        const marker = `${kind}-${i}`;
        const headers: Record<string, string> = kind === 'keyed' ? { 'idempotency-key': randomUUID() } : {};
        const answer = await send('POST', `/storagesvc/data/retry-${kind}-${run}`, { marker }, headers);
        outcomes[kind][answer.status] = (outcomes[kind][answer.status] ?? 0) + 1;
        if (answer.status === 201) acknowledgedMarkers[kind].push(marker);
        if (kind === 'keyed' && answer.status === 201 && performance.now() - sent >= RESPONSE_HEADER_TIMEOUT_MS) keyedRetried++;
      }
    }
    // Whatever the slow replica still does with what it was sent, it does within these 3 s.
    await sleep(3500);
  } finally {
    await setFaults([slow]);
  }
  const stored: Record<'keyed' | 'unkeyed', string[]> = { keyed: [], unkeyed: [] };
  for (const kind of ['unkeyed', 'keyed'] as const) {
    const listing = await send('GET', `/storagesvc/data/retry-${kind}-${run}?limit=1000`);
    for (const id of (listing.body as { ids: string[] }).ids) {
      stored[kind].push(((await send('GET', `/storagesvc/data/retry-${kind}-${run}/${id}`)).body as { marker: string }).marker);
    }
  }
  t.log(scenarioReport(`[${STORE}] 4. POSTs while one replica delays every answer by 3000 ms (response-header timeout 1000 ms)`, {
    'unkeyed answers': JSON.stringify(outcomes.unkeyed),
    'unkeyed stored': `${stored.unkeyed.length} (${new Set(stored.unkeyed).size} distinct)`,
    'keyed answers': `${JSON.stringify(outcomes.keyed)}, ${keyedRetried} of them after a first attempt on the slow replica`,
    'keyed stored': `${stored.keyed.length} (${new Set(stored.keyed).size} distinct)`,
  }));
  // Keyed: every POST acknowledged (the one that reached the slow replica was retried on another), and
  // each stored exactly once.
  t.deepEqual(outcomes.keyed, { 201: 12 });
  t.true(keyedRetried >= 1, 'some keyed POST reached the slow replica first');
  t.deepEqual(stored.keyed.sort(), acknowledgedMarkers.keyed.sort());
  // Unkeyed: a POST that reached the slow replica was not retried: its client got the 503 problem, and no
  // other replica stored it (the gateway abandoned it at the timeout, before the slow replica read its body).
  t.true((outcomes.unkeyed[503] ?? 0) >= 1, `some unkeyed POST reached the slow replica: ${JSON.stringify(outcomes.unkeyed)}`);
  t.deepEqual(stored.unkeyed.sort(), acknowledgedMarkers.unkeyed.sort());
});

let storeRun: WriteLoadSummary | undefined;

test.serial(`5. a replica killed during the store workload: nothing acknowledged lost, duplicated or oversold [${STORE}]`, async (t) => {
  const [victim] = await assembly.stack.storageReplicas();
  if (!victim) throw new Error('no replica');
  // The seed's 2,257 units can sell out within the 10 s: the buying must go on until the end, across the kill.
  await restock(100_000);
  const load = runWriteLoad({ workload: 'store', base: assembly.stack.url('/storagesvc'), users: 10, durationSeconds: 10, p: 0.5, timeoutSeconds: 5 });
  await sleep(3000);
  await docker('kill', victim.id);
  const summary = await load;
  storeRun = summary;
  await docker('start', victim.id);
  await assembly.ready(30_000);
  t.log(scenarioReport(`[${STORE}] 5. store workload (10 users, p 0.5, 10 s), one replica killed after 3 s`, {
    'orders placed': String(summary.placed),
    'replays seen': String(summary.replays),
    'out of stock': String(summary.outOfStock),
    retries: String(summary.retries),
    'gave up': String(summary.gaveUp),
    errors: JSON.stringify(summary.errors),
    'buy latency': `p50 ${summary.writeLatencyMs.p50} ms, p99 ${summary.writeLatencyMs.p99} ms, max ${summary.writeLatencyMs.max} ms`,
    consistency: `${summary.check.ok ? 'OK' : 'FAILED'}: lost ${summary.check.lost}, duplicated ${summary.check.duplicated}, oversold ${summary.check.oversold}`,
  }));
  t.true(summary.placed > 0, 'orders were placed');
  t.is(summary.outOfStock, 0, 'no product sold out: orders went on to the end of the run');
  t.deepEqual(summary.check, { ok: true, lost: 0, duplicated: 0, oversold: 0, problems: [] });
  t.is(summary.gaveUp, 0);
});

test.serial(`6. every replica killed, the stack recreated (down without -v, up): every acknowledged write is still there [${STORE}]`, async (t) => {
  const before = await orderLog();
  const replicas = await assembly.stack.storageReplicas();
  await docker('kill', ...replicas.map((r) => r.id));
  const started = performance.now();
  await assembly.stack.compose(['down', '--timeout', '5']);
  await assembly.stack.compose(['up', '-d']);
  await assembly.ready(120_000);
  const recreated = performance.now() - started;

  const after = await orderLog();
  t.deepEqual(after, before, 'the order log is unchanged');
  const logged = new Set(after.map((o) => o.orderId));
  const missingOrders = acknowledged.orders.filter((id) => !logged.has(id));
  const missingItems: string[] = [];
  for (const path of acknowledged.items) if ((await send('GET', path)).status !== 200) missingItems.push(path);
  t.log(scenarioReport(`[${STORE}] 6. every replica killed, then down (without -v) and up`, {
    'recreated and ready after': ms(recreated),
    'orders in the log': String(after.length),
    'acknowledged orders checked': `${acknowledged.orders.length + (storeRun?.placed ?? 0)} (this file's and the store workload's)`,
    'missing orders': String(missingOrders.length),
    'missing items': String(missingItems.length),
  }));
  t.deepEqual(missingOrders, []);
  t.deepEqual(missingItems, []);
  t.true(after.length >= acknowledged.orders.length + (storeRun?.placed ?? 0));
  await within('the recreated replicas answer', 10_000, async () => (await send('GET', '/storagesvc/data/notes/n-1')).status === 200);
});
