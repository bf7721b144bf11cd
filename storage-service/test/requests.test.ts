import test from 'ava';
import { captureLogs } from 'testkit/logs';
import { within } from 'testkit/poll';
import type { Store } from '../src/store/store.ts';
import { startApp } from './helpers.ts';

test('a sane incoming X-Request-Id is kept, echoed and logged on the request line', async (t) => {
  const app = await startApp(t);
  const res = await fetch(`${app.url}/data/products/p-1`, { headers: { 'X-Request-Id': 'trace-42.abc' } });
  t.is(res.headers.get('x-request-id'), 'trace-42.abc');
  const line = app.lines.find((l) => (l.req as { id?: string } | undefined)?.id === 'trace-42.abc');
  t.truthy(line, 'one JSON log line carries the request id');
  t.like(line, { msg: 'request completed', req: { method: 'GET', url: '/data/products/p-1' }, res: { statusCode: 200 } });
  t.is(typeof line?.responseTime, 'number');
});

test('at info level a read that went well writes no line (the gateway logs it); a write and a failure do, with the request id', async (t) => {
  const { logger, lines } = captureLogs('storage-service', 'info');
  const app = await startApp(t, { logger });
  const read = await fetch(`${app.url}/data/products/p-1`, { headers: { 'X-Request-Id': 'read-1' } });
  t.is(read.status, 200);
  const write = await fetch(`${app.url}/data/notes/n-1`, {
    method: 'PUT',
    headers: { 'X-Request-Id': 'write-1', 'Content-Type': 'application/json' },
    body: JSON.stringify({ text: 'hello' }),
  });
  t.is(write.status, 201);
  const missing = await fetch(`${app.url}/data/products/nope`, { headers: { 'X-Request-Id': 'missing-1' } });
  t.is(missing.status, 404);
  await within('the write and the failure logged', 2000, () => (lines.filter((l) => l.msg === 'request completed').length >= 2 ? true : undefined));
  const byId = (id: string) => lines.filter((l) => (l.req as { id?: string } | undefined)?.id === id);
  t.is(byId('read-1').length, 0);
  t.like(byId('write-1')[0], { level: 30, req: { method: 'PUT', url: '/data/notes/n-1' }, res: { statusCode: 201 } });
  t.like(byId('missing-1')[0], { level: 40, res: { statusCode: 404 } });
});

test('an X-Request-Id that could smuggle text into logs is replaced by a new one', async (t) => {
  const app = await startApp(t);
  for (const hostile of ['a b', 'x'.repeat(200), '<script>', '"quoted"']) {
    const res = await fetch(`${app.url}/data`, { headers: { 'X-Request-Id': hostile } });
    t.regex(res.headers.get('x-request-id') ?? '', /^[0-9a-f-]{36}$/);
  }
});

test('requests without an id get distinct generated ids', async (t) => {
  const app = await startApp(t);
  const ids = await Promise.all([1, 2, 3].map(async () => (await fetch(`${app.url}/data`)).headers.get('x-request-id')));
  t.is(new Set(ids).size, 3);
});

test('credentials in request headers never reach the log', async (t) => {
  const app = await startApp(t);
  await fetch(`${app.url}/data`, { headers: { Authorization: 'Basic c2VjcmV0OnNlY3JldA==', Cookie: 'session=secret' } });
  t.true(app.lines.some((l) => l.msg === 'request completed'));
  t.false(JSON.stringify(app.lines).includes('c2VjcmV0'));
  t.false(JSON.stringify(app.lines).includes('session=secret'));
});

test('an unexpected error is a 500 problem without a stack; the stack is logged with the request id', async (t) => {
  // Only the read GET /data makes is needed, and it fails.
  const failing = { partitions: () => Promise.reject(new Error('disk on fire')) } as unknown as Store;
  const app = await startApp(t, { store: failing });
  const res = await fetch(`${app.url}/data`);
  t.is(res.status, 500);
  t.is(res.headers.get('content-type'), 'application/problem+json');
  const text = await res.text();
  t.false(text.includes('disk on fire'));
  t.false(text.includes('at '), 'no stack frames in the body');
  const body = JSON.parse(text);
  t.like(body, { type: 'urn:assembly:problem:internal-error', status: 500, title: 'Internal Server Error' });
  t.true(body.detail.includes(body.requestId));
  const logged = app.lines.find((l) => (l.err as { message?: string } | undefined)?.message === 'disk on fire');
  t.truthy(logged);
  t.regex(String((logged?.err as { stack: string }).stack), /disk on fire\n\s+at /);
  t.is((logged?.req as { id: string }).id, body.requestId);
});
