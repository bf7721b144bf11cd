import test from 'ava';
import { json, startServerProcess, tempStorePath, withJson } from '../helpers.ts';

// In the integration suite: real replica processes on one store file, racing each other.

async function twoReplicas(t: Parameters<typeof startServerProcess>[0]) {
  const STORE_PATH = await tempStorePath(t);
  // One after the other, so that the first seeds and the second finds the store seeded.
  const a = await startServerProcess(t, { STORE_PATH, REPLICA_ID: 'replica-a' });
  const b = await startServerProcess(t, { STORE_PATH, REPLICA_ID: 'replica-b' });
  return [a.url, b.url] as const;
}

test('a write through one replica is read through the other at once: PUT, POST, DELETE and an order', async (t) => {
  const [a, b] = await twoReplicas(t);
  const before = await fetch(`${b}/data/users/u-2001`);
  await before.arrayBuffer();
  t.is((await fetch(`${a}/data/users/u-2001`, withJson('PUT', { name: 'Renamed' }))).status, 200);
  const after = await fetch(`${b}/data/users/u-2001`);
  t.deepEqual(await json(after), { id: 'u-2001', name: 'Renamed' });
  t.not(after.headers.get('etag'), before.headers.get('etag'));

  const posted = await fetch(`${b}/data/inbox`, withJson('POST', { text: 'hi' }));
  t.is((await fetch(`${a}${posted.headers.get('location')}`)).status, 200);
  t.deepEqual((await json(await fetch(`${a}/data`))).partitions, ['products', 'users', 'purchases', 'inbox']);

  t.is((await fetch(`${a}/data/inbox/${(await json(posted)).id}`, { method: 'DELETE' })).status, 204);
  t.is((await fetch(`${b}/data/inbox`)).status, 404);

  const ordered = await json(await fetch(`${b}/orders`, withJson('POST', { productId: 'p-1002', quantity: 2 })));
  t.like(await json(await fetch(`${a}/data/products/p-1002`)), { quantity: ordered.remaining });
  t.deepEqual(await json(await fetch(`${a}/orders/${ordered.orderId}`)), ordered);
});

test('60 concurrent orders of 1 through two replicas for a stock of 20: exactly 20 succeed, order ids 1 to 20', async (t) => {
  const [a, b] = await twoReplicas(t);
  await fetch(`${a}/data/products/contested`, withJson('PUT', { name: 'Contested', quantity: 20 }));
  const answers = await Promise.all(
    Array.from({ length: 60 }, async (_, i) => {
      const res = await fetch(`${i % 2 ? a : b}/orders`, withJson('POST', { productId: 'contested', quantity: 1 }));
      return { status: res.status, body: await json(res) };
    }),
  );
  const placed = answers.filter((answer) => answer.status === 201);
  t.is(placed.length, 20);
  t.is(answers.filter((answer) => answer.status === 409).length, 40);
  t.deepEqual(
    placed.map((answer) => answer.body.orderId).sort((x, y) => x - y),
    Array.from({ length: 20 }, (_, i) => i + 1),
  );
  t.deepEqual(placed.map((answer) => answer.body.remaining).sort((x, y) => x - y), Array.from({ length: 20 }, (_, i) => i));
  t.like(await json(await fetch(`${b}/data/products/contested`)), { quantity: 0 });
  const log = await json(await fetch(`${a}/orders?limit=1000`));
  t.deepEqual(
    log.orders.map((order: { orderId: number }) => order.orderId),
    Array.from({ length: 20 }, (_, i) => i + 1),
  );
  t.deepEqual(
    log.orders.map((order: { remaining: number }) => order.remaining),
    Array.from({ length: 20 }, (_, i) => 19 - i),
    'in commit order, every order left one less',
  );
});

test('the same Idempotency-Key sent to both replicas at once has one effect; both get its answer', async (t) => {
  const [a, b] = await twoReplicas(t);
  for (let round = 0; round < 10; round++) {
    const send = (url: string) => fetch(`${url}/orders`, withJson('POST', { productId: 'p-1004', quantity: 1 }, { 'Idempotency-Key': `twice-${round}` }));
    const [fromA, fromB] = await Promise.all([send(a), send(b)]);
    t.deepEqual([fromA.status, fromB.status], [201, 201]);
    t.deepEqual(await json(fromA), await json(fromB));
    t.deepEqual([fromA.headers.get('idempotent-replayed'), fromB.headers.get('idempotent-replayed')].sort(), ['true', null].sort());
  }
  const log = await json(await fetch(`${a}/orders`));
  t.is(log.orders.length, 10);
  t.like(await json(await fetch(`${b}/data/products/p-1004`)), { quantity: 232 - 10 });
});
