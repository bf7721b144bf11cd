import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { latencyPercentile } from './scheduled-load.ts';
import { checkMessages, checkStore, type AcknowledgedMessage, type AcknowledgedOrder, type CheckReport, type LoggedOrder } from './consistency.ts';

/**
 * The write workloads of the load client: virtual users that write with an Idempotency-Key and retry
 * the same key until they get an answer, then a consistency check read back from the service.
 *   store: each user reads a random product; while it has stock, buys one with probability p.
 *   write: each user POSTs messages to one partition.
 */
export interface WriteLoadOptions {
  workload: 'store' | 'write';
  /** Base URL and prefix, e.g. http://127.0.0.1:8081/storagesvc. */
  base: string;
  users: number;
  durationSeconds: number;
  /** store: probability that a user buys the product it read (when it has stock). */
  p: number;
  timeoutSeconds: number;
  /** write: the partition the messages go to. */
  partition?: string;
  /** Stops the load early; the check still runs. */
  signal?: AbortSignal;
  random?: () => number;
}

export interface WriteLoadSummary {
  workload: 'store' | 'write';
  target: string;
  users: number;
  p: number | null;
  elapsedSeconds: number;
  reads: number;
  /** Writes acknowledged with 201 the first time they were answered. */
  placed: number;
  /** 201 answers that were replays (Idempotent-Replayed: true): a retry of a write that had taken effect. */
  replays: number;
  /** store: 409 answers, the product had too little stock. */
  outOfStock: number;
  /** Attempts repeated with the same key after a network error, a timeout or a 5xx. */
  retries: number;
  /** Writes still unanswered after every attempt: the client cannot tell whether they took effect. */
  gaveUp: number;
  /** Answers that were neither success, out of stock nor retried, by status (or error code). */
  errors: Record<string, number>;
  /** Time from a write's first attempt to its final answer, retries included. */
  writeLatencyMs: { p50: number | null; p99: number | null; max: number | null };
  check: CheckReport;
}

/** Attempts of one write (one key) before the user gives up on it; the pause grows to a second. */
const MAX_ATTEMPTS = 10;
const retryPause = (attempt: number) => Math.min(1000, 50 * 2 ** attempt);

type Counters = Pick<WriteLoadSummary, 'reads' | 'placed' | 'replays' | 'outOfStock' | 'retries' | 'gaveUp' | 'errors'> & { latencies: number[] };

type Answer = { status: number; headers: Headers; body: unknown };

