import test from 'ava';
import { StoreUnavailable } from '../src/store/errors.ts';
import type { Store } from '../src/store/store.ts';
import { json, openTestStore, startApp, TEST_CONFIG } from './helpers.ts';

test('GET /healthz and GET /health report ok, the replica and its uptime in whole seconds', async (t) => {
  let clock = 1_790_000_000_000;
  const app = await startApp(t, { now: () => clock });
  t.like(await json(await fetch(`${app.url}/healthz`)), { uptimeSeconds: 0 });
  clock += 42_999;
  for (const path of ['/healthz', '/health']) {
    const res = await fetch(`${app.url}${path}`);
    t.is(res.status, 200);
    t.deepEqual(await json(res), { status: 'ok', replica: 'replica-test', uptimeSeconds: 42, store: 'reachable' });
  }
});

test('GET /healthz answers 503 while the store cannot serve, so the gateway routes around the replica, and 200 once it can', async (t) => {
  const { store } = await openTestStore(t);
  let reachable = false;
  const flaky: Store = Object.assign(Object.create(store) as Store, {
    ping: async () => {
      if (!reachable) throw new StoreUnavailable('connection refused');
    },
  });
  const app = await startApp(t, { store: flaky });
  const down = await fetch(`${app.url}/healthz`);
  t.is(down.status, 503);
  t.like(await json(down), { status: 'unhealthy', store: 'unreachable' });
  reachable = true;
  const up = await fetch(`${app.url}/healthz`);
  t.is(up.status, 200);
  t.like(await json(up), { status: 'ok', store: 'reachable' });
});

test('GET /healthz answers 503 "draining" once the replica drains before it stops, while other requests are still served', async (t) => {
  let draining = false;
  const app = await startApp(t, { draining: () => draining });
  t.is((await fetch(`${app.url}/healthz`)).status, 200);
  draining = true;
  const res = await fetch(`${app.url}/healthz`);
  t.is(res.status, 503);
  t.like(await json(res), { status: 'draining', store: 'reachable' });
  t.is((await fetch(`${app.url}/data/users`)).status, 200);
});

test('GET / is an HTML page naming the service and the replica, with links to the data', async (t) => {
  const app = await startApp(t);
  const res = await fetch(`${app.url}/`);
  t.is(res.status, 200);
  t.is(res.headers.get('content-type'), 'text/html; charset=utf-8');
  const html = await res.text();
  t.regex(html, /<h1>storage-service<\/h1>/);
  t.regex(html, /replica-test/);
  t.regex(html, /href="\/data"/);
  t.false(html.includes('swagger'), 'no docs link in production');
});

test('behind the gateway the page links keep the stripped prefix', async (t) => {
  const app = await startApp(t, { config: { ...TEST_CONFIG, appEnv: 'development', replicaId: 'r1' } });
  const html = await (await fetch(`${app.url}/`, { headers: { 'X-Forwarded-Prefix': '/storagesvc' } })).text();
  t.regex(html, /href="\/storagesvc\/data"/);
  t.regex(html, /href="\/storagesvc\/swagger"/);
});

test('a hostile X-Forwarded-Prefix is ignored', async (t) => {
  const app = await startApp(t);
  const html = await (await fetch(`${app.url}/`, { headers: { 'X-Forwarded-Prefix': '/"><script>alert(1)</script>' } })).text();
  t.false(html.includes('<script>'));
  t.regex(html, /href="\/data"/);
});

test('in development /openapi.json is an OpenAPI 3.1 document built from the schemas', async (t) => {
  const app = await startApp(t, { config: { ...TEST_CONFIG, appEnv: 'development', replicaId: 'r1' } });
  const res = await fetch(`${app.url}/openapi.json`);
  t.is(res.status, 200);
  const doc = await json(res);
  t.is(doc.openapi, '3.1.0');
  t.deepEqual(Object.keys(doc.paths).sort(), ['/data', '/data/{partitionKey}', '/data/{partitionKey}/{id}', '/healthz', '/orders', '/orders/{orderId}']);
  t.is(doc.components.schemas.PartitionKey.maxLength, 64);
  t.truthy(doc.components.schemas.PartitionKey.pattern);
  t.truthy(doc.paths['/data/{partitionKey}/{id}'].get.responses['404'].content['application/problem+json']);
});

