import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import test, { type ExecutionContext } from 'ava';
import { credentials, loadPackageDefinition, Metadata, status, type Client, type ServiceError } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { DESCRIPTOR_SET, loadStorageProto, PROTO_ROOT, STORAGE_PROTO, startGrpcServer } from '../src/grpc/grpc-server.ts';
import { FaultInjector } from '../src/faults.ts';
import { StoreUnavailable } from '../src/store/errors.ts';
import type { Store } from '../src/store/store.ts';
import { captureLogs, json, openTestStore, startApp, withJson } from './helpers.ts';

interface Answer {
  error: ServiceError | null;
  response: any;
  /** The response's initial metadata (headers); on an error, its trailers. */
  metadata: Metadata | undefined;
}

type Call = (method: string, request: object, metadata?: Record<string, string>) => Promise<Answer>;

/** A client's unary call as one promise: the answer or the error, and the metadata that came with it. */
function caller(client: Client): Call {
  return (method, request, sent = {}) =>
    new Promise((resolve) => {
      const metadata = new Metadata();
      for (const [key, value] of Object.entries(sent)) metadata.set(key, value);
      let headers: Metadata | undefined;
      const call = (client as unknown as Record<string, Function>)[method]!.call(client, request, metadata, (error: ServiceError | null, response: unknown) =>
        resolve({ error, response, metadata: error ? error.metadata : headers }),
      );
      call.on('metadata', (received: Metadata) => (headers = received));
    });
}

/** StorageService on an ephemeral port over `store` (a test store of sampleData unless given), and a client of it. */
async function startGrpc(t: ExecutionContext, { store, ready = async () => true, faults }: { store?: Store; ready?: () => Promise<boolean>; faults?: FaultInjector } = {}) {
  const served = store ?? (await openTestStore(t)).store;
  const server = await startGrpcServer({ store: served, replicaId: 'replica-test', logger: captureLogs().logger, port: 0, ready, faults, healthIntervalMs: 20 });
  t.teardown(() => server.close());
  const loaded = loadPackageDefinition(loadStorageProto()) as any;
  const client: Client = new loaded.assembly.storage.v1.StorageService(`127.0.0.1:${server.port}`, credentials.createInsecure());
  t.teardown(() => client.close());
  return { call: caller(client), store: served, port: server.port, client };
}

/** grpc.health.v1.Health of the server on `port`. */
function healthCaller(t: ExecutionContext, port: number): Call {
  const require = createRequire(import.meta.url);
  const healthProto = loadPackageDefinition(loadSync(require('grpc-health-check').protoPath as string, { enums: String })) as any;
  const health: Client = new healthProto.grpc.health.v1.Health(`127.0.0.1:${port}`, credentials.createInsecure());
  t.teardown(() => health.close());
  return caller(health);
}

const failed = (answer: Answer, code: status, details?: RegExp) => {
  if (!answer.error) throw new Error(`expected ${status[code]}, got ${JSON.stringify(answer.response)}`);
  return answer.error.code === code && (!details || details.test(answer.error.details));
};

test('GetItem answers the stored object as a Struct with its etag, the same as HTTP; every answer names the replica', async (t) => {
  const { call, store } = await startGrpc(t);
  const app = await startApp(t, { store });
  const answer = await call('GetItem', { partitionKey: 'products', id: 'p-1' });
  t.is(answer.error, null);
  const overHttp = await fetch(`${app.url}/data/products/p-1`);
  t.is(answer.response.etag, overHttp.headers.get('etag'));
  t.deepEqual(answer.response.item.fields.name, { stringValue: 'Kettle', kind: 'stringValue' });
  t.deepEqual(answer.metadata?.get('x-replica-id'), ['replica-test']);
  const missing = await call('GetItem', { partitionKey: 'products', id: 'p-404' });
  t.true(failed(missing, status.NOT_FOUND, /^Partition "products" has no item "p-404"\.$/));
  t.deepEqual(missing.metadata?.get('x-replica-id'), ['replica-test']);
});

