import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { StorageClient, storageProto } from 'testkit/grpc-client';
import { stockProduct } from 'testkit/write-load';
import { h2load, h2loadNote, requireH2load, type H2loadSummary } from '../h2load.ts';
import { TRANSPORTS } from '../options.ts';
import { startStorageService } from '../server-process.ts';
import { withBenchStack } from '../stack.ts';
import { fmt, rotated, round, ROUNDS, spread, spreadText } from '../suite/figures.ts';
import type { Section } from '../suite/section.ts';

const CONNECTIONS = 50;
/** Bought from by every PlaceOrder and POST /orders: enough stock for any run. */
const PRODUCT = 'bench-grpc';
const STOCK = 1_000_000_000;
const SERVICE = '/assembly.storage.v1.StorageService';

/** The two calls, as the HTTP API and StorageService ask for them. */
const CALLS = [
  { id: 'GetItem', http: { path: '/data/products/p-1001' }, grpc: { method: 'GetItem', request: { partitionKey: 'products', id: 'p-1001' } } },
  { id: 'PlaceOrder', http: { path: '/orders', body: { productId: PRODUCT, quantity: 1 } }, grpc: { method: 'PlaceOrder', request: { productId: PRODUCT, quantity: 1 } } },
] as const;
type CallId = (typeof CALLS)[number]['id'];
type Transport = (typeof TRANSPORTS)[number];
const ROUTES = [
  { id: 'direct', label: 'straight to one replica' },
  { id: 'gateway', label: 'through the gateway (3 replicas)' },
] as const;
type RouteId = (typeof ROUTES)[number]['id'];

/** Where one route's HTTP API and gRPC API are, both as h2load is pointed at them. */
interface Target {
  http: string;
  /** scheme://host:port of the gRPC API (h2c). */
  grpc: string;
  /** host:port for the gRPC client's own checks. */
  grpcAddress: string;
}

interface Run {
  round: number;
  route: RouteId;
  call: CallId;
  transport: Transport;
  summary: H2loadSummary;
}

/** A unary call's request as it goes on the wire: the length-prefixed message (uncompressed) of the gRPC framing. */
function grpcFrame(method: string, request: object): Buffer {
  const service = storageProto['assembly.storage.v1.StorageService'] as Record<string, { requestSerialize: (value: object) => Buffer }>;
  const message = service[method]!.requestSerialize(request);
  const prefix = Buffer.alloc(5);
  prefix.writeUInt32BE(message.length, 1);
  return Buffer.concat([prefix, message]);
}

/** Every call and transport on one route, ROUNDS times in rotated order; checks first that each answers, and after that each order was placed. */
async function measure(route: RouteId, target: Target, dir: string, seconds: number): Promise<{ runs: Run[]; ordersPlaced: number }> {
  // What each request sends, in files for h2load: every gRPC call has a body, of the HTTP ones only POST /orders.
  const files: Partial<Record<`${CallId}.${Transport}`, string>> = {};
  for (const call of CALLS) {
    if ('body' in call.http) await writeFile((files[`${call.id}.http`] = join(dir, `${call.id}.json`)), JSON.stringify(call.http.body));
    await writeFile((files[`${call.id}.grpc`] = join(dir, `${call.id}.grpc`)), grpcFrame(call.grpc.method, call.grpc.request));
  }
  await stockProduct(target.http, PRODUCT, STOCK);
  const client = new StorageClient(target.grpcAddress);
  const stock = async () => {
    const { codeName, details, response } = await client.call('GetItem', { partitionKey: 'products', id: PRODUCT }, { deadlineMs: 10_000 });
    if (codeName !== 'OK') throw new Error(`grpc-vs-http: GetItem on ${target.grpcAddress}: ${codeName} ${details}`);
    return response.item.fields.quantity.numberValue as number;
  };
  const before = await stock();
  const runs: Run[] = [];
  try {
    const variants = CALLS.flatMap((call) => TRANSPORTS.map((transport) => ({ call, transport })));
    for (let n = 1; n <= ROUNDS; n++) {
      const order = rotated(variants, n);
      for (const { call, transport } of order) {
        const bodyFile = files[`${call.id}.${transport}`];
        const summary = await h2load({
          ...(transport === 'http'
            ? { url: `${target.http}${call.http.path}`, h1: true, headers: bodyFile ? { 'content-type': 'application/json' } : {} }
            : { url: `${target.grpc}${SERVICE}/${call.grpc.method}`, h1: false, headers: { 'content-type': 'application/grpc', te: 'trailers' } }),
          ...(bodyFile ? { bodyFile } : {}),
          seconds,
          connections: CONNECTIONS,
        });
        process.stderr.write(`bench: grpc-vs-http: round ${n}, ${route}, ${call.id} over ${transport}: ${round(summary.perSecond)}/s, mean ${round(summary.meanMs, 2)} ms, failed ${summary.failed}, non-2xx ${summary.non2xx}\n`);
        runs.push({ round: n, route, call: call.id, transport, summary });
      }
    }
    // Every gRPC answer is an HTTP 200, a refused call too: the stock says that each answered order took one.
    const ordersPlaced = before - (await stock());
    const answered = runs.filter((r) => r.call === 'PlaceOrder').reduce((sum, r) => sum + r.summary.succeeded - r.summary.non2xx, 0);
    if (ordersPlaced < answered) throw new Error(`grpc-vs-http: ${answered} orders answered on ${route}, but the stock went down by ${ordersPlaced}`);
    return { runs, ordersPlaced };
  } finally {
    client.close();
  }
}

