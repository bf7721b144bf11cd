import test from 'ava';
import { capacityOf, cpuRatios, recoveryMsOf, surgeFigures, type CostRun } from '../src/sections/gateway-cost.ts';
import { parseVegetaReport, parseVegetaResult, type VegetaResult } from '../src/vegeta.ts';

// The pure parts of the gateway-cost section: vegeta's report and results, the CPU ratio, the capacity of a
// ramp, the figures of a surge. No Docker, no timing.

test("parseVegetaReport: requests, statuses (0: no answer) and the latency percentiles in ms", (t) => {
  const report = JSON.stringify({
    latencies: { total: 9e9, mean: 3e6, '50th': 2_500_000, '90th': 4e6, '95th': 5e6, '99th': 12_345_678, max: 80e6, min: 1e6 },
    requests: 4000,
    rate: 399.98,
    status_codes: { '0': 3, '200': 3990, '503': 7 },
  });
  t.deepEqual(parseVegetaReport(report), { requests: 4000, rate: 399.98, statusCodes: { '0': 3, '200': 3990, '503': 7 }, p50: 2.5, p99: 12.345678, max: 80 });
  t.deepEqual(parseVegetaReport(JSON.stringify({ latencies: {}, requests: 0, status_codes: null })).statusCodes, {});
});

test("cpuRatios: per round, the gateway's CPU per request through it over the replicas' straight to them", (t) => {
  const run = (round: number, path: 'gateway' | 'direct', gatewayUs: number, replicasUs: number): CostRun => ({ round, rate: 400, path, requests: 4000, failed: 0, p99: 5, gatewayUs, replicasUs });
  const runs = [run(1, 'gateway', 900, 400), run(1, 'direct', 2, 300), run(2, 'direct', 1, 450), run(2, 'gateway', 990, 420), run(3, 'gateway', 800, 400)];
  t.deepEqual(cpuRatios(runs, 400), [3, 2.2]);
  t.deepEqual(cpuRatios(runs, 1000), []);
});

test('capacityOf: the last rate before the first that failed a request, missed the p99, or that the generator could not keep', (t) => {
  const step = (rate: number, p99: number, failed = 0, sent = rate) => ({ rate, sent, failed, p99 });
  t.is(capacityOf([step(250, 3), step(500, 40), step(750, 51), step(1000, 4)]), 500);
  t.is(capacityOf([step(250, 3, 1)]), 0);
  t.is(capacityOf([step(250, Number.NaN)]), 0);
  t.is(capacityOf([step(4000, 3), step(5000, 4, 0, 4900), step(6000, 5, 0, 5500)]), 5000);
});

test('parseVegetaResult: when the request was due, its latency in ms, the status and the headers that tell a shed answer', (t) => {
  const line = JSON.stringify({ seq: 7, code: 429, timestamp: '2026-12-04T12:00:00.250Z', latency: 3_500_000, body: 'e30=', headers: { 'Content-Type': ['application/problem+json; charset=utf-8'], 'Retry-After': ['1'] } });
  t.deepEqual(parseVegetaResult(line), { sentAt: Date.parse('2026-12-04T12:00:00.250Z'), latencyMs: 3.5, code: 429, contentType: 'application/problem+json; charset=utf-8', retryAfter: '1' });
  t.like(parseVegetaResult(JSON.stringify({ code: 0, timestamp: '2026-12-04T12:00:00Z', latency: 5e9, headers: null })), { code: 0, contentType: '', retryAfter: '' });
});

const result = (sentAt: number, code: number, latencyMs: number, shed = true): VegetaResult => ({
  sentAt,
  latencyMs,
  code,
  contentType: code !== 200 && shed ? 'application/problem+json' : 'application/json',
  retryAfter: code !== 200 && shed ? '1' : '',
});

test('surgeFigures: only requests sent during the surge; a 429 or 503 counts as shed only as problem+json with Retry-After', (t) => {
  const results = [result(999, 502, 1), result(1000, 200, 5), result(1100, 429, 1), result(1200, 503, 2), result(1300, 429, 1, false), result(1400, 502, 900), result(2000, 0, 5000)];
  t.deepEqual(surgeFigures(results, 1000, 2000), { statusCodes: { '200': 1, '429': 2, '503': 1, '502': 1 }, unexpected: 2, p99: 900 });
});

test('recoveryMsOf: the start of the first 500 ms window after the surge with every answer 200 and p99 <= 50 ms', (t) => {
  const end = 10_000;
  const slowThenNormal = [result(9_900, 429, 1), result(10_100, 200, 300), result(10_600, 200, 80), result(11_000, 200, 5), result(11_400, 200, 7), result(12_000, 503, 2)];
  t.is(recoveryMsOf(slowThenNormal, end), 1000);
  t.is(recoveryMsOf([result(10_000, 200, 4)], end), 0);
  t.is(recoveryMsOf([result(10_100, 429, 1), result(10_700, 200, 51)], end), null);
  t.is(recoveryMsOf([result(9_000, 200, 1)], end), null);
});
