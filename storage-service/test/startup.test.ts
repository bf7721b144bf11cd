import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { freePort } from 'testkit/processes';
import { parseSamples, sampleValue } from 'testkit/prometheus-text';
import { DEFAULT_DATA_FILE, DEFAULT_STORE_PATH, loadConfig } from '../src/config.ts';
import { loadDataFile } from '../src/data-file.ts';
import { runUntilExit, startServerProcess, tempStorePath } from './helpers.ts';

test('defaults: port 3000, metrics on 9464, gRPC on 50051, production, shipped data, store in var/, 1 MiB bodies, keys kept a day, info logs, replica = hostname, no faults', (t) => {
  const config = loadConfig({});
  t.like(config, {
    port: 3000,
    metricsPort: 9464,
    grpcPort: 50051,
    appEnv: 'production',
    dataFile: DEFAULT_DATA_FILE,
    storePath: DEFAULT_STORE_PATH,
    storeUrl: undefined,
    storePoolSize: 5,
    bodyLimitBytes: 1_048_576,
    idempotencyTtlSeconds: 86_400,
    logLevel: 'info',
    faultsEnabled: false,
  });
  t.regex(DEFAULT_STORE_PATH, /storage-service\/var\/storage\.sqlite$/);
  t.truthy(config.replicaId);
});

test('every variable is read and converted', (t) => {
  t.deepEqual(
    loadConfig({
      PORT: '8080',
      METRICS_PORT: '9100',
      GRPC_PORT: '50052',
      APP_ENV: 'development',
      DATA_FILE: '/tmp/data.json',
      STORE_PATH: '/var/lib/storage/storage.sqlite',
      STORE_URL: 'postgres://assembly:secret@postgres:5432/assembly',
      STORE_POOL_SIZE: '8',
      BODY_LIMIT_BYTES: '4096',
      IDEMPOTENCY_TTL_SECONDS: '60',
      LOG_LEVEL: 'debug',
      REPLICA_ID: 'storage-2',
      SHUTDOWN_DRAIN_MS: '5000',
      FAULTS_ENABLED: 'true',
    }),
    {
      port: 8080,
      metricsPort: 9100,
      grpcPort: 50052,
      appEnv: 'development',
      dataFile: '/tmp/data.json',
      storePath: '/var/lib/storage/storage.sqlite',
      storeUrl: 'postgres://assembly:secret@postgres:5432/assembly',
      storePoolSize: 8,
      bodyLimitBytes: 4096,
      idempotencyTtlSeconds: 60,
      logLevel: 'debug',
      replicaId: 'storage-2',
      shutdownDrainMs: 5000,
      faultsEnabled: true,
    },
  );
});

test('an empty variable counts as unset', (t) => {
  t.is(loadConfig({ PORT: '', APP_ENV: '' }).port, 3000);
});

const badValues: Array<[Record<string, string>, RegExp]> = [
  [{ PORT: 'http' }, /PORT must be an integer from 0 to 65535 \(got "http"\)/],
  [{ PORT: '70000' }, /PORT must be an integer from 0 to 65535/],
  [{ PORT: '-1' }, /PORT must be an integer from 0 to 65535/],
  [{ APP_ENV: 'staging' }, /APP_ENV must be "development" or "production" \(got "staging"\)/],
  [{ LOG_LEVEL: 'loud' }, /LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent/],
  [{ REPLICA_ID: 'has space' }, /REPLICA_ID must be 1 to 64 letters/],
  [{ FAULTS_ENABLED: 'yes' }, /FAULTS_ENABLED must be "true" or "false"/],
  [{ BODY_LIMIT_BYTES: '0' }, /BODY_LIMIT_BYTES must be an integer from 1 to 67108864 \(got "0"\)/],
  [{ BODY_LIMIT_BYTES: '1mb' }, /BODY_LIMIT_BYTES must be an integer from 1 to 67108864/],
  [{ BODY_LIMIT_BYTES: '67108865' }, /BODY_LIMIT_BYTES must be an integer from 1 to 67108864/],
  [{ IDEMPOTENCY_TTL_SECONDS: '-5' }, /IDEMPOTENCY_TTL_SECONDS must be an integer from 1 to 31536000/],
  [{ STORE_POOL_SIZE: '0' }, /STORE_POOL_SIZE must be an integer from 1 to 1000/],
  [{ SHUTDOWN_DRAIN_MS: '5s' }, /SHUTDOWN_DRAIN_MS must be an integer from 0 to 600000 \(got "5s"\)/],
  [{ SHUTDOWN_DRAIN_MS: '600001' }, /SHUTDOWN_DRAIN_MS must be an integer from 0 to 600000/],
  [{ STORE_URL: 'mysql://u:p@db/x' }, /^invalid configuration: STORE_URL must be a URL of the form postgres:\/\/user:password@host:5432\/database$/],
  [{ STORE_URL: 'postgres://u:p@db' }, /STORE_URL must be a URL of the form/],
  [{ STORE_URL: 'postgres://u:p@:5432/db' }, /STORE_URL must be a URL of the form/],
];
for (const [env, message] of badValues) {
  test(`a bad ${Object.entries(env)[0]!.join('=')} is refused with a message naming the variable`, (t) => {
    t.throws(() => loadConfig(env), { name: 'ConfigError', message });
  });
}

