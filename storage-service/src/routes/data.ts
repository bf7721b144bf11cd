import Router from '@koa/router';
import type { Context, Next } from 'koa';
import { HttpProblem } from 'service-kit/problem';
import { parseInput } from 'service-kit/validation';
import type { DataStore, StoredBody } from '../data-store.ts';
import type { FaultInjector } from '../faults.ts';
import { ItemParams, PartitionParams } from '../schemas.ts';

const JSON_CONTENT_TYPE = 'application/json; charset=utf-8';

function sendStored(ctx: Context, stored: StoredBody): void {
  ctx.set('ETag', stored.etag);
  ctx.set('Cache-Control', 'no-cache');
  ctx.status = 200;
  if (ctx.fresh) {
    ctx.status = 304;
    return;
  }
  ctx.set('Content-Type', JSON_CONTENT_TYPE);
  ctx.body = stored.bytes;
}

function partitionNotFound(partitionKey: string): HttpProblem {
  return new HttpProblem({
    status: 404,
    kind: 'partition-not-found',
    title: 'Partition not found',
    detail: `There is no partition "${partitionKey}". GET /data lists the partitions.`,
    extensions: { partitionKey },
  });
}

/** A slow or failing replica on demand (PUT /faults): every data response waits, and a share fails. */
function faultInjection(faults: FaultInjector, replicaId: string) {
  return async (_ctx: Context, next: Next) => {
    if ((await faults.beforeDataResponse()) === 'fail') {
      throw new HttpProblem({
        status: 500,
        kind: 'injected-fault',
        title: 'Injected fault',
        detail: `Replica ${replicaId} failed this request on purpose (fault injection, failRate ${faults.current.failRate}).`,
      });
    }
    await next();
  };
}

export function dataRoutes(store: DataStore, faults: FaultInjector | undefined, replicaId: string): Router {
  const router = new Router();
  // With fault injection off (production), the data routes do no per-request work for it.
  const beforeData = faults ? [faultInjection(faults, replicaId)] : [];

  router.get('/data', ...beforeData, (ctx) => sendStored(ctx, store.partitionList));

  router.get('/data/:partitionKey', ...beforeData, (ctx) => {
    const { partitionKey } = parseInput(PartitionParams, ctx.params, 'path parameters');
    const index = store.partitionIndex(partitionKey);
    if (!index) throw partitionNotFound(partitionKey);
    sendStored(ctx, index);
  });

  router.get('/data/:partitionKey/:id', ...beforeData, (ctx) => {
    const { partitionKey, id } = parseInput(ItemParams, ctx.params, 'path parameters');
    const item = store.item(partitionKey, id);
    if (item) return sendStored(ctx, item);
    if (!store.hasPartition(partitionKey)) throw partitionNotFound(partitionKey);
    throw new HttpProblem({
      status: 404,
      kind: 'item-not-found',
      title: 'Item not found',
      detail: `Partition "${partitionKey}" has no item "${id}". GET /data/${partitionKey} lists its ids.`,
      extensions: { partitionKey, id },
    });
  });

  return router;
}
