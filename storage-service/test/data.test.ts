import test from 'ava';
import { plainRequest } from 'testkit/http';
import { json, openTestStore, PROBLEM_TYPE, startApp, withJson } from './helpers.ts';

test('GET /data lists the partitions that hold items, in seed order; an empty one does not exist', async (t) => {
  const app = await startApp(t);
  const res = await fetch(`${app.url}/data`);
  t.is(res.status, 200);
  t.is(res.headers.get('content-type'), 'application/json; charset=utf-8');
  t.deepEqual(await json(res), { partitions: ['products', 'users'] });
  t.is((await fetch(`${app.url}/data/empty`)).status, 404);
});

test('GET /data/{partitionKey} lists the ids of a partition; one page holds them all', async (t) => {
  const app = await startApp(t);
  t.deepEqual(await json(await fetch(`${app.url}/data/products`)), { partition: 'products', ids: ['p-1', 'p-2'], next: null });
});

test('GET /data/{partitionKey}/{id} answers the stored object, which carries its id first', async (t) => {
  const app = await startApp(t);
  const res = await fetch(`${app.url}/data/products/p-1`);
  t.is(res.status, 200);
  t.is(await res.text(), JSON.stringify({ id: 'p-1', name: 'Kettle', price: { amount: 79, currency: 'EUR' }, quantity: 4 }));
});

test('two replicas on the same store file answer identical bytes and entity tags', async (t) => {
  const { store, path } = await openTestStore(t);
  const other = await openTestStore(t, { path });
  const a = await startApp(t, { store });
  const b = await startApp(t, { store: other.store, config: { appEnv: 'production', replicaId: 'replica-other', bodyLimitBytes: 1024 } });
  const [fromA, fromB] = await Promise.all([fetch(`${a.url}/data/users/u-1`), fetch(`${b.url}/data/users/u-1`)]);
  t.not(fromA.headers.get('x-replica-id'), fromB.headers.get('x-replica-id'));
  t.is(fromA.headers.get('etag'), fromB.headers.get('etag'));
  t.is(await fromA.text(), await fromB.text());
});

test('a write through one replica is read through the other, with a new entity tag', async (t) => {
  const { store, path } = await openTestStore(t);
  const other = await openTestStore(t, { path });
  const a = await startApp(t, { store });
  const b = await startApp(t, { store: other.store });
  const before = await fetch(`${b.url}/data/users/u-1`);
  await before.arrayBuffer();
  t.is((await fetch(`${a.url}/data/users/u-1`, withJson('PUT', { name: 'Ada King' }))).status, 200);
  const after = await fetch(`${b.url}/data/users/u-1`);
  t.deepEqual(await json(after), { id: 'u-1', name: 'Ada King' });
  t.not(after.headers.get('etag'), before.headers.get('etag'));
  t.deepEqual(await json(await fetch(`${b.url}/data`)), { partitions: ['products', 'users'] });
});

test('a matching If-None-Match is answered 304 without a body, until the item changes', async (t) => {
  const app = await startApp(t);
  const first = await fetch(`${app.url}/data/products/p-2`);
  const etag = first.headers.get('etag');
  t.regex(etag ?? '', /^"[A-Za-z0-9_-]{27}"$/);
  const again = await plainRequest(`${app.url}/data/products/p-2`, { headers: { 'If-None-Match': etag! } });
  t.is(again.status, 304);
  t.is(again.body, '');
  t.is(again.headers.etag, etag!);
  await fetch(`${app.url}/data/products/p-2`, withJson('PUT', { name: 'Grinder', quantity: 3 }));
  const changed = await plainRequest(`${app.url}/data/products/p-2`, { headers: { 'If-None-Match': etag! } });
  t.is(changed.status, 200);
  t.not(changed.headers.etag, etag!);
});

test('HEAD answers the headers of GET without a body', async (t) => {
  const app = await startApp(t);
  const res = await fetch(`${app.url}/data/products`, { method: 'HEAD' });
  t.is(res.status, 200);
  t.is(res.headers.get('content-length'), String(JSON.stringify({ partition: 'products', ids: ['p-1', 'p-2'], next: null }).length));
  t.is(await res.text(), '');
});