test('a write over gRPC is read over HTTP and back: PutItem, its expected etag, DeleteItem', async (t) => {
  const { call, store } = await startGrpc(t);
  const app = await startApp(t, { store });
  const item = { fields: { name: { stringValue: 'Lamp' }, watts: { numberValue: 40 }, tags: { listValue: { values: [{ stringValue: 'a' }, { nullValue: 'NULL_VALUE' }] } } } };
  const created = await call('PutItem', { partitionKey: 'lights', id: 'l-1', item });
  t.is(created.error, null);
  t.true(created.response.created);
  const overHttp = await fetch(`${app.url}/data/lights/l-1`);
  t.deepEqual(await json(overHttp), { id: 'l-1', name: 'Lamp', watts: 40, tags: ['a', null] });
  t.is(overHttp.headers.get('etag'), created.response.etag);

  await fetch(`${app.url}/data/lights/l-1`, withJson('PUT', { name: 'Lamp', watts: 60 }));
  const stale = await call('PutItem', { partitionKey: 'lights', id: 'l-1', item, expectedEtag: created.response.etag });
  t.true(failed(stale, status.FAILED_PRECONDITION, /has another etag than expected_etag/));
  const current = (await call('GetItem', { partitionKey: 'lights', id: 'l-1' })).response.etag;
  const replaced = await call('PutItem', { partitionKey: 'lights', id: 'l-1', item, expectedEtag: current });
  t.false(replaced.response.created);
  t.is((await call('DeleteItem', { partitionKey: 'lights', id: 'l-1', expectedEtag: replaced.response.etag })).error, null);
  t.is((await fetch(`${app.url}/data/lights`)).status, 404);
});

test('PlaceOrder takes stock once per idempotency key, across HTTP and gRPC; out of stock and bad quantities are refused', async (t) => {
  const { call, store } = await startGrpc(t);
  const app = await startApp(t, { store });
  const placed = await call('PlaceOrder', { productId: 'p-1', quantity: 1 }, { 'idempotency-key': 'order-1' });
  t.is(placed.error, null);
  t.like(placed.response, { orderId: 1, productId: 'p-1', quantity: 1, remaining: 3, idempotencyKey: 'order-1' });
  t.true(Math.abs(placed.response.createdAt.seconds * 1000 - Date.now()) < 60_000);
  t.deepEqual(placed.metadata?.get('idempotent-replayed'), []);

  const again = await call('PlaceOrder', { productId: 'p-1', quantity: 1 }, { 'idempotency-key': 'order-1' });
  t.deepEqual(again.response, placed.response);
  t.deepEqual(again.metadata?.get('idempotent-replayed'), ['true']);
  // The same key and order over HTTP is the same request: its answer, nothing taken.
  const overHttp = await fetch(`${app.url}/orders`, withJson('POST', { productId: 'p-1', quantity: 1 }, { 'Idempotency-Key': 'order-1' }));
  t.is(overHttp.headers.get('idempotent-replayed'), 'true');
  t.like(await json(overHttp), { orderId: 1 });
  t.true(failed(await call('PlaceOrder', { productId: 'p-1', quantity: 2 }, { 'idempotency-key': 'order-1' }), status.INVALID_ARGUMENT, /already used for a request with other content/));

  t.true(failed(await call('PlaceOrder', { productId: 'p-1', quantity: 10 }), status.FAILED_PRECONDITION, /^Product "p-1" has 3 in stock; 10 were ordered\. Nothing was taken\.$/));
  t.true(failed(await call('PlaceOrder', { productId: 'p-1', quantity: 0 }), status.INVALID_ARGUMENT, /quantity must be an integer of at least 1/));
  t.true(failed(await call('PlaceOrder', { productId: 'p-404', quantity: 1 }), status.NOT_FOUND));
  t.true(failed(await call('PlaceOrder', { productId: 'p-1', quantity: 1 }, { 'idempotency-key': 'k'.repeat(256) }), status.INVALID_ARGUMENT, /Idempotency-Key must be 1 to 255 printable ASCII/));
  t.like((await call('GetOrder', { orderId: 1 })).response, { orderId: 1, remaining: 3 });
  t.true(failed(await call('GetOrder', { orderId: 99 }), status.NOT_FOUND, /^There is no order 99\.$/));
  t.deepEqual((await call('ListOrders', {})).response.orders.map((o: { orderId: number }) => o.orderId), [1]);
});

