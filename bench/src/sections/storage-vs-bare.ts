import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { discoverCatalog } from '../discovery.ts';
import { runLoad } from '../run-load.ts';
import { freePort } from 'testkit/processes';
import { getRaw, startNodeProcess, startStorageService, type NodeProcess } from '../server-process.ts';
import type { LoadSummary } from '../summary.ts';
import { benchSeconds, loadOptions, mean, round } from '../suite/figures.ts';
import type { Section } from '../suite/section.ts';

const BARE_ENTRY = fileURLToPath(new URL('../bare-server.ts', import.meta.url));
const CONNECTIONS = 50;
const ROUNDS = 2;
const WARM_UP_SECONDS = 2;
/** `unlogged`: storage-service at LOG_LEVEL=warn, i.e. without its line per request: what that line costs. */
const SERVERS = ['bare', 'storage', 'unlogged'] as const;
type Server = (typeof SERVERS)[number];
const SERVER_LABEL: Record<Server, string> = { bare: 'bare node:http', storage: 'storage-service', unlogged: 'storage-service, no request log' };

/** The two cases: random item reads (`read`), and random full partition listings (`mixed` with p = 0: never an item read). */
const CASES = [
  { id: 'item', label: 'item read', workload: 'read', p: 0 },
  { id: 'listing', label: 'partition listing', workload: 'mixed', p: 0 },
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
      const storage = await startStorageService({ stdoutFile: join(dir, 'storage.log') });
      started.push(storage);

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
      const unlogged = await startStorageService({
        env: { LOG_LEVEL: 'warn' },
        stdoutFile: join(dir, 'unlogged.log'),
        port: await freePort(),
      });
      started.push(unlogged);
      const urls: Record<Server, string> = { bare: bare.url, storage: storage.url, unlogged: unlogged.url };

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
      const runs: Array<{ round: number; case: string; server: Server; summary: LoadSummary }> = [];
      for (let round = 1; round <= ROUNDS; round++) {
        for (const c of CASES) {
          for (const server of SERVERS) {
            process.stderr.write(`bench: storage-vs-bare: round ${round}, ${c.label}, ${SERVER_LABEL[server]}\n`);
            runs.push({ round, case: c.id, server, summary: await load(urls[server], c.workload, c.p, seconds) });
          }
        }
      }

      const figures = CASES.map((c) => {
        const of = (server: Server) => runs.filter((run) => run.case === c.id && run.server === server).map((run) => run.summary);
        const stat = (server: Server) => ({
          perSecond: mean(of(server).map((s) => s.requests.perSecond)),
          p99: mean(of(server).map((s) => s.latencyMs.p99 ?? NaN)),
          errors: of(server).reduce((sum, s) => sum + s.errors.total, 0),
        });
        const bareStat = stat('bare');
        const storageStat = stat('storage');
        const unloggedStat = stat('unlogged');
        return {
          ...c,
          bare: bareStat,
          storage: storageStat,
          unlogged: unloggedStat,
          ratio: storageStat.perSecond / bareStat.perSecond,
          unloggedRatio: unloggedStat.perSecond / bareStat.perSecond,
        };
      });

      const table = [
        ['case', 'bare req/s', 'storage req/s', 'ratio', 'bare p99', 'storage p99', 'no request log: req/s', 'ratio'],
        ...figures.map((f) => [
          f.label,
          String(round(f.bare.perSecond)),
          String(round(f.storage.perSecond)),
          formatRatio(f.ratio),
          `${round(f.bare.p99, 1)} ms`,
          `${round(f.storage.p99, 1)} ms`,
          String(round(f.unlogged.perSecond)),
          formatRatio(f.unloggedRatio),
        ]),
      ];
      const [item, listing] = figures as [(typeof figures)[0], (typeof figures)[0]];
      const errors = figures.reduce((sum, f) => sum + f.bare.errors + f.storage.errors + f.unlogged.errors, 0);
      const explanation = [
        `storage-service reaches ${formatRatio(item.ratio)} of the bare node:http server's throughput for an item read (${round(item.storage.perSecond)} vs ${round(item.bare.perSecond)} req/s, p99 ${round(item.storage.p99, 1)} vs ${round(item.bare.p99, 1)} ms) and ${formatRatio(listing.ratio)} for a full partition listing (${round(listing.storage.perSecond)} vs ${round(listing.bare.perSecond)} req/s), so the goal of ≥ 0.8 is ${item.ratio >= 0.8 && listing.ratio >= 0.8 ? 'met for both' : item.ratio >= 0.8 || listing.ratio >= 0.8 ? `met only for the ${item.ratio >= 0.8 ? 'item read' : 'partition listing'}` : 'missed for both'}.`,
        `Both send the same body bytes, pre-serialised; the difference is what storage-service does per request on top: Koa routing and path validation, a request id, security headers and an ETag (${headerBytes.item!.storage} header bytes per answer vs ${headerBytes.item!.bare}), and a pino JSON log line per request at LOG_LEVEL=info, written synchronously to a file (stdout → file, as Docker's log driver takes it, not a pipe read slowly).`,
        `The same service without that line (LOG_LEVEL=warn) reaches ${formatRatio(item.unloggedRatio)} for an item read and ${formatRatio(listing.unloggedRatio)} for a listing: a difference of a few hundredths is this machine's noise, a larger one is what the line costs; it stays, because one line per request is how a request id is followed through the logs.`,
        `Each figure is the mean of ${ROUNDS} interleaved ${seconds} s runs at ${CONNECTIONS} connections after a ${WARM_UP_SECONDS} s warm-up per server, with autocannon on the same ${availableParallelism()} cores${errors ? `; ${errors} requests failed (see data)` : ', every request answered 200'}.`,
      ].join(' ');

      return {
        table,
        explanation,
        chart: {
          title: `Throughput, storage-service vs bare node:http (${CONNECTIONS} connections)`,
          yTitle: 'requests/s',
          bars: figures.flatMap((f) => SERVERS.map((server) => ({ label: f.label, series: SERVER_LABEL[server], value: round(f[server].perSecond) }))),
        },
        data: { seconds, connections: CONNECTIONS, rounds: ROUNDS, stdout: 'file', headerBytes, figures, warmUp, runs },
      };
    } finally {
      for (const server of started.reverse()) await server.stop();
      await rm(dir, { recursive: true, force: true });
    }
  },
};