/**
 * GetItem and PlaceOrder over gRPC (h2c, one stream per connection) against GET and POST /orders over
 * HTTP/1.1 (keep-alive), from the same client (h2load) at the same concurrency, straight to one replica
 * and through the gateway (production settings), in rotated rounds.
 */
export const section: Section = {
  id: 'grpc-vs-http',
  title: 'gRPC against HTTP: GetItem and PlaceOrder straight to one replica and through the gateway',
  run: async ({ seconds, dir }) => {
    await requireH2load('grpc-vs-http');
    const replica = await startStorageService({ stdoutFile: join(dir, 'storage.log') });
    let direct;
    try {
      direct = await measure('direct', { http: replica.url, grpc: `http://127.0.0.1:${replica.grpcPort}`, grpcAddress: `127.0.0.1:${replica.grpcPort}` }, dir, seconds);
    } finally {
      await replica.stop();
    }
    const viaGateway = await withBenchStack(
      3,
      (stack) => measure('gateway', { http: `http://127.0.0.1:${stack.port}/storagesvc`, grpc: `http://127.0.0.1:${stack.port}`, grpcAddress: `127.0.0.1:${stack.port}` }, dir, seconds),
      { production: true },
    );
    return report([...direct.runs, ...viaGateway.runs], seconds, { direct: direct.ordersPlaced, gateway: viaGateway.ordersPlaced });
  },
};

function report(runs: Run[], seconds: number, ordersPlaced: Record<RouteId, number>) {
  const of = (route: RouteId, call: CallId, transport: Transport) => runs.filter((r) => r.route === route && r.call === call && r.transport === transport);
  /** gRPC's rate over HTTP's, per round. */
  const ratios = (route: RouteId, call: CallId) => of(route, call, 'grpc').map((g) => g.summary.perSecond / of(route, call, 'http').find((h) => h.round === g.round)!.summary.perSecond);
  const table = [
    ['call', 'route', 'HTTP/1.1 per s (min / median / max)', 'gRPC per s (min / median / max)', 'gRPC / HTTP (min / median / max)', 'mean latency HTTP / gRPC (median)'],
    ...CALLS.flatMap(({ id: call }) =>
      ROUTES.map(({ id: route, label }) => [
        call,
        label,
        spreadText(of(route, call, 'http').map((r) => r.summary.perSecond), fmt.rps),
        spreadText(of(route, call, 'grpc').map((r) => r.summary.perSecond), fmt.rps),
        spreadText(ratios(route, call), (v) => v.toFixed(2)),
        `${fmt.ms(spread(of(route, call, 'http').map((r) => r.summary.meanMs)).median)} / ${fmt.ms(spread(of(route, call, 'grpc').map((r) => r.summary.meanMs)).median)}`,
      ]),
    ),
  ];
  const median = (route: RouteId, call: CallId) => spread(ratios(route, call)).median.toFixed(2);
  const explanation = [
    `The same call over gRPC (h2c, one stream on each of ${CONNECTIONS} connections) and over HTTP/1.1 (keep-alive, ${CONNECTIONS} connections), from one client, h2load, so that only the protocol differs: GetItem reached ${median('direct', 'GetItem')} of GET's rate straight to a replica and ${median('gateway', 'GetItem')} through the gateway; PlaceOrder ${median('direct', 'PlaceOrder')} and ${median('gateway', 'PlaceOrder')} of POST /orders' (medians of ${ROUNDS} rotated rounds of ${seconds} s, each ratio within its round; production settings, SQLite).`,
    `Orders are unkeyed on both, one product with ample stock; the stock fell by ${ordersPlaced.direct.toLocaleString('en-US')} and ${ordersPlaced.gateway.toLocaleString('en-US')} orders, at least every one answered (a gRPC refusal is an HTTP 200 too, so this is what says the calls succeeded).`,
    h2loadNote(runs.map((r) => r.summary)),
  ].join(' ');
  return {
    table,
    explanation,
    chart: {
      title: `gRPC / HTTP rate by call and route (${CONNECTIONS} connections; bar: median of ${ROUNDS} rounds, line: min–max)`,
      yTitle: 'gRPC rate / HTTP rate',
      bars: CALLS.flatMap(({ id: call }) =>
        ROUTES.map(({ id: route, label }) => {
          const s = spread(ratios(route, call));
          return { label: call, series: label, value: round(s.median, 2), min: round(s.min, 2), max: round(s.max, 2) };
        }),
      ),
    },
    data: { seconds, rounds: ROUNDS, connections: CONNECTIONS, ordersPlaced, runs },
  };
}
