import Router from '@koa/router';
import { HttpProblem } from 'service-kit/problem';
import { parseInput } from 'service-kit/validation';
import { createdAnswer, sendAnswer, sendStored } from '../http/answers.ts';
import { faultInjection } from '../http/fault-injection.ts';
import { idempotencyOf } from '../http/idempotency.ts';
import { readJsonBody } from '../http/json-body.ts';
import { storeProblems } from '../http/store-problems.ts';
import { OrderParams, OrderRequest, OrdersQuery } from '../schemas.ts';
import type { Order, Store } from '../store/store.ts';
import { serialise } from '../store/stored-body.ts';
import type { StoreRouteOptions } from './options.ts';

/** Buying: POST /orders takes stock from a product and appends to the order log, which GET /orders reads. */
export function orderRoutes(store: Store, { faults, replicaId, bodyLimitBytes }: StoreRouteOptions): Router {
  const router = new Router();
  const before = [...faultInjection(faults, replicaId), storeProblems()];

  router.post('/orders', ...before, async (ctx) => {
    const body = await readJsonBody(ctx, bodyLimitBytes);
    const { productId, quantity } = parseInput(OrderRequest, body, 'order');
    const answer = (order: Order) => createdAnswer(`/orders/${order.orderId}`, serialise(order));
    const outcome = await store.placeOrder(productId, quantity, idempotencyOf(ctx, body, answer));
    if (outcome.replay) sendAnswer(ctx, outcome.replay, { replayed: true });
    else sendAnswer(ctx, answer(outcome.result), { replayed: false });
  });

  router.get('/orders', ...before, async (ctx) => {
    sendStored(ctx, await store.ordersPage(parseInput(OrdersQuery, ctx.query, 'query')));
  });

  router.get('/orders/:orderId', ...before, async (ctx) => {
    const { orderId } = parseInput(OrderParams, ctx.params, 'path parameters');
    const order = await store.order(orderId);
    if (!order) {
      throw new HttpProblem({
        status: 404,
        kind: 'order-not-found',
        title: 'Order not found',
        detail: `There is no order ${orderId}. GET /orders lists them.`,
        extensions: { orderId },
      });
    }
    sendStored(ctx, order);
  });

  return router;
}
