import test from 'ava';
import { DEFAULTS, type LoadOptions } from '../src/options.ts';
import { NO_REPLICA, renderSummary, summarizeAutocannon, type AutocannonResult, type Collected } from '../src/summary.ts';

const options: LoadOptions = {
  workload: 'mixed',
  url: 'http://127.0.0.1:8081',
  prefix: '/storagesvc',
  connections: 10,
  durationSeconds: 5,
  amount: null,
  rate: 100,
  p: 0.3,
  timeoutSeconds: DEFAULTS.timeoutSeconds,
};

/** The fields of a real autocannon 9 result that the summary reads: 500 answers and 5 connection errors. */
const result: AutocannonResult = {
  duration: 5.01,
  start: new Date('2026-11-23T20:00:00.000Z'),
  finish: new Date('2026-11-23T20:00:05.010Z'),
  errors: 5,
  timeouts: 2,
  '1xx': 0,
  '2xx': 480,
  '3xx': 0,
  '4xx': 1,
  '5xx': 19,
  statusCodeStats: { '200': { count: 480 }, '404': { count: 1 }, '503': { count: 19 } },
  latency: { p50: 3, p90: 7, p99: 21, max: 1002, mean: 4.123 },
};

const collected: Collected = {
  byReplica: { 'storage-b': 230, 'storage-a': 250, [NO_REPLICA]: 20 },
  resets: 2,
  startedAt: new Date('2026-11-23T20:00:00.002Z'),
  lastOutcomeAt: new Date('2026-11-23T20:00:04.002Z'),
};

test('the summary: totals, latency, errors by kind, answers per replica', (t) => {
  t.deepEqual(summarizeAutocannon(options, result, collected), {
    target: 'http://127.0.0.1:8081/storagesvc',
    workload: 'mixed',
    connections: 10,
    durationSeconds: 5,
    amount: null,
    rate: 100,
    p: 0.3,
    timeoutSeconds: 10,
    elapsedSeconds: 5.01,
    requests: { total: 505, ok: 480, perSecond: 100.8 },
    latencyMs: { p50: 3, p90: 7, p99: 21, max: 1002, mean: 4.12 },
    errors: { total: 25, byStatus: { '404': 1, '503': 19 }, timeouts: 2, resets: 2, other: 1 },
    byReplica: { 'storage-a': 250, 'storage-b': 230, [NO_REPLICA]: 20 },
    startedAt: '2026-11-23T20:00:00.000Z',
    finishedAt: '2026-11-23T20:00:05.010Z',
  });
});

test('an --amount run lasts from its first request to its last outcome, not to autocannon\'s next tick', (t) => {
  const summary = summarizeAutocannon({ ...options, durationSeconds: null, amount: 505 }, result, collected);
  t.like(summary, {
    amount: 505,
    durationSeconds: null,
    elapsedSeconds: 4,
    requests: { total: 505, perSecond: 126.25 },
    startedAt: '2026-11-23T20:00:00.002Z',
    finishedAt: '2026-11-23T20:00:04.002Z',
  });
});

test('p is reported only for the mixed workload', (t) => {
  t.is(summarizeAutocannon({ ...options, workload: 'read' }, result, collected).p, null);
});

test('nothing answered: latency is null, not 0', (t) => {
  const silent: AutocannonResult = {
    ...result,
    errors: 10,
    timeouts: 10,
    '2xx': 0,
    '4xx': 0,
    '5xx': 0,
    statusCodeStats: {},
    latency: { p50: 0, p90: 0, p99: 0, max: 0, mean: 0 },
  };
  const summary = summarizeAutocannon(options, silent, { byReplica: {}, resets: 0, startedAt: collected.startedAt, lastOutcomeAt: null });
  t.deepEqual(summary.latencyMs, { p50: null, p90: null, p99: null, max: null, mean: null });
  t.deepEqual(summary.errors, { total: 10, byStatus: {}, timeouts: 10, resets: 0, other: 0 });
  t.is(summary.elapsedSeconds, 5.01);
  t.is(summary.finishedAt, '2026-11-23T20:00:05.010Z');
  t.regex(renderSummary(summary), /^by replica\s+no answers$/m);
});

test('the table names every figure of the summary', (t) => {
  const text = renderSummary(summarizeAutocannon(options, result, collected));
  t.regex(text, /^target\s+http:\/\/127\.0\.0\.1:8081\/storagesvc$/m);
  t.regex(text, /^workload\s+mixed, p=0\.3, 10 connections, 5 s, rate 100\/s, timeout 10 s$/m);
  t.regex(text, /^requests\s+505 total, 480 ok \(2xx\) 95\.0%$/m);
  t.regex(text, /^throughput\s+100\.8 requests\/s$/m);
  t.regex(text, /^time\s+2026-11-23T20:00:00\.000Z → 2026-11-23T20:00:05\.010Z \(5\.01 s\)$/m);
  t.regex(text, /^latency ms\s+p50 3\s+p90 7\s+p99 21\s+max 1002\s+mean 4\.12$/m);
  t.regex(text, /^errors\s+25: HTTP 404 1, HTTP 503 19, timeouts 2, resets 2, other 1$/m);
  t.regex(text, /^by replica\s+storage-a\s+250\s+49\.5%$/m);
  t.regex(text, /^\s+storage-b\s+230\s+45\.5%$/m);
  t.regex(text, /^\s+\(none\)\s+20\s+4\.0%$/m);
});
