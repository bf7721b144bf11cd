import test from 'ava';
import { json, PROBLEM_TYPE, startApp, withJson } from './helpers.ts';

async function appendMessages(url: string, count: number): Promise<string[]> {
  const ids = [];
  for (let i = 0; i < count; i++) ids.push((await json(await fetch(`${url}/data/log`, withJson('POST', { i })))).id as string);
  return ids;
}

test('a partition is read a page at a time: limit ids, then after=next until next is null', async (t) => {
  const app = await startApp(t);
  const ids = await appendMessages(app.url, 5);
  const first = await json(await fetch(`${app.url}/data/log?limit=2`));
  t.deepEqual(first, { partition: 'log', ids: ids.slice(0, 2), next: ids[1] });
  const second = await json(await fetch(`${app.url}/data/log?limit=2&after=${first.next}`));
  t.deepEqual(second, { partition: 'log', ids: ids.slice(2, 4), next: ids[3] });
  const last = await json(await fetch(`${app.url}/data/log?limit=2&after=${second.next}`));
  t.deepEqual(last, { partition: 'log', ids: ids.slice(4), next: null });
});

test('without limit a page holds at most 100 ids; limit goes up to 1000', async (t) => {
  const app = await startApp(t);
  const ids = await appendMessages(app.url, 101);
  const first = await json(await fetch(`${app.url}/data/log`));
  t.is(first.ids.length, 100);
  t.is(first.next, ids[99]);
  t.deepEqual(await json(await fetch(`${app.url}/data/log?after=${first.next}`)), { partition: 'log', ids: [ids[100]], next: null });
  t.is((await json(await fetch(`${app.url}/data/log?limit=1000`))).ids.length, 101);
});

test('an after the partition does not hold is a 400 problem that says what to pass', async (t) => {
  const app = await startApp(t);
  const res = await fetch(`${app.url}/data/products?after=u-1`);
  t.is(res.status, 400);
  t.is(res.headers.get('content-type'), PROBLEM_TYPE);
  const body = await json(res);
  t.like(body, { type: 'urn:assembly:problem:unknown-cursor', status: 400, partitionKey: 'products', after: 'u-1' });
  t.regex(body.detail, /pass the "next" of the previous page/);
});

for (const query of ['limit=0', 'limit=1001', 'limit=-1', 'limit=1.5', 'limit=1e2', 'limit=01', 'limit=', 'limit=ten', 'limit=1&limit=2', 'after=bad$id', 'after=']) {
  test(`GET /data/{partitionKey}?${query} is a 400 problem naming the parameter`, async (t) => {
    const app = await startApp(t);
    const res = await fetch(`${app.url}/data/products?${query}`);
    t.is(res.status, 400);
    t.like(await json(res), { type: 'urn:assembly:problem:invalid-request', errors: [{ path: query.split('=')[0] }] });
  });
}

test('pages of an unknown partition are 404, whatever after says', async (t) => {
  const app = await startApp(t);
  t.is((await fetch(`${app.url}/data/nope?after=x&limit=5`)).status, 404);
});