test('STORE_PASSWORD_FILE puts the password of a file (a Docker secret) into STORE_URL; one trailing newline is not part of it', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'storage-secret-'));
  const file = join(dir, 'postgres_password');
  await writeFile(file, 'p@ss/word:1\n');
  const { storeUrl } = loadConfig({ STORE_URL: 'postgres://assembly@postgres:5432/assembly', STORE_PASSWORD_FILE: file });
  t.is(storeUrl, 'postgres://assembly:p%40ss%2Fword%3A1@postgres:5432/assembly');
  t.is(decodeURIComponent(new URL(storeUrl!).password), 'p@ss/word:1');
});

test('a STORE_PASSWORD_FILE that cannot serve is refused, naming the variable and never the password', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'storage-secret-'));
  const empty = join(dir, 'empty');
  await writeFile(empty, '');
  const password = join(dir, 'password');
  await writeFile(password, 'hunter2');
  const url = 'postgres://assembly@postgres:5432/assembly';
  t.throws(() => loadConfig({ STORE_URL: url, STORE_PASSWORD_FILE: join(dir, 'missing') }), { message: /STORE_PASSWORD_FILE cannot be read \(ENOENT\)/ });
  t.throws(() => loadConfig({ STORE_URL: url, STORE_PASSWORD_FILE: empty }), { message: /STORE_PASSWORD_FILE names an empty file/ });
  t.throws(() => loadConfig({ STORE_PASSWORD_FILE: password }), { message: /STORE_PASSWORD_FILE needs STORE_URL/ });
  const both = t.throws(() => loadConfig({ STORE_URL: 'postgres://assembly:other@postgres:5432/assembly', STORE_PASSWORD_FILE: password }), { message: /STORE_PASSWORD_FILE is set, and STORE_URL holds a password too/ });
  t.false(both?.message.includes('hunter2') ?? true);
});

test('the server refuses a bad PORT at once: exit 1, one line, no stack', async (t) => {
  const { code, stderr } = await runUntilExit(t, { PORT: 'eighty' });
  t.is(code, 1);
  t.is(stderr, 'storage-service: invalid configuration: PORT must be an integer from 0 to 65535 (got "eighty")\n');
});

test('a malformed STORE_URL stops the server with exit 1, naming the variable and never echoing the value (it may hold a password)', async (t) => {
  const { code, stderr } = await runUntilExit(t, { STORE_URL: 'postgres//assembly:hunter2@postgres/assembly' });
  t.is(code, 1);
  t.is(stderr, 'storage-service: invalid configuration: STORE_URL must be a URL of the form postgres://user:password@host:5432/database\n');
});

test('several bad variables are all named on the one line', async (t) => {
  const { code, stderr } = await runUntilExit(t, { PORT: 'x', APP_ENV: 'prod' });
  t.is(code, 1);
  t.is(stderr.trim().split('\n').length, 1);
  t.regex(stderr, /PORT .*; APP_ENV /);
});

async function dataFile(content: string): Promise<string> {
  const file = join(await mkdtemp(join(tmpdir(), 'storage-data-')), 'data.json');
  await writeFile(file, content);
  return file;
}

test('a missing DATA_FILE for a new store: exit 1 naming the file', async (t) => {
  const { code, stderr } = await runUntilExit(t, { DATA_FILE: '/nonexistent/data.json' });
  t.is(code, 1);
  t.is(stderr, 'storage-service: cannot read data file /nonexistent/data.json: ENOENT\n');
});

