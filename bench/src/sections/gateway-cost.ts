import { setTimeout as sleep } from 'node:timers/promises';
import type { RunningContainer, Stack } from 'testkit/compose-stack';
import { percentile } from 'testkit/scheduled-load';
import { containerCpuNs } from 'testkit/usage';
import { withBenchStack } from '../stack.ts';
import { rotated, round, ROUNDS, spread, spreadText } from '../suite/figures.ts';
import type { Section } from '../suite/section.ts';
import { vegetaAttack, vegetaBin, vegetaResults, vegetaRun, type VegetaResult, type VegetaSummary } from '../vegeta.ts';

// What the gateway costs per request, in CPU and in capacity (issue 23): item reads at fixed rates, open
// loop (vegeta), through Traefik at its container address and straight to the replicas (round robin over
// their container addresses, so each replica sees the same share either way); production settings (.env),
// 3 replicas, the rate limit lifted. CPU is each container's own, from its cgroup (cpuacct.usage here).

const ITEM = '/data/products/p-1001';
const RATES = [400, 1000];
/**
 * Rates tried, in order, for capacity: the highest served with every answer 200 and p99 ≤ CAPACITY_P99_MS,
 * at the rate asked for (vegeta kept at least 95 % of it: past that the generator, not the target, is the limit).
 */
const CAPACITY_RATES = [250, 500, 750, 1000, 1250, 1500, 2000, 2500, 3000, 4000, 5000, 6000, 8000];
const CAPACITY_P99_MS = 50;
const CAPACITY_SECONDS = 5;

/**
 * Overload: SURGE_FACTOR × the gateway's median capacity for SURGE_SECONDS, as a base load of half the
 * capacity that goes on for RECOVERY_SECONDS after it plus a surge run beside it. Goals: during the surge
 * every answer 200, or 429/503 problem+json with Retry-After, and p99 ≤ SURGE_P99_MS; after it, normal
 * answers (every one 200, p99 ≤ CAPACITY_P99_MS, per RECOVERY_WINDOW_MS window) within RECOVERY_GOAL_MS.
 */
const SURGE_FACTOR = 3;
const SURGE_SECONDS = 10;
const RECOVERY_SECONDS = 5;
const SURGE_P99_MS = 1000;
const RECOVERY_WINDOW_MS = 500;
const RECOVERY_GOAL_MS = 2000;
const SHED_STATUSES = [429, 503];

export const PATHS = ['gateway', 'direct'] as const;
export type PathId = (typeof PATHS)[number];

export interface CostRun {
  round: number;
  rate: number;
  path: PathId;
  requests: number;
  failed: number;
  p99: number;
  /** The gateway container's CPU per request, µs (near 0 on the direct path). */
  gatewayUs: number;
  /** The replicas' CPU per request, µs, summed over the three. */
  replicasUs: number;
}

export interface CapacityRun {
  round: number;
  path: PathId;
  /** The highest rate served clean; 0 when even the first was not. */
  capacity: number;
  steps: Step[];
}

/** One step of a capacity ramp: the rate asked for and the one vegeta kept, what failed, the p99. */
export interface Step {
  rate: number;
  sent: number;
  failed: number;
  p99: number;
}

/** One surge: what the requests sent during it got, and how long the base load took to be served normally after it. */
export interface SurgeRun {
  round: number;
  /** The rate of the surge, base load included. */
  rate: number;
  baseRate: number;
  /** Answers per status of the requests sent during the surge. */
  statusCodes: Record<string, number>;
  /** Answers other than 200 and a shed (429 or 503) problem+json with Retry-After: the goal is none. */
  unexpected: number;
  p99: number;
  /** From the surge's end to the first window of normal answers; null when none came within RECOVERY_SECONDS. */
  recoveryMs: number | null;
}

const isShed = (r: VegetaResult) => SHED_STATUSES.includes(r.code) && r.contentType.startsWith('application/problem+json') && r.retryAfter !== '';

/** What the requests sent in [start, end) got: answers per status, those neither 200 nor shed properly, the p99. Pure. */
export function surgeFigures(results: VegetaResult[], start: number, end: number): Pick<SurgeRun, 'statusCodes' | 'unexpected' | 'p99'> {
  const during = results.filter((r) => r.sentAt >= start && r.sentAt < end);
  const statusCodes: Record<string, number> = {};
  for (const r of during) statusCodes[r.code] = (statusCodes[r.code] ?? 0) + 1;
  return {
    statusCodes,
    unexpected: during.filter((r) => r.code !== 200 && !isShed(r)).length,
    p99: percentile(during.map((r) => r.latencyMs).sort((a, b) => a - b), 99),
  };
}

