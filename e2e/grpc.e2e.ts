import { execFile, execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import test from 'ava';
import { status } from '@grpc/grpc-js';
import { docker, ROOT } from 'testkit/compose-stack';
import { StorageClient } from 'testkit/grpc-client';
import { runGrpcLoad } from 'testkit/grpc-load';
import { within } from 'testkit/poll';
import { Assembly, replicaId, scenarioReport, setFaults } from './helpers/assembly.ts';
import { ms } from './helpers/report.ts';
import { developmentCa } from './helpers/tls.ts';

// gRPC through the gateway, with .env.dev settings: the StorageService on the gateway's public port as
// h2c (as `grpcurl -plaintext` sends it) and over TLS on the HTTPS port, balanced over the 3 replicas,
// retried by the gateway's rules, and what a client sees when a replica is killed, slow, or every one
// is gone. grpcurl (built by .ci/grpcurl.sh, or GRPCURL_BIN) is the independent client; the load client
// (testkit/grpc-load, npm run loadtest -- --transport grpc) drives the load.

const exec = promisify(execFile);
/** traefik/dynamic/storage.yml: a replica that sends no response headers within this is abandoned. */
const RESPONSE_HEADER_TIMEOUT_MS = 1000;

let assembly: Assembly;
let grpcurlBin: string;
let gateway: string;
let client: StorageClient;

test.before(async (t) => {
  grpcurlBin = process.env.GRPCURL_BIN ?? execFileSync('bash', ['.ci/grpcurl.sh'], { cwd: ROOT, encoding: 'utf8' }).trim();
  // No rate limit to speak of: the load here is one client at a few hundred calls a second, and a 429
  // (which a gRPC client sees as UNAVAILABLE, and retries) would hide what the scenarios look at.
  assembly = await Assembly.start(t, 'grpc', { GATEWAY_RATE_AVERAGE: '100000', GATEWAY_RATE_BURST: '100000' });
  gateway = `127.0.0.1:${new URL(assembly.stack.baseUrl).port}`;
  client = new StorageClient(gateway);
});

test.after.always(async (t) => {
  client?.close();
  await assembly?.stop(t);
});

async function grpcurl(...args: string[]): Promise<string> {
  const { stdout } = await exec(grpcurlBin, args, { timeout: 30_000 });
  return stdout.trim();
}

/** Every storage replica answers gRPC through the gateway (a handful of calls sees every one). */
async function allAnswerGrpc(): Promise<Set<string> | undefined> {
  const seen = new Set<string>();
  for (let i = 0; i < 9; i++) {
    const answer = await client.call('GetItem', { partitionKey: 'products', id: 'p-1001' }, { deadlineMs: 2000 });
    if (answer.code === status.OK && answer.replica) seen.add(answer.replica);
  }
  return seen.size === 3 ? seen : undefined;
}

test.serial('grpcurl through the gateway: reflection lists StorageService on the plain port and over TLS; a call answers as HTTP does, round robin', async (t) => {
  t.is(await grpcurl('-plaintext', gateway, 'list'), 'assembly.storage.v1.StorageService');
  const ca = await developmentCa(assembly.stack);
  const caFile = join(await mkdtemp(join(tmpdir(), 'grpc-e2e-')), 'ca.pem');
  await writeFile(caFile, ca);
  t.is(await grpcurl('-cacert', caFile, `localhost:${assembly.stack.httpsPort}`, 'list'), 'assembly.storage.v1.StorageService');

  const overGrpc = JSON.parse(await grpcurl('-plaintext', '-d', '{"partition_key":"products","id":"p-1001"}', gateway, 'assembly.storage.v1.StorageService/GetItem'));
  const overHttp = await assembly.get('/storagesvc/data/products/p-1001');
  t.is(overGrpc.etag, overHttp.headers.get('etag'));
  t.deepEqual(overGrpc.item, JSON.parse(overHttp.text));
  const { value: replicas } = await within('every replica answering gRPC through the gateway', 30_000, allAnswerGrpc);
  t.is(replicas.size, 3);
});

test.serial('a replica killed under gRPC load (store workload): 0 failed calls, nothing lost, duplicated or oversold', async (t) => {
  const [victim] = await assembly.stack.storageReplicas();
  if (!victim) throw new Error('no replica');
  const load = runGrpcLoad({ workload: 'store', address: gateway, tls: false, concurrency: 10, durationSeconds: 8, amount: null, deadlineMs: 2000, p: 0.5 });
  await sleep(3000);
  await docker('kill', victim.id);
  const summary = await load;
  await docker('start', victim.id);
  await assembly.ready(30_000);
  t.log(scenarioReport('gRPC: store workload (10 calls in flight, 8 s), one replica killed after 3 s', {
    calls: `${summary.calls} (${summary.callsPerSecond}/s)`,
    codes: JSON.stringify(summary.codes),
    failed: String(summary.failed),
    retries: String(summary.retries),
    'orders placed': String(summary.writes?.placed),
    latency: `p50 ${summary.latencyMs.p50} ms, p99 ${summary.latencyMs.p99} ms, max ${summary.latencyMs.max} ms`,
    consistency: `lost ${summary.writes?.check.lost}, duplicated ${summary.writes?.check.duplicated}, oversold ${summary.writes?.check.oversold}`,
  }));
  t.is(summary.failed, 0, JSON.stringify(summary.details));
  t.true(summary.writes!.placed > 0);
  t.true(summary.writes!.check.ok, summary.writes!.check.problems.join('; '));
  t.true(summary.byReplica[replicaId(victim)]! > 0, 'the victim served calls before the kill');
});

test.serial('a keyed PlaceOrder replayed after the replica that placed it was killed: the same order, placed once', async (t) => {
  const key = randomUUID();
  const productId = `grpc-replay-${Date.now()}`;
  const stocked = await client.call('PutItem', { partitionKey: 'products', id: productId, item: { fields: { quantity: { numberValue: 5 } } } }, { deadlineMs: 2000 });
  t.is(stocked.codeName, 'OK', stocked.details);
  const first = await client.call('PlaceOrder', { productId, quantity: 1 }, { key, deadlineMs: 2000 });
  t.is(first.codeName, 'OK', first.details);
  const placer = (await assembly.stack.storageReplicas()).find((r) => replicaId(r) === first.replica);
  if (!placer) throw new Error(`no replica ${first.replica}`);
  await docker('kill', placer.id);
  const again = await client.call('PlaceOrder', { productId, quantity: 1 }, { key, deadlineMs: 2000 });
  await docker('start', placer.id);
  await assembly.ready(30_000);
  t.is(again.codeName, 'OK', again.details);
  t.true(again.replayed);
  t.not(again.replica, first.replica);
  t.deepEqual(again.response, first.response);
  const after = await client.call('GetItem', { partitionKey: 'products', id: productId }, { deadlineMs: 2000 });
  t.is(after.response.item.fields.quantity.numberValue, 4);
  const log = await client.call('ListOrders', { after: first.response.orderId - 1, limit: 1000 }, { deadlineMs: 2000 });
  t.is(log.response.orders.filter((o: { idempotencyKey: string }) => o.idempotencyKey === key).length, 1);
});

test.serial('a slow replica: a call on it ends at its deadline (DEADLINE_EXCEEDED), a keyed one is retried on another, an unkeyed one is not', async (t) => {
  const [, slow] = await assembly.stack.storageReplicas();
  if (!slow) throw new Error('no replica');
  const [delay] = await setFaults([slow], { delayMs: 3000 });
  t.is(delay?.status, 200, delay?.body);
  const deadlineMs = 300;
  let reads;
  const writes: Record<'keyed' | 'unkeyed', Record<string, number>> = { keyed: {}, unkeyed: {} };
  let keyedRetried = 0;
  try {
    // 4 s: the load client's own reads before the load (its catalogue) may meet the slow replica, which the
    // passive health check then takes out for up to a second.
    reads = await runGrpcLoad({ workload: 'read', address: gateway, tls: false, concurrency: 3, durationSeconds: 4, amount: null, deadlineMs, p: 0.5 });
    for (const kind of ['unkeyed', 'keyed'] as const) {
      // The passive health check took the slow replica out after its first timeout; the active one
      // (every second) puts it back, since its health is not delayed.
      await sleep(2000);
      for (let i = 0; i < 9; i++) {
        const answer = await client.call('AppendItem', { partitionKey: `grpc-slow-${kind}`, item: { fields: { n: { numberValue: i } } } }, { deadlineMs: 5000, ...(kind === 'keyed' ? { key: randomUUID() } : {}) });
        writes[kind][answer.codeName] = (writes[kind][answer.codeName] ?? 0) + 1;
        if (kind === 'keyed' && answer.code === status.OK && answer.ms >= RESPONSE_HEADER_TIMEOUT_MS) keyedRetried++;
      }
    }
  } finally {
    await setFaults([slow]);
  }
  const late = reads.codes.DEADLINE_EXCEEDED ?? 0;
  t.log(scenarioReport(`gRPC: one replica delays every call by 3000 ms; GetItem for 4 s with a ${deadlineMs} ms deadline, then AppendItem`, {
    'GetItem codes': JSON.stringify(reads.codes),
    'GetItem latency': `p50 ${reads.latencyMs.p50} ms, max ${reads.latencyMs.max} ms`,
    'unkeyed AppendItem': JSON.stringify(writes.unkeyed),
    'keyed AppendItem': `${JSON.stringify(writes.keyed)}, ${keyedRetried} of them after a first attempt on the slow replica`,
  }));
  t.true(late >= 1, `some call reached the slow replica: ${JSON.stringify(reads.codes)}`);
  t.is((reads.codes.OK ?? 0) + late, reads.calls);
  // Each call that reached the slow replica ended at its deadline, not at the replica's 3 s.
  t.true(reads.latencyMs.max! < deadlineMs + 150, `the slowest call took ${reads.latencyMs.max} ms`);
  t.deepEqual(writes.keyed, { OK: 9 });
  t.true(keyedRetried >= 1, 'some keyed AppendItem reached the slow replica first');
  t.true((writes.unkeyed.UNAVAILABLE ?? 0) >= 1, `an unkeyed AppendItem that reached the slow replica is not retried: ${JSON.stringify(writes.unkeyed)}`);
});

test.serial('every replica stopped: a call is UNAVAILABLE within 1 s, not a hang; started again, calls succeed', async (t) => {
  await assembly.stack.compose(['stop', '--timeout', '1', 'storage']);
  const outcomes = [];
  try {
    for (let i = 0; i < 5; i++) outcomes.push(await client.call('GetItem', { partitionKey: 'products', id: 'p-1001' }, { deadlineMs: 10_000 }));
  } finally {
    await assembly.stack.compose(['start', 'storage']);
  }
  t.log(scenarioReport('gRPC: every storage replica stopped', {
    codes: outcomes.map((o) => o.codeName).join(', '),
    'slowest answer': ms(Math.max(...outcomes.map((o) => o.ms))),
  }));
  for (const outcome of outcomes) {
    t.is(outcome.codeName, 'UNAVAILABLE');
    t.true(outcome.ms < 1000, `answered after ${Math.round(outcome.ms)} ms`);
  }
  await assembly.ready(60_000);
  await within('every replica answering gRPC again', 30_000, allAnswerGrpc);
  t.pass();
});
