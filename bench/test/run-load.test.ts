import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import test from 'ava';
import type { ServerProcess } from 'testkit/processes';
import { TargetError } from '../src/discovery.ts';
import { runLoad } from '../src/run-load.ts';
import { NO_REPLICA } from '../src/summary.ts';
import { directOptions, freePort, startReplica } from './helpers.ts';

const REPLICA_ID = 'bench-replica';
let replica: ServerProcess;

test.before(async () => {
  replica = await startReplica(REPLICA_ID);
});

test.after.always(() => replica?.kill('SIGTERM'));

for (const workload of ['read', 'mixed'] as const) {
  test(`${workload}: 200 requests over 5 connections, all answered 2xx by the one replica`, async (t) => {
    const summary = await runLoad(directOptions(replica.url, { workload, amount: 200, connections: 5 }));
    t.like(summary, {
      target: replica.url,
      workload,
      connections: 5,
      amount: 200,
      durationSeconds: null,
      requests: { total: 200, ok: 200 },
      errors: { total: 0, byStatus: {}, timeouts: 0, resets: 0, other: 0 },
    });
    t.deepEqual(summary.byReplica, { [REPLICA_ID]: 200 });
    t.true(summary.requests.perSecond > 0);
    t.true(summary.latencyMs.max! >= summary.latencyMs.p50!);
  });
}

test('status on a storage replica: the discovery path answers 404, refused before any load', async (t) => {
  const error = await t.throwsAsync(runLoad(directOptions(replica.url, { workload: 'status', amount: 10 })), { instanceOf: TargetError });
  t.is(error?.message, `GET ${replica.url}/status answered 404 Not Found; check --url and --prefix`);
});

test('an unreachable target is refused before any load, naming what was tried', async (t) => {
  const url = `http://127.0.0.1:${await freePort()}`;
  const error = await t.throwsAsync(runLoad(directOptions(url, { amount: 10 })), { instanceOf: TargetError });
  t.is(error?.message, `cannot reach the target: GET ${url}/data failed: ECONNREFUSED; is it running? (--url, --prefix)`);
});

/**
 * A stand-in target that lists one item and then fails every item read in the given way, for the
 * error kinds a healthy replica never shows.
 */
async function failingTarget(failure: 'http-503' | 'reset' | 'no-answer') {
  const server = createServer((req, res) => {
    if (req.url === '/data') return res.end('{"partitions":["a"]}');
    if (req.url === '/data/a') return res.end('{"ids":["x"]}');
    if (failure === 'reset') return req.socket.resetAndDestroy();
    if (failure === 'no-answer') return;
    res.writeHead(503, { 'Content-Type': 'application/problem+json' }).end('{}');
  }).listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => {
      server.closeAllConnections();
      server.close();
    },
  };
}

// One request per connection: a timeout costs a whole second (autocannon's shortest), once.
const failures = [
  ['http-503', { byStatus: { '503': 2 }, timeouts: 0, resets: 0, other: 0 }, { [NO_REPLICA]: 2 }],
  ['reset', { byStatus: {}, timeouts: 0, resets: 2, other: 0 }, {}],
  ['no-answer', { byStatus: {}, timeouts: 2, resets: 0, other: 0 }, {}],
] as const;
for (const [failure, errors, byReplica] of failures) {
  test(`errors by kind: ${failure}`, async (t) => {
    const target = await failingTarget(failure);
    t.teardown(target.close);
    const summary = await runLoad(directOptions(target.url, { amount: 2, connections: 2, timeoutSeconds: 1 }));
    t.like(summary.requests, { total: 2, ok: 0 });
    t.deepEqual(summary.errors, { total: 2, ...errors });
    t.deepEqual(summary.byReplica, byReplica);
  });
}
