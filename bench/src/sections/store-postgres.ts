import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { startPostgres, type PostgresServer } from 'testkit/postgres';
import { runScheduledLoad } from 'testkit/scheduled-load';
import { recordAnswers } from '../answers-file.ts';
import { runOrderLoad } from '../order-load.ts';
import { stockProduct } from 'testkit/write-load';
import { runLoad } from '../run-load.ts';
import { startServerProcess, type ServerProcess } from 'testkit/processes';
import { getRaw, startStorageService } from '../server-process.ts';
import { containerCpuNs } from 'testkit/usage';
import { fmt, loadOptions, rotated, round, ROUNDS, spread, spreadText, WARM_UP_SECONDS } from '../suite/figures.ts';
import type { Section } from '../suite/section.ts';

const exec = promisify(execFile);
const BARE_LOOP = fileURLToPath(new URL('../bare-order-loop.ts', import.meta.url));
const BARE_SERVER = fileURLToPath(new URL('../bare-server.ts', import.meta.url));
const BARE_PG_SERVER = fileURLToPath(new URL('../bare-pg-server.ts', import.meta.url));

/** Closed-loop orders on one replica, as in the orders section; the bare loop runs as many loops. */
const ORDER_CONNECTIONS = 15;
/** Closed-loop item reads, as in storage-vs-bare. */
const READ_CONNECTIONS = 50;
/** PostgreSQL connections of a replica (storage-service's default STORE_POOL_SIZE), of the bare loop and of the bare server. */
const POOL_SIZE = 5;
const PRODUCTS = 100;
const STOCK = 1_000_000_000;
/** Orders per second, open loop, round-robin over LATENCY_REPLICAS replicas of one store, all of one product. */
const LATENCY_RATE = 100;
const LATENCY_REPLICAS = 3;
/** An item of the seeded data, read from both servers to check they answer the same bytes. */
const ITEM = '/data/products/p-1001';
const GOALS = { orders: 0.7, reads: 0.8, p99Ms: 20 };

const STORE_LABEL = { sqlite: 'SQLite', postgres: 'PostgreSQL' };
type StoreId = keyof typeof STORE_LABEL;
const STORES = Object.keys(STORE_LABEL) as StoreId[];
const CASES = ['orders', 'reads', 'latency'] as const;
type CaseId = (typeof CASES)[number];

/** One measured load: storage-service's, or the bare counterpart's on the same kind of store. */
interface Run {
  round: number;
  store: StoreId;
  case: CaseId;
  path: 'service' | 'bare';
  /** Orders placed or reads answered. */
  operations: number;
  perSecond: number;
  /** Not measured for the bare loop: NaN. */
  p50: number;
  p99: number;
  failed: number;
  /** CPU time during the load: the process(es) measured, PostgreSQL's container, and this process (the load generator). */
  cpuSeconds: number;
  postgresCpuSeconds: number;
  loadCpuSeconds: number;
}

type Figures = Pick<Run, 'operations' | 'perSecond' | 'p50' | 'p99' | 'failed'>;

/**
 * Both stores side by side in one run, each load on a new SQLite file or PostgreSQL database: orders/s and
 * item reads/s through ONE storage-service process against the same store work without HTTP, and the
 * latency of orders at a fixed rate through three replicas on one store, all buying one product.
 */
