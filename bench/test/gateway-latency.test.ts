import { readFile } from 'node:fs/promises';
import test from 'ava';
import { VARIANTS } from '../src/sections/gateway-latency-bisect.ts';
import { spread } from '../src/suite/figures.ts';
import {
  added,
  applyEdits,
  BASELINE,
  cpuBetween,
  ownerOf,
  parsePidStat,
  formatSpread,
  materialize,
  percentileOf,
  removeLine,
  runFigures,
  storageLabel,
  summarize,
  withoutMiddleware,
  type Owner,
  type Run,
} from '../src/sections/gateway-latency.ts';

// The pure parts of the gateway-latency sections; never timings, no Docker.

test('percentileOf: nearest rank over unsorted values, input untouched', (t) => {
  const values = Array.from({ length: 1000 }, (_, i) => 1000 - i); // 1000 … 1
  t.is(percentileOf(values, 50), 500);
  t.is(percentileOf(values, 99), 990);
  t.is(percentileOf(values, 99.9), 999);
  t.is(percentileOf(values, 100), 1000);
  t.is(values[0], 1000);
  // 1,500 samples (15 s at 100 req/s): p99.9 is the second largest, not the maximum.
  const samples = Array.from({ length: 1500 }, (_, i) => i + 1);
  t.is(percentileOf(samples, 99.9), 1499);
  t.true(Number.isNaN(percentileOf([], 99)));
});

test('spread: min, median and max; the mean of the middle two for an even count', (t) => {
  t.deepEqual(spread([3, 1, 2]), { min: 1, median: 2, max: 3 });
  t.deepEqual(spread([4, 1, 3, 2]), { min: 1, median: 2.5, max: 4 });
  t.deepEqual(spread([7]), { min: 7, median: 7, max: 7 });
  const none = spread([]);
  t.true(Number.isNaN(none.min) && Number.isNaN(none.median) && Number.isNaN(none.max));
});

test('formatSpread: min / median / max, two decimals below 1 ms', (t) => {
  t.is(formatSpread({ min: 0.612, median: 0.7, max: 1.26 }), '0.61 / 0.70 / 1.3');
  t.is(formatSpread({ min: 20.71, median: 27, max: 35.14 }), '20.7 / 27.0 / 35.1');
  t.is(formatSpread(spread([])), '– / – / –');
});

test('runFigures: percentiles of latency, failures are answers other than 200, the sender’s lateness apart', (t) => {
  const outcomes = Array.from({ length: 1000 }, (_, i) => ({ latencyMs: i + 1, lateMs: i === 999 ? 50 : 0.1, status: i < 2 ? 503 : 200 }));
  outcomes.push({ latencyMs: 2000, lateMs: 0.1, status: undefined as unknown as number }); // a timeout: no status
  const figures = runFigures(outcomes);
  t.is(figures.sent, 1001);
  t.is(figures.failed, 3);
  t.is(figures.p50, 501);
  t.is(figures.max, 2000);
  t.is(figures.late.p50, 0.1);
  t.is(figures.late.max, 50);
});

test('withoutMiddleware: one entry out of a router’s list; an absent one is an error', (t) => {
  const list = 'csp@file,storage-unavailable-page@file,storage-retry@file,strip-storagesvc@file';
  t.is(withoutMiddleware(list, 'storage-retry@file'), 'csp@file,storage-unavailable-page@file,strip-storagesvc@file');
  t.throws(() => withoutMiddleware(list, 'rate-limit@file'), { message: /not in/ });
});

const COMPOSE = `services:
  storage:
    healthcheck:
      test: ["CMD", "node"]
      # why
      interval: 2s
    labels:
      traefik.http.routers.storage.middlewares: csp@file,storage-retry@file
      traefik.http.services.storage.loadbalancer.passivehealthcheck.maxfailedattempts: "1"
      traefik.http.services.storage.loadbalancer.passivehealthcheck.failurewindow: 10s
  status:
    healthcheck:
      interval: 2s
    labels: {}
`;

test('applyEdits, removeLine, storageLabel: edits that must match, labels read from the compose text', (t) => {
  t.is(storageLabel(COMPOSE, 'traefik.http.routers.storage.middlewares'), 'csp@file,storage-retry@file');
  t.is(storageLabel(COMPOSE, 'traefik.http.services.storage.loadbalancer.passivehealthcheck.maxfailedattempts'), '1');
  t.throws(() => storageLabel(COMPOSE, 'traefik.http.routers.nope'));
  const edited = applyEdits(COMPOSE, [removeLine('traefik.http.services.storage.loadbalancer.passivehealthcheck.maxfailedattempts')], 'test');
  t.false(edited.includes('maxfailedattempts'));
  t.true(edited.includes('failurewindow'));
  // A global pattern removes every block, and may be applied again (its lastIndex is reset).
  const noHealthchecks = { remove: /^ {4}healthcheck:\n(?: {6}.*\n)+/gm };
  const bare = applyEdits(COMPOSE, [noHealthchecks], 'test');
  t.false(bare.includes('    healthcheck:'));
  t.true(bare.includes('labels: {}'));
  t.is(applyEdits(COMPOSE, [noHealthchecks], 'test'), bare);
  t.is(applyEdits('a: 1\n', [{ replace: /1/, with: '2' }], 'test'), 'a: 2\n');
  t.throws(() => applyEdits(COMPOSE, [removeLine('no.such.label')], 'test'), { message: /test: nothing matches/ });
});

