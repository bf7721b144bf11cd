import { randomUUID } from 'node:crypto';
import autocannon from 'autocannon';
import { aggregateResult } from './run-load.ts';

/**
 * Orders as fast as the service takes them (closed loop: each connection sends its next order when it
 * has the answer to the last), or at a fixed rate: `POST <base>/orders` of one unit of a product drawn
 * from `productIds`, each with a fresh Idempotency-Key, as a client that may retry would send it.
 */
export interface OrderLoadOptions {
  /** Base URL and prefix, e.g. http://127.0.0.1:8081/storagesvc or http://172.18.0.3:3000. */
  base: string;
  productIds: string[];
  connections: number;
  durationSeconds: number;
  /** Orders per second over all connections; absent: as fast as they are answered. */
  rate?: number;
}

export interface OrderLoadSummary {
  /** 201 answers: orders placed (each key is new, so none is a replay). */
  placed: number;
  placedPerSecond: number;
  /** Answers other than 201, by status, and requests without an answer (`error`). */
  failed: Record<string, number>;
  latencyMs: { p50: number; p99: number };
}

export async function runOrderLoad(options: OrderLoadOptions): Promise<OrderLoadSummary> {
  const url = new URL(options.base);
  const path = `${url.pathname.replace(/\/$/, '')}/orders`;
  const pick = () => options.productIds[Math.floor(Math.random() * options.productIds.length)]!;
  const failed: Record<string, number> = {};
  let placed = 0;
  const request: autocannon.Request = {
    method: 'POST',
    path,
    setupRequest: (req) => ({
      ...req,
      headers: { 'content-type': 'application/json', 'idempotency-key': randomUUID() },
      body: JSON.stringify({ productId: pick(), quantity: 1 }),
    }),
    onResponse: (status) => {
      if (status === 201) placed++;
      else failed[status] = (failed[status] ?? 0) + 1;
    },
  };
  const settings: autocannon.Options = {
    url: url.origin,
    requests: [request],
    connections: options.connections,
    duration: options.durationSeconds,
    timeout: 10,
    ...(options.rate ? { overallRate: options.rate, ignoreCoordinatedOmission: true } : {}),
    // autocannon aggregates only on the main thread (not in a benchmark's or a test's worker): done below.
    skipAggregateResult: true,
  };
  const started = performance.now();
  const raw = await new Promise<unknown>((resolve, reject) => {
    const instance = autocannon(settings, (err, done) => (err ? reject(err) : resolve(done)));
    instance.on('reqError', () => (failed.error = (failed.error ?? 0) + 1));
  });
  const seconds = (performance.now() - started) / 1000;
  const result = aggregateResult([raw], settings);
  return { placed, placedPerSecond: placed / seconds, failed, latencyMs: { p50: result.latency.p50, p99: result.latency.p99 } };
}