/**
 * Milliseconds from `end` (the surge's) to the start of the first RECOVERY_WINDOW_MS window of requests sent
 * after it in which every answer was 200 and the p99 ≤ CAPACITY_P99_MS; null when no such window came. Pure.
 */
export function recoveryMsOf(results: VegetaResult[], end: number): number | null {
  const after = results.filter((r) => r.sentAt >= end);
  // A loop rather than Math.max(...): a surge's results are more than a call's arguments may be.
  const last = after.reduce((latest, r) => Math.max(latest, r.sentAt), -Infinity);
  for (let from = end; from <= last; from += RECOVERY_WINDOW_MS) {
    const window = after.filter((r) => r.sentAt >= from && r.sentAt < from + RECOVERY_WINDOW_MS);
    if (!window.length) continue;
    const p99 = percentile(window.map((r) => r.latencyMs).sort((a, b) => a - b), 99);
    if (window.every((r) => r.code === 200) && p99 <= CAPACITY_P99_MS) return from - end;
  }
  return null;
}

const failedOf = (summary: VegetaSummary) => summary.requests - (summary.statusCodes['200'] ?? 0);

/** Per round and rate: the gateway's CPU per request through it, over the replicas' per request straight to them. Pure. */
export function cpuRatios(runs: CostRun[], rate: number): number[] {
  const at = (path: PathId, n: number) => runs.find((r) => r.rate === rate && r.path === path && r.round === n);
  return [...new Set(runs.map((r) => r.round))].flatMap((n) => {
    const gateway = at('gateway', n);
    const direct = at('direct', n);
    return gateway && direct ? [gateway.gatewayUs / direct.replicasUs] : [];
  });
}

/** The highest rate of a ramp before the first that failed a request, missed the p99 or was not kept; the ramp stops there. Pure. */
export function capacityOf(steps: Step[]): number {
  let capacity = 0;
  for (const step of steps) {
    if (step.failed > 0 || !(step.p99 <= CAPACITY_P99_MS) || step.sent < 0.95 * step.rate) break;
    capacity = step.rate;
  }
  return capacity;
}

async function cpuNs(containers: RunningContainer[]): Promise<number[]> {
  return Promise.all(
    containers.map(async (c) => {
      const ns = await containerCpuNs(c.id);
      if (ns === null) throw new Error(`gateway-cost: no cgroup CPU figure for ${c.name}`);
      return ns;
    }),
  );
}

