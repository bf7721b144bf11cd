import test from 'ava';
import { percentile } from 'testkit/scheduled-load';

test('percentile: nearest rank over ascending values; NaN when there are none', (t) => {
  const values = Array.from({ length: 1000 }, (_, i) => i + 1); // 1 … 1000
  t.is(percentile(values, 50), 500);
  t.is(percentile(values, 99), 990);
  t.is(percentile(values, 99.9), 999);
  t.is(percentile(values, 100), 1000);
  // 1,500 samples (15 s at 100 req/s): p99.9 is the second largest, not the maximum.
  t.is(percentile(Array.from({ length: 1500 }, (_, i) => i + 1), 99.9), 1499);
  t.true(Number.isNaN(percentile([], 99)));
});
