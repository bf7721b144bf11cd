import { randomUUID } from 'node:crypto';
import { status } from '@grpc/grpc-js';
import { checkMessages, checkStore, type AcknowledgedMessage, type AcknowledgedOrder, type CheckReport, type LoggedOrder } from './consistency.ts';
import { callWithRetries, StorageClient, type CallOutcome } from './grpc-client.ts';
import { latencyPercentile } from './scheduled-load.ts';

/**
 * The load client's workloads over gRPC (StorageService), on one channel with `concurrency` calls in
 * flight, each with its own deadline, retried with backoff where the rules allow (grpc-client.ts):
 *   read: GetItem of random items of every partition; mixed: ListItems of a random partition, then
 *   GetItem of one of its items with probability p; store: GetItem of a random product and, while it
 *   has stock, PlaceOrder of one with probability p; write: AppendItem to one partition. store and write
 *   send an idempotency key and end with the HTTP workloads' consistency check, read back over gRPC.
 */
export interface GrpcLoadOptions {
  workload: 'read' | 'mixed' | 'store' | 'write';
  /** host:port, e.g. 127.0.0.1:8081 (the gateway) or a replica's gRPC port. */
  address: string;
  tls: boolean;
  /** Calls in flight at once. */
  concurrency: number;
  /** Exactly one of durationSeconds and amount is set. */
  durationSeconds: number | null;
  /** Calls to make (their retries aside). */
  amount: number | null;
  deadlineMs: number;
  p: number;
  /** write: the partition the messages go to (default loadtest-<time>). */
  partition?: string;
  signal?: AbortSignal;
  random?: () => number;
}

export interface GrpcLoadSummary {
  transport: 'grpc';
  workload: GrpcLoadOptions['workload'];
  target: string;
  concurrency: number;
  deadlineMs: number;
  elapsedSeconds: number;
  /** Calls made, each counted once with its final outcome (after its retries). */
  calls: number;
  callsPerSecond: number;
  /** Final outcomes by status code name. */
  codes: Record<string, number>;
  /** Final outcomes that are neither OK nor an order refused for want of stock. */
  failed: number;
  /** Of each failing code, what the first call that ended with it was told (its status details). */
  details: Record<string, string>;
  /** Attempts sent again after UNAVAILABLE or INTERNAL (or ABORTED for a keyed write): grpc-client.ts. */
  retries: number;
  /** Per call, from its first attempt to its final outcome. */
  latencyMs: { p50: number | null; p99: number | null; max: number | null };
  /** Final answers per replica (x-replica-id); `none` when no replica answered. */
  byReplica: Record<string, number>;
  /** store and write: what was written, and the check of it. */
  writes: { placed: number; replays: number; outOfStock: number; check: CheckReport } | null;
}

/** The target cannot be loaded: it does not answer, or holds nothing to read or buy. Said before any load. */
export class GrpcTargetError extends Error {
  override name = 'GrpcTargetError';
}

type Tally = Pick<GrpcLoadSummary, 'codes' | 'details' | 'byReplica'> & { calls: number; failed: number; retries: number; latencies: number[] };

