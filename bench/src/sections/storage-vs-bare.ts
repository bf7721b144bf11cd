import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { recordAnswers } from '../answers-file.ts';
import { runOrderLoad, type OrderLoadSummary } from '../order-load.ts';
import { stockProduct } from 'testkit/write-load';
import { runLoad } from '../run-load.ts';
import { freePort, startServerProcess, type ServerProcess } from 'testkit/processes';
import { getRaw, startStorageService } from '../server-process.ts';
import type { LoadSummary } from '../summary.ts';
import { loadOptions, ROUNDS, round, spread, WARM_UP_SECONDS } from '../suite/figures.ts';
import type { Section } from '../suite/section.ts';

const BARE_ENTRY = fileURLToPath(new URL('../bare-server.ts', import.meta.url));
const KOA_ENTRY = fileURLToPath(new URL('../koa-server.ts', import.meta.url));
const CONNECTIONS = 50;
const SERVER_LABEL = {
  bare: 'bare node:http',
  /** Koa and @koa/router answering the same fixed bytes, nothing else: what the framework alone costs. */
  koa: 'Koa and @koa/router alone',
  storage: 'storage-service',
  /**
   * storage-service at LOG_LEVEL=debug, i.e. with a line for every read as well (at info, as in production,
   * a read that went well is logged by the gateway only): what that line costs.
   */
  logged: 'storage-service, a line per read',
};
type Server = keyof typeof SERVER_LABEL;
const SERVERS = Object.keys(SERVER_LABEL) as Server[];

/** Orders per second placed, during the `writes` case, through a second storage-service process on the same database. */
const WRITE_RATE = 100;
/**
 * Random item reads (`read`), random full partition listings (`mixed` with p = 0: never an item read),
 * and item reads while orders are placed at WRITE_RATE through another process on the same database file
 * (another replica's writes: every commit invalidates the reader's cache, and all share the two cores).
 */
const CASES = [
  { id: 'item', label: 'item read', workload: 'read', p: 0, writes: false },
  { id: 'listing', label: 'partition listing', workload: 'mixed', p: 0, writes: false },
  { id: 'item-writes', label: `item read, ${WRITE_RATE} orders/s written`, workload: 'read', p: 0, writes: true },
] as const;

const percent = (share: number): string => `${Math.round(share * 100)} %`;

/** Two decimals, three where two would round across the 0.8 goal. */
const formatRatio = (ratio: number): string => (ratio.toFixed(2) === '0.80' ? ratio.toFixed(3) : ratio.toFixed(2));

const load = (url: string, workload: 'read' | 'mixed', p: number, seconds: number): Promise<LoadSummary> =>
  runLoad(loadOptions(url, '', { workload, p, connections: CONNECTIONS, durationSeconds: seconds, timeoutSeconds: 10 }));

