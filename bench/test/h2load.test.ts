import test from 'ava';
import { parseH2load } from '../src/h2load.ts';

// Reading h2load's report (the gateway-tls and grpc-vs-http sections). Never timings, no Docker.

const REPORT = `finished in 10.00s, 5432.10 req/s, 1.23MB/s
requests: 54321 total, 54321 started, 54321 done, 54320 succeeded, 1 failed, 0 errored, 0 timeout
status codes: 54310 2xx, 0 3xx, 10 4xx, 0 5xx
traffic: 10.00MB (10485760) total, 2.00MB (2097152) headers (space savings 0.00%), 7.00MB (7340032) data
                     min         max         mean         sd        +/- sd
time for request:      512us     45.12ms      9.20ms      2.10ms    80.00%
`;

test('parseH2load: the rate, the answered requests, the failures and the non-2xx answers apart, the mean latency in ms', (t) => {
  t.deepEqual(parseH2load(REPORT), { perSecond: 5432.1, succeeded: 54320, failed: 1, non2xx: 10, meanMs: 9.2 });
  t.is(parseH2load(REPORT.replace('9.20ms', '870us')).meanMs, 0.87);
});

test('parseH2load: anything else is an error that shows the end of what h2load printed', (t) => {
  t.throws(() => parseH2load('connect: Connection refused'), { message: /^not an h2load report: connect: Connection refused/ });
});