export const section: Section = {
  id: 'gateway-cost',
  title: "Gateway cost: Traefik's CPU per request against a replica's, and capacity through it and straight to the replicas",
  run: ({ seconds, dir }) =>
    withBenchStack(
      3,
      async (stack: Stack) => {
        const bin = vegetaBin();
        const [gateway] = await stack.running('gateway');
        const replicas = await stack.running('storage');
        if (!gateway || replicas.length !== 3) throw new Error('gateway-cost: the gateway and 3 replicas must be running');
        const urls: Record<PathId, string[]> = {
          gateway: [`${await stack.gatewayUrl()}/storagesvc${ITEM}`],
          direct: replicas.map((r) => `http://${r.ip}:3000${ITEM}`),
        };
        // Warm: compiled code, pools and connections on every path before anything is measured.
        for (const path of PATHS) await vegetaAttack(bin, dir, { urls: urls[path], rate: 400, seconds: 3 });

        const runs: CostRun[] = [];
        for (let n = 1; n <= ROUNDS; n++) {
          for (const rate of RATES) {
            for (const path of rotated(PATHS, n)) {
              const [gatewayBefore, ...replicasBefore] = await cpuNs([gateway, ...replicas]);
              const summary = await vegetaAttack(bin, dir, { urls: urls[path], rate, seconds });
              const [gatewayAfter, ...replicasAfter] = await cpuNs([gateway, ...replicas]);
              const perRequestUs = (ns: number) => ns / 1000 / summary.requests;
              const run: CostRun = {
                round: n,
                rate,
                path,
                requests: summary.requests,
                failed: failedOf(summary),
                p99: summary.p99,
                gatewayUs: perRequestUs(gatewayAfter! - gatewayBefore!),
                replicasUs: perRequestUs(replicasAfter.reduce((sum, after, i) => sum + after - replicasBefore[i]!, 0)),
              };
              process.stderr.write(`bench: gateway-cost: round ${n}, ${rate}/s ${path}: gateway ${round(run.gatewayUs)} µs, replicas ${round(run.replicasUs)} µs CPU per request, p99 ${round(run.p99, 1)} ms, failed ${run.failed}\n`);
              runs.push(run);
            }
          }
        }

        const capacities: CapacityRun[] = [];
        for (let n = 1; n <= ROUNDS; n++) {
          for (const path of rotated(PATHS, n)) {
            const steps: CapacityRun['steps'] = [];
            for (const rate of CAPACITY_RATES) {
              const summary = await vegetaAttack(bin, dir, { urls: urls[path], rate, seconds: CAPACITY_SECONDS });
              steps.push({ rate, sent: round(summary.rate), failed: failedOf(summary), p99: summary.p99 });
              if (capacityOf(steps) !== rate) break;
            }
            const capacity = capacityOf(steps);
            process.stderr.write(`bench: gateway-cost: round ${n}, capacity ${path}: ${capacity}/s (${steps.map((s) => `${s.rate} (kept ${s.sent}): p99 ${round(s.p99, 1)} ms, failed ${s.failed}`).join('; ')})\n`);
            capacities.push({ round: n, path, capacity, steps });
            // What the overloaded step left queued drains before the next ramp starts.
            await sleep(5000);
          }
        }

        const capacity = spread(capacities.filter((c) => c.path === 'gateway').map((c) => c.capacity)).median;
        const surges: SurgeRun[] = [];
        for (let n = 1; n <= ROUNDS && capacity > 0; n++) {
          const baseRate = Math.round(capacity / 2);
          const surgeRate = SURGE_FACTOR * capacity - baseRate;
          const [baseFile, surgeFile] = await Promise.all([
            vegetaRun(bin, dir, { urls: urls.gateway, rate: baseRate, seconds: SURGE_SECONDS + RECOVERY_SECONDS, name: 'base' }),
            vegetaRun(bin, dir, { urls: urls.gateway, rate: surgeRate, seconds: SURGE_SECONDS, name: 'surge' }),
          ]);
          const base = await vegetaResults(bin, baseFile);
          const surge = await vegetaResults(bin, surgeFile);
          const start = surge.reduce((first, r) => Math.min(first, r.sentAt), Infinity);
          const end = start + SURGE_SECONDS * 1000;
          const run: SurgeRun = { round: n, rate: SURGE_FACTOR * capacity, baseRate, ...surgeFigures([...base, ...surge], start, end), recoveryMs: recoveryMsOf(base, end) };
          process.stderr.write(`bench: gateway-cost: round ${n}, surge at ${run.rate}/s: ${JSON.stringify(run.statusCodes)}, unexpected ${run.unexpected}, p99 ${round(run.p99, 1)} ms, normal again after ${run.recoveryMs ?? 'more than ' + RECOVERY_SECONDS * 1000} ms\n`);
          surges.push(run);
          await sleep(5000);
        }
        return report(runs, capacities, surges, seconds);
      },
      { production: true },
    ),
};

/** Each status's answers over the surges, min / median / max. */
function statusesText(surges: SurgeRun[]): string {
  const codes = [...new Set(surges.flatMap((r) => Object.keys(r.statusCodes)))].sort();
  return codes.map((code) => `${code}: ${spreadText(surges.map((r) => r.statusCodes[code] ?? 0), String)}`).join('; ');
}

