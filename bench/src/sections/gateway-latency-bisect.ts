import { round } from '../suite/figures.ts';
import type { Section, SectionResult } from '../suite/section.ts';
import {
  BASELINE,
  BEFORE,
  ITEM,
  added,
  combine,
  discarded,
  extraComposeFiles,
  formatSpread,
  loadRange,
  measureVariant,
  removeLine,
  settingsFromEnv,
  storageLabel,
  summarize,
  waitForQuiet,
  withoutMiddleware,
  type Run,
  type Variant,
} from './gateway-latency.ts';

// Bisection of the gateway path: each candidate of issue #12 taken out (or changed) on its own, measured
// like gateway-latency (open loop, production settings, 3 replicas) at one rate, against the configuration
// as the issue measured it (`before`, first and again last, to see drift), on which they were found.

const MIDDLEWARES = 'traefik.http.routers.storage.middlewares';
const without = (name: string) => (compose: string) => withoutMiddleware(storageLabel(compose, MIDDLEWARES), name);
const TRANSPORT = 'traefik.http.services.storage.loadbalancer.serverstransport';
/** The storage and status healthchecks: the ones that start Node (`test: ["CMD", "node", …]`). */
/** The storage and status images have a HEALTHCHECK of their own (their Dockerfiles: Node every 5 s), used once compose's is removed. */
const NO_IMAGE_HEALTHCHECKS = { storage: { healthcheck: { disable: true } }, status: { healthcheck: { disable: true } } };
const ACCESS_LOG_FILTERED = 'accessLog:\n  format: json\n  filters:\n    statusCodes: ["400-599"]\n    retryAttempts: true\n    minDuration: 100ms\n';
const NO_NODE_HEALTHCHECKS = { remove: /^ {4}healthcheck:\n {6}test: \["CMD", "node"[^\n]*\n(?: {6}.*\n)*/gm };

const NODE_HTTP_PROBE = "require('node:http').get('http://127.0.0.1:3000/healthz', (r) => process.exit(r.statusCode === 200 ? 0 : 1)).on('error', () => process.exit(1))";
const QUIETER_HEALTHCHECKS = {
  storage: { healthcheck: { test: ['CMD', 'node', '-e', NODE_HTTP_PROBE] } },
  status: { healthcheck: { interval: '10s' } },
  gateway: { healthcheck: { interval: '30s' } },
  'docker-api': { healthcheck: { interval: '30s' } },
};

/** Every candidate, in the order of the issue's list; `baseline` first and, as `baseline-again`, last. */
export const VARIANTS: Variant[] = [
  { ...BASELINE, change: 'the configuration as the issue measured it (before its changes)' },
  // The entrypoint's middlewares (traefik.yml).
  {
    id: 'no-rate-limit',
    change: 'entrypoint without the rate-limit middleware',
    cost: 'no per-client limit: one client can take the whole gateway',
    staticEdits: [{ remove: /^ +- rate-limit@file\n/m }],
  },
  {
    id: 'no-security-headers',
    change: 'entrypoint without the security-headers middleware',
    cost: 'answers lose nosniff, X-Frame-Options, Referrer-Policy, Permissions-Policy (e2e checks them)',
    staticEdits: [{ remove: /^ +- security-headers@file\n/m }],
  },
  {
    id: 'no-access-log',
    change: 'Traefik without its access log',
    cost: 'no per-request line at the gateway',
    staticEdits: [{ remove: /^accessLog:\n(?: .*\n)*/m }],
  },
  {
    id: 'access-log-filtered',
    change: 'access log of failed (4xx/5xx), retried and slow (≥ 100 ms) requests only',
    cost: 'no gateway line for a request that went well; the replica still logs it with its request id',
    staticEdits: [{ replace: /^accessLog:\n {2}format: json\n/m, with: ACCESS_LOG_FILTERED }],
  },
  {
    id: 'access-log-buffered',
    change: 'access log written from a buffer of 100 lines (bufferingSize) instead of within each request',
    cost: 'up to 100 lines lost if Traefik is killed (SIGKILL); a line can reach the log a moment later',
    staticEdits: [{ replace: /^accessLog:\n {2}format: json\n/m, with: 'accessLog:\n  format: json\n  bufferingSize: 100\n' }],
  },
  // The storage router's middlewares (labels).
  {
    id: 'no-errors-page',
    change: 'storage router without storage-unavailable-page (errors)',
    cost: "with no replica left, clients get Traefik's plain-text 502/503 instead of 503 problem+json (e2e 7, 7b)",
    storageLabels: { [MIDDLEWARES]: without('storage-unavailable-page@file') },
  },
  {
    id: 'no-retry',
    change: 'storage router without storage-retry',
    cost: 'a request cut off by a killed or hung replica fails instead of going to the next one (e2e 5, 6)',
    storageLabels: { [MIDDLEWARES]: without('storage-retry@file') },
  },
  {
    id: 'bare-router',
    change: 'a router for /data/ without any middleware of its own (no CSP, errors, retry, strip-prefix)',
    cost: 'all of those: the floor of Traefik routing alone (entrypoint middlewares still run)',
    dynamicFiles: {
      'zz-bench-bare.yml': 'http:\n  routers:\n    bench-bare:\n      entryPoints: [web]\n      rule: "PathPrefix(`/data/`)"\n      service: storage@docker\n',
    },
    gatewayPath: ITEM,
  },
  // The storage service (labels) and its servers transport (dynamic/storage.yml).
  {
    id: 'no-passive-health-check',
    change: 'storage service without the passive health check',
    cost: 'a replica answering 5xx stays in the rotation until the next active check (≤ 1 s)',
    composeEdits: [
      removeLine('traefik.http.services.storage.loadbalancer.passivehealthcheck.maxfailedattempts'),
      removeLine('traefik.http.services.storage.loadbalancer.passivehealthcheck.failurewindow'),
    ],
  },
  {
    id: 'no-active-health-check',
    change: "storage service without Traefik's active health check (1 s)",
    cost: 'a running replica that stops answering stays in the rotation until Docker calls it unhealthy (3 × 2 s)',
    composeEdits: [
      removeLine('traefik.http.services.storage.loadbalancer.healthcheck.path'),
      removeLine('traefik.http.services.storage.loadbalancer.healthcheck.interval'),
      removeLine('traefik.http.services.storage.loadbalancer.healthcheck.timeout'),
    ],
  },
  {
    id: 'transport-no-header-timeout',
    change: 'storage-transport without responseHeaderTimeout (1 s)',
    cost: 'a hung replica holds its requests indefinitely: no 504 to retry (e2e 6)',
    dynamicFiles: {
      'zz-bench-transport.yml':
        'http:\n  serversTransports:\n    bench-transport:\n      maxIdleConnsPerHost: 200\n      forwardingTimeouts:\n        dialTimeout: 300ms\n        idleConnTimeout: 30s\n',
    },
    storageLabels: { [TRANSPORT]: 'bench-transport@file' },
  },
  {
    id: 'transport-more-idle',
    change: 'storage-transport keeping idle connections 5 min (idleConnTimeout 300s) instead of 30 s',
    cost: 'up to 200 idle sockets per replica held 10× longer',
    dynamicFiles: {
      'zz-bench-transport.yml':
        'http:\n  serversTransports:\n    bench-transport:\n      maxIdleConnsPerHost: 200\n      forwardingTimeouts:\n        dialTimeout: 300ms\n        responseHeaderTimeout: 1s\n        idleConnTimeout: 300s\n',
    },
    storageLabels: { [TRANSPORT]: 'bench-transport@file' },
  },
  // The Go runtime on 2 cores (the gateway's environment).
  {
    id: 'gomaxprocs-1',
    change: 'GOMAXPROCS=1 (Go schedules Traefik on one thread at a time)',
    cost: 'Traefik uses at most one core: its ceiling at saturation',
    gatewayEnvironment: { GOMAXPROCS: '1' },
  },
  {
    id: 'gogc-400',
    change: 'GOGC=400 (a garbage collection every 5× the live heap instead of 2×)',
    cost: 'more memory: the heap grows to 5× its live size between collections',
    gatewayEnvironment: { GOGC: '400' },
  },
  // Docker around the gateway.
  {
    id: 'gateway-cpu-weight',
    change: 'gateway container with cpu_shares 4096 (4× the CPU weight of every other container)',
    cost: 'under contention the replicas and the rest get less CPU than the gateway',
    services: { gateway: { cpu_shares: 4096 } },
  },
  {
    id: 'gateway-healthcheck-30s',
    change: "gateway's Docker healthcheck every 30 s instead of 5 s",
    cost: "a gateway that stops answering /ping shows unhealthy after 90 s instead of 15 s (nothing acts on the gateway's health; the status page shows it)",
    services: { gateway: { healthcheck: { interval: '30s' } } },
  },
  {
    id: 'gateway-healthcheck-wget',
    change: "gateway's Docker healthcheck with busybox wget /ping instead of starting the traefik binary",
    cost: 'none: the same GET /ping on the internal entrypoint',
    services: { gateway: { healthcheck: { test: ['CMD', 'wget', '-q', '-O', '/dev/null', 'http://gateway-control:8082/ping'] } } },
  },
  // Outside the gateway: what sets the floor.
  {
    id: 'no-docker-healthchecks',
    change: 'no Docker healthcheck in any container (each storage and status check starts a Node process every 2 s)',
    cost: "Traefik routes to a replica as soon as it runs, before it answers; the status page loses health (not a fix: shows the floor)",
    // The compose blocks go, and the images' own HEALTHCHECK (the same Node probe every 5 s) is disabled too.
    composeEdits: [{ remove: /^ {4}healthcheck:\n(?: {6}.*\n)+/gm }],
    services: NO_IMAGE_HEALTHCHECKS,
  },
  {
    id: 'no-service-healthchecks',
    change: 'no Docker healthcheck in the storage and status containers (the gateway and docker-api keep theirs)',
    cost: "Traefik routes to a replica once it runs (its own 1 s check and the retry cover the start); the status page shows their health as none",
    composeEdits: [NO_NODE_HEALTHCHECKS],
    services: NO_IMAGE_HEALTHCHECKS,
  },
  {
    id: 'service-healthchecks-10s',
    change: 'storage and status Docker healthchecks every 10 s instead of 2 s',
    cost: 'a restarted replica rejoins the rotation up to 8 s later; a broken one is marked unhealthy after 30 s instead of 6 s',
    services: { storage: { healthcheck: { interval: '10s' } }, status: { healthcheck: { interval: '10s' } } },
  },
  {
    id: 'quieter-healthchecks',
    change: "storage probe by node:http instead of fetch (2 s kept); status every 10 s, gateway and docker-api every 30 s",
    cost: 'a broken status service, gateway or proxy shows unhealthy after 30 s or 90 s instead of 6 or 15 s (nothing acts on their health)',
    services: QUIETER_HEALTHCHECKS,
  },
  { ...BASELINE, id: 'baseline-again', change: 'the configuration as the issue measured it, again (drift over the run)' },
];

const byId = (id: string) => VARIANTS.find((v) => v.id === id)!;
const FLOOR = byId('no-service-healthchecks');

/**
 * The gateway's candidates again, on a stack without the services' Node healthchecks (`no-service-healthchecks`),
 * where their effect is not drowned by those bursts: what the gateway settings give once that is fixed.
 */
export const GATEWAY_ALL = combine(
  'gateway-all',
  'GOMAXPROCS=1, cpu_shares 4096, gateway healthcheck every 30 s, access log filtered',
  'the costs of those four',
  ...['gomaxprocs-1', 'gateway-cpu-weight', 'gateway-healthcheck-30s', 'access-log-filtered'].map(byId),
);

/** What the findings point to, together: does it keep the gains of each? */
export const CANDIDATE_FIX = combine(
  'candidate-fix',
  'quieter healthchecks, access log buffered, gateway cpu_shares 4096',
  'the costs of those three',
  ...['quieter-healthchecks', 'access-log-buffered', 'gateway-cpu-weight'].map(byId),
);

export const FLOOR_VARIANTS: Variant[] = [
  ...['gateway-healthcheck-wget', 'gateway-healthcheck-30s', 'gomaxprocs-1', 'gateway-cpu-weight', 'no-access-log', 'access-log-filtered'].map(byId),
  GATEWAY_ALL,
].map((v) => combine(`${FLOOR.id}+${v.id}`, `${v.change}, without the services' healthchecks`, v.cost, FLOOR, v));

export const section: Section = {
  id: 'gateway-latency-bisect',
  title: 'Gateway latency bisected: each candidate on its own at 250 req/s',
  async run() {
    const settings = settingsFromEnv({ rates: [250], paths: ['direct', 'gateway'] });
    const wanted = (process.env.GATEWAY_BISECT_VARIANTS ?? '').split(',').map((v) => v.trim()).filter(Boolean);
    const all = [...VARIANTS.slice(0, -1), ...FLOOR_VARIANTS, CANDIDATE_FIX, VARIANTS.at(-1)!];
    const unknown = wanted.filter((id) => !all.some((v) => v.id === id));
    if (unknown.length) throw new Error(`GATEWAY_BISECT_VARIANTS: unknown ${unknown.join(', ')}; variants: ${all.map((v) => v.id).join(', ')}`);
    const chosen = all.filter((v) => (wanted.length ? wanted.includes(v.id) : !FLOOR_VARIANTS.includes(v) && v !== CANDIDATE_FIX) || v.id === 'baseline' || v.id === 'baseline-again');
    // Each candidate against the configuration the issue measured (`before`), on which they were found.
    const variants = chosen.map((v) => (v.id.startsWith('baseline') ? { ...BEFORE, id: v.id, change: v.change } : combine(v.id, v.change, v.cost, BEFORE, v)));
    const quiet = await waitForQuiet('gateway-latency-bisect');
    const runs: Run[] = [];
    // Each run whose minute others' jobs disturbed is repeated (measureVariant), so no wait between variants.
    for (const variant of variants) runs.push(...(await measureVariant(variant, settings)));
    return report(runs, variants, settings.rates[0]!, quiet);
  },
};

function report(runs: Run[], variants: Variant[], rate: number, quiet: { load: number; waitedS: number }): Omit<SectionResult, 'id' | 'title' | 'measuredAt' | 'command' | 'environment'> {
  const table = [['variant', 'change', `gateway p99 added @${rate}/s`, 'direct p99', 'gateway p99', 'gateway p99.9', 'sender late p99', 'failed', 'what it costs']];
  const bars: SectionResult['chart']['bars'] = [];
  for (const variant of variants) {
    const direct = summarize(runs, variant.id, rate, 'direct');
    const gateway = summarize(runs, variant.id, rate, 'gateway');
    const p99Added = added(runs, variant.id, rate, 'gateway', 'p99');
    table.push([
      `\`${variant.id}\``,
      variant.change,
      `${p99Added.toFixed(1)} ms`,
      formatSpread(direct.p99),
      formatSpread(gateway.p99),
      formatSpread(gateway.p999),
      formatSpread(gateway.lateP99),
      `${direct.failed + gateway.failed} of ${direct.sent + gateway.sent}`,
      variant.cost,
    ]);
    for (const [series, s] of [['direct p99', direct.p99], ['gateway p99', gateway.p99]] as const) {
      bars.push({ label: variant.id, series, value: round(s.median, 2), min: round(s.min, 2), max: round(s.max, 2) });
    }
  }
  const loads = loadRange(runs);
  const base = added(runs, 'baseline', rate, 'gateway', 'p99');
  const again = variants.some((v) => v.id === 'baseline-again') ? added(runs, 'baseline-again', rate, 'gateway', 'p99') : NaN;
  const ranked = variants
    .filter((v) => !v.id.startsWith('baseline'))
    .map((v) => ({ id: v.id, gain: base - added(runs, v.id, rate, 'gateway', 'p99') }))
    .sort((a, b) => b.gain - a.gain);
  const explanation =
    `Each variant is its own stack (production settings, 3 replicas) with one candidate changed, ${runs.length ? Math.max(...runs.map((r) => r.round)) : 0} runs of ` +
    `${runs[0] ? Math.round(runs[0].sent / rate) : 0} s per path at ${rate} req/s open loop; "added" is the median gateway p99 minus the median direct p99 of the same stack. ` +
    `The repository's configuration added ${base.toFixed(1)} ms at the start and ${Number.isNaN(again) ? '–' : again.toFixed(1)} ms at the end of the run (drift). ` +
    `Largest gains: ${ranked.slice(0, 3).map((r) => `${r.id} ${r.gain >= 0 ? '−' : '+'}${Math.abs(r.gain).toFixed(1)} ms`).join(', ')}. ` +
    `Load average ${loads.min.toFixed(2)}–${loads.max.toFixed(2)} during the runs (${quiet.load.toFixed(2)} before the first).`;
  return {
    table,
    explanation,
    chart: { title: `p99 at ${rate} req/s by variant (bar: median of runs; line: min–max)`, yTitle: 'ms', bars },
    data: { rate, variants, quiet, loads, composeFiles: extraComposeFiles(), runs, discarded },
  };
}
