import test from 'ava';
import { startServerProcess } from './helpers.ts';

test('npm start seeds a new store from the shipped data and serves it', async (t) => {
  const server = await startServerProcess(t);
  const res = await fetch(`${server.url}/data/products/p-1001`);
  t.is(res.status, 200);
  t.like(await res.json(), { id: 'p-1001' });
});

test('SIGINT with an idle keep-alive connection open exits 0 without waiting for it', async (t) => {
  const server = await startServerProcess(t);
  t.is((await fetch(`${server.url}/healthz`)).status, 200);
  server.kill('SIGINT');
  const { code } = await server.exit;
  t.is(code, 0);
});
