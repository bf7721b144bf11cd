import test from 'ava';
import { FaultInjector } from '../src/faults.ts';
import { json, startApp } from './helpers.ts';

const asJson = (body: unknown) => ({
  method: 'PUT',
  headers: { 'Content-Type': 'application/json' },
  body: JSON.stringify(body),
});

test('with faults disabled /faults does not exist', async (t) => {
  const app = await startApp(t);
  for (const method of ['GET', 'PUT', 'DELETE']) {
    const res = await fetch(`${app.url}/faults`, { method });
    t.is(res.status, 404, method);
    t.like(await json(res), { type: 'urn:assembly:problem:route-not-found' });
  }
});

test('GET /faults starts with none; PUT replaces them, omitted fields off; DELETE clears', async (t) => {
  const app = await startApp(t, { faults: new FaultInjector() });
  t.deepEqual(await json(await fetch(`${app.url}/faults`)), { delayMs: 0, failRate: 0, unhealthy: false });
  t.deepEqual(await json(await fetch(`${app.url}/faults`, asJson({ delayMs: 5, failRate: 0.25 }))), {
    delayMs: 5,
    failRate: 0.25,
    unhealthy: false,
  });
  t.deepEqual(await json(await fetch(`${app.url}/faults`, asJson({ unhealthy: true }))), {
    delayMs: 0,
    failRate: 0,
    unhealthy: true,
  });
  t.deepEqual(await json(await fetch(`${app.url}/faults`, { method: 'DELETE' })), {
    delayMs: 0,
    failRate: 0,
    unhealthy: false,
  });
  t.deepEqual(await json(await fetch(`${app.url}/faults`)), { delayMs: 0, failRate: 0, unhealthy: false });
});

test('unhealthy makes /healthz answer 503 until cleared; data is still served', async (t) => {
  const app = await startApp(t, { faults: new FaultInjector() });
  await fetch(`${app.url}/faults`, asJson({ unhealthy: true }));
  const sick = await fetch(`${app.url}/healthz`);
  t.is(sick.status, 503);
  t.like(await sick.json(), { status: 'unhealthy', replica: 'replica-test' });
  t.is((await fetch(`${app.url}/data`)).status, 200);
  await fetch(`${app.url}/faults`, { method: 'DELETE' });
  t.is((await fetch(`${app.url}/healthz`)).status, 200);
});

test('failRate 1 makes every /data request a 500 injected-fault problem; health and faults stay up', async (t) => {
  const app = await startApp(t, { faults: new FaultInjector() });
  await fetch(`${app.url}/faults`, asJson({ failRate: 1 }));
  for (const path of ['/data', '/data/products', '/data/products/p-1']) {
    const res = await fetch(`${app.url}${path}`);
    t.is(res.status, 500, path);
    t.is(res.headers.get('content-type'), 'application/problem+json');
    const body = await json(res);
    t.like(body, { type: 'urn:assembly:problem:injected-fault', status: 500 });
    t.regex(body.detail, /replica-test failed this request on purpose/);
  }
  t.is((await fetch(`${app.url}/healthz`)).status, 200);
});

test('failRate 1 fails writes and orders before they have any effect', async (t) => {
  const app = await startApp(t, { faults: new FaultInjector() });
  await fetch(`${app.url}/faults`, asJson({ failRate: 1 }));
  const writes: Array<[string, RequestInit]> = [
    ['/data/products/p-1', { ...asJson({ quantity: 99 }), method: 'PUT' }],
    ['/data/products/p-1', { method: 'DELETE' }],
    ['/data/notes', { ...asJson({ text: 'x' }), method: 'POST' }],
    ['/orders', { ...asJson({ productId: 'p-1', quantity: 1 }), method: 'POST' }],
    ['/orders', {}],
    ['/orders/1', {}],
  ];
  for (const [path, init] of writes) {
    const res = await fetch(`${app.url}${path}`, init);
    t.is(res.status, 500, `${init.method ?? 'GET'} ${path}`);
    t.like(await json(res), { type: 'urn:assembly:problem:injected-fault' });
  }
  await fetch(`${app.url}/faults`, { method: 'DELETE' });
  t.like(await json(await fetch(`${app.url}/data/products/p-1`)), { quantity: 4 });
  t.is((await fetch(`${app.url}/data/notes`)).status, 404);
});

test('failRate fails that share of /data requests', async (t) => {
  const draws = [0.1, 0.9, 0.2, 0.8];
  let next = 0;
  const app = await startApp(t, { faults: new FaultInjector(() => draws[next++ % draws.length]!) });
  await fetch(`${app.url}/faults`, asJson({ failRate: 0.5 }));
  const statuses = [];
  for (let i = 0; i < 4; i++) statuses.push((await fetch(`${app.url}/data`)).status);
  t.deepEqual(statuses, [500, 200, 500, 200]);
});

const invalidBodies: Array<[string, RequestInit, number, string]> = [
  ['malformed JSON', { method: 'PUT', headers: { 'Content-Type': 'application/json' }, body: '{bad' }, 400, 'invalid-json'],
  ['a failRate above 1', asJson({ failRate: 1.5 }), 400, 'invalid-request'],
  ['a negative delay', asJson({ delayMs: -1 }), 400, 'invalid-request'],
  ['an unknown field', asJson({ explode: true }), 400, 'invalid-request'],
  ['a JSON array', asJson([1, 2]), 400, 'invalid-request'],
  ['a text body', { method: 'PUT', headers: { 'Content-Type': 'text/plain' }, body: 'delay' }, 415, 'unsupported-media-type'],
  ['a body over 4 kB', asJson({ delayMs: 1, pad: 'x'.repeat(5000) }), 413, 'body-too-large'],
];
for (const [what, init, status, kind] of invalidBodies) {
  test(`PUT /faults with ${what} is a ${status} problem and changes nothing`, async (t) => {
    const app = await startApp(t, { faults: new FaultInjector() });
    const res = await fetch(`${app.url}/faults`, init);
    t.is(res.status, status);
    t.is(res.headers.get('content-type'), 'application/problem+json');
    t.like(await json(res), { type: `urn:assembly:problem:${kind}`, status });
    t.deepEqual(await json(await fetch(`${app.url}/faults`)), { delayMs: 0, failRate: 0, unhealthy: false });
  });
}
