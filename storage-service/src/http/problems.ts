import { HttpProblem } from 'service-kit/problem';
import { InjectedFault } from '../faults.ts';
import * as refusals from '../store/errors.ts';

const retryShortly = { 'Retry-After': '1' };

function problem(status: number, kind: string, title: string, detail: string, extensions?: Record<string, unknown>, headers?: Record<string, string>): HttpProblem {
  return new HttpProblem({ status, kind, title, detail, extensions, headers });
}

/**
 * The store's refusals, and a failure injected on purpose, as the problems an HTTP client reads;
 * anything else is a bug (a 500). Paths are named as the client sees them: behind the gateway, with its prefix.
 */
export function storeProblem(err: unknown, prefix: string): HttpProblem | undefined {
  const noPartition = (partitionKey: string) =>
    problem(404, 'partition-not-found', 'Partition not found', `There is no partition "${partitionKey}". GET ${prefix}/data lists the partitions.`, { partitionKey });
  if (err instanceof refusals.PartitionNotFound) return noPartition(err.facts.partitionKey);
  if (err instanceof refusals.ItemNotFound) {
    const { partitionKey, id, partitionExists } = err.facts;
    if (!partitionExists) return noPartition(partitionKey);
    return problem(404, 'item-not-found', 'Item not found', `Partition "${partitionKey}" has no item "${id}". GET ${prefix}/data/${partitionKey} lists its ids.`, { partitionKey, id });
  }
  if (err instanceof refusals.OrderNotFound) {
    return problem(404, 'order-not-found', 'Order not found', `There is no order ${err.facts.orderId}. GET ${prefix}/orders lists them.`, err.facts);
  }
  if (err instanceof refusals.PreconditionFailed) {
    const { partitionKey, id, current } = err.facts;
    const detail =
      current === undefined
        ? `Item "${id}" of partition "${partitionKey}" does not exist, and the request's If-Match requires it to.`
        : `Item "${id}" of partition "${partitionKey}" is not in the state the request's If-Match or If-None-Match requires; GET it for its current ETag.`;
    return problem(412, 'precondition-failed', 'Precondition Failed', detail, { partitionKey, id });
  }
  if (err instanceof refusals.UnknownCursor) {
    const { partitionKey, after } = err.facts;
    const detail = `Partition "${partitionKey}" has no item "${after}" to page after: pass the "next" of the previous page, or no "after" for the first page.`;
    return problem(400, 'unknown-cursor', 'Bad Request', detail, err.facts);
  }
  if (err instanceof refusals.ProductNotFound) {
    return problem(404, 'product-not-found', 'Product not found', `There is no product "${err.facts.productId}". GET ${prefix}/data/products lists them.`, err.facts);
  }
  if (err instanceof refusals.OutOfStock) {
    const { productId, requested, available } = err.facts;
    const detail = `Product "${productId}" has ${available} in stock; ${requested} were ordered. Nothing was taken.`;
    return problem(409, 'out-of-stock', 'Out of stock', detail, err.facts);
  }
  if (err instanceof refusals.IdempotencyKeyReused) {
    const detail = `Idempotency-Key "${err.facts.key}" was already used on this route for a request with another body. Use a new key for a new request.`;
    return problem(422, 'idempotency-key-reused', 'Unprocessable Content', detail, { idempotencyKey: err.facts.key });
  }
  if (err instanceof refusals.IdempotencyKeyInFlight) {
    const detail = `A request with Idempotency-Key "${err.facts.key}" is being processed right now. Retry shortly: you will get its answer.`;
    return problem(409, 'idempotency-key-in-flight', 'Conflict', detail, { idempotencyKey: err.facts.key }, retryShortly);
  }
  if (err instanceof refusals.StoreUnavailable) {
    const detail = 'The store cannot serve this request right now. A write that answers this may not have happened; retry it with the same Idempotency-Key.';
    return problem(503, 'store-unavailable', 'Service Unavailable', detail, undefined, retryShortly);
  }
  if (err instanceof InjectedFault) return problem(500, 'injected-fault', 'Injected fault', err.message);
  return undefined;
}
