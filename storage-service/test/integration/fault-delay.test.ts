import test from 'ava';
import { FaultInjector } from '../../src/faults.ts';
import { startApp } from '../helpers.ts';

// In the integration suite: the injected delay is real time, and the assertion is a client's deadline.

test('delayMs makes /data slow: a client that waits less gives up, health is not delayed', async (t) => {
  const app = await startApp(t, { faults: new FaultInjector() });
  await fetch(`${app.url}/faults`, { method: 'PUT', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ delayMs: 3000 }) });
  await t.throwsAsync(fetch(`${app.url}/data`, { signal: AbortSignal.timeout(300) }), { name: 'TimeoutError' });
  t.is((await fetch(`${app.url}/healthz`, { signal: AbortSignal.timeout(2000) })).status, 200);
  await fetch(`${app.url}/faults`, { method: 'DELETE' });
  t.is((await fetch(`${app.url}/data`, { signal: AbortSignal.timeout(2000) })).status, 200);
});
