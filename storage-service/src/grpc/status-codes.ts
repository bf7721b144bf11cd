import { status } from '@grpc/grpc-js';
import { HttpProblem } from 'service-kit/problem';
import { InjectedFault } from '../faults.ts';
import * as refusals from '../store/errors.ts';

/** What a failed call answers: a gRPC status code and a sentence for the client. */
export interface CallFailure {
  code: status;
  details: string;
}

/**
 * The store's refusals, and malformed input, as gRPC status codes, in the words of the HTTP API's
 * problems; undefined for anything else, which is a bug (INTERNAL). A client's mistake is never UNKNOWN
 * or INTERNAL. An idempotency key reused with another request is INVALID_ARGUMENT (HTTP's 422): the
 * request is wrong for that key, whatever the state; ALREADY_EXISTS would say that retrying cannot help,
 * which is as true, but names a resource the client tried to create.
 */
export function callFailure(err: unknown): CallFailure | undefined {
  const fail = (code: status, details: string) => ({ code, details });
  if (err instanceof HttpProblem && err.status === 400) return fail(status.INVALID_ARGUMENT, err.message);
  if (err instanceof refusals.PartitionNotFound) return fail(status.NOT_FOUND, `There is no partition "${err.facts.partitionKey}".`);
  if (err instanceof refusals.ItemNotFound) {
    const { partitionKey, id, partitionExists } = err.facts;
    return fail(status.NOT_FOUND, partitionExists ? `Partition "${partitionKey}" has no item "${id}".` : `There is no partition "${partitionKey}".`);
  }
  if (err instanceof refusals.OrderNotFound) return fail(status.NOT_FOUND, `There is no order ${err.facts.orderId}.`);
  if (err instanceof refusals.ProductNotFound) return fail(status.NOT_FOUND, `There is no product "${err.facts.productId}".`);
  if (err instanceof refusals.PreconditionFailed) {
    const { partitionKey, id, current } = err.facts;
    return fail(
      status.FAILED_PRECONDITION,
      current === undefined
        ? `Item "${id}" of partition "${partitionKey}" does not exist, and expected_etag requires it to.`
        : `Item "${id}" of partition "${partitionKey}" has another etag than expected_etag; GetItem gives its current one.`,
    );
  }
  if (err instanceof refusals.UnknownCursor) {
    return fail(status.INVALID_ARGUMENT, `Partition "${err.facts.partitionKey}" has no item "${err.facts.after}" to page after: pass the next of the previous page, or no after for the first page.`);
  }
  if (err instanceof refusals.OutOfStock) {
    const { productId, requested, available } = err.facts;
    return fail(status.FAILED_PRECONDITION, `Product "${productId}" has ${available} in stock; ${requested} were ordered. Nothing was taken.`);
  }
  if (err instanceof refusals.IdempotencyKeyReused) {
    return fail(status.INVALID_ARGUMENT, `Idempotency key "${err.facts.key}" was already used for a request with other content. Use a new key for a new request.`);
  }
  if (err instanceof refusals.IdempotencyKeyInFlight) {
    return fail(status.ABORTED, `A request with idempotency key "${err.facts.key}" is being processed right now. Retry shortly: you will get its result.`);
  }
  if (err instanceof refusals.StoreUnavailable) {
    return fail(status.UNAVAILABLE, 'The store cannot serve this request right now. A write that answers this may not have happened; retry it with the same idempotency key.');
  }
  if (err instanceof InjectedFault) return fail(status.INTERNAL, err.message);
  return undefined;
}
