import test from 'ava';
import { json, PROBLEM_TYPE, startApp, withJson } from './helpers.ts';

test('PUT creates an item (201) and its partition; the answer is the stored object with its ETag', async (t) => {
  const app = await startApp(t);
  const res = await fetch(`${app.url}/data/notes/n-1`, withJson('PUT', { text: 'hello' }));
  t.is(res.status, 201);
  t.is(res.headers.get('content-type'), 'application/json; charset=utf-8');
  const etag = res.headers.get('etag');
  t.regex(etag ?? '', /^"[A-Za-z0-9_-]{27}"$/);
  t.deepEqual(await json(res), { id: 'n-1', text: 'hello' });
  const read = await fetch(`${app.url}/data/notes/n-1`);
  t.is(read.headers.get('etag'), etag);
  t.deepEqual(await json(read), { id: 'n-1', text: 'hello' });
  t.deepEqual(await json(await fetch(`${app.url}/data`)), { partitions: ['products', 'users', 'notes'] });
});

test('PUT replaces an existing item (200); a body id equal to the path id is fine', async (t) => {
  const app = await startApp(t);
  const res = await fetch(`${app.url}/data/users/u-1`, withJson('PUT', { id: 'u-1', name: 'Ada' }));
  t.is(res.status, 200);
  t.deepEqual(await json(res), { id: 'u-1', name: 'Ada' });
});

test('PUT with a body id other than the path id is a 400 problem and writes nothing', async (t) => {
  const app = await startApp(t);
  const res = await fetch(`${app.url}/data/users/u-1`, withJson('PUT', { id: 'u-2', name: 'Eve' }));
  t.is(res.status, 400);
  t.is(res.headers.get('content-type'), PROBLEM_TYPE);
  t.like(await json(res), { type: 'urn:assembly:problem:id-mismatch', status: 400, id: 'u-1' });
  t.like(await json(await fetch(`${app.url}/data/users/u-1`)), { name: 'Ada Lovelace' });
});

test('PUT with If-Match: the current ETag writes; a stale one is a 412 problem', async (t) => {
  const app = await startApp(t);
  const etag = (await fetch(`${app.url}/data/users/u-1`)).headers.get('etag')!;
  const stale = await fetch(`${app.url}/data/users/u-1`, withJson('PUT', { name: 'A' }, { 'If-Match': '"stale"' }));
  t.is(stale.status, 412);
  t.is(stale.headers.get('content-type'), PROBLEM_TYPE);
  t.like(await json(stale), { type: 'urn:assembly:problem:precondition-failed', status: 412, partitionKey: 'users', id: 'u-1' });
  const current = await fetch(`${app.url}/data/users/u-1`, withJson('PUT', { name: 'B' }, { 'If-Match': etag }));
  t.is(current.status, 200);
  const again = await fetch(`${app.url}/data/users/u-1`, withJson('PUT', { name: 'C' }, { 'If-Match': etag }));
  t.is(again.status, 412, 'the tag changed with the write: a lost update is refused');
  t.like(await json(await fetch(`${app.url}/data/users/u-1`)), { name: 'B' });
});

test('PUT with If-Match on a missing item is a 412 problem and creates nothing', async (t) => {
  const app = await startApp(t);
  const res = await fetch(`${app.url}/data/users/u-9`, withJson('PUT', { name: 'A' }, { 'If-Match': '*' }));
  t.is(res.status, 412);
  t.is((await fetch(`${app.url}/data/users/u-9`)).status, 404);
});

test('PUT with If-None-Match: * creates only: 201 the first time, 412 when the item exists', async (t) => {
  const app = await startApp(t);
  const first = await fetch(`${app.url}/data/users/u-9`, withJson('PUT', { name: 'first' }, { 'If-None-Match': '*' }));
  t.is(first.status, 201);
  const second = await fetch(`${app.url}/data/users/u-9`, withJson('PUT', { name: 'second' }, { 'If-None-Match': '*' }));
  t.is(second.status, 412);
  t.like(await json(await fetch(`${app.url}/data/users/u-9`)), { name: 'first' });
});

