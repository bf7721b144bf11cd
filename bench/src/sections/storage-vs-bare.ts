import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { discoverCatalog } from '../discovery.ts';
import { runOrderLoad, stockProduct, type OrderLoadSummary } from '../order-load.ts';
import { runLoad } from '../run-load.ts';
import { freePort } from 'testkit/processes';
import { getRaw, startNodeProcess, startStorageService, type NodeProcess } from '../server-process.ts';
import type { LoadSummary } from '../summary.ts';
import { benchSeconds, loadOptions, round, spread } from '../suite/figures.ts';
import type { Section } from '../suite/section.ts';

const BARE_ENTRY = fileURLToPath(new URL('../bare-server.ts', import.meta.url));
const CONNECTIONS = 50;
const ROUNDS = 3;
const WARM_UP_SECONDS = 2;
/**
 * `logged`: storage-service at LOG_LEVEL=debug, i.e. with a line for every read as well (at info, as in
 * production, a read that went well is logged by the gateway only): what that line costs.
 */
const SERVERS = ['bare', 'storage', 'logged'] as const;
type Server = (typeof SERVERS)[number];
const SERVER_LABEL: Record<Server, string> = { bare: 'bare node:http', storage: 'storage-service', logged: 'storage-service, a line per read' };

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

/** Two decimals, three where two would round across the 0.8 goal. */
const formatRatio = (ratio: number): string => (ratio.toFixed(2) === '0.80' ? ratio.toFixed(3) : ratio.toFixed(2));

const load = (url: string, workload: 'read' | 'mixed', p: number, seconds: number): Promise<LoadSummary> =>
  runLoad(loadOptions(url, '', { workload, p, connections: CONNECTIONS, durationSeconds: seconds, timeoutSeconds: 10 }));