function report(runs: CostRun[], capacities: CapacityRun[], surges: SurgeRun[], seconds: number) {
  const of = (rate: number, path: PathId) => runs.filter((r) => r.rate === rate && r.path === path);
  const us = (value: number) => `${Math.round(value)} µs`;
  const capacityOfPath = (path: PathId) => capacities.filter((c) => c.path === path).map((c) => c.capacity);
  const capacityRatios = capacities
    .filter((c) => c.path === 'gateway')
    .map((g) => g.capacity / capacities.find((d) => d.path === 'direct' && d.round === g.round)!.capacity);
  const table = [
    ['at', "gateway's CPU per request (through it)", "replicas' CPU per request (straight to them)", 'gateway / replica (min / median / max)', 'p99 through / straight (median)', 'failed through / straight'],
    ...RATES.map((rate) => [
      `${rate} reads/s`,
      spreadText(of(rate, 'gateway').map((r) => r.gatewayUs), us),
      spreadText(of(rate, 'direct').map((r) => r.replicasUs), us),
      spreadText(cpuRatios(runs, rate), (v) => v.toFixed(2)),
      `${round(spread(of(rate, 'gateway').map((r) => r.p99)).median, 1)} ms / ${round(spread(of(rate, 'direct').map((r) => r.p99)).median, 1)} ms`,
      `${of(rate, 'gateway').reduce((n, r) => n + r.failed, 0)} / ${of(rate, 'direct').reduce((n, r) => n + r.failed, 0)}`,
    ]),
    [
      `capacity (0 failed, p99 ≤ ${CAPACITY_P99_MS} ms)`,
      `${spreadText(capacityOfPath('gateway'), (v) => `${v}/s`)} through`,
      `${spreadText(capacityOfPath('direct'), (v) => `${v}/s`)} straight`,
      spreadText(capacityRatios, (v) => v.toFixed(2)),
      '',
      '',
    ],
    ...(surges.length
      ? [[
          `surge: ${SURGE_FACTOR} × capacity (${surges[0]!.rate}/s) for ${SURGE_SECONDS} s`,
          `p99 ${spreadText(surges.map((r) => r.p99), (v) => `${round(v, 1)} ms`)} (goal ≤ ${SURGE_P99_MS} ms)`,
          `normal again after ${spreadText(surges.map((r) => r.recoveryMs ?? Infinity), (v) => (Number.isFinite(v) ? `${v} ms` : `> ${RECOVERY_SECONDS} s`))} (goal ≤ ${RECOVERY_GOAL_MS} ms)`,
          `answers ${statusesText(surges)}`,
          '',
          `${surges.reduce((n, r) => n + r.unexpected, 0)} neither 200 nor a shed problem`,
        ]]
      : []),
  ];
  const median = (values: number[]) => spread(values).median.toFixed(2);
  const explanation = [
    `Item reads at a fixed rate (vegeta, open loop, keep-alive) through Traefik at its container address and straight to the 3 replicas (round robin), production settings; CPU per request is each container's own from its cgroup over the ${seconds} s run: the gateway spent ${RATES.map((rate) => `${median(cpuRatios(runs, rate))}× a replica's CPU per read at ${rate}/s`).join(' and ')} (medians of ${ROUNDS} rounds, each ratio within its round; goal ≤ 1.5).`,
    `Capacity, the highest of ${CAPACITY_RATES.join(', ')} reads/s kept by vegeta (≥ 95 %) for ${CAPACITY_SECONDS} s with every answer 200 and p99 ≤ ${CAPACITY_P99_MS} ms: ${spread(capacityOfPath('gateway')).median}/s through the gateway against ${spread(capacityOfPath('direct')).median}/s straight, ${median(capacityRatios)} (goal ≥ 0.5).`,
    ...(capacities.some((c) => c.capacity === CAPACITY_RATES.at(-1)) ? [`A capacity of ${CAPACITY_RATES.at(-1)}/s is the ramp's top: at least that.`] : []),
    `Overload: ${SURGE_FACTOR} × the median capacity through the gateway for ${SURGE_SECONDS} s (a base load of half the capacity, going on ${RECOVERY_SECONDS} s longer, and a surge run beside it); beyond GATEWAY_MAX_IN_FLIGHT requests at the replicas the gateway answers 429 problem+json with Retry-After; "normal again" is the first ${RECOVERY_WINDOW_MS} ms of the base load after the surge with every answer 200 and p99 ≤ ${CAPACITY_P99_MS} ms; status 0 is no answer within vegeta's 5 s timeout.`,
    'vegeta runs on the same two cores as the assembly.',
  ].join(' ');
  return {
    table,
    explanation,
    chart: {
      title: `CPU per item read: the gateway through it, the replicas straight to them (µs; bar: median of ${ROUNDS} rounds, line: min–max)`,
      yTitle: 'µs of CPU per request',
      bars: RATES.flatMap((rate) =>
        (
          [
            ['gateway (through it)', of(rate, 'gateway').map((r) => r.gatewayUs)],
            ['replicas (straight)', of(rate, 'direct').map((r) => r.replicasUs)],
          ] as const
        ).map(([series, values]) => {
          const s = spread([...values]);
          return { label: `${rate}/s`, series, value: round(s.median), min: round(s.min), max: round(s.max) };
        }),
      ),
    },
    data: { seconds, rounds: ROUNDS, rates: RATES, capacityRates: CAPACITY_RATES, capacityP99Ms: CAPACITY_P99_MS, capacitySeconds: CAPACITY_SECONDS, surgeFactor: SURGE_FACTOR, surgeSeconds: SURGE_SECONDS, runs, capacities, surges },
  };
}
