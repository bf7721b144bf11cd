import { execFile } from 'node:child_process';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { runOrderLoad, type OrderLoadSummary } from '../order-load.ts';
import type { Stack } from 'testkit/compose-stack';
import { stockProduct } from 'testkit/write-load';
import { withBenchStack } from '../stack.ts';
import { fmt, rotated, round, ROUNDS, spread, spreadText } from '../suite/figures.ts';
import type { Section } from '../suite/section.ts';

const exec = promisify(execFile);
const BARE_LOOP = fileURLToPath(new URL('../bare-order-loop.ts', import.meta.url));

/** 5 per replica when the load is split over the three. */
const CONNECTIONS = 15;
/** Products the orders spread over, each with ample stock; the contention case orders one of them only. */
const PRODUCTS = 100;
const STOCK = 1_000_000_000;

const PATHS = [
  { id: 'bare', label: 'bare loop (store transaction, no HTTP)' },
  { id: 'direct', label: 'straight to one replica' },
  { id: 'replicas', label: 'straight to all 3 replicas (no gateway)' },
  { id: 'gateway', label: 'through the gateway (published port, 3 replicas)' },
] as const;
type PathId = (typeof PATHS)[number]['id'];
const SPREAD_LABEL = { spread: `${PRODUCTS} products`, one: 'one product' };
type Spread = keyof typeof SPREAD_LABEL;
const SPREADS = Object.keys(SPREAD_LABEL) as Spread[];

interface Run {
  round: number;
  path: PathId;
  spread: Spread;
  perSecond: number;
  p99?: number;
  failed?: OrderLoadSummary['failed'];
}

/**
 * Orders per second, closed loop (each of 16 connections sends its next order on the answer to the last),
 * each order one unit with a fresh Idempotency-Key; against the same transaction in a bare node:sqlite loop
 * on the same disk. Spread over 100 products, and all on one product (contention).
 */
export const section: Section = {
  id: 'orders',
  title: 'Orders per second: through the gateway, direct, and the bare transaction',
  run: ({ seconds, dir }) =>
    withBenchStack(
      3,
      async (stack) => {
        const replicas = await stack.running('storage');
        const [replica] = replicas;
        if (!replica || replicas.length !== 3) throw new Error(`orders: ${replicas.length} storage replicas running, not 3`);
        const productIds = Array.from({ length: PRODUCTS }, (_, i) => `bench-${i}`);
        for (const id of productIds) await stockProduct(`${stack.baseUrl}/storagesvc`, id, STOCK);
        const sameDevice = await onSameDevice(stack, dir);
        // `replicas`: the connections split over the three, so they contend for the database's write lock without Traefik in between.
        const bases: Record<Exclude<PathId, 'bare'>, string[]> = {
          direct: [`http://${replica.ip}:3000`],
          replicas: replicas.map((r) => `http://${r.ip}:3000`),
          gateway: [`${stack.baseUrl}/storagesvc`],
        };
        const runs: Run[] = [];
        for (let round = 1; round <= ROUNDS; round++) {
          // Rotated: no path always goes first.
          const order = rotated(PATHS, round);
          for (const { id: path } of order) {
            for (const spreadId of SPREADS) {
              const ids = spreadId === 'one' ? productIds.slice(0, 1) : productIds;
              let run: Run;
              if (path === 'bare') {
                const { stdout } = await exec(process.execPath, [BARE_LOOP, `sqlite:${join(dir, `bare-${round}-${spreadId}.sqlite`)}`, String(seconds), String(ids.length)]);
                const { placed, seconds: elapsed } = JSON.parse(stdout) as { placed: number; seconds: number };
                run = { round, path, spread: spreadId, perSecond: placed / elapsed };
              } else {
                const connections = CONNECTIONS / bases[path].length;
                const loads = await Promise.all(bases[path].map((base) => runOrderLoad({ base, productIds: ids, connections, durationSeconds: seconds })));
                const failed: OrderLoadSummary['failed'] = {};
                for (const load of loads) for (const [status, n] of Object.entries(load.failed)) failed[status] = (failed[status] ?? 0) + n;
                const perSecond = loads.reduce((n, load) => n + load.placedPerSecond, 0);
                run = { round, path, spread: spreadId, perSecond, p99: Math.max(...loads.map((load) => load.latencyMs.p99)), failed };
              }
              process.stderr.write(`bench: orders: round ${round} ${path} ${spreadId}: ${round2(run.perSecond)} orders/s${run.p99 === undefined ? '' : `, p99 ${run.p99} ms`}${run.failed && Object.keys(run.failed).length ? `, failed ${JSON.stringify(run.failed)}` : ''}\n`);
              runs.push(run);
            }
          }
        }
        return report(runs, seconds, sameDevice);
      },
      { production: true },
    ),
};