export const section: Section = {
  id: 'storage-vs-bare',
  title: 'storage-service alone vs a bare node:http server',
  run: async () => {
    const seconds = benchSeconds();
    const dir = await mkdtemp(join(tmpdir(), 'bench-storage-vs-bare-'));
    const started: NodeProcess[] = [];
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
      const catalog = await discoverCatalog(storage.url, 10_000);
      const listingPaths = catalog.partitions.map(({ key }) => `/data/${encodeURIComponent(key)}`);
      const itemPaths = catalog.partitions.flatMap(({ key, ids }) => ids.map((id) => `/data/${encodeURIComponent(key)}/${encodeURIComponent(id)}`));
      const answers: Record<string, { contentType: string; body: string }> = {};
      for (const path of ['/data', ...listingPaths, ...itemPaths]) {
        const answer = await getRaw(`${storage.url}${path}`);
        if (answer.status !== 200) throw new Error(`GET ${path} on storage-service answered ${answer.status}`);
        answers[path] = { contentType: answer.contentType, body: answer.body.toString('base64') };
      }
      const answersFile = join(dir, 'answers.json');
      await writeFile(answersFile, JSON.stringify(answers));
      const bare = await startNodeProcess(BARE_ENTRY, { args: [answersFile], env: { NODE_ENV: 'production' }, stdoutFile: join(dir, 'bare.log') });
      started.push(bare);
      const logged = await startStorageService({
        env: { LOG_LEVEL: 'debug' },
        stdoutFile: join(dir, 'logged.log'),
        port: await freePort(),
      });
      started.push(logged);
      const urls: Record<Server, string> = { bare: bare.url, storage: storage.url, logged: logged.url };

      // Same bytes from both, for one item and one listing; and how many header bytes each sends with them.
      const headerBytes: Record<string, Record<'bare' | 'storage', number>> = {};
      for (const [id, path] of [['item', itemPaths[0]!], ['listing', listingPaths[0]!]] as const) {
        const [fromBare, fromStorage] = await Promise.all([getRaw(`${bare.url}${path}`), getRaw(`${storage.url}${path}`)]);
        if (!fromBare.body.equals(fromStorage.body) || fromBare.contentType !== fromStorage.contentType) throw new Error(`bare server and storage-service answer ${path} differently`);
        headerBytes[id] = { bare: fromBare.headerBytes, storage: fromStorage.headerBytes };
      }

      const warmUp: Partial<Record<Server, LoadSummary>> = {};
      for (const server of SERVERS) warmUp[server] = await load(urls[server], 'read', 0, WARM_UP_SECONDS);
      // Interleaved, so drift of the machine hits every server alike: round r: item on each server, then listing on each.
      const runs: Array<{ round: number; case: string; server: Server; summary: LoadSummary; writes?: OrderLoadSummary }> = [];
      for (let round = 1; round <= ROUNDS; round++) {
        for (const c of CASES) {
          for (const server of SERVERS) {
            process.stderr.write(`bench: storage-vs-bare: round ${round}, ${c.label}, ${SERVER_LABEL[server]}\n`);
            // The orders start first and end last, so they run during the whole read load.
            const writes = c.writes
              ? runOrderLoad({ base: writer.url, productIds: ['bench-stock'], connections: 4, durationSeconds: seconds + 2, rate: WRITE_RATE })
              : undefined;
            if (writes) await sleep(1000);
            const summary = await load(urls[server], c.workload, c.p, seconds);
            runs.push({ round, case: c.id, server, summary, writes: await writes });
          }
        }
      }

      const figures = CASES.map((c) => {
        const of = (server: Server) => runs.filter((run) => run.case === c.id && run.server === server);
        const stat = (server: Server) => ({
          perSecond: spread(of(server).map((run) => run.summary.requests.perSecond)).median,
          p99: spread(of(server).map((run) => run.summary.latencyMs.p99 ?? NaN)).median,
          errors: of(server).reduce((sum, run) => sum + run.summary.errors.total, 0),
          ordersPlaced: of(server).reduce((sum, run) => sum + (run.writes?.placed ?? 0), 0),
        });
        // Each round's ratio against the bare server's run of the same round: drift hits both alike.
        const ratios = (server: Server) =>
          spread(of(server).map((run) => run.summary.requests.perSecond / of('bare').find((b) => b.round === run.round)!.summary.requests.perSecond));
        return { ...c, bare: stat('bare'), storage: stat('storage'), logged: stat('logged'), ratio: ratios('storage'), loggedRatio: ratios('logged') };
      });

      const ratioRange = (r: { min: number; median: number; max: number }) => `${formatRatio(r.min)} / ${formatRatio(r.median)} / ${formatRatio(r.max)}`;
      const table = [
        ['case', 'bare req/s', 'storage req/s', 'ratio (min / median / max)', 'bare p99', 'storage p99', 'a line per read: req/s', 'ratio (min / median / max)'],
        ...figures.map((f) => [
          f.label,
          String(round(f.bare.perSecond)),
          String(round(f.storage.perSecond)),
          ratioRange(f.ratio),
          `${round(f.bare.p99, 1)} ms`,
          `${round(f.storage.p99, 1)} ms`,
          String(round(f.logged.perSecond)),
          ratioRange(f.loggedRatio),
        ]),
      ];
      const [item, listing, itemWrites] = figures as [(typeof figures)[0], (typeof figures)[0], (typeof figures)[0]];
      const errors = figures.reduce((sum, f) => sum + f.bare.errors + f.storage.errors + f.logged.errors, 0);
      const met = (f: typeof item) => f.ratio.min >= 0.8;
      const explanation = [
        `storage-service reaches ${ratioRange(item.ratio)} (min / median / max of ${ROUNDS} rounds) of the bare node:http server's throughput for an item read (median ${round(item.storage.perSecond)} vs ${round(item.bare.perSecond)} req/s, p99 ${round(item.storage.p99, 1)} vs ${round(item.bare.p99, 1)} ms) and ${ratioRange(listing.ratio)} for a full partition listing, so the goal of ≥ 0.8 with no write running is ${met(item) && met(listing) ? 'met in every round for both' : `missed in some round for ${[met(item) ? '' : 'the item read', met(listing) ? '' : 'the listing'].filter(Boolean).join(' and ')}`}.`,
        `While another replica of the same database placed ${WRITE_RATE} orders/s, item reads reached ${ratioRange(itemWrites.ratio)} of the bare server's under the same orders (median ${round(itemWrites.storage.perSecond)} vs ${round(itemWrites.bare.perSecond)} req/s): each commit invalidates the reader's cache (SQLite's data_version), so the next read of an item goes to the database again.`,
        `Both servers send the same body bytes; storage-service adds Koa routing and path validation, a request id, security headers and an ETag (${headerBytes.item!.storage} header bytes per answer vs ${headerBytes.item!.bare}), and the request log's bookkeeping; at LOG_LEVEL=info, as in production, a read that went well writes no line here (the gateway's access log has it, with the request id and the replica), while writes and failures do.`,
        `With a line for every read as well (LOG_LEVEL=debug, written asynchronously to a file as Docker's log driver would take it) the item read reaches ${ratioRange(item.loggedRatio)}: what that line costs.`,
        `Each ratio is per round against the bare server's run of the same round; ${ROUNDS} interleaved rounds of ${seconds} s at ${CONNECTIONS} connections after a ${WARM_UP_SECONDS} s warm-up per server, with autocannon on the same ${availableParallelism()} cores${errors ? `; ${errors} requests failed (see data)` : ', every request answered 200'}.`,
      ].join(' ');

      return {
        table,
        explanation,
        chart: {
          title: `Throughput, storage-service vs bare node:http (${CONNECTIONS} connections)`,
          yTitle: 'requests/s',
          bars: figures.flatMap((f) => SERVERS.map((server) => ({ label: f.label, series: SERVER_LABEL[server], value: round(f[server].perSecond) }))),
        },
        data: { seconds, connections: CONNECTIONS, rounds: ROUNDS, writeRate: WRITE_RATE, stdout: 'file', headerBytes, figures, warmUp, runs },
      };
    } finally {
      for (const server of started.reverse()) await server.stop();
      await rm(dir, { recursive: true, force: true });
    }
  },
};
