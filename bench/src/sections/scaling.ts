import { availableParallelism } from 'node:os';
import { runLoad } from '../run-load.ts';
import { measureCpu } from 'testkit/usage';
import { withBenchStack } from '../stack.ts';
import { fmt, loadOptions, round } from '../suite/figures.ts';
import type { LoadSummary } from '../summary.ts';
import type { Section } from '../suite/section.ts';

const REPLICAS = [1, 2, 3];
const CONNECTIONS = 50;

export interface CpuShares {
  gateway: number;
  replicas: number[];
  status: number;
  loadGenerator: number;
  /** The whole machine (every process, the kernel), when it could be read. */
  machine?: number;
}

/**
 * Where the time goes, from CPU % of one core per process: the share of the machine all of them used,
 * and the largest consumer. A single-threaded Node process near 100 % is saturated by itself; all of them
 * together near the machine's cores × 100 % means the cores are the limit, whichever process is largest. Pure.
 */
export function bottleneck(cpu: CpuShares, cores: number): { total: number; capacity: number; busiest: string; busiestPercent: number; verdict: string } {
  const replicaSum = cpu.replicas.reduce((a, b) => a + b, 0);
  const parts: Array<[string, number]> = [
    ['the gateway (Traefik)', cpu.gateway],
    [cpu.replicas.length > 1 ? 'the storage replicas together' : 'the storage replica', replicaSum],
    ['the load generator (autocannon)', cpu.loadGenerator],
    ['the status service', cpu.status],
  ];
  const [busiest = '?', busiestPercent = 0] = [...parts].sort((a, b) => b[1] - a[1])[0] ?? [];
  const total = parts.reduce((sum, [, value]) => sum + value, 0);
  const capacity = cores * 100;
  const singles: Array<[string, number]> = [
    ['the load generator (autocannon, one thread)', cpu.loadGenerator],
    ...cpu.replicas.map((value, i): [string, number] => [`storage replica ${i + 1} (one Node thread)`, value]),
  ];
  const saturated = singles.filter(([, value]) => value >= 90);
  const machine = cpu.machine ?? NaN;
  const outside = machine - total;
  let verdict: string;
  if (machine >= capacity * 0.8 && outside > busiestPercent) {
    verdict =
      `the ${cores} cores are full (${Math.round(machine)} % of ${capacity} %), but the measured processes used only ${Math.round(total)} % of it: ` +
      `the other ${Math.round(outside)} % went outside them (the Docker daemon and containerd handling the containers' log lines, kernel networking, or other load on this shared machine), more than ${busiest} (${Math.round(busiestPercent)} %)`;
  } else if (total >= capacity * 0.8 || machine >= capacity * 0.8) {
    const used = Number.isNaN(machine) ? `together the processes used ${Math.round(total)} %` : `the machine used ${Math.round(machine)} %, these processes ${Math.round(total)} %`;
    verdict = `the ${cores} cores are the bottleneck: ${used} of ${capacity} %, ${busiest} most (${Math.round(busiestPercent)} %)`;
  } else if (saturated.length) {
    verdict = `${saturated.map(([name]) => name).join(' and ')} ${saturated.length > 1 ? 'are' : 'is'} saturated at about one core`;
  } else {
    verdict = `no process is saturated and the cores are not full (${Math.round(total)} % of ${capacity} %): the limit is latency (the round trip through the gateway), not CPU`;
  }
  return { total, capacity, busiest, busiestPercent, verdict };
}

/**
 * Read throughput through the gateway with 1, 2 and 3 storage replicas (one stack, scaled up), with the
 * CPU use of every container (cgroup CPU time over the load) and of the load generator (this process).
 */