export const section: Section = {
  id: 'store-postgres',
  title: 'PostgreSQL and SQLite stores side by side: one replica against the bare store, and order latency over three replicas',
  run: async ({ seconds, dir }) => {
    const started: ServerProcess[] = [];
    let postgres: PostgresServer | undefined;
    try {
      // Durable, as SQLite's synchronous=FULL is: fsync, synchronous_commit and full_page_writes at PostgreSQL's defaults.
      const server = (postgres = await startPostgres({ durable: true }));
      const inspect = ['inspect', '--format', '{{.Id}} {{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}', server.container];
      const [containerId, address] = (await exec('docker', inspect)).stdout.trim().split(' ') as [string, string];
      const postgresCpuSeconds = async () => ((await containerCpuNs(containerId)) ?? NaN) / 1e9;
      /**
       * A new database at the container's own address, as replicas reach theirs on a compose network: through
       * the published port every round trip also crosses docker-proxy, which took about as much CPU as the bare loop.
       */
      const database = async () => {
        const url = new URL(await server.createDatabase());
        url.host = `${address}:5432`;
        return url.toString();
      };
      let files = 0;
      /** A new, empty store, named as bare-order-loop.ts takes it: `sqlite:PATH` or a postgres:// URL. */
      const fresh = async (store: StoreId) => (store === 'sqlite' ? `sqlite:${join(dir, `store-${++files}.sqlite`)}` : database());
      const track = async (starting: Promise<ServerProcess>) => {
        const child = await starting;
        started.push(child);
        return child;
      };
      const startReplica = (store: string, name: string) => {
        const env: Record<string, string> = store.startsWith('sqlite:') ? { STORE_PATH: store.slice('sqlite:'.length) } : { STORE_URL: store, STORE_POOL_SIZE: String(POOL_SIZE) };
        return track(startStorageService({ env: { ...env, REPLICA_ID: name }, stdoutFile: join(dir, `${name}.log`) }));
      };
      /** `load`'s figures, with the CPU time `processes`, PostgreSQL and this process used meanwhile. */
      const measure = async (processes: ServerProcess[], load: () => Promise<Figures & { cpuSeconds?: number }>) => {
        const cpuOf = async () => (await Promise.all(processes.map((p) => p.cpuSeconds()))).reduce((a, b) => a + b, 0);
        const [cpuBefore, postgresBefore, loadBefore] = [await cpuOf(), await postgresCpuSeconds(), process.cpuUsage()];
        const { cpuSeconds, ...figures } = await load();
        const loadCpu = process.cpuUsage(loadBefore);
        return {
          ...figures,
          cpuSeconds: cpuSeconds ?? (await cpuOf()) - cpuBefore,
          postgresCpuSeconds: (await postgresCpuSeconds()) - postgresBefore,
          loadCpuSeconds: (loadCpu.user + loadCpu.system) / 1e6,
        };
      };
      const productIds = Array.from({ length: PRODUCTS }, (_, i) => `bench-${i}`);

      type Measured = Omit<Run, 'round' | 'store' | 'case' | 'path'>;
      /** Per case, on a store: the service's run and (not for latency) the bare counterpart's; the round says which goes first. */
      const cases: Record<CaseId, (round: number, store: StoreId) => Promise<{ service: () => Promise<Measured>; bare?: () => Promise<Measured> }>> = {
        orders: async (round, store) => ({
          service: async () => {
            const replica = await startReplica(await fresh(store), `orders-${store}-${round}`);
            for (const id of productIds) await stockProduct(replica.url, id, STOCK);
            const run = await measure([replica], async () => {
              const load = await runOrderLoad({ base: replica.url, productIds, connections: ORDER_CONNECTIONS, durationSeconds: seconds });
              const failed = Object.values(load.failed).reduce((a, b) => a + b, 0);
              return { operations: load.placed, perSecond: load.placedPerSecond, p50: load.latencyMs.p50, p99: load.latencyMs.p99, failed };
            });
            await replica.stop();
            return run;
          },
          // As many loops as the load has connections, on a pool of the same size. PostgreSQL's CPU here includes the loop's setup (schema, 100 products).
          bare: async () => {
            const args = [BARE_LOOP, await fresh(store), String(seconds), String(PRODUCTS), String(ORDER_CONNECTIONS), String(POOL_SIZE)];
            return measure([], async () => {
              const { placed, seconds: elapsed, cpuSeconds } = JSON.parse((await exec(process.execPath, args, { timeout: (seconds + 120) * 1000 })).stdout) as { placed: number; seconds: number; cpuSeconds: number };
              return { operations: placed, perSecond: placed / elapsed, p50: NaN, p99: NaN, failed: 0, cpuSeconds };
            });
          },
        }),
        // One store for both: the replica seeds it from its data file; SQLite's bare server answers the bytes the replica answered.
        reads: async (round, store) => {
          const name = `reads-${store}-${round}`;
          const db = await fresh(store);
          const replica = await startReplica(db, name);
          const stdoutFile = join(dir, `${name}-bare.log`);
          let bare: ServerProcess;
          if (store === 'sqlite') {
            const answersFile = join(dir, `${name}-answers.json`);
            await recordAnswers(replica.url, answersFile);
            bare = await track(startServerProcess(BARE_SERVER, { NODE_ENV: 'production' }, { args: [answersFile], stdoutFile }));
          } else {
            bare = await track(startServerProcess(BARE_PG_SERVER, { NODE_ENV: 'production' }, { args: [db, String(POOL_SIZE)], stdoutFile }));
          }
          const [fromReplica, fromBare] = await Promise.all([getRaw(`${replica.url}${ITEM}`), getRaw(`${bare.url}${ITEM}`)]);
          if (fromReplica.status !== 200 || !fromBare.body.equals(fromReplica.body) || fromBare.contentType !== fromReplica.contentType) {
            throw new Error(`the bare server and storage-service answer ${ITEM} differently`);
          }
          const read = (target: ServerProcess) => async () => {
            const load = (durationSeconds: number) => runLoad(loadOptions(target.url, '', { workload: 'read', p: 0, connections: READ_CONNECTIONS, durationSeconds, timeoutSeconds: 10 }));
            await load(WARM_UP_SECONDS);
            const run = await measure([target], async () => {
              const summary = await load(seconds);
              const { total: operations, perSecond } = summary.requests;
              return { operations, perSecond, p50: summary.latencyMs.p50 ?? NaN, p99: summary.latencyMs.p99 ?? NaN, failed: summary.errors.total };
            });
            await target.stop();
            return run;
          };
          return { service: read(replica), bare: read(bare) };
        },
        latency: async (round, store) => ({
          service: async () => {
            const db = await fresh(store);
            const replicas: ServerProcess[] = [];
            // One after another: the first creates and seeds the store.
            for (let i = 1; i <= LATENCY_REPLICAS; i++) replicas.push(await startReplica(db, `latency-${store}-${round}-${i}`));
            await stockProduct(replicas[0]!.url, productIds[0]!, STOCK);
            const body = JSON.stringify({ productId: productIds[0], quantity: 1 });
            const send = (durationSeconds: number) =>
              runScheduledLoad({
                url: (i) => `${replicas[i % replicas.length]!.url}/orders`,
                init: () => ({ method: 'POST', headers: { 'content-type': 'application/json', 'idempotency-key': randomUUID() }, body }),
                rate: LATENCY_RATE,
                durationMs: durationSeconds * 1000,
                timeoutMs: 10_000,
                ok: (o) => o.status === 201,
              });
            await send(WARM_UP_SECONDS);
            const run = await measure(replicas, async () => {
              const load = await send(seconds);
              return { operations: load.succeeded, perSecond: load.sent / seconds, p50: load.p50, p99: load.p99, failed: load.failed };
            });
            for (const replica of replicas) await replica.stop();
            return run;
          },
        }),
      };

      const runs: Run[] = [];
      for (let round = 1; round <= ROUNDS; round++) {
        // Rotated: neither store, nor the service or its bare counterpart, always goes first.
        for (const store of rotated(STORES, round)) {
          for (const caseId of CASES) {
            const { service, bare } = await cases[caseId](round, store);
            const paths = [['service', service], ...(bare ? [['bare', bare] as const] : [])] as const;
            for (const [path, measured] of rotated(paths, round)) {
              const run: Run = { round, store, case: caseId, path, ...(await measured()) };
              process.stderr.write(
                `bench: store-postgres: round ${round} ${store} ${caseId} ${path}: ${fmt.rps(run.perSecond)}/s, p50 ${fmt.ms(run.p50)}, p99 ${fmt.ms(run.p99)}, ` +
                  `CPU ${round2(run.cpuSeconds)} s + PostgreSQL ${round2(run.postgresCpuSeconds)} s + load ${round2(run.loadCpuSeconds)} s${run.failed ? `, ${run.failed} failed` : ''}\n`,
              );
              runs.push(run);
            }
          }
        }
      }
      return report(runs, seconds);
    } finally {
      for (const child of started) await child.stop();
      await postgres?.stop();
    }
  },
};

