import type autocannon from 'autocannon';
import type { Catalog } from './discovery.ts';
import type { Workload } from './options.ts';

export type Random = () => number;

/** What a mixed session remembers between its listing and its item read (autocannon's per-connection context). */
interface SessionContext {
  partition?: { key: string; ids: string[] };
}

/**
 * autocannon request definitions for a workload. autocannon cycles through the list on each
 * connection and calls setupRequest before every request, so each request picks its own target.
 * `base` is the path before /data or /status (the URL's path and the prefix).
 */
export function buildRequests(workload: Workload, base: string, catalog: Catalog | null, p: number, random: Random = Math.random): autocannon.Request[] {
  if (workload === 'status') return [{ method: 'GET', path: `${base}/status` }];
  if (!catalog) throw new Error(`the ${workload} workload needs the discovered catalog`);
  return workload === 'read' ? readRequests(base, catalog, random) : mixedRequests(base, catalog, p, random);
}

/** One random item per request, uniform over every item of every partition. */
function readRequests(base: string, catalog: Catalog, random: Random): autocannon.Request[] {
  const items = catalog.partitions.flatMap(({ key, ids }) => ids.map((id) => itemPath(base, key, id)));
  return [{ method: 'GET', setupRequest: (request) => ({ ...request, path: pick(items, random) }) }];
}

/**
 * A session: list a random partition, then with probability p read one of its ids. Returning nothing
 * from setupRequest makes autocannon skip the read and start the next session with a listing.
 */
function mixedRequests(base: string, catalog: Catalog, p: number, random: Random): autocannon.Request[] {
  return [
    {
      method: 'GET',
      setupRequest: (request, context) => {
        const partition = pick(catalog.partitions, random);
        (context as SessionContext).partition = partition;
        return { ...request, path: `${base}/data/${encodeURIComponent(partition.key)}` };
      },
    },
    {
      method: 'GET',
      // autocannon's types say a Request comes back; its README: "When it returns a falsey value,
      // autocannon will restart from first request", which is the skip.
      setupRequest: ((request: autocannon.Request, context: object) => {
        const partition = (context as SessionContext).partition;
        if (!partition || partition.ids.length === 0 || random() >= p) return undefined;
        return { ...request, path: itemPath(base, partition.key, pick(partition.ids, random)) };
      }) as (request: autocannon.Request, context: object) => autocannon.Request,
    },
  ];
}

const itemPath = (base: string, key: string, id: string) => `${base}/data/${encodeURIComponent(key)}/${encodeURIComponent(id)}`;

function pick<T>(items: readonly T[], random: Random): T {
  return items[Math.min(items.length - 1, Math.floor(random() * items.length))]!;
}
