import type autocannon from 'autocannon';
import type { LoadOptions, Workload } from './options.ts';

/** One load run, flat: what the CLI prints as a table and writes with --json, and what runLoad returns. */
export interface LoadSummary {
  /** Base URL and prefix the paths were appended to. */
  target: string;
  workload: Workload;
  /** Connections autocannon used (it uses fewer when --rate is below --connections). */
  connections: number;
  durationSeconds: number | null;
  amount: number | null;
  rate: number | null;
  /** mixed only, else null. */
  p: number | null;
  timeoutSeconds: number;
  /** startedAt → finishedAt: a --duration run's window; an --amount run's first request to its last answer or error. */
  elapsedSeconds: number;
  requests: {
    /** Every request with an outcome: answers (any status) plus errors without one. */
    total: number;
    /** 2xx answers. */
    ok: number;
    /** total / elapsedSeconds. */
    perSecond: number;
  };
  /** Over every answer, 2xx or not (autocannon's histogram); null when nothing answered. */
  latencyMs: { p50: number | null; p90: number | null; p99: number | null; max: number | null; mean: number | null };
  errors: {
    total: number;
    /** Answers that were not 2xx, by status code. */
    byStatus: Record<string, number>;
    /** No answer within --timeout. */
    timeouts: number;
    /** The connection was reset or broken (ECONNRESET, EPIPE). */
    resets: number;
    /** Any other connection error (ECONNREFUSED when the target went away, …). */
    other: number;
  };
  /** Answers per `X-Replica-Id`; answers without the header (a gateway's own error page) count under NO_REPLICA. */
  byReplica: Record<string, number>;
  startedAt: string;
  finishedAt: string;
}

/** The key for answers without X-Replica-Id; replica ids are letters, digits, '.', '_', '-', so it cannot clash. */
export const NO_REPLICA = '(none)';

/** The part of autocannon's result the summary reads; tests construct it. */
export type AutocannonResult = Pick<
  autocannon.Result,
  'errors' | 'timeouts' | 'statusCodeStats' | '1xx' | '2xx' | '3xx' | '4xx' | '5xx' | 'start' | 'finish' | 'duration'
> & { latency: Pick<autocannon.Histogram, 'p50' | 'p90' | 'p99' | 'max' | 'mean'> };

/** What runLoad counts itself, from autocannon's per-response hook and error events. */
export interface Collected {
  byReplica: Record<string, number>;
  /** Connection errors that were resets (autocannon counts them only as `errors`). */
  resets: number;
  /** When the first request went out. */
  startedAt: Date;
  /** The last answer or error; null when nothing had an outcome. */
  lastOutcomeAt: Date | null;
}

/** autocannon's result + the collected counts → the summary. Pure. */
export function summarizeAutocannon(options: LoadOptions, result: AutocannonResult, collected: Collected): LoadSummary {
  const answers = result['1xx'] + result['2xx'] + result['3xx'] + result['4xx'] + result['5xx'];
  // autocannon's `errors` includes its timeouts; what is neither a timeout nor a reset is "other".
  const resets = Math.min(collected.resets, result.errors - result.timeouts);
  const byStatus = Object.fromEntries(
    Object.entries(result.statusCodeStats ?? {})
      .filter(([status, { count }]) => !status.startsWith('2') && (count ?? 0) > 0)
      .map(([status, { count }]) => [status, count ?? 0]),
  );
  const non2xx = answers - result['2xx'];
  const total = answers + result.errors;
  // A --duration run lasts its window, even when a --rate burst was answered early in the last second.
  // An --amount run ends with its last outcome: autocannon stops only on its next 1 s sampling tick,
  // so its own duration would overstate a short run.
  const byLastOutcome = options.amount !== null && collected.lastOutcomeAt !== null;
  const startedAt = byLastOutcome ? collected.startedAt : new Date(result.start);
  const finishedAt = byLastOutcome ? collected.lastOutcomeAt! : new Date(result.finish);
  const elapsedSeconds = byLastOutcome ? (finishedAt.getTime() - startedAt.getTime()) / 1000 : result.duration;
  const latency = (value: number) => (answers === 0 ? null : round(value));
  return {
    target: `${options.url}${options.prefix}`,
    workload: options.workload,
    // autocannon opens no more connections than requests per second (at least one request each per second).
    connections: Math.min(options.connections, options.rate ?? Infinity),
    durationSeconds: options.durationSeconds,
    amount: options.amount,
    rate: options.rate,
    p: options.workload === 'mixed' ? options.p : null,
    timeoutSeconds: options.timeoutSeconds,
    elapsedSeconds: round(elapsedSeconds),
    requests: { total, ok: result['2xx'], perSecond: elapsedSeconds > 0 ? round(total / elapsedSeconds) : 0 },
    latencyMs: {
      p50: latency(result.latency.p50),
      p90: latency(result.latency.p90),
      p99: latency(result.latency.p99),
      max: latency(result.latency.max),
      mean: latency(result.latency.mean),
    },
    errors: {
      total: non2xx + result.errors,
      byStatus,
      timeouts: result.timeouts,
      resets,
      other: result.errors - result.timeouts - resets,
    },
    byReplica: sortedByCount(collected.byReplica),
    startedAt: startedAt.toISOString(),
    finishedAt: finishedAt.toISOString(),
  };
}

