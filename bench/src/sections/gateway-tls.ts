import type { Stack } from 'testkit/compose-stack';
import { containerCpuNs } from 'testkit/usage';
import { h2load, h2loadNote, requireH2load, type H2loadSummary } from '../h2load.ts';
import { withBenchStack } from '../stack.ts';
import { fmt, rotated, round, ROUNDS, spread, spreadText, WARM_UP_SECONDS } from '../suite/figures.ts';
import type { Section } from '../suite/section.ts';

/** The same item for every request, so every variant does the same work behind the gateway. */
const ITEM = '/storagesvc/data/products/p-1001';
const CONNECTIONS = 50;

/** One client for all three, nghttp2's h2load, so that only the protocol differs. */
const VARIANTS = [
  { id: 'http', label: 'HTTP/1.1, plain (keep-alive)', scheme: 'http', h1: true },
  { id: 'https', label: 'HTTP/1.1 over TLS (keep-alive)', scheme: 'https', h1: true },
  { id: 'h2', label: 'HTTP/2 over TLS (one stream per connection)', scheme: 'https', h1: false },
] as const;
type VariantId = (typeof VARIANTS)[number]['id'];

interface Run {
  round: number;
  variant: VariantId;
  summary: H2loadSummary;
  /** The gateway container's CPU per request, µs. */
  gatewayCpuUs: number;
}

/**
 * Item reads through the gateway (3 replicas, production settings) over plain HTTP/1.1, HTTP/1.1 over TLS
 * and HTTP/2 over TLS, at the same concurrency from the same client, in rotated rounds; with the
 * gateway's CPU per request, which is where TLS costs.
 */
export const section: Section = {
  id: 'gateway-tls',
  title: 'HTTPS at the gateway: item reads over TLS (HTTP/1.1 and HTTP/2) against plain HTTP',
  run: ({ seconds }) =>
    withBenchStack(
      3,
      async (stack: Stack) => {
        await requireH2load('gateway-tls');
        const [gateway] = await stack.running('gateway');
        if (!gateway) throw new Error('gateway-tls: the gateway is not running');
        const urls = { http: `http://127.0.0.1:${stack.port}${ITEM}`, https: `https://localhost:${stack.httpsPort}${ITEM}` };
        const runs: Run[] = [];
        for (let n = 1; n <= ROUNDS; n++) {
          // Rotated: no protocol always goes first.
          const order = rotated(VARIANTS, n);
          for (const variant of order) {
            const before = await containerCpuNs(gateway.id);
            const summary = await h2load({ url: urls[variant.scheme], h1: variant.h1, seconds, connections: CONNECTIONS });
            const after = await containerCpuNs(gateway.id);
            // The warm-up's requests are in the CPU time too: per request over all of them.
            const requests = summary.succeeded + summary.perSecond * WARM_UP_SECONDS;
            const gatewayCpuUs = before === null || after === null ? NaN : (after - before) / 1000 / requests;
            process.stderr.write(`bench: gateway-tls: round ${n}, ${variant.label}: ${round(summary.perSecond)} req/s, mean ${round(summary.meanMs, 2)} ms, gateway ${round(gatewayCpuUs)} µs CPU/request, failed ${summary.failed}, non-2xx ${summary.non2xx}\n`);
            runs.push({ round: n, variant: variant.id, summary, gatewayCpuUs });
          }
        }
        return report(runs, seconds);
      },
      { production: true },
    ),
};

function report(runs: Run[], seconds: number) {
  const of = (variant: VariantId) => runs.filter((r) => r.variant === variant);
  /** Per round, against plain HTTP's run of the same round. */
  const ratios = (variant: VariantId) => of(variant).map((r) => r.summary.perSecond / of('http').find((p) => p.round === r.round)!.summary.perSecond);
  const table = [
    ['protocol', 'reads/s (min / median / max)', 'vs plain HTTP (min / median / max)', 'mean latency (median)', 'gateway CPU per request (median)'],
    ...VARIANTS.map(({ id, label }) => [
      label,
      spreadText(of(id).map((r) => r.summary.perSecond), fmt.rps),
      id === 'http' ? '1' : spreadText(ratios(id), (v) => v.toFixed(2)),
      fmt.ms(spread(of(id).map((r) => r.summary.meanMs)).median),
      `${round(spread(of(id).map((r) => r.gatewayCpuUs)).median)} µs`,
    ]),
  ];
  const median = (variant: VariantId) => spread(ratios(variant)).median.toFixed(2);
  const cpu = (variant: VariantId) => round(spread(of(variant).map((r) => r.gatewayCpuUs)).median);
  const explanation = [
    `Item reads through the gateway (3 replicas, production settings, TLS_MODE=development's certificate, ECDSA P-256) from h2load at ${CONNECTIONS} connections, one request in flight on each: HTTP/1.1 over TLS reached ${median('https')} of plain HTTP's rate and HTTP/2 over TLS ${median('h2')} (medians of ${ROUNDS} rotated rounds of ${seconds} s after ${WARM_UP_SECONDS} s of warm-up, each ratio against plain HTTP in the same round).`,
    `The gateway's CPU per request says where it goes: ${cpu('http')} µs plain, ${cpu('https')} µs with TLS, ${cpu('h2')} µs with HTTP/2 (connections are kept alive, so the handshakes are a warm-up cost; what remains is encrypting each answer and, for HTTP/2, its framing).`,
    h2loadNote(runs.map((r) => r.summary)),
  ].join(' ');
  return {
    table,
    explanation,
    chart: {
      title: `Item reads/s through the gateway by protocol (${CONNECTIONS} connections; bar: median of ${ROUNDS} rounds, line: min–max)`,
      yTitle: 'reads/s',
      bars: VARIANTS.map(({ id, label }) => {
        const s = spread(of(id).map((r) => r.summary.perSecond));
        return { label, value: round(s.median), min: round(s.min), max: round(s.max) };
      }),
    },
    data: { seconds, warmUpSeconds: WARM_UP_SECONDS, rounds: ROUNDS, connections: CONNECTIONS, item: ITEM, runs },
  };
}
