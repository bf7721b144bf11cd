import { setTimeout as sleep } from 'node:timers/promises';

export interface ScheduledLoadOptions {
  /** Where each request goes; a function of the request's index: e.g. round-robin over several servers. */
  url: string | ((index: number) => string);
  /** Optional: the index-th request's method, headers and body (default: a GET). */
  init?: (index: number) => RequestInit;
  /** Requests per second, sent on a fixed schedule whatever the answers' latency. */
  rate: number;
  durationMs: number;
  /** Each request is abandoned (and counted as failed) after this long. */
  timeoutMs: number;
  /** Optional: what counts as success (default: status 200). */
  ok?: (outcome: Outcome) => boolean;
  /** Optional: stops sending before durationMs is up (requests already sent still get their outcome). */
  signal?: AbortSignal;
}

export interface Outcome {
  /** When the request was due, in milliseconds after the load started. */
  startedAt: number;
  /** From when the request was due, not from when it left: a stall of the sender counts too. */
  latencyMs: number;
  /**
   * How late the sender handed the request to fetch, against when it was due: the load generator's own
   * stall (timer granularity, its event loop busy, its garbage collector), part of latencyMs.
   */
  lateMs?: number;
  status?: number;
  contentType?: string;
  replica?: string;
  error?: string;
}

export interface ScheduledLoadResult {
  sent: number;
  succeeded: number;
  failed: number;
  failures: Outcome[];
  p50: number;
  p99: number;
  max: number;
  byReplica: Record<string, number>;
  outcomes: Outcome[];
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  // Rounded off float noise first: 99.9 / 100 × 1000 is 999.0000000000001, which would rank the maximum.
  const rank = Math.ceil(Number(((p / 100) * sorted.length).toFixed(6)));
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1] ?? Number.NaN;
}

/** A latency percentile of sorted milliseconds, to 0.1 ms; null when there is none. */
export function latencyPercentile(sorted: number[], p: number): number | null {
  return sorted.length === 0 ? null : Math.round(percentile(sorted, p) * 10) / 10;
}

/**
 * A small, bounded, open-loop load generator: exactly rate × duration requests on a fixed schedule
 * (late ticks are sent at once, never dropped or added), each with its own timeout, whatever the answers'
 * latency. Latency counts from when a request was due, so a stall is not hidden (no coordinated
 * omission). Node's fetch keeps connections alive. Resolves when every request sent has an outcome.
 */
export async function runScheduledLoad({ url, init, rate, durationMs, timeoutMs, ok = (o) => o.status === 200, signal }: ScheduledLoadOptions): Promise<ScheduledLoadResult> {
  const total = Math.round((rate * durationMs) / 1000);
  const intervalMs = 1000 / rate;
  const start = performance.now();
  const pending: Promise<Outcome>[] = [];

  const one = async (index: number, startedAt: number): Promise<Outcome> => {
    const lateMs = performance.now() - startedAt;
    try {
      const target = typeof url === 'string' ? url : url(index);
      const response = await fetch(target, { ...init?.(index), signal: AbortSignal.timeout(timeoutMs) });
      await response.arrayBuffer();
      return {
        startedAt: startedAt - start,
        latencyMs: performance.now() - startedAt,
        lateMs,
        status: response.status,
        contentType: response.headers.get('content-type') ?? undefined,
        replica: response.headers.get('x-replica-id') ?? undefined,
      };
    } catch (error) {
      const cause = (error as { cause?: { code?: string } }).cause?.code;
      return {
        startedAt: startedAt - start,
        latencyMs: performance.now() - startedAt,
        lateMs,
        error: `${(error as Error).name}: ${(error as Error).message}${cause ? ` (${cause})` : ''}`,
      };
    }
  };

  for (let i = 0; i < total && !signal?.aborted; i++) {
    const dueAt = start + i * intervalMs;
    const wait = dueAt - performance.now();
    if (wait > 0) await sleep(wait, undefined, { signal }).catch(() => undefined);
    if (signal?.aborted) break;
    pending.push(one(i, dueAt));
  }
  const outcomes = await Promise.all(pending);
  const failures = outcomes.filter((o) => !ok(o));
  const latencies = outcomes.map((o) => o.latencyMs).sort((a, b) => a - b);
  const byReplica: Record<string, number> = {};
  for (const o of outcomes) if (o.replica) byReplica[o.replica] = (byReplica[o.replica] ?? 0) + 1;
  return {
    sent: outcomes.length,
    succeeded: outcomes.length - failures.length,
    failed: failures.length,
    failures,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    max: latencies.at(-1) ?? Number.NaN,
    byReplica,
    outcomes,
  };
}

/** The one latency assertion of the suite (scenario 6): throws with the figures when the budget is exceeded. */
export function assertPercentileWithin(result: ScheduledLoadResult, p: 50 | 99, budgetMs: number): void {
  const value = p === 50 ? result.p50 : result.p99;
  if (!(value <= budgetMs)) {
    const slowest = [...result.outcomes]
      .sort((a, b) => b.latencyMs - a.latencyMs)
      .slice(0, 5)
      .map((o) => `${Math.round(o.latencyMs)} ms at +${Math.round(o.startedAt)} ms (${o.status ?? o.error})`);
    throw new Error(
      `p${p} latency ${Math.round(value)} ms exceeds the budget of ${budgetMs} ms over ${result.sent} requests; slowest: ${slowest.join(', ')}`,
    );
  }
}

/** One line of figures for t.log and the report; the first failures with when they were sent. */
export function describeScheduledLoad(result: ScheduledLoadResult): string {
  const failures = result.failures
    .slice(0, 3)
    .map((f) => `${f.status ?? f.error} sent at +${Math.round(f.startedAt)} ms, after ${Math.round(f.latencyMs)} ms`);
  return (
    `sent ${result.sent}, failed ${result.failed}${failures.length ? ` (${failures.join('; ')})` : ''}, ` +
    `p50 ${Math.round(result.p50)} ms, p99 ${Math.round(result.p99)} ms, max ${Math.round(result.max)} ms, ` +
    `by replica ${JSON.stringify(result.byReplica)}`
  );
}
