import autocannon from 'autocannon';
import { checkReachable, discoverCatalog } from './discovery.ts';
import type { LoadOptions } from './options.ts';
import { NO_REPLICA, summarizeAutocannon, type LoadSummary } from './summary.ts';
import { buildRequests } from './workloads.ts';

export interface RunControls {
  /** Draw autocannon's progress bar here (it draws only on a TTY); default: none. */
  progress?: NodeJS.WritableStream;
  /** Stops the load early; the summary covers what ran until then. */
  signal?: AbortSignal;
}

const RESET_CODES = new Set(['ECONNRESET', 'EPIPE']);

/**
 * One load run: check the target answers, learn its ids, run autocannon, count answers per replica.
 * Throws TargetError (before any load) when the target cannot be used. The benchmarks call this too.
 */
export async function runLoad(options: LoadOptions, controls: RunControls = {}): Promise<LoadSummary> {
  const base = `${options.url}${options.prefix}`;
  await checkReachable(base, options.workload);
  const catalog = options.workload === 'status' ? null : await discoverCatalog(base, options.timeoutSeconds * 1000);
  const basePath = new URL(base).pathname.replace(/\/$/, '');

  const byReplica: Record<string, number> = {};
  const countReplica = (_status: number, _body: string, _context: object, headers: autocannon.Request['headers']) => {
    const replica = header(headers, 'x-replica-id') ?? NO_REPLICA;
    byReplica[replica] = (byReplica[replica] ?? 0) + 1;
  };
  const requests = buildRequests(options.workload, basePath, catalog, options.p).map((request) => ({ ...request, onResponse: countReplica }));

  let resets = 0;
  const startedAt = new Date();
  // A number, not a Date: this is set on every answer.
  let lastOutcomeMs: number | null = null;

  const settings: autocannon.Options = {
    url: new URL(options.url).origin,
    requests,
    connections: options.connections,
    ...(options.amount !== null ? { amount: options.amount } : { duration: options.durationSeconds ?? undefined }),
    // With a rate, autocannon would add made-up samples for every answer slower than Math.ceil(1 / rate)
    // ms, i.e. 1 ms at any rate: its per-second budget has no fixed interval to correct against, so the
    // latencies recorded are the measured ones.
    ...(options.rate !== null ? { overallRate: options.rate, ignoreCoordinatedOmission: true } : {}),
    timeout: options.timeoutSeconds,
    // autocannon aggregates (latency percentiles…) only on the main thread; a benchmark or an ava test
    // may call this in a worker thread, so it is always done below.
    skipAggregateResult: true,
  };
  const raw = await new Promise<unknown>((resolve, reject) => {
    const instance = autocannon(settings, (err, result) => (err ? reject(err) : resolve(result)));
    // The hooks above see answers; connection errors and timeouts only come as events.
    instance.on('response', () => (lastOutcomeMs = Date.now()));
    instance.on('reqError', (err: NodeJS.ErrnoException) => {
      lastOutcomeMs = Date.now();
      if (err.code && RESET_CODES.has(err.code)) resets++;
    });
    if (controls.progress) autocannon.track(instance, { outputStream: controls.progress, renderResultsTable: false, renderLatencyTable: false });
    controls.signal?.addEventListener('abort', () => instance.stop(), { once: true });
  });

  const result = aggregateResult([raw], settings);
  return summarizeAutocannon(options, result, { byReplica, resets, startedAt, lastOutcomeAt: lastOutcomeMs === null ? null : new Date(lastOutcomeMs) });
}

/** Exported by autocannon (and in its README) but missing from @types/autocannon 7. */
export const { aggregateResult } = autocannon as unknown as { aggregateResult: (results: unknown[], options: autocannon.Options) => autocannon.Result };

/** autocannon passes the raw header names (X-Replica-Id from Koa, canonical case from Traefik). */
function header(headers: autocannon.Request['headers'], name: string): string | undefined {
  for (const [key, value] of Object.entries(headers ?? {})) {
    if (key.toLowerCase() === name) return Array.isArray(value) ? value[0] : value;
  }
  return undefined;
}
