import { OutOfStock } from './errors.ts';
import type { JsonObject } from './store.ts';

/** A product's stock is its `quantity` field; one that is not a non-negative integer counts as none. */
export function stockOf(product: JsonObject): number {
  const { quantity } = product;
  return typeof quantity === 'number' && Number.isSafeInteger(quantity) && quantity > 0 ? quantity : 0;
}

/** The product once `quantity` is taken from its stock, or OutOfStock (and nothing changes). */
export function takeFromStock(productId: string, product: JsonObject, quantity: number): { product: JsonObject; remaining: number } {
  const available = stockOf(product);
  if (available < quantity) throw new OutOfStock({ productId, requested: quantity, available });
  const remaining = available - quantity;
  // Spread, not assignment into a copy: an own `__proto__` key of the stored JSON stays an ordinary key.
  return { product: { ...product, quantity: remaining }, remaining };
}
