import test from 'ava';
import { plainRequest } from 'testkit/http';
import { json, PROBLEM_TYPE, sampleData, startApp, type RunningApp } from './helpers.ts';

let app: RunningApp;
test.before(async () => {
  app = await startApp();
});
test.after.always(() => app.close());

test('GET /data lists the partitions in file order', async (t) => {
  const res = await fetch(`${app.url}/data`);
  t.is(res.status, 200);
  t.is(res.headers.get('content-type'), 'application/json; charset=utf-8');
  t.deepEqual(await json(res), { partitions: ['products', 'users', 'empty'] });
});

test('GET /data/{partitionKey} lists the ids of a partition, also of an empty one', async (t) => {
  t.deepEqual(await json(await fetch(`${app.url}/data/products`)), { partition: 'products', ids: ['p-1', 'p-2'] });
  t.deepEqual(await json(await fetch(`${app.url}/data/empty`)), { partition: 'empty', ids: [] });
});

test('GET /data/{partitionKey}/{id} answers the stored object byte for byte', async (t) => {
  const res = await fetch(`${app.url}/data/products/p-1`);
  t.is(res.status, 200);
  t.is(await res.text(), JSON.stringify(sampleData.products?.['p-1']));
});

test('two replicas loaded from the same data answer identical bytes and entity tags', async (t) => {
  const other = await startApp({ config: { appEnv: 'production', replicaId: 'replica-other' } });
  t.teardown(() => other.close());
  const [a, b] = await Promise.all([fetch(`${app.url}/data/users/u-1`), fetch(`${other.url}/data/users/u-1`)]);
  t.not(a.headers.get('x-replica-id'), b.headers.get('x-replica-id'));
  t.is(a.headers.get('etag'), b.headers.get('etag'));
  t.is(await a.text(), await b.text());
});

test('a matching If-None-Match is answered 304 without a body', async (t) => {
  const first = await fetch(`${app.url}/data/products/p-2`);
  const etag = first.headers.get('etag');
  t.truthy(etag);
  const again = await plainRequest(`${app.url}/data/products/p-2`, { headers: { 'If-None-Match': etag! } });
  t.is(again.status, 304);
  t.is(again.body, '');
  t.is(again.headers.etag, etag!);
});

test('HEAD answers the headers of GET without a body', async (t) => {
  const res = await fetch(`${app.url}/data/products`, { method: 'HEAD' });
  t.is(res.status, 200);
  t.is(res.headers.get('content-length'), String(JSON.stringify({ partition: 'products', ids: ['p-1', 'p-2'] }).length));
  t.is(await res.text(), '');
});

test('an unknown partition is a 404 problem that says where to look', async (t) => {
  const res = await fetch(`${app.url}/data/nope`);
  t.is(res.status, 404);
  t.is(res.headers.get('content-type'), PROBLEM_TYPE);
  const body = await json(res);
  t.like(body, { type: 'urn:assembly:problem:partition-not-found', status: 404, instance: '/data/nope', partitionKey: 'nope' });
  t.regex(body.detail, /GET \/data lists the partitions/);
});

test('an unknown id in a known partition is a 404 item-not-found problem', async (t) => {
  const res = await fetch(`${app.url}/data/products/p-999`);
  t.is(res.status, 404);
  t.like(await json(res), {
    type: 'urn:assembly:problem:item-not-found',
    title: 'Item not found',
    status: 404,
    partitionKey: 'products',
    id: 'p-999',
  });
});

test('an id in an unknown partition is a 404 partition-not-found problem', async (t) => {
  const res = await fetch(`${app.url}/data/nope/p-1`);
  t.is(res.status, 404);
  t.like(await json(res), { type: 'urn:assembly:problem:partition-not-found' });
});

const malformed: Array<[string, string]> = [
  ['bad characters in a partition key', '/data/pro%24ducts'],
  ['an encoded slash in an id', '/data/products/p%2F1'],
  ['a key starting with a dot', '/data/.hidden'],
  ['a prototype-looking key', '/data/__proto__'],
  ['an absurdly long id', `/data/products/${'x'.repeat(500)}`],
  ['broken percent-encoding', '/data/products/%E0%A4%A'],
];
for (const [what, path] of malformed) {
  test(`${what} is a 400 problem naming the parameter`, async (t) => {
    const res = await fetch(`${app.url}${path}`);
    t.is(res.status, 400);
    t.is(res.headers.get('content-type'), PROBLEM_TYPE);
    const body = await json(res);
    t.like(body, { type: 'urn:assembly:problem:invalid-request', title: 'Bad Request', status: 400 });
    t.true(body.errors.length > 0);
    t.regex(body.detail, /partitionKey|id/);
  });
}

test('an unknown route is a 404 problem', async (t) => {
  const res = await fetch(`${app.url}/nothing/here`);
  t.is(res.status, 404);
  t.is(res.headers.get('content-type'), PROBLEM_TYPE);
  t.like(await json(res), { type: 'urn:assembly:problem:route-not-found', status: 404, instance: '/nothing/here' });
});

test('a method the route does not take is a 405 problem with Allow', async (t) => {
  const res = await fetch(`${app.url}/data/products`, { method: 'DELETE' });
  t.is(res.status, 405);
  t.is(res.headers.get('allow'), 'HEAD, GET');
  t.like(await json(res), { type: 'urn:assembly:problem:method-not-allowed', status: 405 });
});

for (const method of ['TRACE', 'PURGE']) {
  test(`${method}, a method no route implements, is a 405 problem with Allow on an existing path`, async (t) => {
    const res = await plainRequest(`${app.url}/data/products`, { method });
    t.is(res.status, 405);
    t.is(res.headers.allow, 'HEAD, GET');
    t.is(res.headers['content-type'], PROBLEM_TYPE);
    t.like(JSON.parse(res.body), { type: 'urn:assembly:problem:method-not-allowed', status: 405, detail: `${method} is not allowed on /data/products; allowed: HEAD, GET.` });
  });

  test(`${method} on an unknown path is a 404 problem`, async (t) => {
    const res = await plainRequest(`${app.url}/nothing/here`, { method });
    t.is(res.status, 404);
    t.like(JSON.parse(res.body), { type: 'urn:assembly:problem:route-not-found', status: 404 });
  });
}

test('every response names the replica and the request, errors included', async (t) => {
  for (const path of ['/data', '/data/nope', '/nothing', '/healthz', '/']) {
    const res = await fetch(`${app.url}${path}`);
    t.is(res.headers.get('x-replica-id'), 'replica-test', path);
    t.regex(res.headers.get('x-request-id') ?? '', /^[0-9a-f-]{36}$/, path);
  }
});
