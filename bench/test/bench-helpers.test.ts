import test from 'ava';
import { errorKinds } from '../src/sections/failover.ts';
import { bottleneck } from '../src/sections/scaling.ts';
import { cpuPercent, parseCpuacctUsage, parseCpuStat, parseDockerStats } from '../src/stack.ts';
import { cpuSecondsOf } from '../src/server-process.ts';

test('parseDockerStats: name and CPU % per line, other lines ignored', (t) => {
  const text = 'assembly-bench_gateway_1 85.32%\nassembly-bench_storage_1 40.1%\n\n--   --\nassembly-bench_status_1 0.00%\n';
  t.deepEqual(parseDockerStats(text), { 'assembly-bench_gateway_1': 85.32, 'assembly-bench_storage_1': 40.1, 'assembly-bench_status_1': 0 });
  t.deepEqual(parseDockerStats(''), {});
});

test('cgroup readings: v1 cpuacct.usage in ns, v2 cpu.stat usage_usec → ns', (t) => {
  t.is(parseCpuacctUsage('123456789\n'), 123456789);
  t.is(parseCpuacctUsage(''), null);
  t.is(parseCpuStat('usage_usec 2500\nuser_usec 2000\nsystem_usec 500\n'), 2_500_000);
  t.is(parseCpuStat('user_usec 2000\n'), null);
});

test('cpuPercent: CPU time over wall time, in % of one core', (t) => {
  t.is(cpuPercent(0, 500_000_000, 1000), 50);
  t.is(cpuPercent(1e9, 3e9, 1000), 200);
  t.is(cpuPercent(0, 1, 0), 0);
});

test('bottleneck: full cores, a saturated single thread, or neither', (t) => {
  const full = bottleneck({ gateway: 90, replicas: [30, 30], status: 1, loadGenerator: 45 }, 2);
  t.is(Math.round(full.total), 196);
  t.is(full.busiest, 'the gateway (Traefik)');
  t.regex(full.verdict, /2 cores are the bottleneck/);

  const generator = bottleneck({ gateway: 20, replicas: [10], status: 0, loadGenerator: 98 }, 4);
  t.regex(generator.verdict, /load generator .* is saturated/);

  const idle = bottleneck({ gateway: 10, replicas: [10, 10, 10], status: 1, loadGenerator: 20 }, 2);
  t.regex(idle.verdict, /no process is saturated/);
});

test('errorKinds: statuses, then timeouts, resets, other; empty when none', (t) => {
  t.is(errorKinds({ total: 6, byStatus: { '502': 3, '503': 1 }, timeouts: 0, resets: 1, other: 1 }), 'HTTP 502 3, HTTP 503 1, resets 1, other 1');
  t.is(errorKinds({ total: 0, byStatus: {}, timeouts: 0, resets: 0, other: 0 }), '');
});

test('cpuSecondsOf: utime + stime of /proc/<pid>/stat in seconds, whatever the command name holds', (t) => {
  const rest = 'S 1 2 3 0 -1 4194560 1000 0 0 0 1234 567 0 0 20 0 11 0 5000 1000000 20000';
  t.is(cpuSecondsOf(`4242 (node) ${rest}`), 18.01);
  t.is(cpuSecondsOf(`4242 (a (b) c) d) ${rest}`), 18.01);
  t.throws(() => cpuSecondsOf('4242 (node) S 1'), { message: /not a \/proc\/<pid>\/stat line/ });
});