const round2 = (value: number) => round(value, 2);

function report(runs: Run[], seconds: number) {
  const of = (caseId: CaseId, store: StoreId, path: Run['path'] = 'service') => runs.filter((r) => r.case === caseId && r.store === store && r.path === path);
  /** Per round, against the bare counterpart's run of the same round. */
  const ratios = (caseId: CaseId, store: StoreId) => of(caseId, store).map((r) => r.perSecond / of(caseId, store, 'bare').find((b) => b.round === r.round)!.perSecond);
  const ratioText = (caseId: CaseId, store: StoreId) => spreadText(ratios(caseId, store), (v) => v.toFixed(2));
  const rate = (caseId: CaseId, store: StoreId, path: Run['path'] = 'service') => spreadText(of(caseId, store, path).map((r) => r.perSecond), fmt.rps);
  const p = (store: StoreId, percentile: 'p50' | 'p99') => spreadText(of('latency', store).map((r) => r[percentile]), (v) => round(v, 1).toString());
  /** Median CPU per operation, µs, of the runs' processes, PostgreSQL, or the load generator; with what share of the cores all three kept busy. */
  const cpu = (caseId: CaseId, store: StoreId, path: Run['path'] = 'service') => {
    const median = (value: (r: Run) => number) => round(spread(of(caseId, store, path).map(value)).median);
    const perOp = (field: 'cpuSeconds' | 'postgresCpuSeconds' | 'loadCpuSeconds') => median((r) => (r[field] * 1e6) / r.operations);
    const busy = median((r) => ((r.cpuSeconds + (store === 'postgres' ? r.postgresCpuSeconds : 0) + r.loadCpuSeconds) / seconds / availableParallelism()) * 100);
    return { own: perOp('cpuSeconds'), postgres: perOp('postgresCpuSeconds'), load: perOp('loadCpuSeconds'), busy };
  };
  const cpuText = (caseId: CaseId, store: StoreId, path: Run['path'] = 'service') => {
    const c = cpu(caseId, store, path);
    return `${c.own} µs${store === 'postgres' ? ` + PostgreSQL ${c.postgres} µs` : ''}${path === 'bare' && caseId === 'orders' ? '' : ` + load ${c.load} µs`} (cores ${c.busy} % busy)`;
  };
  const verdict = (values: number[], met: (v: number) => boolean) => (values.every(met) ? 'met in every round' : met(spread(values).median) ? 'met at the median, not in every round' : 'missed');
  const ordersGoal = verdict(ratios('orders', 'postgres'), (v) => v >= GOALS.orders);
  const readsGoal = verdict(ratios('reads', 'postgres'), (v) => v >= GOALS.reads);
  const latencyGoal = verdict(of('latency', 'postgres').map((r) => r.p99), (v) => v <= GOALS.p99Ms);

  /** A case measured against its bare counterpart: rates, their ratio, the goal (PostgreSQL's only) and the CPU per operation. */
  const comparedRow = (caseId: 'orders' | 'reads', store: StoreId, label: string, goal: string) => [
    label,
    STORE_LABEL[store],
    rate(caseId, store),
    rate(caseId, store, 'bare'),
    ratioText(caseId, store),
    store === 'postgres' ? goal : '–',
    `${cpuText(caseId, store)} · ${cpuText(caseId, store, 'bare')}`,
  ];
  const table = [
    ['case', 'store', 'storage-service (min / median / max)', 'bare (min / median / max)', 'service / bare (min / median / max)', 'goal (PostgreSQL)', 'CPU per operation (median): service · bare'],
    ...STORES.flatMap((store) => [
      comparedRow('orders', store, `orders/s, one replica, ${ORDER_CONNECTIONS} connections, ${PRODUCTS} products`, `≥ ${GOALS.orders}: ${ordersGoal}`),
      comparedRow('reads', store, `item reads/s, one replica, ${READ_CONNECTIONS} connections`, `≥ ${GOALS.reads}: ${readsGoal}`),
      [
        `order latency, ${LATENCY_REPLICAS} replicas, ${LATENCY_RATE} orders/s on one product`,
        STORE_LABEL[store],
        `p50 ${p(store, 'p50')} ms; p99 ${p(store, 'p99')} ms`,
        '–',
        '–',
        store === 'postgres' ? `p99 ≤ ${GOALS.p99Ms} ms: ${latencyGoal}` : '–',
        cpuText('latency', store),
      ],
    ]),
  ];

  const median = (values: number[]) => spread(values).median;
  const med = (caseId: CaseId, store: StoreId, path: Run['path'] = 'service') => fmt.rps(median(of(caseId, store, path).map((r) => r.perSecond)));
  const failed = runs.reduce((n, r) => n + r.failed, 0);
  const [pgOrders, pgOrdersBare, pgReads, pgReadsBare, pgLatency] = [cpu('orders', 'postgres'), cpu('orders', 'postgres', 'bare'), cpu('reads', 'postgres'), cpu('reads', 'postgres', 'bare'), cpu('latency', 'postgres')];
  const explanation = [
    `Both stores in one run: SQLite (a file, synchronous=FULL) and PostgreSQL 17 in a container with its durable defaults (fsync, synchronous_commit, full_page_writes on), reached at the container's address, each case on a new file or database (storage-service's item reads and the bare server's on the same one); ${ROUNDS} rounds of ${seconds} s, rotating which store, and whether storage-service or its bare counterpart, goes first; min / median / max of the rounds, each ratio against the bare run of its round.`,
    `Orders (one unit of a random one of ${PRODUCTS} products with ample stock, a fresh Idempotency-Key each) through one storage-service process (server.ts, production settings, a pool of ${POOL_SIZE} on PostgreSQL) under ${ORDER_CONNECTIONS} closed-loop connections: on PostgreSQL ${med('orders', 'postgres')} orders/s (median) against ${med('orders', 'postgres', 'bare')} from the bare loop (bench/src/bare-order-loop.ts: ${ORDER_CONNECTIONS} concurrent loops of the store's placeOrder on a pool of ${POOL_SIZE}, no HTTP), a ratio of ${ratioText('orders', 'postgres')}: the goal of ≥ ${GOALS.orders} is ${ordersGoal}; on SQLite ${med('orders', 'sqlite')} against ${med('orders', 'sqlite', 'bare')} (${ratioText('orders', 'sqlite')}).`,
    `On PostgreSQL every order also updates the one row counting orders, locked from that UPDATE until its COMMIT is on disk, so orders commit one at a time whatever the pool size; only the transaction's last statement (that UPDATE, the order row and the kept result together) and its COMMIT fall inside that lock, and a replica's event loop, serving HTTP too, sends them later than the bare loop's does.`,
    `Item reads (the read workload: random items of the seeded data, ${READ_CONNECTIONS} connections, after a ${WARM_UP_SECONDS} s warm-up): on PostgreSQL ${med('reads', 'postgres')} reads/s against ${med('reads', 'postgres', 'bare')} from a bare node:http server running the same prepared SELECT on a pool of ${POOL_SIZE} (bench/src/bare-pg-server.ts), a ratio of ${ratioText('reads', 'postgres')}: the goal of ≥ ${GOALS.reads} is ${readsGoal}; on SQLite (the replica's read cache) ${med('reads', 'sqlite')} against the bare server's fixed bytes ${med('reads', 'sqlite', 'bare')} (${ratioText('reads', 'sqlite')}).`,
    `Orders at a fixed ${LATENCY_RATE}/s (open loop, testkit's scheduled load; latency from when each was due, ${WARM_UP_SECONDS} s warm-up first) round-robin over ${LATENCY_REPLICAS} replicas on one store, all of one product: PostgreSQL p50 ${p('postgres', 'p50')} ms, p99 ${p('postgres', 'p99')} ms, so the goal of p99 ≤ ${GOALS.p99Ms} ms is ${latencyGoal}; SQLite p50 ${p('sqlite', 'p50')} ms, p99 ${p('sqlite', 'p99')} ms.`,
    `Where the time goes on PostgreSQL (CPU per operation, medians): an order took ${pgOrders.own} µs in the replica and ${pgOrders.postgres} µs in PostgreSQL, the load generator ${pgOrders.load} µs, keeping ${pgOrders.busy} % of the ${availableParallelism()} cores busy; the bare loop ${pgOrdersBare.own} µs and PostgreSQL ${pgOrdersBare.postgres} µs (${pgOrdersBare.busy} %). A read took ${pgReads.own} µs in the replica, ${pgReads.postgres} µs in PostgreSQL and ${pgReads.load} µs in the load generator (${pgReads.busy} %), against the bare server's ${pgReadsBare.own} µs and PostgreSQL's ${pgReadsBare.postgres} µs (${pgReadsBare.busy} %). At ${LATENCY_RATE} orders/s the three replicas took ${pgLatency.own} µs per order together and PostgreSQL ${pgLatency.postgres} µs.`,
    `The load generator runs on the same ${availableParallelism()} cores${failed ? `; ${failed} requests failed (see data)` : '; every order was answered 201 and every read 200'}.`,
  ].join(' ');

  return {
    table,
    explanation,
    chart: {
      title: `storage-service through one replica over the bare store (median of ${ROUNDS} rounds, line: min–max)`,
      yTitle: 'storage-service / bare',
      bars: (['orders', 'reads'] as const).flatMap((caseId) =>
        STORES.map((store) => {
          const s = spread(ratios(caseId, store));
          return { label: caseId === 'orders' ? 'orders/s' : 'item reads/s', series: STORE_LABEL[store], value: round(s.median, 2), min: round(s.min, 2), max: round(s.max, 2) };
        }),
      ),
    },
    data: {
      seconds,
      rounds: ROUNDS,
      orderConnections: ORDER_CONNECTIONS,
      readConnections: READ_CONNECTIONS,
      poolSize: POOL_SIZE,
      products: PRODUCTS,
      latencyRate: LATENCY_RATE,
      latencyReplicas: LATENCY_REPLICAS,
      runs,
    },
  };
}
