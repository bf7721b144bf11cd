import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import type { ServerProcess } from 'testkit/processes';
import type { GrpcLoadSummary } from 'testkit/grpc-load';
import type { LoadSummary } from '../src/summary.ts';
import { freePort, runCli, startReplica } from './helpers.ts';

let replica: ServerProcess;

test.before(async () => {
  replica = await startReplica('cli-replica');
});

test.after.always(() => replica?.kill('SIGTERM'));

test('p out of range: exit 2 and one line on stderr, nothing on stdout', async (t) => {
  const { code, stdout, stderr } = await runCli(['--p', '2']);
  t.is(code, 2);
  t.is(stdout, '');
  t.is(stderr, 'loadtest: --p must be a number from 0 to 1 (got "2")\n');
});

test('an unreachable target: exit 2 and one line saying what was tried', async (t) => {
  const port = await freePort();
  const { code, stderr } = await runCli(['--url', `http://127.0.0.1:${port}`, '--amount', '10']);
  t.is(code, 2);
  t.is(stderr, `loadtest: cannot reach the target: GET http://127.0.0.1:${port}/storagesvc/data failed: ECONNREFUSED; is it running? (--url, --prefix)\n`);
});

test('--help prints the options and exits 0', async (t) => {
  const { code, stdout } = await runCli(['--help']);
  t.is(code, 0);
  t.regex(stdout, /^Usage: npm run loadtest -- \[options\]/);
  for (const option of ['--workload', '--connections', '--duration', '--amount', '--rate', '--url', '--prefix', '--p', '--timeout', '--transport', '--deadline-ms', '--json', '--help']) {
    t.true(stdout.includes(`  ${option} `), option);
  }
});

test('a run prints the table (no progress bar off a TTY) and --json writes the same summary', async (t) => {
  const file = join(await mkdtemp(join(tmpdir(), 'loadtest-')), 'summary.json');
  const { code, stdout, stderr } = await runCli(['--url', replica.url, '--prefix', '', '--workload', 'mixed', '--amount', '50', '--connections', '2', '--json', file]);
  t.is(code, 0, stderr);
  t.is(stderr, '');
  const summary: LoadSummary = JSON.parse(await readFile(file, 'utf8'));
  t.like(summary, { workload: 'mixed', p: 0.5, requests: { total: 50, ok: 50 }, byReplica: { 'cli-replica': 50 }, errors: { total: 0 } });
  t.regex(stdout, /^requests\s+50 total, 50 ok \(2xx\) 100\.0%$/m);
  t.regex(stdout, /^by replica\s+cli-replica\s+50\s+100\.0%$/m);
  t.regex(stdout, new RegExp(`^summary written to ${file}$`, 'm'));
});

test('--transport grpc: the store workload as StorageService calls, every answer from the replica, the check OK; --json the same summary', async (t) => {
  const file = join(await mkdtemp(join(tmpdir(), 'loadtest-')), 'summary.json');
  const url = `http://127.0.0.1:${replica.grpcPort}`;
  const { code, stdout, stderr } = await runCli(['--transport', 'grpc', '--url', url, '--workload', 'store', '--p', '1', '--duration', '1', '--connections', '4', '--json', file]);
  t.is(code, 0, stderr);
  const summary: GrpcLoadSummary = JSON.parse(await readFile(file, 'utf8'));
  t.like(summary, { transport: 'grpc', workload: 'store', target: `grpc://127.0.0.1:${replica.grpcPort}`, concurrency: 4, failed: 0, retries: 0 });
  t.deepEqual(Object.keys(summary.byReplica), ['cli-replica']);
  t.true(summary.writes!.placed > 0, 'orders were placed');
  t.true(summary.writes!.check.ok);
  t.is(summary.codes.OK! + (summary.codes.FAILED_PRECONDITION ?? 0), summary.calls);
  t.regex(stdout, /^ {2}consistency {6}OK: lost 0, duplicated 0, oversold 0$/m);
});

test('--transport grpc: a replica that is not there is UNAVAILABLE, retried with backoff, then given up before any load: exit 2 and one line', async (t) => {
  const port = await freePort();
  const started = performance.now();
  const { code, stderr } = await runCli(['--transport', 'grpc', '--url', `http://127.0.0.1:${port}`, '--amount', '10', '--deadline-ms', '200']);
  t.is(code, 2);
  t.regex(stderr, new RegExp(`^loadtest: ListPartitions \\{\\} on 127\\.0\\.0\\.1:${port}: UNAVAILABLE .*\n$`));
  t.true(performance.now() - started < 10_000);
});
