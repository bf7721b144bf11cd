import { randomUUID } from 'node:crypto';
import { connect as http2Connect } from 'node:http2';
import test from 'ava';
import { Assembly } from './helpers/assembly.ts';
import { developmentCa, handshake, httpsRequest, type TlsTarget } from './helpers/tls.ts';

// HTTPS at the gateway with the development settings (.env.dev: TLS_MODE=development): the certificate
// tls-setup makes for localhost, 127.0.0.1 and ::1, trusted through its ca.pem as the README says; the
// same routes as plain HTTP, which keeps serving.

let assembly: Assembly;
let localhost: TlsTarget;
let byAddress: TlsTarget;

test.before(async (t) => {
  assembly = await Assembly.start(t, 'https-dev');
  const ca = await developmentCa(assembly.stack);
  localhost = { port: assembly.stack.httpsPort, servername: 'localhost', ca };
  byAddress = { port: assembly.stack.httpsPort, ca };
});

test.after.always(async (t) => {
  await assembly?.stop(t);
});

test('HTTPS serves the storage API, by name and by address, with a certificate the development CA signed', async (t) => {
  for (const target of [localhost, byAddress]) {
    const answer = await httpsRequest(target, '/storagesvc/data');
    t.is(answer.status, 200);
    t.deepEqual(JSON.parse(answer.text).partitions, ['products', 'users', 'purchases']);
    // Development: no HSTS, or a browser would insist on HTTPS for localhost for a year.
    t.is(answer.headers['strict-transport-security'], undefined);
  }
  const { certificate } = await handshake(byAddress);
  t.regex(certificate?.subjectAltName ?? '', /DNS:localhost, IP Address:127\.0\.0\.1/);
});

test('HTTPS serves the status page and the write path; plain HTTP still serves the same data', async (t) => {
  const root = await httpsRequest(localhost, '/');
  t.is(root.status, 302);
  t.is(root.headers.location, `https://localhost:${localhost.port}/statussvc/`);
  const page = await httpsRequest(localhost, '/statussvc/');
  t.is(page.status, 200);
  t.regex(String(page.headers['content-type']), /^text\/html/);

  const item = { name: 'over TLS', quantity: 5 };
  const put = await httpsRequest(localhost, '/storagesvc/data/products/tls-1', { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(item) });
  t.is(put.status, 201);
  const order = await httpsRequest(localhost, '/storagesvc/orders', {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'idempotency-key': randomUUID() },
    body: JSON.stringify({ productId: 'tls-1', quantity: 2 }),
  });
  t.is(order.status, 201, order.text);
  t.is(JSON.parse(order.text).remaining, 3);
  const overHttp = await assembly.get('/storagesvc/data/products/tls-1');
  t.is(overHttp.status, 200);
  t.is(JSON.parse(overHttp.text).quantity, 3);
});

test('ALPN offers h2 and http/1.1: HTTP/2 is negotiated and serves the same routes', async (t) => {
  t.is((await handshake(localhost, { ALPNProtocols: ['h2', 'http/1.1'] })).alpnProtocol, 'h2');
  t.is((await handshake(localhost, { ALPNProtocols: ['http/1.1'] })).alpnProtocol, 'http/1.1');

  const session = http2Connect(`https://localhost:${localhost.port}`, { ca: localhost.ca });
  t.teardown(() => session.close());
  const { status, body } = await new Promise<{ status: number; body: string }>((resolve, reject) => {
    const stream = session.request({ ':path': '/storagesvc/data/users/u-2001' });
    let body = '';
    let status = 0;
    stream.setEncoding('utf8');
    stream.on('response', (headers) => (status = Number(headers[':status'])));
    stream.on('data', (chunk: string) => (body += chunk));
    stream.on('end', () => resolve({ status, body }));
    stream.on('error', reject);
  });
  t.is(status, 200);
  t.is(JSON.parse(body).id, 'u-2001');
});

test('TLS 1.1 is refused; TLS 1.2 and 1.3 are accepted', async (t) => {
  // SECLEVEL=0: this client would offer TLS 1.1 by itself; the refusal must be the gateway's.
  const legacy = { minVersion: 'TLSv1.1', maxVersion: 'TLSv1.1', ciphers: 'DEFAULT@SECLEVEL=0' } as const;
  const refused = await t.throwsAsync(handshake(localhost, legacy));
  t.regex(refused?.message ?? '', /protocol version/);
  t.is((await handshake(localhost, { minVersion: 'TLSv1.2', maxVersion: 'TLSv1.2' })).protocol, 'TLSv1.2');
  t.is((await handshake(localhost)).protocol, 'TLSv1.3');
});