test('AppendItem with a key appends once; listings page as over HTTP', async (t) => {
  const { call } = await startGrpc(t);
  const item = { fields: { text: { stringValue: 'hello' } } };
  const first = await call('AppendItem', { partitionKey: 'messages', item }, { 'idempotency-key': 'm-1' });
  const second = await call('AppendItem', { partitionKey: 'messages', item }, { 'idempotency-key': 'm-1' });
  t.is(first.error, null);
  t.is(second.response.id, first.response.id);
  t.deepEqual(second.metadata?.get('idempotent-replayed'), ['true']);
  t.true(failed(await call('AppendItem', { partitionKey: 'messages', item: { fields: { id: { stringValue: 'x' } } } }), status.INVALID_ARGUMENT, /the service assigns the id/));

  t.true((await call('ListPartitions', {})).response.partitions.includes('messages'));
  const page = await call('ListItems', { partitionKey: 'products', limit: 1 });
  t.deepEqual(page.response, { partition: 'products', ids: ['p-1'], next: 'p-1' });
  const rest = await call('ListItems', { partitionKey: 'products', after: page.response.next });
  t.is(rest.response.next, '');
  t.true(failed(await call('ListItems', { partitionKey: 'products', limit: 5000 }), status.INVALID_ARGUMENT, /limit must be an integer from 1 to 1000/));
  t.true(failed(await call('ListItems', { partitionKey: '../etc' }), status.INVALID_ARGUMENT, /partitionKey must be letters/));
  t.true(failed(await call('ListItems', { partitionKey: 'nothing-here' }), status.NOT_FOUND));
});

test('a store that cannot serve is UNAVAILABLE, never UNKNOWN; the health service follows readiness', async (t) => {
  let ready = true;
  const unavailable = { item: async () => Promise.reject(new StoreUnavailable('the database does not answer')) } as unknown as Store;
  const { call, port } = await startGrpc(t, { store: unavailable, ready: async () => ready });
  t.true(failed(await call('GetItem', { partitionKey: 'products', id: 'p-1' }), status.UNAVAILABLE, /retry it with the same idempotency key/));

  const check = healthCaller(t, port);
  t.is((await check('Check', { service: 'assembly.storage.v1.StorageService' })).response.status, 'SERVING');
  ready = false;
  await new Promise((resolve) => setTimeout(resolve, 100));
  t.is((await check('Check', { service: '' })).response.status, 'NOT_SERVING');
});

test('injected faults slow and fail StorageService calls, never the health service: a deadline ends the call at the deadline', async (t) => {
  const faults = new FaultInjector();
  const { call, port, client } = await startGrpc(t, { faults });
  faults.set({ delayMs: 1_000, failRate: 0, unhealthy: false });
  const storage = client as any;
  const started = performance.now();
  const late = await new Promise<ServiceError | null>((resolve) =>
    storage.GetItem({ partitionKey: 'products', id: 'p-1' }, new Metadata(), { deadline: Date.now() + 200 }, (error: ServiceError | null) => resolve(error)),
  );
  const waited = performance.now() - started;
  t.is(late?.code, status.DEADLINE_EXCEEDED);
  t.true(waited >= 190 && waited < 600, `DEADLINE_EXCEEDED after ${Math.round(waited)} ms, for a 200 ms deadline`);
  t.is((await healthCaller(t, port)('Check', { service: '' })).response.status, 'SERVING', 'the health service is not delayed');

  faults.set({ delayMs: 0, failRate: 1, unhealthy: false });
  t.true(failed(await call('GetItem', { partitionKey: 'products', id: 'p-1' }), status.INTERNAL, /^Replica replica-test failed this request on purpose \(fault injection, failRate 1\)\.$/));
  faults.clear();
  t.is((await call('GetItem', { partitionKey: 'products', id: 'p-1' })).error, null);
});

test('proto/storage.binpb, what reflection serves, is built from the proto as it is now (npm run proto)', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'proto-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const buf = fileURLToPath(new URL('../../node_modules/.bin/buf', import.meta.url));
  await promisify(execFile)(buf, ['build', '--as-file-descriptor-set', '-o', join(dir, 'storage.binpb'), STORAGE_PROTO], { cwd: PROTO_ROOT });
  t.true((await readFile(join(dir, 'storage.binpb'))).equals(await readFile(DESCRIPTOR_SET)), 'run npm run proto and commit proto/storage.binpb');
});
