/** What a store operation refuses to do, in the domain's terms; the HTTP layer chooses the status. */
export class StoreError extends Error {
  override name = 'StoreError';
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

/** An Idempotency-Key already used, on the same route, for a different request. */
export class IdempotencyKeyReused extends StoreError {
  readonly key: string;

  constructor(key: string) {
    super(`Idempotency-Key "${key}" was used for a different request`);
    this.key = key;
  }
}

/** The store could not take its write lock in time: other writers hold it. */
export class StoreBusy extends StoreError {}
