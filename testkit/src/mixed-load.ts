import { setTimeout as sleep } from 'node:timers/promises';
import { runScheduledLoad, type ScheduledLoadResult } from './scheduled-load.ts';
import { runWriteLoad, type WriteLoadSummary } from './write-load.ts';

/** Items of the shipped data file (storage-service/data/dummy-data.json), through the gateway. */
export const SEEDED_ITEMS = ['/storagesvc/data/products/p-1001', '/storagesvc/data/products/p-1002', '/storagesvc/data/users/u-2001', '/storagesvc/data/users/u-2002'];

/** Item reads at a fixed rate and buyers placing keyed orders, through the gateway, around a change. */
export interface MixedLoadOptions {
  /** The gateway's URL of a path. */
  url: (path: string) => string;
  /** Paths of items read in turn, e.g. /storagesvc/data/products/p-1001. */
  items: string[];
  /** Item reads per second, open loop. */
  readRate: number;
  /** Buyers, each placing keyed orders one after another and sending a key again until answered (testkit/write-load). */
  buyers: number;
  /** Load alone before the change and after it. */
  marginMs: number;
  /** Bound on the whole load, whatever the change does. */
  maxSeconds: number;
}

export interface MixedLoad {
  reads: ScheduledLoadResult;
  buyers: WriteLoadSummary;
}

export function itemReads(options: Pick<MixedLoadOptions, 'url' | 'items' | 'readRate'>, durationMs: number, signal?: AbortSignal): Promise<ScheduledLoadResult> {
  return runScheduledLoad({ url: (i) => options.url(options.items[i % options.items.length]!), rate: options.readRate, durationMs, timeoutMs: 10_000, signal });
}

/** The load from `marginMs` before `change` until `marginMs` after it; the buyers' consistency check is in their summary. */
export async function underMixedLoad(change: () => Promise<void>, options: MixedLoadOptions): Promise<MixedLoad> {
  const stop = new AbortController();
  const limit = setTimeout(() => stop.abort(), options.maxSeconds * 1000);
  const reads = itemReads(options, options.maxSeconds * 1000, stop.signal);
  const buyers = runWriteLoad({ workload: 'store', base: options.url('/storagesvc'), users: options.buyers, durationSeconds: options.maxSeconds, p: 0.5, timeoutSeconds: 10, signal: stop.signal });
  try {
    await sleep(options.marginMs);
    await change();
    await sleep(options.marginMs);
  } finally {
    stop.abort();
    clearTimeout(limit);
  }
  return { reads: await reads, buyers: await buyers };
}
