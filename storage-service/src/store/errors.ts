/** A store that cannot be opened at start: the operator's to fix (a path, a URL, a password, a newer schema). */
export class StoreOpenError extends Error {
  override name = 'StoreOpenError';
}

/** What a store operation refuses to do, in the domain's terms; each API chooses how to answer it. */
export class StoreError extends Error {
  override name = 'StoreError';
}

export class PartitionNotFound extends StoreError {
  readonly partitionKey: string;

  constructor(partitionKey: string) {
    super(`there is no partition "${partitionKey}"`);
    this.partitionKey = partitionKey;
  }
}

export class ItemNotFound extends StoreError {
  readonly partitionKey: string;
  readonly id: string;
  readonly partitionExists: boolean;

  constructor(partitionKey: string, id: string, partitionExists: boolean) {
    super(`partition "${partitionKey}" has no item "${id}"`);
    this.partitionKey = partitionKey;
    this.id = id;
    this.partitionExists = partitionExists;
  }
}

export class OrderNotFound extends StoreError {
  readonly orderId: number;

  constructor(orderId: number) {
    super(`there is no order ${orderId}`);
    this.orderId = orderId;
  }
}

export class PreconditionFailed extends StoreError {
  readonly partitionKey: string;
  readonly id: string;
  /** The item's current entity tag; undefined when it does not exist. */
  readonly current: string | undefined;

  constructor(partitionKey: string, id: string, current: string | undefined) {
    super(`the preconditions on item "${id}" of partition "${partitionKey}" do not hold`);
    this.partitionKey = partitionKey;
    this.id = id;
    this.current = current;
  }
}

/** A page asked to start after an id the partition does not hold. */
export class UnknownCursor extends StoreError {
  readonly partitionKey: string;
  readonly after: string;

  constructor(partitionKey: string, after: string) {
    super(`partition "${partitionKey}" has no item "${after}" to page after`);
    this.partitionKey = partitionKey;
    this.after = after;
  }
}

export class ProductNotFound extends StoreError {
  readonly productId: string;

  constructor(productId: string) {
    super(`there is no product "${productId}"`);
    this.productId = productId;
  }
}

export class OutOfStock extends StoreError {
  readonly productId: string;
  readonly requested: number;
  readonly available: number;

  constructor(productId: string, requested: number, available: number) {
    super(`product "${productId}" has ${available} in stock, ${requested} requested`);
    this.productId = productId;
    this.requested = requested;
    this.available = available;
  }
}

/** An idempotency key already used, for the same operation, with a different request. */
export class IdempotencyKeyReused extends StoreError {
  readonly key: string;

  constructor(key: string) {
    super(`idempotency key "${key}" was used for a different request`);
    this.key = key;
  }
}

/** Another request with the same key is being written right now; its result is kept once it commits. */
export class IdempotencyKeyInFlight extends StoreError {
  readonly key: string;

  constructor(key: string) {
    super(`a request with idempotency key "${key}" is in flight`);
    this.key = key;
  }
}

/** The store cannot serve the request now (busy, unreachable, too slow); nothing was written, or the write's outcome is unknown to this replica. */
export class StoreUnavailable extends StoreError {
  override name = 'StoreUnavailable';
}
