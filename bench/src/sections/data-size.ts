import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { writeDataFile } from '../data-gen.ts';
import { runLoad } from '../run-load.ts';
import type { ServerProcess } from 'testkit/processes';
import { startStorageService } from '../server-process.ts';
import type { LoadSummary } from '../summary.ts';
import { fmt, loadOptions, mean, round, WARM_UP_SECONDS } from '../suite/figures.ts';
import type { Section } from '../suite/section.ts';

const SIZES = [1_000, 100_000, 1_000_000];
const PARTITIONS = 4;
const CONNECTIONS = 20;
const START_TIMEOUT_MS = 120_000;

const ROUNDS = 2;

interface Measured {
  items: number;
  fileBytes: number;
  /** Spawn → "listening": read the file, JSON.parse, zod validation, serialise every answer. */
  startupMs: number | null;
  rssAfterStartMiB: number | null;
  rssAfterLoadMiB: number | null;
  /** The mean of the rounds' runs (req/s, p50, p99); null when this size did not run. */
  load: { perSecond: number; p50: number; p99: number; errors: number } | null;
  runs: LoadSummary[];
  /** Why this size has no figures (did not start within the time limit, ran out of memory…); null when it ran. */
  error: string | null;
}

const label = (items: number): string => (items >= 1e6 ? `${items / 1e6}M` : items >= 1e3 ? `${items / 1e3}k` : String(items));
const ratio = (value: number | null | undefined, base: number | null | undefined): string =>
  value == null || base == null || base === 0 ? '–' : `${round(value / base, 2).toFixed(2)}×`;
const message = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/** Generates the file, starts storage-service on it (the file is deleted once loaded), measures start-up and RSS. */
async function start(dir: string, items: number, result: Measured): Promise<ServerProcess | undefined> {
  const file = join(dir, `data-${label(items)}.json`);
  process.stderr.write(`bench: data-size: generating ${items} items\n`);
  try {
    result.fileBytes = await writeDataFile(file, items, PARTITIONS);
    const storage = await startStorageService({
      env: { DATA_FILE: file },
      stdoutFile: join(dir, `storage-${label(items)}.log`),
      timeoutMs: START_TIMEOUT_MS,
    });
    result.startupMs = storage.startupMs;
    result.rssAfterStartMiB = await storage.rssMiB();
    process.stderr.write(`bench: data-size: ${items} items, started in ${round(storage.startupMs / 1000, 1)} s, RSS ${round(result.rssAfterStartMiB)} MiB\n`);
    return storage;
  } catch (err) {
    result.error = message(err);
    process.stderr.write(`bench: data-size: ${items} items: ${result.error}\n`);
    return undefined;
  } finally {
    await rm(file, { force: true });
  }
}

const readLoad = (url: string, durationSeconds: number) =>
  loadOptions(url, '', { workload: 'read', connections: CONNECTIONS, durationSeconds, p: 0, timeoutSeconds: 10 });

/**
 * Every size's server is started first, one after the other (each start-up alone on the machine), then
 * loaded in interleaved rounds (1k, 100k, 1M, 1k, …), so drift of a noisy machine hits every size alike.
 */
async function measureAll(dir: string, seconds: number): Promise<Measured[]> {
  const results: Measured[] = SIZES.map((items) => ({ items, fileBytes: 0, startupMs: null, rssAfterStartMiB: null, rssAfterLoadMiB: null, load: null, runs: [], error: null }));
  const servers = new Map<Measured, ServerProcess>();
  try {
    for (const result of results) {
      const storage = await start(dir, result.items, result);
      if (storage) servers.set(result, storage);
    }
    const running = () => results.filter((result) => servers.has(result) && result.error === null);
    for (const result of running()) {
      try {
        await runLoad(readLoad(servers.get(result)!.url, WARM_UP_SECONDS));
      } catch (err) {
        result.error = message(err);
      }
    }
    for (let round = 1; round <= ROUNDS; round++) {
      for (const result of running()) {
        process.stderr.write(`bench: data-size: round ${round}, ${label(result.items)} items\n`);
        try {
          result.runs.push(await runLoad(readLoad(servers.get(result)!.url, seconds)));
        } catch (err) {
          result.error = message(err);
        }
      }
    }
    for (const result of running()) {
      result.rssAfterLoadMiB = await servers.get(result)!.rssMiB();
      result.load = {
        perSecond: mean(result.runs.map((run) => run.requests.perSecond)),
        p50: mean(result.runs.map((run) => run.latencyMs.p50 ?? NaN)),
        p99: mean(result.runs.map((run) => run.latencyMs.p99 ?? NaN)),
        errors: result.runs.reduce((sum, run) => sum + run.errors.total, 0),
      };
    }
  } finally {
    for (const storage of servers.values()) await storage.stop();
  }
  return results;
}