/** Runs one gRPC load and summarises it; throws when the target has nothing to load (no items, no products). */
export async function runGrpcLoad(options: GrpcLoadOptions): Promise<GrpcLoadSummary> {
  const client = new StorageClient(options.address, { tls: options.tls });
  const random = options.random ?? Math.random;
  const tally: Tally = { calls: 0, failed: 0, retries: 0, latencies: [], codes: {}, details: {}, byReplica: {} };
  const deadlineMs = options.deadlineMs;
  const call = async <T = any>(method: string, request: object, key?: string, expected: (o: CallOutcome) => boolean = () => false) => {
    const { outcome, attempts, ms } = await callWithRetries<T>(client, method, request, { key, deadlineMs });
    tally.calls++;
    tally.retries += attempts - 1;
    tally.latencies.push(ms);
    tally.codes[outcome.codeName] = (tally.codes[outcome.codeName] ?? 0) + 1;
    tally.byReplica[outcome.replica ?? 'none'] = (tally.byReplica[outcome.replica ?? 'none'] ?? 0) + 1;
    if (outcome.code !== status.OK && !expected(outcome)) {
      tally.failed++;
      tally.details[outcome.codeName] ??= outcome.details;
    }
    return outcome;
  };

  try {
    // Everything before the load is read with the load's own client, once and without counting.
    const setupDeadline = Math.max(deadlineMs, 10_000);
    const read = async <T = any>(method: string, request: object): Promise<T> => {
      const { outcome } = await callWithRetries<T>(client, method, request, { deadlineMs: setupDeadline });
      if (outcome.code !== status.OK) throw new GrpcTargetError(`${method} ${JSON.stringify(request)} on ${options.address}: ${outcome.codeName} ${outcome.details}`);
      return outcome.response!;
    };
    const allIds = async (partitionKey: string): Promise<string[]> => {
      const ids: string[] = [];
      for (let after = ''; ; ) {
        const page = await read<{ ids: string[]; next: string }>('ListItems', { partitionKey, after, limit: 1000 });
        ids.push(...page.ids);
        if (!page.next) return ids;
        after = page.next;
      }
    };
    const stockOf = async () => {
      const stock = new Map<string, number>();
      for (const id of await allIds('products')) {
        const quantity = (await read<{ item: { fields: Record<string, { numberValue?: number }> } }>('GetItem', { partitionKey: 'products', id })).item.fields.quantity?.numberValue;
        if (typeof quantity === 'number') stock.set(id, quantity);
      }
      return stock;
    };
    const ordersAfter = async (after: number): Promise<LoggedOrder[]> => {
      const orders: LoggedOrder[] = [];
      for (;;) {
        const page = await read<{ orders: Array<LoggedOrder & { idempotencyKey: string }>; next: number }>('ListOrders', { after, limit: 1000 });
        orders.push(...page.orders.map((o) => ({ orderId: o.orderId, productId: o.productId, quantity: o.quantity, idempotencyKey: o.idempotencyKey || null })));
        if (!page.next) return orders;
        after = page.next;
      }
    };

    let issued = 0;
    const stopAt = options.durationSeconds === null ? Infinity : performance.now() + options.durationSeconds * 1000;
    const more = () => !options.signal?.aborted && performance.now() < stopAt && (options.amount === null || issued++ < options.amount);
    const started = performance.now();
    const users = (work: () => Promise<void>) => Promise.all(Array.from({ length: options.concurrency }, work));
    const pick = <T>(list: readonly T[]) => list[Math.floor(random() * list.length)]!;

    let writes: GrpcLoadSummary['writes'] = null;
    if (options.workload === 'read' || options.workload === 'mixed') {
      const { partitions } = await read<{ partitions: string[] }>('ListPartitions', {});
      const items = new Map(await Promise.all(partitions.map(async (p) => [p, await allIds(p)] as const)));
      const everyItem = [...items].flatMap(([partitionKey, ids]) => ids.map((id) => ({ partitionKey, id })));
      if (everyItem.length === 0) throw new GrpcTargetError(`${options.address} holds no items to read`);
      await users(async () => {
        while (more()) {
          if (options.workload === 'read') {
            await call('GetItem', pick(everyItem));
            continue;
          }
          const partitionKey = pick(partitions);
          await call('ListItems', { partitionKey, limit: 100 });
          const ids = items.get(partitionKey)!;
          // One of the first 100 ids: the page ListItems just answered.
          if (ids.length > 0 && random() < options.p) await call('GetItem', { partitionKey, id: ids[Math.floor(random() * Math.min(ids.length, 100))]! });
        }
      });
    } else if (options.workload === 'store') {
      const before = await stockOf();
      const lastOrderId = (await ordersAfter(0)).at(-1)?.orderId ?? 0;
      const products = [...before.keys()];
      if (products.length === 0) throw new GrpcTargetError(`${options.address} has no products to buy`);
      const acknowledged: AcknowledgedOrder[] = [];
      let placed = 0;
      let replays = 0;
      let outOfStock = 0;
      const isOutOfStock = (o: CallOutcome) => o.code === status.FAILED_PRECONDITION;
      await users(async () => {
        while (more()) {
          const productId = pick(products);
          const product = await call('GetItem', { partitionKey: 'products', id: productId });
          const stock = product.response?.item.fields.quantity?.numberValue;
          if (typeof stock !== 'number' || stock <= 0 || random() >= options.p) continue;
          const key = randomUUID();
          const order = await call('PlaceOrder', { productId, quantity: 1 }, key, isOutOfStock);
          if (order.code === status.OK) {
            acknowledged.push({ orderId: order.response.orderId, productId, quantity: order.response.quantity, key });
            if (order.replayed) replays++;
            else placed++;
          } else if (isOutOfStock(order)) outOfStock++;
        }
      });
      const check = checkStore({ initialStock: before, finalStock: await stockOf(), orders: await ordersAfter(lastOrderId), acknowledged });
      writes = { placed, replays, outOfStock, check };
    } else {
      const partitionKey = options.partition ?? `loadtest-${Date.now()}`;
      const acknowledged: AcknowledgedMessage[] = [];
      let placed = 0;
      let replays = 0;
      await users(async () => {
        while (more()) {
          const key = randomUUID();
          const appended = await call('AppendItem', { partitionKey, item: { fields: { key: { stringValue: key } } } }, key);
          if (appended.code !== status.OK) continue;
          acknowledged.push({ id: appended.response.id, key });
          if (appended.replayed) replays++;
          else placed++;
        }
      });
      const stored = await Promise.all(
        (await allIds(partitionKey)).map(async (id) => {
          const key = (await read<{ item: { fields: Record<string, { stringValue?: string }> } }>('GetItem', { partitionKey, id })).item.fields.key?.stringValue;
          return { id, key: key ?? null };
        }),
      );
      writes = { placed, replays, outOfStock: 0, check: checkMessages(stored, acknowledged) };
    }

    const elapsedSeconds = (performance.now() - started) / 1000;
    const sorted = tally.latencies.sort((a, b) => a - b);
    return {
      transport: 'grpc',
      workload: options.workload,
      target: `${options.tls ? 'grpcs' : 'grpc'}://${options.address}`,
      concurrency: options.concurrency,
      deadlineMs,
      elapsedSeconds: Math.round(elapsedSeconds * 100) / 100,
      calls: tally.calls,
      callsPerSecond: Math.round(tally.calls / elapsedSeconds),
      codes: tally.codes,
      failed: tally.failed,
      details: tally.details,
      retries: tally.retries,
      latencyMs: { p50: latencyPercentile(sorted, 50), p99: latencyPercentile(sorted, 99), max: latencyPercentile(sorted, 100) },
      byReplica: tally.byReplica,
      writes,
    };
  } finally {
    client.close();
  }
}