export async function runWriteLoad(options: WriteLoadOptions): Promise<WriteLoadSummary> {
  const counters: Counters = { reads: 0, placed: 0, replays: 0, outOfStock: 0, retries: 0, gaveUp: 0, errors: {}, latencies: [] };
  const timeoutMs = options.timeoutSeconds * 1000;
  const random = options.random ?? Math.random;
  const deadline = performance.now() + options.durationSeconds * 1000;
  const running = () => performance.now() < deadline && !options.signal?.aborted;
  const started = performance.now();

  let check: CheckReport;
  if (options.workload === 'store') {
    const before = await storeSnapshot(options.base, timeoutMs);
    const ids = [...before.stock.keys()];
    if (ids.length === 0) throw new Error(`${options.base}/data/products has no products to buy`);
    const acknowledged: AcknowledgedOrder[] = [];
    const buyer = async () => {
      while (running()) {
        const productId = ids[Math.floor(random() * ids.length)]!;
        const product = await attempt(`${options.base}/data/products/${encodeURIComponent(productId)}`, { method: 'GET' }, timeoutMs);
        if (product.status !== 200) {
          count(counters.errors, `read ${product.status || 'error'}`);
          continue;
        }
        counters.reads++;
        const stock = (product.body as { quantity?: unknown }).quantity;
        if (typeof stock !== 'number' || stock <= 0 || random() >= options.p) continue;
        const key = randomUUID();
        const answer = await keyedPost(`${options.base}/orders`, { productId, quantity: 1 }, key, timeoutMs, counters);
        if (answer?.status === 201) {
          const order = answer.body as { orderId: number; productId: string; quantity: number };
          acknowledged.push({ orderId: order.orderId, productId: order.productId, quantity: order.quantity, key });
        } else if (answer?.status === 409) counters.outOfStock++;
        else if (answer) count(counters.errors, `buy ${answer.status}`);
      }
    };
    await Promise.all(Array.from({ length: options.users }, buyer));
    const after = await storeSnapshot(options.base, timeoutMs, before.lastOrderId);
    check = checkStore({ initialStock: before.stock, finalStock: after.stock, orders: after.orders, acknowledged });
  } else {
    const partition = options.partition ?? `loadtest-${Date.now()}`;
    const acknowledged: AcknowledgedMessage[] = [];
    const writer = async (user: number) => {
      for (let n = 0; running(); n++) {
        const key = randomUUID();
        const answer = await keyedPost(`${options.base}/data/${encodeURIComponent(partition)}`, { key, user, n }, key, timeoutMs, counters);
        if (answer?.status === 201) acknowledged.push({ id: (answer.body as { id: string }).id, key });
        else if (answer) count(counters.errors, `write ${answer.status}`);
      }
    };
    await Promise.all(Array.from({ length: options.users }, (_, user) => writer(user)));
    check = checkMessages(await readMessages(options.base, partition, timeoutMs), acknowledged);
  }

  const sorted = counters.latencies.sort((a, b) => a - b);
  return {
    workload: options.workload,
    target: options.base,
    users: options.users,
    p: options.workload === 'store' ? options.p : null,
    elapsedSeconds: Math.round((performance.now() - started) / 10) / 100,
    reads: counters.reads,
    placed: counters.placed,
    replays: counters.replays,
    outOfStock: counters.outOfStock,
    retries: counters.retries,
    gaveUp: counters.gaveUp,
    errors: counters.errors,
    writeLatencyMs: { p50: latencyPercentile(sorted, 50), p99: latencyPercentile(sorted, 99), max: latencyPercentile(sorted, 100) },
    check,
  };
}

/**
 * One POST under one Idempotency-Key, sent again with the same key after a network error, a timeout, a
 * 5xx (the gateway's 503 when no replica could answer) or a 409 in flight: the service applies it at most once.
 * Undefined when every attempt failed.
 */
async function keyedPost(url: string, body: unknown, key: string, timeoutMs: number, counters: Counters): Promise<Answer | undefined> {
  const init = { method: 'POST', headers: { 'content-type': 'application/json', 'idempotency-key': key }, body: JSON.stringify(body) };
  const started = performance.now();
  for (let n = 1; n <= MAX_ATTEMPTS; n++) {
    const answer = await attempt(url, init, timeoutMs);
    // 409 in flight: the same key is still being written (a replica died mid-write); asked again, it replays or takes effect.
    const inFlight = answer.status === 409 && (answer.body as { type?: unknown } | null)?.type === 'urn:assembly:problem:idempotency-key-in-flight';
    if (answer.status !== 0 && answer.status < 500 && !inFlight) {
      counters.latencies.push(performance.now() - started);
      if (answer.status === 201) {
        if (answer.headers.get('idempotent-replayed') === 'true') counters.replays++;
        else counters.placed++;
      }
      return answer;
    }
    counters.retries++;
    await sleep(retryPause(n));
  }
  counters.retries--;
  counters.gaveUp++;
  return undefined;
}

/** One request; status 0 when no answer came (connection error, timeout). */
async function attempt(url: string, init: RequestInit, timeoutMs: number): Promise<Answer> {
  try {
    const response = await fetch(url, { ...init, signal: AbortSignal.timeout(timeoutMs) });
    const text = await response.text();
    let body: unknown = null;
    try {
      body = JSON.parse(text);
    } catch {
      // Not JSON (a gateway's own error page): the status says enough.
    }
    return { status: response.status, headers: response.headers, body };
  } catch {
    return { status: 0, headers: new Headers(), body: null };
  }
}

async function getJson<T>(url: string, timeoutMs: number): Promise<T> {
  const answer = await attempt(url, { method: 'GET' }, timeoutMs);
  if (answer.status !== 200) throw new Error(`GET ${url} answered ${answer.status || 'nothing'}`);
  return answer.body as T;
}

