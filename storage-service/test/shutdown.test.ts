import { request } from 'node:http';
import test from 'ava';
import { startServerProcess } from './helpers.ts';

test('npm start serves the shipped data on the configured port', async (t) => {
  const server = await startServerProcess({});
  t.teardown(() => server.kill('SIGKILL'));
  const res = await fetch(`${server.url}/data/products/p-1001`);
  t.is(res.status, 200);
  t.like(await res.json(), { id: 'p-1001' });
});

test('SIGTERM lets a request in flight finish, closes keep-alive connections and exits 0', async (t) => {
  const server = await startServerProcess({ FAULTS_ENABLED: 'true' });
  t.teardown(() => server.kill('SIGKILL'));
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
  // The request must have reached the server (it is waiting out the injected delay) before the signal.
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

test('SIGINT with an idle keep-alive connection open exits 0 without waiting for it', async (t) => {
  const server = await startServerProcess({});
  t.teardown(() => server.kill('SIGKILL'));
  t.is((await fetch(`${server.url}/healthz`)).status, 200);
  server.kill('SIGINT');
  const { code } = await server.exit;
  t.is(code, 0);
});
