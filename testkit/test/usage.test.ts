import test from 'ava';
import { cpuPercent, cpuSecondsOf, parseCpuacctUsage, parseCpuStat, parseDockerStats } from 'testkit/usage';

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

test('cpuSecondsOf: utime + stime of /proc/<pid>/stat in seconds, whatever the command name holds', (t) => {
  const rest = 'S 1 2 3 0 -1 4194560 1000 0 0 0 1234 567 0 0 20 0 11 0 5000 1000000 20000';
  t.is(cpuSecondsOf(`4242 (node) ${rest}`), 18.01);
  t.is(cpuSecondsOf(`4242 (a (b) c) d) ${rest}`), 18.01);
  t.throws(() => cpuSecondsOf('4242 (node) S 1'), { message: /not a \/proc\/<pid>\/stat line/ });
});
