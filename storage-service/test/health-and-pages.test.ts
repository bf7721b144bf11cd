import test from 'ava';
import { json, startApp } from './helpers.ts';

test('GET /healthz and GET /health report ok, the replica and its uptime in whole seconds', async (t) => {
  let clock = 1_790_000_000_000;
  const app = await startApp({ now: () => clock });
  t.teardown(() => app.close());
  t.like(await json(await fetch(`${app.url}/healthz`)), { uptimeSeconds: 0 });
  clock += 42_999;
  for (const path of ['/healthz', '/health']) {
    const res = await fetch(`${app.url}${path}`);
    t.is(res.status, 200);
    t.deepEqual(await json(res), { status: 'ok', replica: 'replica-test', uptimeSeconds: 42 });
  }
});

test('GET / is an HTML page naming the service and the replica, with links to the data', async (t) => {
  const app = await startApp();
  t.teardown(() => app.close());
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
  const app = await startApp({ config: { appEnv: 'development', replicaId: 'r1' } });
  t.teardown(() => app.close());
  const html = await (await fetch(`${app.url}/`, { headers: { 'X-Forwarded-Prefix': '/storagesvc' } })).text();
  t.regex(html, /href="\/storagesvc\/data"/);
  t.regex(html, /href="\/storagesvc\/swagger"/);
});

test('a hostile X-Forwarded-Prefix is ignored', async (t) => {
  const app = await startApp();
  t.teardown(() => app.close());
  const html = await (await fetch(`${app.url}/`, { headers: { 'X-Forwarded-Prefix': '/"><script>alert(1)</script>' } })).text();
  t.false(html.includes('<script>'));
  t.regex(html, /href="\/data"/);
});

test('in development /openapi.json is an OpenAPI 3.1 document built from the schemas', async (t) => {
  const app = await startApp({ config: { appEnv: 'development', replicaId: 'r1' } });
  t.teardown(() => app.close());
  const res = await fetch(`${app.url}/openapi.json`);
  t.is(res.status, 200);
  const doc = await json(res);
  t.is(doc.openapi, '3.1.0');
  t.deepEqual(Object.keys(doc.paths).sort(), ['/data', '/data/{partitionKey}', '/data/{partitionKey}/{id}', '/healthz']);
  t.is(doc.components.schemas.PartitionKey.maxLength, 64);
  t.truthy(doc.components.schemas.PartitionKey.pattern);
  t.truthy(doc.paths['/data/{partitionKey}/{id}'].get.responses['404'].content['application/problem+json']);
});

test('in development the OpenAPI document describes /faults only when faults are enabled', async (t) => {
  const { FaultInjector } = await import('../src/faults.ts');
  const app = await startApp({ config: { appEnv: 'development', replicaId: 'r1' }, faults: new FaultInjector() });
  t.teardown(() => app.close());
  const doc = await json(await fetch(`${app.url}/openapi.json`));
  t.truthy(doc.paths['/faults'].put.requestBody);
});

test('in development /swagger serves Swagger UI from the service itself, behind the prefix too', async (t) => {
  const app = await startApp({ config: { appEnv: 'development', replicaId: 'r1' } });
  t.teardown(() => app.close());
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
  const app = await startApp();
  t.teardown(() => app.close());
  for (const path of ['/openapi.json', '/swagger', '/swagger/swagger-ui.css']) {
    const res = await fetch(`${app.url}${path}`);
    t.is(res.status, 404, path);
    t.is(res.headers.get('content-type'), 'application/problem+json', path);
  }
});