test("the OpenAPI document's server is where it was fetched from: behind the gateway, the prefix, so Try it out goes through it", async (t) => {
  const app = await startApp(t, { config: { ...TEST_CONFIG, appEnv: 'development', replicaId: 'r1' } });
  t.deepEqual((await json(await fetch(`${app.url}/openapi.json`))).servers, [{ url: '/' }]);
  const behind = await json(await fetch(`${app.url}/openapi.json`, { headers: { 'X-Forwarded-Prefix': '/storagesvc' } }));
  t.deepEqual(behind.servers, [{ url: '/storagesvc' }]);
  t.truthy(behind.paths['/data/{partitionKey}/{id}'], 'paths stay the service\'s own, under the server');
});

test('the OpenAPI document declares the headers and errors of the writes', async (t) => {
  const app = await startApp(t, { config: { ...TEST_CONFIG, appEnv: 'development', bodyLimitBytes: 2048 } });
  const doc = await json(await fetch(`${app.url}/openapi.json`));
  const put = doc.paths['/data/{partitionKey}/{id}'].put;
  t.deepEqual(put.parameters.filter((p: any) => p.in === 'header').map((p: any) => p.name), ['If-Match', 'If-None-Match']);
  t.deepEqual(Object.keys(put.responses).sort(), ['200', '201', '400', '412', '413', '415', '500', '503']);
  t.regex(put.responses['413'].description, /2048 bytes/);
  const order = doc.paths['/orders'].post;
  t.deepEqual(order.parameters.map((p: any) => p.name), ['Idempotency-Key']);
  t.deepEqual(Object.keys(order.responses).sort(), ['201', '400', '404', '409', '413', '415', '422', '500', '503']);
  t.deepEqual(Object.keys(order.responses['201'].headers), ['X-Replica-Id', 'X-Request-Id', 'Location', 'ETag', 'Idempotent-Replayed']);
  t.false(order.responses['201'].headers['Idempotent-Replayed'].required ?? false);
  t.true(order.responses['201'].headers.Location.required);
  t.deepEqual(doc.paths['/orders/{orderId}'].get.parameters[0].schema, {
    type: 'integer',
    minimum: 1,
    maximum: 999999999999999,
    description: 'An order id, as answered when the order was placed.',
  });
});

test('in development the OpenAPI document describes /faults only when faults are enabled', async (t) => {
  const { FaultInjector } = await import('../src/faults.ts');
  const app = await startApp(t, { config: { ...TEST_CONFIG, appEnv: 'development', replicaId: 'r1' }, faults: new FaultInjector() });
  const doc = await json(await fetch(`${app.url}/openapi.json`));
  t.truthy(doc.paths['/faults'].put.requestBody);
});

test('in development /swagger serves Swagger UI from the service itself, behind the prefix too', async (t) => {
  const app = await startApp(t, { config: { ...TEST_CONFIG, appEnv: 'development', replicaId: 'r1' } });
  const page = await fetch(`${app.url}/swagger`, { headers: { 'X-Forwarded-Prefix': '/storagesvc' } });
  t.is(page.status, 200);
  const html = await page.text();
  t.regex(html, /data-spec="\/storagesvc\/openapi.json"/);
  for (const asset of ['swagger-ui.css', 'swagger-ui-bundle.js', 'init.js']) {
    t.regex(html, new RegExp(`/storagesvc/swagger/${asset.replace('.', '\\.')}`));
    const res = await fetch(`${app.url}/swagger/${asset}`);
    t.is(res.status, 200, asset);
    t.true((await res.arrayBuffer()).byteLength > 0, asset);
  }
  t.is((await fetch(`${app.url}/swagger/package.json`)).status, 404);
});

test('in production /openapi.json and /swagger do not exist', async (t) => {
  const app = await startApp(t);
  for (const path of ['/openapi.json', '/swagger', '/swagger/swagger-ui.css']) {
    const res = await fetch(`${app.url}${path}`);
    t.is(res.status, 404, path);
    t.is(res.headers.get('content-type'), 'application/problem+json', path);
  }
});