/** The summary as a plain-text table for a terminal or a log. */
export function renderSummary(summary: LoadSummary): string {
  const { requests, latencyMs, errors } = summary;
  const length = summary.amount !== null ? `${summary.amount} requests` : `${summary.durationSeconds} s`;
  const setting = [
    `${summary.workload}`,
    summary.p !== null ? `p=${summary.p}` : null,
    `${summary.connections} connections`,
    length,
    summary.rate !== null ? `rate ${summary.rate}/s` : 'no rate limit',
    `timeout ${summary.timeoutSeconds} s`,
  ].filter(Boolean);
  const ms = (value: number | null) => (value === null ? '-' : `${value}`);
  const errorCells: Array<[string, number]> = [
    ...Object.entries(errors.byStatus).map(([status, count]): [string, number] => [`HTTP ${status}`, count]),
    ['timeouts', errors.timeouts],
    ['resets', errors.resets],
    ['other', errors.other],
  ];
  const replicaRows = Object.entries(summary.byReplica).map(([id, count]) => [id, `${count}`, percent(count, requests.total)]);

  const rows: string[][] = [
    ['target', summary.target],
    ['workload', setting.join(', ')],
    ['time', `${summary.startedAt} → ${summary.finishedAt} (${summary.elapsedSeconds} s)`],
    [],
    ['requests', `${requests.total} total, ${requests.ok} ok (2xx) ${percent(requests.ok, requests.total)}`],
    ['throughput', `${requests.perSecond} requests/s`],
    ['latency ms', `p50 ${ms(latencyMs.p50)}   p90 ${ms(latencyMs.p90)}   p99 ${ms(latencyMs.p99)}   max ${ms(latencyMs.max)}   mean ${ms(latencyMs.mean)}`],
    ['errors', errors.total === 0 ? '0' : `${errors.total}: ${errorCells.map(([kind, count]) => `${kind} ${count}`).join(', ')}`],
    [],
    ...(replicaRows.length === 0 ? [['by replica', 'no answers']] : table(replicaRows).map((line, i) => [i === 0 ? 'by replica' : '', line])),
  ];
  const width = Math.max(...rows.map((row) => row[0]?.length ?? 0));
  return `${rows.map((row) => (row.length === 0 ? '' : `${row[0]!.padEnd(width)}  ${row[1]}`.trimEnd())).join('\n')}\n`;
}

/** Columns padded to their widest cell; numbers right-aligned. */
function table(rows: string[][]): string[] {
  const widths = rows[0]?.map((_, column) => Math.max(...rows.map((row) => row[column]!.length))) ?? [];
  return rows.map((row) => row.map((cell, column) => (column === 0 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!))).join('  '));
}

const percent = (part: number, whole: number) => (whole === 0 ? '' : `${((100 * part) / whole).toFixed(1)}%`);

const round = (value: number) => Math.round(value * 100) / 100;

function sortedByCount(counts: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(counts).sort(([a, x], [b, y]) => y - x || a.localeCompare(b)));
}
