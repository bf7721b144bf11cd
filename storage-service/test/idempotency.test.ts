import test from 'ava';
import { json, PROBLEM_TYPE, startApp, withJson } from './helpers.ts';

const buy = (key: string, quantity = 1, productId = 'p-1') => withJson('POST', { productId, quantity }, { 'Idempotency-Key': key });

test('a repeated POST /orders with the same key gets the first answer, marked replayed, and no second order', async (t) => {
  const app = await startApp(t);
  const first = await fetch(`${app.url}/orders`, buy('order-42'));
  t.is(first.status, 201);
  t.is(first.headers.get('idempotent-replayed'), null);
  const firstBody = await first.text();
  const again = await fetch(`${app.url}/orders`, buy('order-42'));
  t.is(again.status, 201);
  t.is(again.headers.get('idempotent-replayed'), 'true');
  t.is(again.headers.get('location'), first.headers.get('location'));
  t.is(again.headers.get('etag'), first.headers.get('etag'));
  t.is(again.headers.get('content-type'), 'application/json; charset=utf-8');
  t.is(await again.text(), firstBody);
  t.like(JSON.parse(firstBody), { orderId: 1, idempotencyKey: 'order-42' });
  t.like(await json(await fetch(`${app.url}/data/products/p-1`)), { quantity: 3 });
  t.is((await json(await fetch(`${app.url}/orders`))).orders.length, 1);
});

test('the same JSON with other spacing and key order is the same request', async (t) => {
  const app = await startApp(t);
  await fetch(`${app.url}/orders`, buy('k'));
  const reordered = await fetch(`${app.url}/orders`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'Idempotency-Key': 'k' },
    body: '{ "quantity" : 1.0, "productId" : "p-1" }',
  });
  t.is(reordered.headers.get('idempotent-replayed'), 'true');
});

test('a repeated POST /data/{partitionKey} gets the same id and appends once; a replay through the gateway links through it', async (t) => {
  const app = await startApp(t);
  const post = (headers: Record<string, string> = {}) => withJson('POST', { text: 'once' }, { 'Idempotency-Key': 'msg-1', ...headers });
  const first = await fetch(`${app.url}/data/messages`, post());
  const again = await fetch(`${app.url}/data/messages`, post({ 'X-Forwarded-Prefix': '/storagesvc' }));
  t.is(again.status, 201);
  t.is(again.headers.get('idempotent-replayed'), 'true');
  t.is(again.headers.get('location'), `/storagesvc${first.headers.get('location')}`);
  t.deepEqual(await json(again), await json(first));
  t.is((await json(await fetch(`${app.url}/data/messages`))).ids.length, 1);
});

test('the same key with another body is a 422 problem, and nothing happens', async (t) => {
  const app = await startApp(t);
  await fetch(`${app.url}/orders`, buy('k-1', 1));
  const res = await fetch(`${app.url}/orders`, buy('k-1', 2));
  t.is(res.status, 422);
  t.is(res.headers.get('content-type'), PROBLEM_TYPE);
  t.like(await json(res), { type: 'urn:assembly:problem:idempotency-key-reused', status: 422, idempotencyKey: 'k-1' });
  t.like(await json(await fetch(`${app.url}/data/products/p-1`)), { quantity: 3 });
});

test('keys are scoped to the route: the same key on another path is a new request', async (t) => {
  const app = await startApp(t);
  const a = await fetch(`${app.url}/data/inbox`, withJson('POST', { text: 'x' }, { 'Idempotency-Key': 'shared' }));
  const b = await fetch(`${app.url}/data/outbox`, withJson('POST', { text: 'x' }, { 'Idempotency-Key': 'shared' }));
  t.is(b.headers.get('idempotent-replayed'), null);
  t.not((await json(a)).id, (await json(b)).id);
});

test('an out-of-stock answer is not kept: the same key succeeds after a restock', async (t) => {
  const app = await startApp(t);
  t.is((await fetch(`${app.url}/orders`, buy('restock', 1, 'p-2'))).status, 409);
  await fetch(`${app.url}/data/products/p-2`, withJson('PUT', { quantity: 1 }));
  const retry = await fetch(`${app.url}/orders`, buy('restock', 1, 'p-2'));
  t.is(retry.status, 201);
  t.is(retry.headers.get('idempotent-replayed'), null);
});

test('a 4xx answer is not kept: a corrected request may reuse the key', async (t) => {
  const app = await startApp(t);
  t.is((await fetch(`${app.url}/orders`, buy('typo', 1, 'p-404'))).status, 404);
  t.is((await fetch(`${app.url}/orders`, buy('typo', 1, 'p-1'))).status, 201);
});

const badKeys: Array<[string, string]> = [
  ['an empty key', ''],
  ['a key of 256 characters', 'k'.repeat(256)],
  ['a key with a tab', 'a\tb'],
  ['a key with non-ASCII', 'clé'],
];
for (const [what, key] of badKeys) {
  test(`${what} is a 400 problem, and nothing happens`, async (t) => {
    const app = await startApp(t);
    const res = await fetch(`${app.url}/orders`, buy(key));
    t.is(res.status, 400);
    t.like(await json(res), { type: 'urn:assembly:problem:invalid-request', errors: [{ path: 'Idempotency-Key' }] });
    t.like(await json(await fetch(`${app.url}/data/products/p-1`)), { quantity: 4 });
  });
}

test('a key of 255 printable characters, spaces inside, is fine', async (t) => {
  const app = await startApp(t);
  const key = `"${'a b~!'.repeat(50)}123"`;
  t.is(key.length, 255);
  t.is((await fetch(`${app.url}/orders`, buy(key))).status, 201);
  t.is((await fetch(`${app.url}/orders`, buy(key))).headers.get('idempotent-replayed'), 'true');
});
