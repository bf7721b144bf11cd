/** A store that cannot be opened at start: the operator's to fix (a path, a URL, a password, a newer schema). */
export class StoreOpenError extends Error {
  override name = 'StoreOpenError';
}

/** What a store operation refuses to do, in the domain's terms; each API chooses how to answer it. */
export class StoreError extends Error {
  override name = 'StoreError';
}

/** A refusal about particular things (a partition, an item, a product, a key): `facts` names them, for the answer to the client. */
export class StoreRefusal<Facts extends object> extends StoreError {
  readonly facts: Facts;

  constructor(message: string, facts: Facts) {
    super(message);
    this.facts = facts;
  }
}

export class PartitionNotFound extends StoreRefusal<{ partitionKey: string }> {
  constructor(facts: PartitionNotFound['facts']) {
    super(`there is no partition "${facts.partitionKey}"`, facts);
  }
}

export class ItemNotFound extends StoreRefusal<{ partitionKey: string; id: string; partitionExists: boolean }> {
  constructor(facts: ItemNotFound['facts']) {
    super(`partition "${facts.partitionKey}" has no item "${facts.id}"`, facts);
  }
}

export class OrderNotFound extends StoreRefusal<{ orderId: number }> {
  constructor(facts: OrderNotFound['facts']) {
    super(`there is no order ${facts.orderId}`, facts);
  }
}

/** `current`: the item's entity tag; undefined when it does not exist. */
export class PreconditionFailed extends StoreRefusal<{ partitionKey: string; id: string; current: string | undefined }> {
  constructor(facts: PreconditionFailed['facts']) {
    super(`the preconditions on item "${facts.id}" of partition "${facts.partitionKey}" do not hold`, facts);
  }
}

/** A page asked to start after an id the partition does not hold. */
export class UnknownCursor extends StoreRefusal<{ partitionKey: string; after: string }> {
  constructor(facts: UnknownCursor['facts']) {
    super(`partition "${facts.partitionKey}" has no item "${facts.after}" to page after`, facts);
  }
}

export class ProductNotFound extends StoreRefusal<{ productId: string }> {
  constructor(facts: ProductNotFound['facts']) {
    super(`there is no product "${facts.productId}"`, facts);
  }
}

export class OutOfStock extends StoreRefusal<{ productId: string; requested: number; available: number }> {
  constructor(facts: OutOfStock['facts']) {
    super(`product "${facts.productId}" has ${facts.available} in stock, ${facts.requested} requested`, facts);
  }
}

/** An idempotency key already used, for the same operation, with a different request. */
export class IdempotencyKeyReused extends StoreRefusal<{ key: string }> {
  constructor(facts: IdempotencyKeyReused['facts']) {
    super(`idempotency key "${facts.key}" was used for a different request`, facts);
  }
}

/** Another request with the same key is being written right now; its result is kept once it commits. */
export class IdempotencyKeyInFlight extends StoreRefusal<{ key: string }> {
  constructor(facts: IdempotencyKeyInFlight['facts']) {
    super(`a request with idempotency key "${facts.key}" is in flight`, facts);
  }
}

/** The store cannot serve the request now (busy, unreachable, too slow); nothing was written, or the write's outcome is unknown to this replica. */
export class StoreUnavailable extends StoreError {
  override name = 'StoreUnavailable';
}
