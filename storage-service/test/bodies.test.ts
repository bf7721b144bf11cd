import { request } from 'node:http';
import test from 'ava';
import { json, PROBLEM_TYPE, startApp, TEST_CONFIG } from './helpers.ts';

interface RawAnswer {
  status: number;
  contentType: string | undefined;
  body: string;
}

/** A request with exactly these bytes and headers; `chunked` sends the body without a Content-Length. */
function send(url: string, method: string, headers: Record<string, string>, body: Buffer | string, chunked = false): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers }, (res) => {
      let text = '';
      res.on('data', (chunk: Buffer) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, contentType: res.headers['content-type'], body: text }));
    });
    req.on('error', reject);
    if (!chunked) req.setHeader('Content-Length', Buffer.byteLength(body));
    req.end(body);
  });
}

const JSON_TYPE = { 'Content-Type': 'application/json' };
const nested = (depth: number) => '['.repeat(depth) + ']'.repeat(depth);

test('a body over the limit is a 413 problem, by Content-Length or as it streams; the connection stays usable', async (t) => {
  const app = await startApp(t, { config: { ...TEST_CONFIG, bodyLimitBytes: 1000 } });
  const big = JSON.stringify({ pad: 'x'.repeat(2000) });
  for (const chunked of [false, true]) {
    const res = await send(`${app.url}/data/notes/n-1`, 'PUT', JSON_TYPE, big, chunked);
    t.is(res.status, 413, chunked ? 'chunked' : 'Content-Length');
    t.is(res.contentType, PROBLEM_TYPE);
    t.like(JSON.parse(res.body), { type: 'urn:assembly:problem:body-too-large', status: 413, limitBytes: 1000 });
  }
  const fits = await fetch(`${app.url}/data/notes/n-1`, { method: 'PUT', headers: JSON_TYPE, body: JSON.stringify({ pad: 'x'.repeat(900) }) });
  t.is(fits.status, 201);
  t.is((await fetch(`${app.url}/data/notes/n-2`, { method: 'PUT', headers: JSON_TYPE, body: big })).status, 413, 'fetch reads the 413 too');
});

const unsupported: Array<[string, Record<string, string>]> = [
  ['no Content-Type', {}],
  ['text/plain', { 'Content-Type': 'text/plain' }],
  ['a form', { 'Content-Type': 'application/x-www-form-urlencoded' }],
  ['another JSON media type', { 'Content-Type': 'application/merge-patch+json' }],
  ['a charset other than UTF-8', { 'Content-Type': 'application/json; charset=iso-8859-1' }],
  ['a content coding', { 'Content-Type': 'application/json', 'Content-Encoding': 'gzip' }],
];
for (const [what, headers] of unsupported) {
  test(`a body with ${what} is a 415 problem`, async (t) => {
    const app = await startApp(t);
    for (const [method, path] of [['PUT', '/data/notes/n-1'], ['POST', '/data/notes'], ['POST', '/orders']] as const) {
      const res = await send(`${app.url}${path}`, method, headers, '{"productId":"p-1","quantity":1}');
      t.is(res.status, 415, `${method} ${path}`);
      t.is(res.contentType, PROBLEM_TYPE);
      t.like(JSON.parse(res.body), { type: 'urn:assembly:problem:unsupported-media-type', status: 415 });
    }
    t.is((await fetch(`${app.url}/data/notes`)).status, 404, 'nothing was written');
  });
}

test('Content-Type is matched without regard to case, and charset=UTF-8 is UTF-8', async (t) => {
  const app = await startApp(t);
  const res = await send(`${app.url}/data/notes/n-1`, 'PUT', { 'Content-Type': 'Application/JSON; Charset="UTF-8"' }, '{"a":1}');
  t.is(res.status, 201);
});

const badBodies: Array<[string, Buffer | string, string]> = [
  ['an empty body', '', 'invalid-json'],
  ['malformed JSON', '{"a":', 'invalid-json'],
  ['two JSON values', '{} {}', 'invalid-json'],
  ['invalid UTF-8', Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xc3, 0x28, 0x22, 0x7d]), 'invalid-json'],
  ['a JSON array', '[1,2]', 'invalid-request'],
  ['a JSON string', '"text"', 'invalid-request'],
  ['JSON null', 'null', 'invalid-request'],
  ['a number beyond the double range', '{"n":1e999}', 'invalid-request'],
  ['objects nested 65 deep', `{"a":${nested(64)}}`, 'invalid-request'],
  ['arrays nested 200,000 deep', nested(200_000), 'invalid-request'],
];
for (const [what, body, kind] of badBodies) {
  test(`${what} is a 400 problem on every write, not a 500`, async (t) => {
    const app = await startApp(t);
    for (const [method, path] of [['PUT', '/data/notes/n-1'], ['POST', '/data/notes'], ['POST', '/orders']] as const) {
      const res = await send(`${app.url}${path}`, method, JSON_TYPE, body);
      t.is(res.status, 400, `${method} ${path}`);
      t.is(res.contentType, PROBLEM_TYPE);
      t.like(JSON.parse(res.body), { type: `urn:assembly:problem:${kind}`, status: 400 });
    }
  });
}

test('objects nested 64 deep and numbers as large as a double are stored', async (t) => {
  const app = await startApp(t);
  const deep = `{"a":${nested(63)}}`;
  t.is((await send(`${app.url}/data/notes/deep`, 'PUT', JSON_TYPE, deep)).status, 201);
  const big = await send(`${app.url}/data/notes/big`, 'PUT', JSON_TYPE, '{"n":1.7976931348623157e308,"m":-5e-324}');
  t.is(big.status, 201);
  t.deepEqual(JSON.parse(big.body), { id: 'big', n: 1.7976931348623157e308, m: -5e-324 });
});

test('odd but valid JSON objects are stored exactly as parsed', async (t) => {
  const app = await startApp(t);
  const odd = { '': 'empty key', 'ünïcödé': '✓ \u2028', 'lone surrogate': '\ud800', constructor: { prototype: null }, nested: [[{}], null, false, -0, 1e-300] };
  const res = await fetch(`${app.url}/data/notes/n-1`, { method: 'PUT', headers: JSON_TYPE, body: JSON.stringify(odd) });
  t.is(res.status, 201);
  t.deepEqual(await json(await fetch(`${app.url}/data/notes/n-1`)), { id: 'n-1', ...odd, nested: [[{}], null, false, 0, 1e-300] });
});

test('reads ignore a body', async (t) => {
  const app = await startApp(t);
  const res = await send(`${app.url}/data/users/u-1`, 'GET', { 'Content-Type': 'text/plain' }, 'ignored');
  t.is(res.status, 200);
});
