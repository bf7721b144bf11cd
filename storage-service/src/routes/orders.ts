import Router from '@koa/router';
import { parseInput } from 'service-kit/validation';
import { sendCreated, sendStored } from '../http/answers.ts';
import { faultInjection } from '../http/fault-injection.ts';
import { idempotencyKeyOf } from '../http/idempotency.ts';
import { readJsonBody } from '../http/json-body.ts';
import { OrderParams, OrderRequest, OrdersQuery } from '../schemas.ts';
import type { Store } from '../store/store.ts';
import { serialise } from '../store/stored-body.ts';
import type { StoreRouteOptions } from './options.ts';

/** Buying: POST /orders takes stock from a product and appends to the order log, which GET /orders reads. */
export function orderRoutes(store: Store, { faults, replicaId, bodyLimitBytes }: StoreRouteOptions): Router {
  const router = new Router();
  const before = faultInjection(faults, replicaId);

  router.post('/orders', ...before, async (ctx) => {
    const body = await readJsonBody(ctx, bodyLimitBytes);
    const { productId, quantity } = parseInput(OrderRequest, body, 'order');
    const { order, replayed } = await store.placeOrder(productId, quantity, idempotencyKeyOf(ctx, body));
    sendCreated(ctx, `/orders/${order.orderId}`, serialise(order), replayed);
  });

  router.get('/orders', ...before, async (ctx) => {
    sendStored(ctx, await store.ordersPage(parseInput(OrdersQuery, ctx.query, 'query')));
  });

  router.get('/orders/:orderId', ...before, async (ctx) => {
    const { orderId } = parseInput(OrderParams, ctx.params, 'path parameters');
    sendStored(ctx, await store.order(orderId));
  });

  return router;
}
