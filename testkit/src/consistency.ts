/**
 * The end-of-run checks of the write workloads, read back from the service: pure functions over what
 * the client saw acknowledged and what the service holds, so tests can feed them any history.
 */

/** An order as the service's log (GET /orders) holds it. */
export interface LoggedOrder {
  orderId: number;
  productId: string;
  quantity: number;
  idempotencyKey: string | null;
}

/** A buy the client got a 201 for (first answer or replay), with the key it sent. */
export interface AcknowledgedOrder {
  orderId: number;
  productId: string;
  quantity: number;
  key: string;
}

export interface StoreCheckInput {
  /** Stock of every product before the run, and after it. */
  initialStock: ReadonlyMap<string, number>;
  finalStock: ReadonlyMap<string, number>;
  /** The log's orders placed during the run (after the last order id seen before it). */
  orders: readonly LoggedOrder[];
  acknowledged: readonly AcknowledgedOrder[];
}

export interface CheckReport {
  ok: boolean;
  /** Acknowledged writes missing from the service (or different there). */
  lost: number;
  /** Idempotency keys that took effect more than once. */
  duplicated: number;
  /** Products whose stock went below what was ordered from it (or below zero). */
  oversold: number;
  /** One line per problem, the first few of each kind. */
  problems: string[];
}

const SHOWN = 5;

/**
 * For every product, initial − final stock = the sum of its ordered quantities; no key appears twice
 * in the order log; every order the client saw acknowledged is in the log, as acknowledged.
 */
export function checkStore({ initialStock, finalStock, orders, acknowledged }: StoreCheckInput): CheckReport {
  const problems: string[] = [];
  const ordered = new Map<string, number>();
  for (const order of orders) ordered.set(order.productId, (ordered.get(order.productId) ?? 0) + order.quantity);

  let oversold = 0;
  for (const [productId, initial] of initialStock) {
    const final = finalStock.get(productId);
    const taken = ordered.get(productId) ?? 0;
    if (final === undefined) {
      problems.push(`product ${productId} is gone after the run`);
      continue;
    }
    if (final < 0 || taken > initial) {
      oversold++;
      if (oversold <= SHOWN) problems.push(`product ${productId} oversold: stock ${initial}, ordered ${taken}, now ${final}`);
    } else if (initial - final !== taken) {
      problems.push(`product ${productId}: stock went ${initial} → ${final} (−${initial - final}) but the log has ${taken} ordered`);
    }
  }
  for (const productId of ordered.keys()) {
    if (!initialStock.has(productId)) problems.push(`the log has orders for ${productId}, which was not in the catalogue before the run`);
  }

  const duplicated = duplicates(orders.flatMap((o) => (o.idempotencyKey === null ? [] : [o.idempotencyKey])));
  for (const key of duplicated.slice(0, SHOWN)) problems.push(`key ${key} appears ${orders.filter((o) => o.idempotencyKey === key).length} times in the order log`);

  const logged = new Map(orders.map((o) => [o.orderId, o]));
  let lost = 0;
  for (const ack of acknowledged) {
    const order = logged.get(ack.orderId);
    if (order && order.productId === ack.productId && order.quantity === ack.quantity && order.idempotencyKey === ack.key) continue;
    lost++;
    if (lost <= SHOWN) {
      problems.push(order ? `order ${ack.orderId} differs from its acknowledgement: ${JSON.stringify(order)} vs ${JSON.stringify(ack)}` : `acknowledged order ${ack.orderId} (key ${ack.key}) is not in the log`);
    }
  }
  return { ok: problems.length === 0, lost, duplicated: duplicated.length, oversold, problems };
}

/** A message the client got a 201 for, with the key it sent (also inside the message). */
export interface AcknowledgedMessage {
  id: string;
  key: string;
}

/** A message as the service holds it, read back by id. */
export interface StoredMessage {
  id: string;
  key: string | null;
}

/** Every acknowledged message is there with its key; no key was stored twice. */
export function checkMessages(stored: readonly StoredMessage[], acknowledged: readonly AcknowledgedMessage[]): CheckReport {
  const problems: string[] = [];
  const duplicated = duplicates(stored.flatMap((m) => (m.key === null ? [] : [m.key])));
  for (const key of duplicated.slice(0, SHOWN)) problems.push(`key ${key} was stored ${stored.filter((m) => m.key === key).length} times`);
  const byId = new Map(stored.map((m) => [m.id, m]));
  let lost = 0;
  for (const ack of acknowledged) {
    if (byId.get(ack.id)?.key === ack.key) continue;
    lost++;
    if (lost <= SHOWN) problems.push(`acknowledged message ${ack.id} (key ${ack.key}) is not stored`);
  }
  return { ok: problems.length === 0, lost, duplicated: duplicated.length, oversold: 0, problems };
}

function duplicates(keys: readonly string[]): string[] {
  const seen = new Set<string>();
  const twice = new Set<string>();
  for (const key of keys) (seen.has(key) ? twice : seen).add(key);
  return [...twice];
}