export const section: Section = {
  id: 'data-size',
  title: 'Item read cost as the data grows',
  run: async ({ seconds, dir }) => {
    const results = await measureAll(dir, seconds);

    const base = results[0]!;
    const table = [
      ['items', 'file size', 'start-up s', 'RSS MiB (started → after load)', 'req/s', 'p50', 'p99', 'req/s vs 1k', 'p99 vs 1k'],
      ...results.map((r) =>
        r.error !== null && r.load === null
          ? [label(r.items), `${round(r.fileBytes / 1e6, 1)} MB`, r.startupMs === null ? 'failed' : String(round(r.startupMs / 1000, 2)), r.rssAfterStartMiB === null ? '–' : String(round(r.rssAfterStartMiB)), `failed: ${r.error.replace(/\|/g, '/').slice(0, 160)}`, '–', '–', '–', '–']
          : [
              label(r.items),
              `${round(r.fileBytes / 1e6, 1)} MB`,
              String(round(r.startupMs! / 1000, 2)),
              `${round(r.rssAfterStartMiB!)} → ${round(r.rssAfterLoadMiB!)}`,
              String(round(r.load!.perSecond)),
              `${round(r.load!.p50, 1)} ms`,
              `${round(r.load!.p99, 1)} ms`,
              ratio(r.load!.perSecond, base.load?.perSecond),
              ratio(r.load!.p99, base.load?.p99),
            ],
      ),
    ];

    const ok = results.filter((r) => r.load !== null);
    const failed = results.filter((r) => r.load === null);
    const largest = ok.at(-1);
    const sentences: string[] = [];
    if (!base.load || !largest || largest === base) {
      sentences.push(`Too few sizes ran to compare: ${results.map((r) => `${label(r.items)}: ${r.error ?? 'ok'}`).join('; ')}.`);
    } else {
      const rpsRatio = largest.load!.perSecond / base.load.perSecond;
      const memoryPerItemKiB = ((largest.rssAfterStartMiB! - base.rssAfterStartMiB!) * 1024) / (largest.items - base.items);
      sentences.push(
        `With ${label(largest.items)} items storage-service answers ${round(largest.load!.perSecond)} random item reads/s, ${fmt.ratio(rpsRatio)} its rate with 1k items${ok.length > 2 ? ` (${ok.slice(1, -1).map((r) => `${label(r.items)}: ${ratio(r.load!.perSecond, base.load!.perSecond)}`).join(', ')})` : ''}, p99 ${round(largest.load!.p99, 1)} ms vs ${round(base.load.p99, 1)} ms: ` +
          (rpsRatio >= 0.9
            ? 'the cost of a read barely changes with the data, as expected: a read is two Map lookups of a body serialised at start.'
            : 'reads got slower although a read is two Map lookups of a body serialised at start: likely the larger heap (garbage collection, cache misses), and the load client, on the same cores, picking each path from a list as long as the data.'),
        `What grows is start-up, ${round(base.startupMs! / 1000, 2)} s → ${round(largest.startupMs! / 1000, 1)} s (JSON.parse of ${round(largest.fileBytes / 1e6)} MB, zod validation and serialising every item up front), and resident memory, ${round(base.rssAfterStartMiB!)} → ${round(largest.rssAfterStartMiB!)} MiB after start (about ${round(memoryPerItemKiB, 2)} KiB per item).`,
      );
    }
    sentences.push(
      `Each size: generated data (${PARTITIONS} partitions), Node's default heap limit, stdout to a file, a ${WARM_UP_SECONDS} s warm-up, then ${ROUNDS} interleaved rounds of ${seconds} s of random item reads at ${CONNECTIONS} connections (each figure their mean); throughput is charted because latency comes in whole milliseconds` +
        (failed.length ? `; ${failed.map((r) => `${label(r.items)} failed: ${r.error}`).join('; ')}` : '') +
        (ok.some((r) => r.load!.errors > 0) ? `; failed requests: ${ok.map((r) => `${label(r.items)} ${r.load!.errors}`).join(', ')}.` : '.'),
    );

    return {
      table,
      explanation: sentences.join(' '),
      chart: {
        title: `Random item reads/s by stored items (${CONNECTIONS} connections)`,
        yTitle: 'requests/s',
        bars: results.map((r) => ({ label: `${label(r.items)} items${r.load ? '' : ' (failed)'}`, value: r.load ? round(r.load.perSecond) : 0 })),
      },
      data: { seconds, rounds: ROUNDS, connections: CONNECTIONS, partitions: PARTITIONS, warmUpSeconds: WARM_UP_SECONDS, results },
    };
  },
};