/** Every product's stock, and the order log from `afterOrderId` on (the whole log when absent). */
async function storeSnapshot(base: string, timeoutMs: number, afterOrderId?: number) {
  const stock = new Map<string, number>();
  for (const id of await allIds(base, 'products', timeoutMs)) {
    const product = await getJson<{ quantity?: unknown }>(`${base}/data/products/${encodeURIComponent(id)}`, timeoutMs);
    if (typeof product.quantity === 'number') stock.set(id, product.quantity);
  }
  const orders: LoggedOrder[] = [];
  let after = afterOrderId ?? null;
  for (;;) {
    const page = await getJson<{ orders: LoggedOrder[]; next: number | null }>(`${base}/orders?limit=1000${after === null ? '' : `&after=${after}`}`, timeoutMs);
    orders.push(...page.orders);
    if (page.orders.length) after = page.orders.at(-1)!.orderId;
    if (page.next === null) break;
  }
  return { stock, orders, lastOrderId: after ?? 0 };
}

async function allIds(base: string, partition: string, timeoutMs: number): Promise<string[]> {
  const ids: string[] = [];
  let after: string | null = null;
  for (;;) {
    const url = `${base}/data/${encodeURIComponent(partition)}?limit=1000${after === null ? '' : `&after=${encodeURIComponent(after)}`}`;
    const page = await attempt(url, { method: 'GET' }, timeoutMs);
    if (page.status === 404) return ids;
    if (page.status !== 200) throw new Error(`GET ${url} answered ${page.status || 'nothing'}`);
    const { ids: more, next } = page.body as { ids: string[]; next: string | null };
    ids.push(...more);
    if (next === null) return ids;
    after = next;
  }
}

/** Each message of the partition, read back by id, with the key the writer put in it. */
async function readMessages(base: string, partition: string, timeoutMs: number) {
  const ids = await allIds(base, partition, timeoutMs);
  return Promise.all(
    ids.map(async (id) => {
      const message = await getJson<{ key?: unknown }>(`${base}/data/${encodeURIComponent(partition)}/${encodeURIComponent(id)}`, timeoutMs);
      return { id, key: typeof message.key === 'string' ? message.key : null };
    }),
  );
}

function count(counts: Record<string, number>, what: string): void {
  counts[what] = (counts[what] ?? 0) + 1;
}

/** The table the CLI prints after a write workload. */
export function renderWriteSummary(s: WriteLoadSummary): string {
  const errors = Object.entries(s.errors).map(([what, n]) => `${what}: ${n}`).join(', ') || 'none';
  const rows: Array<[string, string | number]> = [
    ['reads', s.reads],
    [s.workload === 'store' ? 'orders placed' : 'messages written', s.placed],
    ['replays seen', s.replays],
    ...(s.workload === 'store' ? [['out of stock', s.outOfStock] as [string, number]] : []),
    ['retries', s.retries],
    ['gave up', s.gaveUp],
    ['errors', errors],
    ['write latency', `p50 ${s.writeLatencyMs.p50 ?? '-'} ms, p99 ${s.writeLatencyMs.p99 ?? '-'} ms, max ${s.writeLatencyMs.max ?? '-'} ms (retries included)`],
    ['consistency', `${s.check.ok ? 'OK' : 'FAILED'}: lost ${s.check.lost}, duplicated ${s.check.duplicated}, oversold ${s.check.oversold}`],
  ];
  const lines = [
    `${s.workload} workload on ${s.target}: ${s.users} users, ${s.elapsedSeconds} s${s.p === null ? '' : `, p ${s.p}`}`,
    ...rows.map(([label, value]) => `  ${label.padEnd(17)}${value}`),
    ...s.check.problems.map((problem) => `    - ${problem}`),
  ];
  return `${lines.join('\n')}\n`;
}

/** `PUT <base>/data/products/<id>` with `quantity` in stock, for orders to take from; throws unless it is stored. */
export async function stockProduct(base: string, id: string, quantity: number): Promise<void> {
  const put = await fetch(`${base}/data/products/${encodeURIComponent(id)}`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ id, name: id, quantity }),
  });
  if (!put.ok) throw new Error(`PUT ${base}/data/products/${id} answered ${put.status}`);
}
