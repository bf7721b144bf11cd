import { createServer } from 'node:http';
import { Database } from '../../storage-service/src/store/postgres/connection.ts';
import { OPERATION_TIMEOUT_MS } from '../../storage-service/src/store/postgres/postgres-store.ts';
import { listen } from './answers-file.ts';

/**
 * The practical limit of an item read on PostgreSQL for Node here: a bare node:http server answering
 * GET /data/<partition>/<id> with the item's body and ETag from storage-service's items table, by the
 * same named prepared statement on the same pool as a replica's (storage-service's Database, POOL_SIZE
 * connections). GET /data and GET /data/<partition>, which the load client asks once for the ids, are
 * answered from the same tables; anything else 404.
 *   node bench/src/bare-pg-server.ts postgres://… POOL_SIZE
 */
const [url, poolSizeArg] = process.argv.slice(2);
const poolSize = Number(poolSizeArg);
if (!url?.startsWith('postgres://') || !(poolSize >= 1)) throw new Error('usage: node bench/src/bare-pg-server.ts postgres://… POOL_SIZE');

const db = new Database({ url, poolSize, operationTimeoutMs: OPERATION_TIMEOUT_MS });
const ITEM = { name: 'item', text: 'SELECT body, etag FROM items WHERE partition_key = $1 AND id = $2' };
const JSON_TYPE = 'application/json; charset=utf-8';

async function answer(path: string): Promise<{ body: Buffer; etag?: string } | undefined> {
  const [data, partitionKey, id, ...rest] = path.split('/').slice(1).map(decodeURIComponent);
  if (data !== 'data' || rest.length) return undefined;
  if (id !== undefined) {
    const row = (await db.query({ ...ITEM, values: [partitionKey, id] })).rows[0] as { body: string; etag: string } | undefined;
    return row && { body: Buffer.from(row.body), etag: row.etag };
  }
  if (partitionKey !== undefined) {
    const { rows } = await db.query({ text: 'SELECT id FROM items WHERE partition_key = $1 ORDER BY seq', values: [partitionKey] });
    return { body: Buffer.from(JSON.stringify({ partition: partitionKey, ids: rows.map((row) => row.id as string), next: null })) };
  }
  const { rows } = await db.query({ text: 'SELECT key FROM partitions ORDER BY position' });
  return { body: Buffer.from(JSON.stringify({ partitions: rows.map((row) => row.key as string) })) };
}

listen(
  createServer((req, res) => {
    answer(req.url ?? '').then(
      (found) => {
        if (!found) return void res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found\n');
        res.writeHead(200, { 'Content-Type': JSON_TYPE, 'Content-Length': found.body.length, ...(found.etag && { ETag: found.etag }) }).end(found.body);
      },
      (err: Error) => res.writeHead(500, { 'Content-Type': 'text/plain' }).end(`${err.message}\n`),
    );
  }),
);
