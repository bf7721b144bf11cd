import test from 'ava';
import { json, PROBLEM_TYPE, startApp, withJson } from './helpers.ts';

const order = (productId: string, quantity: unknown) => withJson('POST', { productId, quantity });

test('POST /orders takes from the stock: 201 with Location, the order and what remains', async (t) => {
  const app = await startApp(t);
  const productBefore = await fetch(`${app.url}/data/products/p-1`);
  const res = await fetch(`${app.url}/orders`, order('p-1', 3));
  t.is(res.status, 201);
  t.is(res.headers.get('location'), '/orders/1');
  t.is(res.headers.get('content-type'), 'application/json; charset=utf-8');
  const body = await json(res);
  t.like(body, { orderId: 1, productId: 'p-1', quantity: 3, remaining: 1, idempotencyKey: null });
  t.true(Math.abs(Date.parse(body.createdAt) - Date.now()) < 60_000);
  const productAfter = await fetch(`${app.url}/data/products/p-1`);
  t.like(await json(productAfter), { quantity: 1, name: 'Kettle' });
  t.not(productAfter.headers.get('etag'), productBefore.headers.get('etag'));
  const read = await fetch(`${app.url}/orders/1`);
  t.is(read.headers.get('etag'), res.headers.get('etag'));
  t.deepEqual(await json(read), body);
});

test('an order larger than the stock is a 409 problem with what is available; nothing is taken', async (t) => {
  const app = await startApp(t);
  const res = await fetch(`${app.url}/orders`, order('p-1', 5));
  t.is(res.status, 409);
  t.is(res.headers.get('content-type'), PROBLEM_TYPE);
  t.like(await json(res), { type: 'urn:assembly:problem:out-of-stock', status: 409, productId: 'p-1', requested: 5, available: 4 });
  t.like(await json(await fetch(`${app.url}/data/products/p-1`)), { quantity: 4 });
  t.deepEqual(await json(await fetch(`${app.url}/orders`)), { orders: [], next: null });
});

test('an unknown product is a 404 problem', async (t) => {
  const app = await startApp(t);
  const res = await fetch(`${app.url}/orders`, order('p-404', 1));
  t.is(res.status, 404);
  t.like(await json(res), { type: 'urn:assembly:problem:product-not-found', productId: 'p-404' });
});

const QUANTITY = 'Invalid order: quantity must be an integer of at least 1.';
const badOrders: Array<[string, unknown, string]> = [
  ['no productId', { quantity: 1 }, 'Invalid order: productId is required.'],
  ['no quantity', { productId: 'p-1' }, QUANTITY],
  ['a quantity of 0', { productId: 'p-1', quantity: 0 }, QUANTITY],
  ['a negative quantity', { productId: 'p-1', quantity: -1 }, QUANTITY],
  ['a fractional quantity', { productId: 'p-1', quantity: 1.5 }, QUANTITY],
  ['a quantity in quotes', { productId: 'p-1', quantity: '1' }, QUANTITY],
  ['a quantity beyond the exact integers', { productId: 'p-1', quantity: 2 ** 53 }, QUANTITY],
  ['a huge quantity', { productId: 'p-1', quantity: 1e308 }, QUANTITY],
  ['a malformed productId', { productId: '../p-1', quantity: 1 }, "Invalid order: productId must be letters, digits, '.', '_' or '-', starting with a letter or digit."],
  ['an unknown field', { productId: 'p-1', quantity: 1, coupon: 'FREE' }, 'Invalid order: the order has an unknown field "coupon".'],
];
for (const [what, body, detail] of badOrders) {
  test(`an order with ${what} is a 400 problem saying so in a sentence, and takes nothing`, async (t) => {
    const app = await startApp(t);
    const res = await fetch(`${app.url}/orders`, withJson('POST', body));
    t.is(res.status, 400);
    t.like(await json(res), { type: 'urn:assembly:problem:invalid-request', status: 400, detail });
    t.like(await json(await fetch(`${app.url}/data/products/p-1`)), { quantity: 4 });
  });
}

test('order ids count up from 1; GET /orders lists them in order, a page at a time', async (t) => {
  const app = await startApp(t);
  await fetch(`${app.url}/data/products/p-9`, withJson('PUT', { quantity: 10 }));
  const placed = [];
  for (let i = 0; i < 3; i++) placed.push(await json(await fetch(`${app.url}/orders`, order('p-9', 2))));
  t.deepEqual(
    placed.map((o) => [o.orderId, o.remaining]),
    [
      [1, 8],
      [2, 6],
      [3, 4],
    ],
  );
  const first = await json(await fetch(`${app.url}/orders?limit=2`));
  t.deepEqual(first, { orders: placed.slice(0, 2), next: 2 });
  t.deepEqual(await json(await fetch(`${app.url}/orders?limit=2&after=2`)), { orders: placed.slice(2), next: null });
  t.deepEqual(await json(await fetch(`${app.url}/orders?after=0`)), { orders: placed, next: null });
});

test('GET /orders/{orderId}: 404 when there is none', async (t) => {
  const app = await startApp(t);
  const res = await fetch(`${app.url}/orders/7`);
  t.is(res.status, 404);
  t.like(await json(res), { type: 'urn:assembly:problem:order-not-found', orderId: 7 });
});

for (const path of ['/orders/0', '/orders/-1', '/orders/abc', '/orders/1.0', '/orders/01', '/orders/9999999999999999', '/orders?limit=0', '/orders?after=-1', '/orders?after=x']) {
  test(`GET ${path} is a 400 problem`, async (t) => {
    const app = await startApp(t);
    const res = await fetch(`${app.url}${path}`);
    t.is(res.status, 400);
    t.like(await json(res), { type: 'urn:assembly:problem:invalid-request' });
  });
}

test('behind the gateway the order Location keeps the prefix', async (t) => {
  const app = await startApp(t);
  const res = await fetch(`${app.url}/orders`, withJson('POST', { productId: 'p-1', quantity: 1 }, { 'X-Forwarded-Prefix': '/storagesvc' }));
  t.is(res.headers.get('location'), '/storagesvc/orders/1');
});