const round2 = (value: number) => round(value, 0);

/** Whether the bare loop's folder and the compose volume with the replicas' database are on one device. */
async function onSameDevice(stack: Stack, dir: string): Promise<boolean> {
  const { stdout } = await exec('docker', ['volume', 'inspect', '--format', '{{.Mountpoint}}', `${stack.project}_storage-data`]);
  const [volume, bare] = await Promise.all([stat(stdout.trim()), stat(dir)]);
  return volume.dev === bare.dev;
}

function report(runs: Run[], seconds: number, sameDevice: boolean) {
  const of = (path: PathId, spreadId: Spread) => runs.filter((r) => r.path === path && r.spread === spreadId);
  const rates = (path: PathId, spreadId: Spread) => of(path, spreadId).map((r) => r.perSecond);
  /** Per round, against the bare loop of the same round and spread. */
  const ratios = (path: PathId, spreadId: Spread) => of(path, spreadId).map((r) => r.perSecond / of('bare', spreadId).find((b) => b.round === r.round)!.perSecond);
  const failed = runs.reduce((n, r) => n + Object.values(r.failed ?? {}).reduce((a, b) => a + b, 0), 0);

  const table = [['orders on', 'path', 'orders/s (min / median / max)', 'vs bare loop (min / median / max)', 'p99 (median)']];
  for (const spreadId of SPREADS) {
    for (const { id: path, label } of PATHS) {
      table.push([
        SPREAD_LABEL[spreadId],
        label,
        spreadText(rates(path, spreadId), fmt.rps),
        path === 'bare' ? '1' : spreadText(ratios(path, spreadId), (v) => v.toFixed(2)),
        path === 'bare' ? '–' : fmt.ms(spread(of(path, spreadId).map((r) => r.p99 ?? NaN)).median),
      ]);
    }
  }
  const med = (path: PathId, spreadId: Spread) => fmt.rps(spread(rates(path, spreadId)).median);
  const ratioMed = (path: PathId, spreadId: Spread) => spread(ratios(path, spreadId)).median.toFixed(2);
  const explanation = [
    `A bare loop of the store's order transaction commits ${med('bare', 'spread')} orders/s on this disk; straight to one replica the service places ${med('direct', 'spread')} orders/s (${ratioMed('direct', 'spread')} of it: HTTP, Koa, validation and the idempotency fingerprint on the same two cores as the load), straight to all 3 replicas ${med('replicas', 'spread')} (${ratioMed('replicas', 'spread')}) and through the gateway ${med('gateway', 'spread')} orders/s (${ratioMed('gateway', 'spread')}).`,
    `SQLite lets one writer commit at a time across every replica, so more replicas add no write throughput: they queue for the same lock, and a replica that finds it taken waits in SQLite's busy handler, which sleeps between its tries with the replica's event loop blocked. The gateway then costs what it costs reads at saturation (BENCHMARKS.md, gateway overhead): Traefik's CPU on the same two cores.`,
    `All on one product: ${med('direct', 'one')} orders/s direct and ${med('gateway', 'one')} through the gateway (${ratioMed('gateway', 'one')} of the bare loop's ${med('bare', 'one')}), the same as spread over ${PRODUCTS} products, since the lock is the whole database's, not a row's; the stock never goes below zero (the e2e suite checks that 50 buyers of 20 get exactly 20).`,
    `Each figure is min / median / max of ${ROUNDS} rotated rounds of ${seconds} s at ${CONNECTIONS} connections (5 per replica when split; p99 is the worst replica's) (each order one unit with a fresh Idempotency-Key, production settings); the bare loop (bench/src/bare-order-loop.ts) runs the same transaction through the store's code in one process, on a file ${sameDevice ? 'on the same device as' : 'NOT on the same device as'} the replicas' volume${failed ? `; ${failed} orders failed (see data)` : ', every order answered 201'}.`,
  ].join(' ');
  return {
    table,
    explanation,
    chart: {
      title: `Orders per second (${CONNECTIONS} connections; bar: median of ${ROUNDS} runs, line: min–max)`,
      yTitle: 'orders/s',
      bars: SPREADS.flatMap((spreadId) =>
        PATHS.map(({ id, label }) => {
          const s = spread(rates(id, spreadId));
          return { label: SPREAD_LABEL[spreadId], series: label, value: round(s.median), min: round(s.min), max: round(s.max) };
        }),
      ),
    },
    data: { seconds, rounds: ROUNDS, connections: CONNECTIONS, products: PRODUCTS, sameDevice, runs },
  };
}