/** The table the CLI prints after a gRPC load. */
export function renderGrpcSummary(s: GrpcLoadSummary): string {
  const codes = Object.entries(s.codes).sort(([, a], [, b]) => b - a).map(([code, n]) => `${code} ${n}`).join(', ') || 'none';
  const replicas = Object.entries(s.byReplica).map(([replica, n]) => `${replica} ${n}`).join(', ') || 'none';
  const rows: Array<[string, string | number]> = [
    ['calls', `${s.calls} (${s.callsPerSecond}/s)`],
    ['codes', codes],
    ['failed', s.failed],
    ...Object.entries(s.details).map(([code, details]) => [`  ${code}`, details] as [string, string]),
    ['retries', s.retries],
    ['latency', `p50 ${s.latencyMs.p50 ?? '-'} ms, p99 ${s.latencyMs.p99 ?? '-'} ms, max ${s.latencyMs.max ?? '-'} ms (retries included)`],
    ['by replica', replicas],
  ];
  if (s.writes) {
    const { placed, replays, outOfStock, check } = s.writes;
    rows.push(
      [s.workload === 'store' ? 'orders placed' : 'messages written', placed],
      ['replays seen', replays],
      ...(s.workload === 'store' ? [['out of stock', outOfStock] as [string, number]] : []),
      ['consistency', `${check.ok ? 'OK' : 'FAILED'}: lost ${check.lost}, duplicated ${check.duplicated}, oversold ${check.oversold}`],
    );
  }
  const lines = [
    `${s.workload} workload over gRPC on ${s.target}: ${s.concurrency} calls in flight, deadline ${s.deadlineMs} ms, ${s.elapsedSeconds} s`,
    ...rows.map(([label, value]) => `  ${label.padEnd(17)}${value}`),
    ...(s.writes?.check.problems ?? []).map((problem) => `    - ${problem}`),
  ];
  return `${lines.join('\n')}\n`;
}