const run = (variant: string, path: Run['path'], round: number, p99: number): Run => ({
  variant, rate: 250, path, round, sent: 3750, failed: 0, p50: 1, p99, p999: p99 * 2, max: p99 * 3,
  late: { p50: 0.1, p99: 0.5, p999: 1, max: 2 }, loadStart: 0.5, loadEnd: 0.9, machineCpu: 40, stackCpu: 30, senderCpu: 8, dockerCpu: 5, foreignCpu: 2,
});

test('summarize and added: min/median/max per path, the difference of the medians', (t) => {
  const runs = [run('baseline', 'direct', 1, 5), run('baseline', 'direct', 2, 7), run('baseline', 'direct', 3, 6),
    run('baseline', 'gateway', 1, 30), run('baseline', 'gateway', 2, 20), run('baseline', 'gateway', 3, 26), run('other', 'gateway', 1, 1)];
  const gateway = summarize(runs, 'baseline', 250, 'gateway');
  t.is(gateway.runs, 3);
  t.is(gateway.sent, 11250);
  t.deepEqual(gateway.p99, { min: 20, median: 26, max: 30 });
  t.is(added(runs, 'baseline', 250, 'gateway', 'p99'), 20);
  t.is(added(runs, 'baseline', 250, 'gateway', 'p999'), 40);
});

test('materialize: the baseline needs no file; a variant’s copies carry its change and nothing else', async (t) => {
  const baseline = await materialize(BASELINE);
  t.deepEqual([baseline.composeFile, baseline.composeFiles], [undefined, []]);
  await baseline.cleanup();

  const noRateLimit = await materialize(VARIANTS.find((v) => v.id === 'no-rate-limit')!);
  try {
    const override = JSON.parse(await readFile(noRateLimit.composeFiles[0]!, 'utf8')) as { services: { gateway: { volumes: string[] } } };
    const [mount] = override.services.gateway.volumes;
    const copy = await readFile(mount!.split(':')[0]!, 'utf8');
    t.false(copy.includes('rate-limit@file'));
    t.true(copy.includes('security-headers@file'));
  } finally {
    await noRateLimit.cleanup();
  }

  const noRetry = await materialize(VARIANTS.find((v) => v.id === 'no-retry')!);
  try {
    const override = JSON.parse(await readFile(noRetry.composeFiles[0]!, 'utf8')) as { services: { storage: { labels: Record<string, string> } } };
    t.false(override.services.storage.labels['traefik.http.routers.storage.middlewares']!.includes('storage-retry@file'));
  } finally {
    await noRetry.cleanup();
  }
});

test('variants: unique ids, each says what it changes and what it costs', (t) => {
  const ids = VARIANTS.map((v) => v.id);
  t.is(new Set(ids).size, ids.length);
  t.is(ids[0], 'baseline');
  t.is(ids.at(-1), 'baseline-again');
  for (const variant of VARIANTS) t.truthy(variant.change && variant.cost, variant.id);
});

test('cpuBetween: machine, stack, load generator, Docker and everyone else, in % of one core', (t) => {
  const procs = (entries: Array<[number, Owner, number]>) => new Map(entries.map(([pid, owner, ticks]) => [pid, { owner, ticks }]));
  const a = { at: 0, machine: { busy: 1000, total: 5000 }, stackNs: [1e9, 2e9], sender: { user: 0, system: 0 }, processes: procs([[10, 'other', 500], [11, 'docker', 100], [12, 'other', 7]]) };
  // 1 s later: 100 of 200 jiffies busy on 2 cores (100 %), the stack 0.3 + 0.2 s, the sender 0.1 s; another
  // process 0.2 s, one started during the run 0.05 s, one that ended is gone; Docker 0.1 s.
  const b = { at: 1000, machine: { busy: 1100, total: 5200 }, stackNs: [1.3e9, 2.2e9], sender: { user: 80_000, system: 20_000 }, processes: procs([[10, 'other', 520], [11, 'docker', 110], [13, 'other', 5]]) };
  const cpu = cpuBetween(a, b, 2);
  t.is(Math.round(cpu.machine), 100);
  t.is(Math.round(cpu.stack), 50);
  t.is(Math.round(cpu.sender), 10);
  t.is(Math.round(cpu.docker), 10);
  t.is(Math.round(cpu.foreign), 25);
});

test('parsePidStat and ownerOf: a process’s ticks (own and reaped children’s), and whose it is', (t) => {
  const stat = '4672 (node cpu.mjs (x)) S 4658 4655 4655 0 -1 4194304 100 0 0 0 120 30 7 3 20 0 11 0 5000 100 10';
  t.deepEqual(parsePidStat(stat), { comm: 'node cpu.mjs (x)', ppid: 4658, ticks: 160 });
  t.is(parsePidStat('garbage'), null);
  const ids = ['0ceef0ddd65d4f', 'dfad34092441aa'];
  t.is(ownerOf(500, { comm: 'node', ppid: 1 }, '4:cpuacct,cpu:/docker/dfad34092441aa\n', ids, 400), 'stack');
  t.is(ownerOf(400, { comm: 'node', ppid: 1 }, '', ids, 400), 'sender');
  t.is(ownerOf(501, { comm: 'containerd-shim', ppid: 1 }, '4:cpuacct,cpu:/\n', ids, 400), 'docker');
  t.is(ownerOf(502, { comm: 'kworker/u8:5', ppid: 2 }, '', ids, 400), 'kernel');
  t.is(ownerOf(503, { comm: 'node', ppid: 1 }, '4:cpuacct,cpu:/docker/ffff\n', ids, 400), 'other');
});
