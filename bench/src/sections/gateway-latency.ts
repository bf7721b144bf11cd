import { loadavg } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { percentile, runScheduledLoad, type Outcome } from 'testkit/scheduled-load';
import { withBenchStack } from '../stack.ts';
import { rotated, round, ROUNDS, spread } from '../suite/figures.ts';
import type { Section, SectionResult } from '../suite/section.ts';

// Latency through the gateway at fixed rates well below saturation, open loop: requests leave on a
// schedule whatever the answers do, and each latency counts from when its request was due, so a stall
// anywhere (gateway, replica, load generator) shows instead of being hidden by a waiting client.
// The same read three ways: straight at one replica, through Traefik at its container address, through
// Traefik on the published port (Docker's userland proxy in front). Production settings (.env), 3 replicas.

export const PATHS = ['direct', 'gateway', 'published'] as const;
export type PathId = (typeof PATHS)[number];

export const PATH_LABELS: Record<PathId, string> = {
  direct: 'straight to one replica',
  gateway: 'through Traefik (container address)',
  published: 'through Traefik (published port)',
};

/** The same item for every request, so every path does the same work. */
const ITEM = '/data/products/p-1001';
const RATES = [100, 250, 500];
/** ≥ 15 s at 100 req/s gives 1,500 samples for p99.9; GATEWAY_LATENCY_SECONDS shortens a trial run. */
const seconds = () => Number(process.env.GATEWAY_LATENCY_SECONDS || 15);

/** `min / median / max` in ms, one decimal (two below 1 ms). Pure. */
export function formatSpread(s: { min: number; median: number; max: number }): string {
  const ms = (v: number) => (Number.isNaN(v) ? '–' : v < 1 ? v.toFixed(2) : v.toFixed(1));
  return `${ms(s.min)} / ${ms(s.median)} / ${ms(s.max)}`;
}

export interface RunFigures {
  sent: number;
  failed: number;
  p50: number;
  p99: number;
  p999: number;
  max: number;
  /** How late the load generator sent, against the schedule (its own stalls): p50, p99, p99.9, max. */
  late: { p50: number; p99: number; p999: number; max: number };
}

/** One run's figures from its outcomes; a request failed unless it was answered 200. Pure. */
export function runFigures(outcomes: Array<Pick<Outcome, 'latencyMs' | 'lateMs' | 'status'>>): RunFigures {
  const ascending = (values: number[]) => values.sort((a, b) => a - b);
  const percentiles = (sorted: number[]) => ({ p50: percentile(sorted, 50), p99: percentile(sorted, 99), p999: percentile(sorted, 99.9), max: percentile(sorted, 100) });
  return {
    sent: outcomes.length,
    failed: outcomes.filter((o) => o.status !== 200).length,
    ...percentiles(ascending(outcomes.map((o) => o.latencyMs))),
    late: percentiles(ascending(outcomes.map((o) => o.lateMs ?? NaN).filter((v) => !Number.isNaN(v)))),
  };
}

export interface Run extends RunFigures {
  rate: number;
  path: PathId;
  round: number;
  /** 1-minute load average when the run started and ended (the run's own load included). */
  loadStart: number;
  loadEnd: number;
}

/** min / median / max of each percentile over the runs of one rate and path. Pure. */
export function latencySpread(runs: Run[], rate: number, path: PathId) {
  const own = runs.filter((r) => r.rate === rate && r.path === path);
  return {
    sent: own.reduce((n, r) => n + r.sent, 0),
    failed: own.reduce((n, r) => n + r.failed, 0),
    p50: spread(own.map((r) => r.p50)),
    p99: spread(own.map((r) => r.p99)),
    p999: spread(own.map((r) => r.p999)),
    lateP99: spread(own.map((r) => r.late.p99)),
  };
}

/** What a path adds over direct at p99: the difference of the medians of their runs. Pure. */
export function addedP99(runs: Run[], rate: number, path: PathId): number {
  return latencySpread(runs, rate, path).p99.median - latencySpread(runs, rate, 'direct').p99.median;
}

const log = (line: string) => process.stderr.write(`bench: gateway-latency: ${line}\n`);

/**
 * One stack, then ROUNDS rounds of every rate × path (paths rotated each round, so none always goes
 * first). Production settings of .env, 3 replicas, the rate limit lifted (the middleware stays in the
 * chain; a limit of 300/s would answer 429 at 500 req/s).
 */
