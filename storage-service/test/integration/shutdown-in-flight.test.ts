import { request } from 'node:http';
import test from 'ava';
import { startServerProcess } from '../helpers.ts';

// In the integration suite: the request is kept in flight by a real 1.5 s delay, and the signal is sent
// after a head start long enough for the request to have reached the server.

test('SIGTERM lets a request in flight finish, closes keep-alive connections and exits 0', async (t) => {
  const server = await startServerProcess(t, { FAULTS_ENABLED: 'true' });
  await fetch(`${server.url}/faults`, {
    method: 'PUT',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ delayMs: 1500 }),
  });

  const inFlight = new Promise<{ status: number; body: string; connection: string | undefined }>((resolve, reject) => {
    const req = request(`${server.url}/data/users`, { agent: false, headers: { Connection: 'keep-alive' } }, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, connection: res.headers.connection }));
    });
    req.on('error', reject);
    req.end();
  });
  await new Promise((resolve) => setTimeout(resolve, 300));
  server.kill('SIGTERM');

  const answer = await inFlight;
  t.is(answer.status, 200);
  t.like(JSON.parse(answer.body), { partition: 'users' });
  t.is(answer.connection, 'close');
  const { code } = await server.exit;
  t.is(code, 0);
  await t.throwsAsync(fetch(`${server.url}/healthz`), undefined, 'no longer accepting connections');
});

test('with SHUTDOWN_DRAIN_MS, SIGTERM first drains: /healthz answers 503 and new requests are served until the time is up, then it exits 0', async (t) => {
  const server = await startServerProcess(t, { SHUTDOWN_DRAIN_MS: '1500' });
  const signalled = performance.now();
  server.kill('SIGTERM');
  await new Promise((resolve) => setTimeout(resolve, 300));
  const health = await fetch(`${server.url}/healthz`);
  t.is(health.status, 503);
  t.like(await health.json(), { status: 'draining' });
  t.is((await fetch(`${server.url}/data/users`)).status, 200, 'a new request while draining is served');
  const { code } = await server.exit;
  t.is(code, 0);
  t.true(performance.now() - signalled >= 1500, 'not before the drain time');
});
