import test from 'ava';
import { rotated, spread, spreadText } from '../src/suite/figures.ts';
import { addedP99, formatSpread, latencySpread, runFigures, type Run } from '../src/sections/gateway-latency.ts';

// The pure parts of the gateway-latency section; never timings, no Docker.

test('spread: min, median and max; the mean of the middle two for an even count', (t) => {
  t.deepEqual(spread([3, 1, 2]), { min: 1, median: 2, max: 3 });
  t.deepEqual(spread([4, 1, 3, 2]), { min: 1, median: 2.5, max: 4 });
  t.deepEqual(spread([7]), { min: 7, median: 7, max: 7 });
  const none = spread([]);
  t.true(Number.isNaN(none.min) && Number.isNaN(none.median) && Number.isNaN(none.max));
});

test('spreadText: min / median / max, each as the format prints it', (t) => {
  t.is(spreadText([0.91, 0.78, 0.86], (v) => v.toFixed(2)), '0.78 / 0.86 / 0.91');
  t.is(spreadText([1816, 1992, 1849], (v) => String(Math.round(v))), '1816 / 1849 / 1992');
});

test('rotated: round 1 in the order given, each later round starting one further along', (t) => {
  t.deepEqual([1, 2, 3, 4].map((round) => rotated(['a', 'b', 'c'], round)), [['a', 'b', 'c'], ['b', 'c', 'a'], ['c', 'a', 'b'], ['a', 'b', 'c']]);
  t.deepEqual([1, 2].map((round) => rotated(['through', 'straight'], round)), [['through', 'straight'], ['straight', 'through']]);
});

test('formatSpread: min / median / max, two decimals below 1 ms', (t) => {
  t.is(formatSpread({ min: 0.612, median: 0.7, max: 1.26 }), '0.61 / 0.70 / 1.3');
  t.is(formatSpread({ min: 20.71, median: 27, max: 35.14 }), '20.7 / 27.0 / 35.1');
  t.is(formatSpread(spread([])), '– / – / –');
});

test('runFigures: percentiles of latency, failures are answers other than 200, the sender’s lateness apart', (t) => {
  const outcomes = Array.from({ length: 1000 }, (_, i) => ({ latencyMs: i + 1, lateMs: i === 999 ? 50 : 0.1, status: i < 2 ? 503 : 200 }));
  outcomes.push({ latencyMs: 2000, lateMs: 0.1, status: undefined as unknown as number }); // a timeout: no status
  const figures = runFigures(outcomes);
  t.is(figures.sent, 1001);
  t.is(figures.failed, 3);
  t.is(figures.p50, 501);
  t.is(figures.max, 2000);
  t.is(figures.late.p50, 0.1);
  t.is(figures.late.max, 50);
});

const run = (rate: number, path: Run['path'], round: number, p99: number): Run => ({
  rate, path, round, sent: 3750, failed: 0, p50: 1, p99, p999: p99 * 2, max: p99 * 3, late: { p50: 0.1, p99: 0.5, p999: 1, max: 2 }, loadStart: 0.5, loadEnd: 0.9,
});

test('latencySpread and addedP99: min/median/max per rate and path, the difference of the medians', (t) => {
  const runs = [run(250, 'direct', 1, 5), run(250, 'direct', 2, 7), run(250, 'direct', 3, 6),
    run(250, 'gateway', 1, 30), run(250, 'gateway', 2, 20), run(250, 'gateway', 3, 26), run(100, 'gateway', 1, 1)];
  const gateway = latencySpread(runs, 250, 'gateway');
  t.is(gateway.sent, 11250);
  t.deepEqual(gateway.p99, { min: 20, median: 26, max: 30 });
  t.deepEqual(gateway.p999, { min: 40, median: 52, max: 60 });
  t.is(addedP99(runs, 250, 'gateway'), 20);
});
