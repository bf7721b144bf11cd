import test from 'ava';
import { startPostgres, type PostgresServer } from 'testkit/postgres';
import { json, PROBLEM_TYPE, runUntilExit, startServerProcess, withJson } from '../helpers.ts';

// Real replica processes (the entry point, as in a container) on one PostgreSQL database, and what
// they do when the database goes away and comes back. One server per file; the tests that stop it run alone.

let server: PostgresServer;
test.before(async () => {
  server = await startPostgres();
});
test.after.always(async () => {
  await server?.stop();
});

async function twoReplicas(t: Parameters<typeof startServerProcess>[0]) {
  const STORE_URL = await server.createDatabase();
  const [a, b] = await Promise.all(['replica-a', 'replica-b'].map((REPLICA_ID) => startServerProcess(t, { STORE_URL, REPLICA_ID })));
  return [a!.url, b!.url] as const;
}

test('the replica says which store it uses, without the password', async (t) => {
  const STORE_URL = await server.createDatabase();
  const replica = await startServerProcess(t, { STORE_URL, LOG_LEVEL: 'info' });
  const health = await json(await fetch(`${replica.url}/healthz`));
  t.like(health, { status: 'ok', store: 'reachable' });
  const password = new URL(STORE_URL).password;
  const listening = replica.startupLog.split('\n').find((line) => line.includes('"msg":"listening"'));
  t.like(JSON.parse(listening!), { store: STORE_URL.replace(`:${password}@`, '@') });
  t.false(replica.startupLog.includes(password));
});

test('a write through one replica is read through the other at once; 40 orders for a stock of 15 through both: 15 placed, ids 1 to 15', async (t) => {
  const [a, b] = await twoReplicas(t);
  t.is((await fetch(`${a}/data/users/u-2001`, withJson('PUT', { name: 'Renamed' }))).status, 200);
  t.deepEqual(await json(await fetch(`${b}/data/users/u-2001`)), { id: 'u-2001', name: 'Renamed' });
  await fetch(`${a}/data/products/contested`, withJson('PUT', { name: 'Contested', quantity: 15 }));
  const answers = await Promise.all(
    Array.from({ length: 40 }, async (_, i) => {
      const res = await fetch(`${i % 2 ? a : b}/orders`, withJson('POST', { productId: 'contested', quantity: 1 }));
      return { status: res.status, body: await json(res) };
    }),
  );
  const placed = answers.filter((answer) => answer.status === 201);
  t.is(placed.length, 15);
  t.true(answers.every((answer) => answer.status === 201 || (answer.status === 409 && answer.body.type === 'urn:assembly:problem:out-of-stock')));
  t.deepEqual(
    placed.map((answer) => answer.body.orderId).sort((x, y) => x - y),
    Array.from({ length: 15 }, (_, i) => i + 1),
  );
});

test('a wrong password stops the replica with exit 1 and one line naming the store, without the password', async (t) => {
  const url = new URL(await server.createDatabase());
  url.password = 'not-the-password';
  const { code, stderr } = await runUntilExit(t, { STORE_URL: url.toString() });
  t.is(code, 1);
  t.regex(stderr, /^storage-service: cannot open store postgres:\/\/postgres@127\.0\.0\.1:\d+\/test_\w+: password authentication failed for user "postgres"\n$/);
  t.false(stderr.includes('not-the-password'));
});

test.serial('the database down: requests answer 503 problem+json with Retry-After within 3 s, /healthz 503; back up, the same processes serve again', async (t) => {
  const [a, b] = await twoReplicas(t);
  await server.stopContainer();
  try {
    for (const [url, init] of [
      [`${a}/data/products/p-1001`, undefined],
      [`${b}/orders`, withJson('POST', { productId: 'p-1001', quantity: 1 }, { 'Idempotency-Key': 'down-1' })],
    ] as const) {
      const started = performance.now();
      const res = await fetch(url, init);
      t.true(performance.now() - started < 3_000);
      t.is(res.status, 503);
      t.is(res.headers.get('content-type'), PROBLEM_TYPE);
      t.is(res.headers.get('retry-after'), '1');
      t.like(await json(res), { type: 'urn:assembly:problem:store-unavailable', status: 503 });
    }
    const health = await fetch(`${a}/healthz`);
    t.is(health.status, 503);
    t.like(await json(health), { status: 'unhealthy', store: 'unreachable' });
  } finally {
    await server.startContainer();
  }
  t.is((await fetch(`${a}/healthz`)).status, 200);
  const retried = await fetch(`${b}/orders`, withJson('POST', { productId: 'p-1001', quantity: 1 }, { 'Idempotency-Key': 'down-1' }));
  t.is(retried.status, 201);
  t.is(retried.headers.get('idempotent-replayed'), null, 'the attempt while down took no effect');
});

test.serial('a PostgreSQL restart under a stream of writes: writes succeed again within 10 s, and every acknowledged one is there', async (t) => {
  const [a, b] = await twoReplicas(t);
  await fetch(`${a}/data/products/stream`, withJson('PUT', { name: 'Stream', quantity: 1_000_000 }));
  const acknowledged: number[] = [];
  let restartedAt = 0;
  let firstFailure = 0;
  let firstSuccessAfterRestart = 0;
  let stop = false;
  const writer = (async () => {
    for (let i = 0; !stop && i < 5_000; i++) {
      const res = await fetch(`${i % 2 ? a : b}/orders`, withJson('POST', { productId: 'stream', quantity: 1 }, { 'Idempotency-Key': `stream-${i}` })).catch(() => undefined);
      if (res?.status === 201) {
        acknowledged.push((await json(res)).orderId);
        if (firstFailure && !firstSuccessAfterRestart) firstSuccessAfterRestart = performance.now();
      } else {
        if (restartedAt && !firstFailure) firstFailure = performance.now();
        await res?.arrayBuffer();
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
  })();
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  restartedAt = performance.now();
  await server.restartContainer();
  const deadline = Date.now() + 15_000;
  while (!firstSuccessAfterRestart && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
  stop = true;
  await writer;
  t.true(firstFailure > 0, 'the restart interrupted the writes');
  t.true(firstSuccessAfterRestart > 0, 'writes resumed');
  t.log(`writes failed from ${Math.round(firstFailure - restartedAt)} ms to ${Math.round(firstSuccessAfterRestart - restartedAt)} ms after the restart began`);
  t.true(firstSuccessAfterRestart - restartedAt < 10_000);
  const logged = new Set<number>();
  for (let after = 0; ; ) {
    const page = await json(await fetch(`${a}/orders?after=${after}&limit=1000`));
    for (const order of page.orders) logged.add(order.orderId);
    if (page.next === null) break;
    after = page.next;
  }
  t.true(acknowledged.every((id) => logged.has(id)), 'every acknowledged order is in the log');
});