export const section: Section = {
  id: 'storage-vs-bare',
  title: 'storage-service alone vs a bare node:http server',
  run: async ({ seconds, dir }) => {
    const started: ServerProcess[] = [];
    try {
      // storage-service as production runs it; its stdout (one JSON line per request) goes to a file.
      const storePath = join(dir, 'store.sqlite');
      const storage = await startStorageService({ env: { STORE_PATH: storePath }, stdoutFile: join(dir, 'storage.log') });
      started.push(storage);
      // A second replica on the same database, taking the orders of the `writes` case.
      const writer = await startStorageService({ env: { STORE_PATH: storePath }, stdoutFile: join(dir, 'writer.log') });
      started.push(writer);
      await stockProduct(writer.url, 'bench-stock', 1_000_000_000);

      // Every path either workload can ask for (discovery's too), with storage-service's exact answer.
      const answersFile = join(dir, 'answers.json');
      const { listingPaths, itemPaths } = await recordAnswers(storage.url, answersFile);
      const bare = await startServerProcess(BARE_ENTRY, { NODE_ENV: 'production' }, { args: [answersFile], stdoutFile: join(dir, 'bare.log') });
      started.push(bare);
      const koa = await startServerProcess(KOA_ENTRY, { NODE_ENV: 'production' }, { args: [answersFile], stdoutFile: join(dir, 'koa.log') });
      started.push(koa);
      const logged = await startStorageService({
        env: { LOG_LEVEL: 'debug' },
        stdoutFile: join(dir, 'logged.log'),
        port: await freePort(),
      });
      started.push(logged);
      const servers: Record<Server, ServerProcess> = { bare, koa, storage, logged };

      // Same bytes from all, for one item and one listing; and how many header bytes each sends with them.
      const headerBytes: Record<string, Record<'bare' | 'koa' | 'storage', number>> = {};
      for (const [id, path] of [['item', itemPaths[0]!], ['listing', listingPaths[0]!]] as const) {
        const [fromBare, fromKoa, fromStorage] = await Promise.all([bare, koa, storage].map((server) => getRaw(`${server.url}${path}`)));
        for (const [name, answer] of [['bare server', fromBare!], ['Koa server', fromKoa!]] as const) {
          if (!answer.body.equals(fromStorage!.body) || answer.contentType !== fromStorage!.contentType) throw new Error(`${name} and storage-service answer ${path} differently`);
        }
        headerBytes[id] = { bare: fromBare!.headerBytes, koa: fromKoa!.headerBytes, storage: fromStorage!.headerBytes };
      }

      const warmUp: Partial<Record<Server, LoadSummary>> = {};
      for (const server of SERVERS) warmUp[server] = await load(servers[server].url, 'read', 0, WARM_UP_SECONDS);
      // Interleaved, so drift of the machine hits every server alike: round r: item on each server, then listing on each.
      const runs: Array<{ round: number; case: string; server: Server; summary: LoadSummary; cpuSeconds: number; writes?: OrderLoadSummary }> = [];
      for (let round = 1; round <= ROUNDS; round++) {
        for (const c of CASES) {
          for (const server of SERVERS) {
            process.stderr.write(`bench: storage-vs-bare: round ${round}, ${c.label}, ${SERVER_LABEL[server]}\n`);
            // The orders start first and end last, so they run during the whole read load.
            const writes = c.writes
              ? runOrderLoad({ base: writer.url, productIds: ['bench-stock'], connections: 4, durationSeconds: seconds + 2, rate: WRITE_RATE })
              : undefined;
            if (writes) await sleep(1000);
            const cpuBefore = await servers[server].cpuSeconds();
            const summary = await load(servers[server].url, c.workload, c.p, seconds);
            const cpuSeconds = (await servers[server].cpuSeconds()) - cpuBefore;
            runs.push({ round, case: c.id, server, summary, cpuSeconds, writes: await writes });
          }
        }
      }

      const figures = CASES.map((c) => {
        const of = (server: Server) => runs.filter((run) => run.case === c.id && run.server === server);
        const cpuPerRequestUs = (run: (typeof runs)[number]) => (run.cpuSeconds * 1e6) / run.summary.requests.total;
        const stat = (server: Server) => ({
          perSecond: spread(of(server).map((run) => run.summary.requests.perSecond)).median,
          cpuPerRequestUs: spread(of(server).map(cpuPerRequestUs)).median,
          /** Share of one core the server used while loaded. */
          busy: spread(of(server).map((run) => run.cpuSeconds / seconds)).median,
          p99: spread(of(server).map((run) => run.summary.latencyMs.p99 ?? NaN)).median,
          errors: of(server).reduce((sum, run) => sum + run.summary.errors.total, 0),
          ordersPlaced: of(server).reduce((sum, run) => sum + (run.writes?.placed ?? 0), 0),
        });
        // Each round's ratio against the bare server's run of the same round: drift hits both alike.
        const bareOf = (run: (typeof runs)[number]) => of('bare').find((b) => b.round === run.round)!;
        const ratios = (server: Server) => spread(of(server).map((run) => run.summary.requests.perSecond / bareOf(run).summary.requests.perSecond));
        // CPU per request, the bare server's over this one's: the throughput ratio where the load generator never limits.
        const cpuRatios = (server: Server) => spread(of(server).map((run) => cpuPerRequestUs(bareOf(run)) / cpuPerRequestUs(run)));
        const byServer = (server: Server) => ({ ...stat(server), ratio: ratios(server), cpuRatio: cpuRatios(server) });
        return { ...c, bare: byServer('bare'), koa: byServer('koa'), storage: byServer('storage'), logged: byServer('logged') };
      });

      const ratioRange = (r: { min: number; median: number; max: number }) => `${formatRatio(r.min)} / ${formatRatio(r.median)} / ${formatRatio(r.max)}`;
      const table = [
        ['case', 'server', 'req/s', 'ratio to bare (min / median / max)', 'p99', 'CPU per request', 'CPU ratio to bare (min / median / max)'],
        ...figures.flatMap((f) =>
          SERVERS.map((server) => [
            f.label,
            SERVER_LABEL[server],
            String(round(f[server].perSecond)),
            server === 'bare' ? '1' : ratioRange(f[server].ratio),
            `${round(f[server].p99, 1)} ms`,
            `${round(f[server].cpuPerRequestUs, 1)} µs`,
            server === 'bare' ? '1' : ratioRange(f[server].cpuRatio),
          ]),
        ),
      ];
      const [item, listing, itemWrites] = figures as [(typeof figures)[0], (typeof figures)[0], (typeof figures)[0]];
      const errors = figures.reduce((sum, f) => sum + SERVERS.reduce((of, server) => of + f[server].errors, 0), 0);
      const met = (f: typeof item) => f.storage.ratio.min >= 0.8;
      const explanation = [
        `storage-service reaches ${ratioRange(item.storage.ratio)} (min / median / max of ${ROUNDS} rounds) of the bare node:http server's throughput for an item read (median ${round(item.storage.perSecond)} vs ${round(item.bare.perSecond)} req/s, p99 ${round(item.storage.p99, 1)} vs ${round(item.bare.p99, 1)} ms) and ${ratioRange(listing.storage.ratio)} for a full partition listing, so the goal of ≥ 0.8 with no write running is ${met(item) && met(listing) ? 'met in every round for both' : `missed in some round for ${[met(item) ? '' : 'the item read', met(listing) ? '' : 'the listing'].filter(Boolean).join(' and ')}`}.`,
        `While another replica of the same database placed ${WRITE_RATE} orders/s, item reads reached ${ratioRange(itemWrites.storage.ratio)} of the bare server's under the same orders (median ${round(itemWrites.storage.perSecond)} vs ${round(itemWrites.bare.perSecond)} req/s): each commit invalidates the reader's cache (SQLite's data_version), so the next read of an item goes to the database again.`,
        `The load generator limits these throughputs: autocannon runs on the same cores, and while it loaded them with item reads the bare server used ${percent(item.bare.busy)} of a core and storage-service ${percent(item.storage.busy)} (medians). Per request, storage-service used ${round(item.storage.cpuPerRequestUs, 1)} µs of CPU against the bare server's ${round(item.bare.cpuPerRequestUs, 1)} µs for an item read (CPU ratio ${ratioRange(item.storage.cpuRatio)}) and ${round(listing.storage.cpuPerRequestUs, 1)} against ${round(listing.bare.cpuPerRequestUs, 1)} µs for a listing (${ratioRange(listing.storage.cpuRatio)}): about the throughput ratio a load generator that never limits (on cores or a machine of its own) would measure. Koa and @koa/router alone, answering the same bytes, use ${round(item.koa.cpuPerRequestUs, 1)} µs per item read (CPU ratio ${ratioRange(item.koa.cpuRatio)}): the framework takes ${round(item.koa.cpuPerRequestUs - item.bare.cpuPerRequestUs, 1)} of the ${round(item.storage.cpuPerRequestUs - item.bare.cpuPerRequestUs, 1)} µs storage-service adds to the bare server, and its own steps (path validation, request id, request log, problem handling, the read cache's check, more headers) the rest.`,
        `All three send the same body bytes; over Koa and its router, storage-service adds path validation, the request's id and the replica's, Cache-Control and an ETag (the gateway adds the security headers; ${headerBytes.item!.storage} header bytes per answer vs the bare server's ${headerBytes.item!.bare} and Koa's ${headerBytes.item!.koa}), and the request log's bookkeeping; at LOG_LEVEL=info, as in production, a read that went well writes no line here (the gateway's access log has it, with the request id and the replica), while writes and failures do.`,
        `With a line for every read as well (LOG_LEVEL=debug, written asynchronously to a file as Docker's log driver would take it) the item read reaches ${ratioRange(item.logged.ratio)}: what that line costs.`,
        `Each ratio is per round against the bare server's run of the same round; ${ROUNDS} interleaved rounds of ${seconds} s at ${CONNECTIONS} connections after a ${WARM_UP_SECONDS} s warm-up per server, with autocannon on the same ${availableParallelism()} cores${errors ? `; ${errors} requests failed (see data)` : ', every request answered 200'}.`,
      ].join(' ');

      return {
        table,
        explanation,
        chart: {
          title: `Throughput, storage-service vs bare node:http and Koa alone (${CONNECTIONS} connections)`,
          yTitle: 'requests/s',
          bars: figures.flatMap((f) => SERVERS.map((server) => ({ label: f.label, series: SERVER_LABEL[server], value: round(f[server].perSecond) }))),
        },
        data: { seconds, connections: CONNECTIONS, rounds: ROUNDS, writeRate: WRITE_RATE, stdout: 'file', headerBytes, figures, warmUp, runs },
      };
    } finally {
      for (const server of started.reverse()) await server.stop();
    }
  },
};