async function measure(): Promise<Run[]> {
  return withBenchStack(
    3,
    async (stack) => {
      const [replica] = await stack.running('storage');
      if (!replica) throw new Error('gateway-latency: no storage replica running');
      const urls: Record<PathId, string> = {
        direct: `http://${replica.ip}:3000${ITEM}`,
        gateway: `${await stack.gatewayUrl()}/storagesvc${ITEM}`,
        published: `${stack.baseUrl}/storagesvc${ITEM}`,
      };
      // Warm-up, not counted: connections opened, every path answering 200 before any measurement.
      for (const path of PATHS) {
        const warm = await runScheduledLoad({ url: urls[path], rate: 100, durationMs: 3000, timeoutMs: 2000 });
        if (warm.failed) throw new Error(`gateway-latency: ${warm.failed} of ${warm.sent} warm-up requests to ${urls[path]} failed (first: ${JSON.stringify(warm.failures[0])})`);
      }
      const runs: Run[] = [];
      for (const rate of RATES) {
        for (let round = 1; round <= ROUNDS; round++) {
          for (const path of rotated(PATHS, round)) {
            await sleep(1000);
            const loadStart = loadavg()[0]!;
            const result = await runScheduledLoad({ url: urls[path], rate, durationMs: seconds() * 1000, timeoutMs: 2000 });
            const run: Run = { rate, path, round, ...runFigures(result.outcomes), loadStart, loadEnd: loadavg()[0]! };
            log(`${rate}/s round ${round} ${path}: p50 ${run.p50.toFixed(2)} p99 ${run.p99.toFixed(2)} p99.9 ${run.p999.toFixed(2)} ms; sender late p99 ${run.late.p99.toFixed(2)} ms; failed ${run.failed}/${run.sent}`);
            runs.push(run);
          }
        }
      }
      return runs;
    },
    { production: true },
  );
}

export const section: Section = {
  id: 'gateway-latency',
  title: 'Gateway latency at fixed rates below saturation (open loop)',
  run: async () => report(await measure()),
};

function report(runs: Run[]): Omit<SectionResult, 'id' | 'title' | 'measuredAt' | 'command' | 'environment'> {
  const table = [['rate', 'path', 'p50 ms', 'p99 ms', 'p99.9 ms', 'sender late p99 ms', 'failed']];
  const bars: SectionResult['chart']['bars'] = [];
  for (const rate of RATES) {
    for (const path of PATHS) {
      const s = latencySpread(runs, rate, path);
      table.push([`${rate}/s`, PATH_LABELS[path], formatSpread(s.p50), formatSpread(s.p99), formatSpread(s.p999), formatSpread(s.lateP99), `${s.failed} of ${s.sent}`]);
      for (const [metric, label] of [['p50', 'p50'], ['p99', 'p99'], ['p999', 'p99.9']] as const) {
        bars.push({ label: `${rate}/s ${label}`, series: PATH_LABELS[path], value: round(s[metric].median, 2), min: round(s[metric].min, 2), max: round(s[metric].max, 2) });
      }
    }
  }
  const loads = runs.flatMap((r) => [r.loadStart, r.loadEnd]);
  const failed = runs.reduce((n, r) => n + r.failed, 0);
  const at250 = latencySpread(runs, 250, 'direct').p99.median;
  const explanation =
    `At 250 req/s Traefik at its container address added ${round(addedP99(runs, 250, 'gateway'), 1)} ms at p99 and the published port ` +
    `${round(addedP99(runs, 250, 'published'), 1)} ms (p99 median of runs straight to a replica: ${at250.toFixed(1)} ms). ` +
    `Each figure is min / median / max of ${ROUNDS} runs of ${seconds()} s per rate and path, open loop (latency from when each request was due), ` +
    `3 replicas with the production settings of .env, the rate limit lifted (its middleware still runs); the sender's own lateness is in its column. ` +
    `Load average ${Math.min(...loads).toFixed(2)}–${Math.max(...loads).toFixed(2)} during the runs.` +
    (failed ? ` ${failed} requests failed.` : '');
  return {
    table,
    explanation,
    chart: {
      title: 'Latency at fixed rates, 3 replicas, production settings (bar: median of runs; line: min–max)',
      yTitle: 'ms (log scale)',
      yScale: 'log',
      bars,
    },
    data: { rates: RATES, rounds: ROUNDS, seconds: seconds(), runs },
  };
}