export const section: Section = {
  id: 'scaling',
  title: 'Scaling: throughput with 1, 2, 3 storage replicas behind the gateway',
  async run({ seconds }) {
    const cores = availableParallelism();
    return withBenchStack(REPLICAS[0]!, async (stack) => {
      const rows = [];
      for (const replicas of REPLICAS) {
        if (replicas !== REPLICAS[0]) await stack.scale(replicas);
        const containers = await stack.containers();
        const measured = await measureCpu(containers, () => runLoad(loadOptions(stack.baseUrl, '/storagesvc', { connections: CONNECTIONS, durationSeconds: seconds })));
        const summary = measured.result;
        const byApp = (app: string) => containers.filter((c) => c.app === app).map((c) => measured.containers[c.name] ?? NaN);
        const cpu: CpuShares = {
          gateway: byApp('gateway')[0] ?? NaN,
          replicas: byApp('storage'),
          status: byApp('status')[0] ?? NaN,
          loadGenerator: measured.loadGenerator,
          machine: measured.machine,
        };
        const verdict = bottleneck(cpu, cores);
        process.stderr.write(
          `bench: scaling: ${replicas} replicas: ${summary.requests.perSecond} req/s, p99 ${summary.latencyMs.p99} ms, errors ${summary.errors.total}; ` +
            `CPU gateway ${round(cpu.gateway)} %, replicas ${cpu.replicas.map((v) => round(v)).join(' + ')} %, status ${round(cpu.status)} %, load generator ${round(cpu.loadGenerator)} %, machine ${round(measured.machine)} % (${measured.source})\n`,
        );
        rows.push({ replicas, summary, cpu, cpuSource: measured.source, byReplica: summary.byReplica, verdict });
      }

      const table = [
        ['replicas', 'req/s', 'p99', 'CPU% gateway', 'CPU% each replica (sum)', 'CPU% load generator', 'CPU% whole machine'],
        ...rows.map((r) => [
          String(r.replicas),
          fmt.rps(r.summary.requests.perSecond) + (r.summary.errors.total ? ` (${r.summary.errors.total} errors)` : ''),
          fmt.ms(r.summary.latencyMs.p99),
          fmt.pct(r.cpu.gateway),
          r.cpu.replicas.length > 1
            ? `${r.cpu.replicas.map((v) => Math.round(v)).join(' + ')} = ${fmt.pct(r.cpu.replicas.reduce((a, b) => a + b, 0))}`
            : fmt.pct(r.cpu.replicas[0] ?? NaN),
          fmt.pct(r.cpu.loadGenerator),
          fmt.pct(r.cpu.machine ?? NaN),
        ]),
      ];
      const first = rows[0]!;
      const last = rows[rows.length - 1]!;
      const replicaCpuPerRequest = (r: { cpu: CpuShares; summary: LoadSummary }) => r.cpu.replicas.reduce((a, b) => a + b, 0) / r.summary.requests.perSecond;
      const gain = last.summary.requests.perSecond / first.summary.requests.perSecond;
      const explanation =
        `Going from ${first.replicas} to ${last.replicas} replicas changed read throughput through the gateway by ${fmt.ratio(gain)} ` +
        `(${fmt.rps(first.summary.requests.perSecond)} → ${fmt.rps(last.summary.requests.perSecond)} req/s at ${CONNECTIONS} connections; CPU in % of one core, ${cores * 100} % is the whole machine). ` +
        `With ${last.replicas} replicas ${last.verdict.verdict}; the gateway alone took ${fmt.pct(last.cpu.gateway)} while the replicas together took ${fmt.pct(last.cpu.replicas.reduce((a, b) => a + b, 0))}, ` +
        (gain < 1.15
          ? `so more replicas on the same ${cores} cores only split the same CPU: scaling out needs more cores or machines, not more containers.`
          : `so the extra replicas helped where one replica's single Node thread had been the limit.`) +
        (gain < 0.95
          ? ` Throughput even fell: every replica is a process of its own (event loop, garbage collector, health checks) and each gets fewer requests per wake-up, ` +
            `so the replicas together spent ${fmt.ratio(replicaCpuPerRequest(last) / replicaCpuPerRequest(first))} the CPU per request with ${last.replicas} as with ${first.replicas}, CPU the gateway and the load generator then lacked.`
          : '');

      return {
        table,
        explanation,
        chart: {
          title: `Read throughput through the gateway, ${CONNECTIONS} connections`,
          yTitle: 'requests/s',
          bars: rows.map((r) => ({ label: `${r.replicas} replica${r.replicas > 1 ? 's' : ''}`, value: round(r.summary.requests.perSecond, 0) })),
        },
        data: {
          seconds,
          connections: CONNECTIONS,
          cores,
          cpuUnit: '% of one core',
          rows: rows.map((r) => ({ replicas: r.replicas, cpu: r.cpu, cpuSource: r.cpuSource, bottleneck: r.verdict, byReplica: r.byReplica, summary: r.summary })),
        },
      };
    });
  },
};