test('an unknown partition is a 404 problem that says where to look', async (t) => {
  const app = await startApp(t);
  const res = await fetch(`${app.url}/data/nope`);
  t.is(res.status, 404);
  t.is(res.headers.get('content-type'), PROBLEM_TYPE);
  const body = await json(res);
  t.like(body, { type: 'urn:assembly:problem:partition-not-found', status: 404, instance: '/data/nope', partitionKey: 'nope' });
  t.regex(body.detail, /GET \/data lists the partitions/);
});

test('an unknown id in a known partition is a 404 item-not-found problem', async (t) => {
  const app = await startApp(t);
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

test('behind the gateway, problem details name paths as the caller sees them, with the prefix', async (t) => {
  const app = await startApp(t);
  const viaGateway = { headers: { 'X-Forwarded-Prefix': '/storagesvc' } };
  const item = await json(await fetch(`${app.url}/data/products/p-999`, viaGateway));
  t.is(item.detail, 'Partition "products" has no item "p-999". GET /storagesvc/data/products lists its ids.');
  const route = await json(await fetch(`${app.url}/nothing/here`, viaGateway));
  t.is(route.detail, 'No route answers GET /storagesvc/nothing/here.');
  const method = await json(await fetch(`${app.url}/data/products`, { method: 'DELETE', ...viaGateway }));
  t.regex(method.detail, /^DELETE is not allowed on \/storagesvc\/data\/products; allowed: /);
});

test('an id in an unknown partition is a 404 partition-not-found problem', async (t) => {
  const app = await startApp(t);
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
    const app = await startApp(t);
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
  const app = await startApp(t);
  const res = await fetch(`${app.url}/nothing/here`);
  t.is(res.status, 404);
  t.is(res.headers.get('content-type'), PROBLEM_TYPE);
  t.like(await json(res), { type: 'urn:assembly:problem:route-not-found', status: 404, instance: '/nothing/here' });
});

test('a method the route does not take is a 405 problem with Allow', async (t) => {
  const app = await startApp(t);
  const res = await fetch(`${app.url}/data/products`, { method: 'DELETE' });
  t.is(res.status, 405);
  t.is(res.headers.get('allow'), 'HEAD, GET, POST');
  t.like(await json(res), { type: 'urn:assembly:problem:method-not-allowed', status: 405 });
});

for (const method of ['TRACE', 'PURGE']) {
  test(`${method}, a method no route implements, is a 405 problem with Allow on an existing path`, async (t) => {
    const app = await startApp(t);
    const res = await plainRequest(`${app.url}/data/products/p-1`, { method });
    t.is(res.status, 405);
    t.is(res.headers.allow, 'HEAD, GET, PUT, DELETE');
    t.is(res.headers['content-type'], PROBLEM_TYPE);
    t.like(JSON.parse(res.body), {
      type: 'urn:assembly:problem:method-not-allowed',
      status: 405,
      detail: `${method} is not allowed on /data/products/p-1; allowed: HEAD, GET, PUT, DELETE.`,
    });
  });

  test(`${method} on an unknown path is a 404 problem`, async (t) => {
    const app = await startApp(t);
    const res = await plainRequest(`${app.url}/nothing/here`, { method });
    t.is(res.status, 404);
    t.like(JSON.parse(res.body), { type: 'urn:assembly:problem:route-not-found', status: 404 });
  });
}

test('every response names the replica and the request, errors included', async (t) => {
  const app = await startApp(t);
  for (const path of ['/data', '/data/nope', '/nothing', '/healthz', '/', '/orders', '/orders/1']) {
    const res = await fetch(`${app.url}${path}`);
    t.is(res.headers.get('x-replica-id'), 'replica-test', path);
    t.regex(res.headers.get('x-request-id') ?? '', /^[0-9a-f-]{36}$/, path);
  }
});
