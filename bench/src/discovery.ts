import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { Workload } from './options.ts';

/** Every partition of the target and its ids, as the storage service lists them. */
export interface Catalog {
  partitions: Array<{ key: string; ids: string[] }>;
}

/** The target cannot be load-tested (down, wrong URL or prefix, no data): the CLI prints one line and exits 2. */
export class TargetError extends Error {
  override name = 'TargetError';
}

/** Long enough for a cold gateway, short enough that a wrong port is reported at once. */
export const REACHABILITY_TIMEOUT_MS = 3000;

/**
 * One GET of the workload's first path before any load: an unreachable target or a wrong prefix is
 * then one clear line, not a run of N thousand connection errors.
 */
export async function checkReachable(base: string, workload: Workload): Promise<void> {
  await getJson(workload === 'status' ? `${base}/status` : `${base}/data`, REACHABILITY_TIMEOUT_MS);
}

/** GET /data, then each /data/{partition} once, in parallel: the ids the read workloads pick from. */
export async function discoverCatalog(base: string, timeoutMs: number): Promise<Catalog> {
  const listing = await getJson(`${base}/data`, timeoutMs);
  const keys = (listing as { partitions?: unknown }).partitions;
  if (!isStringArray(keys)) throw new TargetError(`GET ${base}/data did not list partitions ({"partitions": [...]}); is this a storage service? (--url, --prefix)`);
  const partitions = await Promise.all(
    keys.map(async (key) => {
      const url = `${base}/data/${encodeURIComponent(key)}`;
      const ids = ((await getJson(url, timeoutMs)) as { ids?: unknown }).ids;
      if (!isStringArray(ids)) throw new TargetError(`GET ${url} did not list ids ({"ids": [...]})`);
      return { key, ids };
    }),
  );
  if (partitions.every(({ ids }) => ids.length === 0)) throw new TargetError(`${base}/data has no items to read`);
  return { partitions };
}

/**
 * node:http rather than fetch: fetch refuses some ports outright ("bad port": 1, 6000, 10080, …) that
 * autocannon would load happily, and hides the connection error in `cause`.
 */
async function getJson(url: string, timeoutMs: number): Promise<unknown> {
  let answer: { status: number; statusText: string; body: string };
  try {
    answer = await get(url, timeoutMs);
  } catch (err) {
    const reason = err instanceof TimeoutError ? `got no answer within ${timeoutMs / 1000} s` : `failed: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`;
    throw new TargetError(`cannot reach the target: GET ${url} ${reason}; is it running? (--url, --prefix)`);
  }
  if (answer.status < 200 || answer.status > 299) throw new TargetError(`GET ${url} answered ${answer.status} ${answer.statusText}; check --url and --prefix`);
  try {
    return JSON.parse(answer.body);
  } catch {
    throw new TargetError(`GET ${url} answered something that is not JSON; check --url and --prefix`);
  }
}

class TimeoutError extends Error {}

function get(url: string, timeoutMs: number): Promise<{ status: number; statusText: string; body: string }> {
  const request = url.startsWith('https:') ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'GET', agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, statusText: res.statusMessage ?? '', body }));
      res.on('error', reject);
    });
    // One deadline for the whole exchange, connecting included.
    const timer = setTimeout(() => req.destroy(new TimeoutError()), timeoutMs);
    req.on('close', () => clearTimeout(timer));
    req.on('error', reject);
    req.end();
  });
}

const isStringArray = (value: unknown): value is string[] => Array.isArray(value) && value.every((item) => typeof item === 'string');
