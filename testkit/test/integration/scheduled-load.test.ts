import test from 'ava';
import { runScheduledLoad } from 'testkit/scheduled-load';
import { serve } from 'testkit/serve';

test('an aborted signal stops sending: the requests sent get their outcome, no more are sent', async (t) => {
  const { url, close } = await serve((_req, res) => res.end('ok'));
  t.teardown(close);
  const stop = new AbortController();
  setTimeout(() => stop.abort(), 300);
  const started = performance.now();
  const result = await runScheduledLoad({ url, rate: 100, durationMs: 60_000, timeoutMs: 2000, signal: stop.signal });
  t.true(performance.now() - started < 5000, 'it did not run its 60 s');
  t.true(result.sent > 0 && result.sent < 200, `${result.sent} sent`);
  t.is(result.succeeded, result.sent);
});
