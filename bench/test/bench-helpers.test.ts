import test from 'ava';
import { errorKinds } from '../src/sections/failover.ts';
import { bottleneck } from '../src/sections/scaling.ts';

test('bottleneck: full cores, a saturated single thread, or neither', (t) => {
  const full = bottleneck({ gateway: 90, replicas: [30, 30], status: 1, loadGenerator: 45 }, 2);
  t.is(Math.round(full.total), 196);
  t.is(full.busiest, 'the gateway (Traefik)');
  t.regex(full.verdict, /2 cores are the bottleneck/);

  const generator = bottleneck({ gateway: 20, replicas: [10], status: 0, loadGenerator: 98 }, 4);
  t.regex(generator.verdict, /load generator .* is saturated/);

  const idle = bottleneck({ gateway: 10, replicas: [10, 10, 10], status: 1, loadGenerator: 20 }, 2);
  t.regex(idle.verdict, /no process is saturated/);
});

test('errorKinds: statuses, then timeouts, resets, other; empty when none', (t) => {
  t.is(errorKinds({ total: 6, byStatus: { '502': 3, '503': 1 }, timeouts: 0, resets: 1, other: 1 }), 'HTTP 502 3, HTTP 503 1, resets 1, other 1');
  t.is(errorKinds({ total: 0, byStatus: {}, timeouts: 0, resets: 0, other: 0 }), '');
});
