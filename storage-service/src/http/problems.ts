import { HttpProblem } from 'service-kit/problem';
import {
  IdempotencyKeyInFlight,
  IdempotencyKeyReused,
  ItemNotFound,
  OrderNotFound,
  OutOfStock,
  PartitionNotFound,
  PreconditionFailed,
  ProductNotFound,
  StoreUnavailable,
  UnknownCursor,
} from '../store/errors.ts';

function partitionNotFound(partitionKey: string, prefix: string): HttpProblem {
  return new HttpProblem({
    status: 404,
    kind: 'partition-not-found',
    title: 'Partition not found',
    detail: `There is no partition "${partitionKey}". GET ${prefix}/data lists the partitions.`,
    extensions: { partitionKey },
  });
}

/**
 * The store's refusals as the problems an HTTP client reads; anything else is not the store's (a bug: a
 * 500). Paths are named as the client sees them: behind the gateway, with its prefix.
 */
export function storeProblem(err: unknown, prefix: string): HttpProblem | undefined {
  if (err instanceof PartitionNotFound) return partitionNotFound(err.partitionKey, prefix);
  if (err instanceof ItemNotFound) {
    if (!err.partitionExists) return partitionNotFound(err.partitionKey, prefix);
    return new HttpProblem({
      status: 404,
      kind: 'item-not-found',
      title: 'Item not found',
      detail: `Partition "${err.partitionKey}" has no item "${err.id}". GET ${prefix}/data/${err.partitionKey} lists its ids.`,
      extensions: { partitionKey: err.partitionKey, id: err.id },
    });
  }
  if (err instanceof OrderNotFound) {
    return new HttpProblem({
      status: 404,
      kind: 'order-not-found',
      title: 'Order not found',
      detail: `There is no order ${err.orderId}. GET ${prefix}/orders lists them.`,
      extensions: { orderId: err.orderId },
    });
  }
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
      detail: `There is no product "${err.productId}". GET ${prefix}/data/products lists them.`,
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
  if (err instanceof IdempotencyKeyInFlight) {
    return new HttpProblem({
      status: 409,
      kind: 'idempotency-key-in-flight',
      title: 'Conflict',
      detail: `A request with Idempotency-Key "${err.key}" is being processed right now. Retry shortly: you will get its answer.`,
      extensions: { idempotencyKey: err.key },
      headers: { 'Retry-After': '1' },
    });
  }
  if (err instanceof StoreUnavailable) {
    return new HttpProblem({
      status: 503,
      kind: 'store-unavailable',
      title: 'Service Unavailable',
      detail: 'The store cannot serve this request right now. A write that answers this may not have happened; retry it with the same Idempotency-Key.',
      headers: { 'Retry-After': '1' },
    });
  }
  return undefined;
}