test('a DATA_FILE that is not JSON: exit 1 naming the file, no stack', async (t) => {
  const file = await dataFile('{"products": {');
  const { code, stderr } = await runUntilExit(t, { DATA_FILE: file });
  t.is(code, 1);
  t.regex(stderr, new RegExp(`^storage-service: data file ${file} is not valid JSON: .+\\n$`));
  t.false(stderr.includes('    at '));
});

const invalidShapes: Array<[string, unknown, string]> = [
  ['an array instead of partitions', [], '(top level)'],
  ['a partition that is not an object', { products: 3 }, 'products'],
  ['an item that is not an object', { products: { 'p-1': 'kettle' } }, 'products.p-1'],
  ['an id with a slash', { products: { 'a/b': {} } }, 'products.a/b'],
  ['a partition key with a space', { 'my products': {} }, 'my products'],
  ['an id field other than its key', { products: { 'p-1': { id: 'p-2' } } }, 'products.p-1'],
];
for (const [what, content, path] of invalidShapes) {
  test(`a data file with ${what} is refused with the first bad path (${path})`, async (t) => {
    const file = await dataFile(JSON.stringify(content));
    await t.throwsAsync(loadDataFile(file), {
      name: 'DataFileError',
      message: new RegExp(`^data file ${file} is invalid at ${path.replace(/[()]/g, '\\$&')}: `),
    });
  });
}

test('an invalid data file stops the server with exit 1 and the bad path', async (t) => {
  const file = await dataFile(JSON.stringify({ users: { 'u-1': [1, 2] } }));
  const { code, stderr } = await runUntilExit(t, { DATA_FILE: file });
  t.is(code, 1);
  t.regex(stderr, new RegExp(`^storage-service: data file ${file} is invalid at users\\.u-1: .+\\n$`));
});

test('a number beyond the double range in the data file is refused, not stored as null', async (t) => {
  const file = await dataFile('{"products": {"p-1": {"quantity": 1e999}}}');
  await t.throwsAsync(loadDataFile(file), { message: new RegExp(`invalid at products\\.p-1: numbers must be within the range of a 64-bit float`) });
});

test('the shipped dummy data loads: products, users and purchases, dozens of items', async (t) => {
  const data = await loadDataFile(DEFAULT_DATA_FILE);
  t.deepEqual(Object.keys(data), ['products', 'users', 'purchases']);
  t.true(Object.values(data).reduce((sum, partition) => sum + Object.keys(partition).length, 0) >= 36);
});

test('a store that cannot be opened stops the server with exit 1 and one line naming it', async (t) => {
  const storePath = `${DEFAULT_DATA_FILE}/storage.sqlite`;
  const { code, stderr } = await runUntilExit(t, { STORE_PATH: storePath });
  t.is(code, 1);
  t.regex(stderr, new RegExp(`^storage-service: cannot open store ${storePath}: [^\\n]+\\n$`));
});

test('once seeded, the store is not seeded again: a restart keeps the writes and needs no data file', async (t) => {
  const STORE_PATH = await tempStorePath(t);
  const first = await startServerProcess(t, { STORE_PATH });
  await fetch(`${first.url}/data/products/p-1001`, { method: 'DELETE' });
  first.kill('SIGTERM');
  await first.exit;
  const second = await startServerProcess(t, { STORE_PATH, DATA_FILE: '/nonexistent/data.json' });
  t.is((await fetch(`${second.url}/data/products/p-1001`)).status, 404);
  t.is((await fetch(`${second.url}/data/products/p-1002`)).status, 200);
});

test('the server serves its metrics on METRICS_PORT: requests, orders, Node process and runtime metrics', async (t) => {
  const metricsPort = await freePort();
  const server = await startServerProcess(t, { METRICS_PORT: String(metricsPort) });
  await fetch(`${server.url}/data`);
  const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
  const samples = parseSamples(text);
  t.is(sampleValue(samples, 'http_server_request_duration_seconds_count', { http_route: '/data', http_response_status_code: '200' }), 1);
  t.is(sampleValue(samples, 'storage_orders_total', { outcome: 'placed' }), 0);
  for (const name of ['process_cpu_seconds_total', 'process_resident_memory_bytes', 'nodejs_heap_size_used_bytes']) t.true(sampleValue(samples, name)! > 0, name);
  t.regex(text, /^# TYPE nodejs_eventloop_lag_seconds gauge$/m);
  t.regex(text, /^# TYPE nodejs_gc_duration_seconds histogram$/m);
  t.is((await fetch(`${server.url}/metrics`)).status, 404);
});
