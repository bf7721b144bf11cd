import Router from '@koa/router';
import { HttpProblem } from 'service-kit/problem';
import { parseInput } from 'service-kit/validation';
import { JSON_CONTENT_TYPE, sendCreated, sendStored } from '../http/answers.ts';
import { preconditionsOf } from '../http/conditions.ts';
import { faultInjection } from '../http/fault-injection.ts';
import { idempotencyKeyOf } from '../http/idempotency.ts';
import { readJsonBody } from '../http/json-body.ts';
import { ItemBody, ItemParams, NewItemBody, PartitionPageQuery, PartitionParams } from '../schemas.ts';
import type { JsonObject, Store } from '../store/store.ts';
import type { StoreRouteOptions } from './options.ts';

/** Partitions of JSON objects: reads, conditional writes, and POST as an append to a message log. */
export function dataRoutes(store: Store, { faults, replicaId, bodyLimitBytes }: StoreRouteOptions): Router {
  const router = new Router();
  const before = faultInjection(faults, replicaId);

  router.get('/data', ...before, async (ctx) => sendStored(ctx, await store.partitions()));

  router.get('/data/:partitionKey', ...before, async (ctx) => {
    const { partitionKey } = parseInput(PartitionParams, ctx.params, 'path parameters');
    const page = parseInput(PartitionPageQuery, ctx.query, 'query');
    sendStored(ctx, await store.partitionPage(partitionKey, page));
  });

  router.get('/data/:partitionKey/:id', ...before, async (ctx) => {
    const { partitionKey, id } = parseInput(ItemParams, ctx.params, 'path parameters');
    sendStored(ctx, await store.item(partitionKey, id));
  });

  router.put('/data/:partitionKey/:id', ...before, async (ctx) => {
    const { partitionKey, id } = parseInput(ItemParams, ctx.params, 'path parameters');
    const body = await readJsonBody(ctx, bodyLimitBytes);
    // Validated, but stored as parsed: zod's copy of a record would drop an own `__proto__` key.
    parseInput(ItemBody, body, 'body');
    const object = body as JsonObject;
    if (object.id !== undefined && object.id !== id) {
      throw new HttpProblem({
        status: 400,
        kind: 'id-mismatch',
        title: 'Bad Request',
        detail: `The body's "id" (${JSON.stringify(object.id)}) is not the id of the path ("${id}"). Leave it out, or make it the same.`,
        extensions: { id },
      });
    }
    const { created, item } = await store.putItem(partitionKey, id, object, preconditionsOf(ctx));
    ctx.status = created ? 201 : 200;
    ctx.set('ETag', item.etag);
    ctx.set('Content-Type', JSON_CONTENT_TYPE);
    ctx.body = item.bytes;
  });

  router.delete('/data/:partitionKey/:id', ...before, async (ctx) => {
    const { partitionKey, id } = parseInput(ItemParams, ctx.params, 'path parameters');
    await store.deleteItem(partitionKey, id, preconditionsOf(ctx));
    ctx.status = 204;
  });

  router.post('/data/:partitionKey', ...before, async (ctx) => {
    const { partitionKey } = parseInput(PartitionParams, ctx.params, 'path parameters');
    const body = await readJsonBody(ctx, bodyLimitBytes);
    parseInput(NewItemBody, body, 'body');
    const { id, item, replayed } = await store.appendItem(partitionKey, body as JsonObject, idempotencyKeyOf(ctx, body));
    sendCreated(ctx, `/data/${partitionKey}/${id}`, item, replayed);
  });

  return router;
}