test('DELETE answers 204; the item is gone; the partition goes with its last item', async (t) => {
  const app = await startApp(t);
  const res = await fetch(`${app.url}/data/users/u-1`, { method: 'DELETE' });
  t.is(res.status, 204);
  t.is(await res.text(), '');
  t.is((await fetch(`${app.url}/data/users/u-1`)).status, 404);
  t.like(await json(await fetch(`${app.url}/data/users`)), { type: 'urn:assembly:problem:partition-not-found' });
  t.deepEqual(await json(await fetch(`${app.url}/data`)), { partitions: ['products'] });
});

test('DELETE of a missing item is a 404 problem, If-Match or not', async (t) => {
  const app = await startApp(t);
  const missing = await fetch(`${app.url}/data/users/u-9`, { method: 'DELETE' });
  t.is(missing.status, 404);
  t.like(await json(missing), { type: 'urn:assembly:problem:item-not-found', partitionKey: 'users', id: 'u-9' });
  const conditional = await fetch(`${app.url}/data/nope/u-9`, { method: 'DELETE', headers: { 'If-Match': '*' } });
  t.is(conditional.status, 404);
  t.like(await json(conditional), { type: 'urn:assembly:problem:partition-not-found' });
});

test('DELETE with a stale If-Match is a 412 problem and deletes nothing; with the current one it deletes', async (t) => {
  const app = await startApp(t);
  const etag = (await fetch(`${app.url}/data/users/u-1`)).headers.get('etag')!;
  const stale = await fetch(`${app.url}/data/users/u-1`, { method: 'DELETE', headers: { 'If-Match': '"stale", W/' + etag } });
  t.is(stale.status, 412);
  t.is((await fetch(`${app.url}/data/users/u-1`)).status, 200);
  t.is((await fetch(`${app.url}/data/users/u-1`, { method: 'DELETE', headers: { 'If-Match': etag } })).status, 204);
});

test('POST appends under a new UUID: 201 with Location, ETag and the stored object', async (t) => {
  const app = await startApp(t);
  const res = await fetch(`${app.url}/data/messages`, withJson('POST', { text: 'hello' }));
  t.is(res.status, 201);
  const body = await json(res);
  t.regex(body.id, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  t.deepEqual(body, { id: body.id, text: 'hello' });
  t.is(res.headers.get('location'), `/data/messages/${body.id}`);
  t.is(res.headers.get('idempotent-replayed'), null);
  const read = await fetch(`${app.url}${res.headers.get('location')}`);
  t.is(read.headers.get('etag'), res.headers.get('etag'));
  t.deepEqual(await json(read), body);
});

test('POST behind the gateway answers a Location with the prefix the gateway stripped', async (t) => {
  const app = await startApp(t);
  const res = await fetch(`${app.url}/data/messages`, withJson('POST', { text: 'hi' }, { 'X-Forwarded-Prefix': '/storagesvc' }));
  t.regex(res.headers.get('location') ?? '', /^\/storagesvc\/data\/messages\/[0-9a-f-]{36}$/);
});

test('POSTed objects are listed in the order they were appended', async (t) => {
  const app = await startApp(t);
  const ids = [];
  for (const text of ['one', 'two', 'three', 'four']) ids.push((await json(await fetch(`${app.url}/data/messages`, withJson('POST', { text })))).id);
  t.deepEqual(await json(await fetch(`${app.url}/data/messages`)), { partition: 'messages', ids, next: null });
});

test('POST with an id in the body is a 400 problem: the service assigns ids', async (t) => {
  const app = await startApp(t);
  const res = await fetch(`${app.url}/data/messages`, withJson('POST', { id: 'mine', text: 'x' }));
  t.is(res.status, 400);
  const body = await json(res);
  t.like(body, { type: 'urn:assembly:problem:invalid-request', errors: [{ path: 'id' }] });
  t.regex(body.detail, /the service assigns the id/);
  t.is((await fetch(`${app.url}/data/messages`)).status, 404);
});

test('an own __proto__ key is stored and answered as an ordinary key', async (t) => {
  const app = await startApp(t);
  const text = '{"__proto__":{"polluted":true},"name":"x"}';
  const res = await fetch(`${app.url}/data/odd/o-1`, { method: 'PUT', headers: { 'Content-Type': 'application/json' }, body: text });
  t.is(res.status, 201);
  t.is(await (await fetch(`${app.url}/data/odd/o-1`)).text(), '{"id":"o-1","__proto__":{"polluted":true},"name":"x"}');
  t.is(({} as Record<string, unknown>).polluted, undefined);
});
