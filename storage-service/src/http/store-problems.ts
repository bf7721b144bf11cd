import type { Middleware } from 'koa';
import { HttpProblem } from 'service-kit/problem';
import {
  IdempotencyKeyReused,
  ItemNotFound,
  OutOfStock,
  PreconditionFailed,
  ProductNotFound,
  StoreBusy,
  UnknownCursor,
} from '../store/errors.ts';

export function partitionNotFound(partitionKey: string): HttpProblem {
  return new HttpProblem({
    status: 404,
    kind: 'partition-not-found',
    title: 'Partition not found',
    detail: `There is no partition "${partitionKey}". GET /data lists the partitions.`,
    extensions: { partitionKey },
  });
}

export function itemNotFound(partitionKey: string, id: string): HttpProblem {
  return new HttpProblem({
    status: 404,
    kind: 'item-not-found',
    title: 'Item not found',
    detail: `Partition "${partitionKey}" has no item "${id}". GET /data/${partitionKey} lists its ids.`,
    extensions: { partitionKey, id },
  });
}

/** The store's refusals as the problems a client reads; anything else passes on (a bug: a 500). */
function asProblem(err: unknown): unknown {
  if (err instanceof ItemNotFound) return err.partitionExists ? itemNotFound(err.partitionKey, err.id) : partitionNotFound(err.partitionKey);
  if (err instanceof PreconditionFailed) {
    return new HttpProblem({
      status: 412,
      kind: 'precondition-failed',
      title: 'Precondition Failed',
      detail:
        err.current === undefined
          ? `Item "${err.id}" of partition "${err.partitionKey}" does not exist, and the request's If-Match requires it to.`
          : `Item "${err.id}" of partition "${err.partitionKey}" is not in the state the request's If-Match or If-None-Match requires; GET it for its current ETag.`,
      extensions: { partitionKey: err.partitionKey, id: err.id },
    });
  }
  if (err instanceof UnknownCursor) {
    return new HttpProblem({
      status: 400,
      kind: 'unknown-cursor',
      title: 'Bad Request',
      detail: `Partition "${err.partitionKey}" has no item "${err.after}" to page after: pass the "next" of the previous page, or no "after" for the first page.`,
      extensions: { partitionKey: err.partitionKey, after: err.after },
    });
  }
  if (err instanceof ProductNotFound) {
    return new HttpProblem({
      status: 404,
      kind: 'product-not-found',
      title: 'Product not found',
      detail: `There is no product "${err.productId}". GET /data/products lists them.`,
      extensions: { productId: err.productId },
    });
  }
  if (err instanceof OutOfStock) {
    return new HttpProblem({
      status: 409,
      kind: 'out-of-stock',
      title: 'Out of stock',
      detail: `Product "${err.productId}" has ${err.available} in stock; ${err.requested} were ordered. Nothing was taken.`,
      extensions: { productId: err.productId, requested: err.requested, available: err.available },
    });
  }
  if (err instanceof IdempotencyKeyReused) {
    return new HttpProblem({
      status: 422,
      kind: 'idempotency-key-reused',
      title: 'Unprocessable Content',
      detail: `Idempotency-Key "${err.key}" was already used on this route for a request with another body. Use a new key for a new request.`,
      extensions: { idempotencyKey: err.key },
    });
  }
  if (err instanceof StoreBusy) {
    return new HttpProblem({
      status: 503,
      kind: 'store-busy',
      title: 'Service Unavailable',
      detail: 'The store was busy with other writes for too long. Nothing was written; retry shortly.',
      headers: { 'Retry-After': '1' },
    });
  }
  return err;
}

export function storeProblems(): Middleware {
  return async (_ctx, next) => {
    try {
      await next();
    } catch (err) {
      throw asProblem(err);
    }
  };
}
