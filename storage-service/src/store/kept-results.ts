import type { Order } from './store.ts';
import { storedBody, type StoredBody } from './stored-body.ts';

/**
 * How a write's result is kept with its idempotency key, as text, and read back for a replay. Both
 * come back byte for byte: the order's JSON keeps its key order, the appended item is its stored bytes.
 */
export interface KeptResult<Result> {
  encode(result: Result): string;
  decode(kept: string): Result;
}

export const keptOrder: KeptResult<Order> = {
  encode: (order) => JSON.stringify(order),
  decode: (kept) => JSON.parse(kept) as Order,
};

export const keptAppend: KeptResult<{ id: string; item: StoredBody }> = {
  encode: ({ item }) => item.bytes.toString(),
  // A stored item always carries its id (serialiseItem).
  decode: (kept) => ({ id: (JSON.parse(kept) as { id: string }).id, item: storedBody(Buffer.from(kept)) }),
};
