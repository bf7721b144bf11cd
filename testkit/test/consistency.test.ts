import test from 'ava';
import { checkMessages, checkStore, type AcknowledgedOrder, type LoggedOrder } from 'testkit/consistency';

const stock = (entries: Record<string, number>) => new Map(Object.entries(entries));
const order = (orderId: number, productId: string, key: string | null, quantity = 1): LoggedOrder => ({ orderId, productId, quantity, idempotencyKey: key });
const ack = (o: LoggedOrder): AcknowledgedOrder => ({ orderId: o.orderId, productId: o.productId, quantity: o.quantity, key: o.idempotencyKey ?? '' });

test('a consistent run: stock taken equals the orders logged, each key once, every acknowledgement logged', (t) => {
  const orders = [order(7, 'p-1', 'k1'), order(8, 'p-2', 'k2', 2), order(9, 'p-1', 'k3')];
  const report = checkStore({ initialStock: stock({ 'p-1': 5, 'p-2': 2 }), finalStock: stock({ 'p-1': 3, 'p-2': 0 }), orders, acknowledged: orders.map(ack) });
  t.deepEqual(report, { ok: true, lost: 0, duplicated: 0, oversold: 0, problems: [] });
});

test('an order applied twice under one key is a duplicate, and the stock it took shows', (t) => {
  const orders = [order(1, 'p-1', 'k1'), order(2, 'p-1', 'k1')];
  const report = checkStore({ initialStock: stock({ 'p-1': 5 }), finalStock: stock({ 'p-1': 3 }), orders, acknowledged: [ack(orders[0]!)] });
  t.false(report.ok);
  t.is(report.duplicated, 1);
  t.deepEqual(report.problems, ['key k1 appears 2 times in the order log']);
});

test('an acknowledged order missing from the log is lost; stock that moved without an order is reported', (t) => {
  const report = checkStore({
    initialStock: stock({ 'p-1': 5 }),
    finalStock: stock({ 'p-1': 4 }),
    orders: [],
    acknowledged: [{ orderId: 3, productId: 'p-1', quantity: 1, key: 'k9' }],
  });
  t.is(report.lost, 1);
  t.deepEqual(report.problems, ['product p-1: stock went 5 → 4 (−1) but the log has 0 ordered', 'acknowledged order 3 (key k9) is not in the log']);
});

test('more ordered than there was stock is oversold', (t) => {
  const orders = [order(1, 'p-1', 'a'), order(2, 'p-1', 'b'), order(3, 'p-1', 'c')];
  const report = checkStore({ initialStock: stock({ 'p-1': 2 }), finalStock: stock({ 'p-1': -1 }), orders, acknowledged: orders.map(ack) });
  t.is(report.oversold, 1);
  t.regex(report.problems[0] ?? '', /p-1 oversold: stock 2, ordered 3, now -1/);
});

test('messages: every acknowledged one stored with its key, none twice', (t) => {
  const stored = [{ id: 'a', key: 'k1' }, { id: 'b', key: 'k2' }, { id: 'c', key: 'k2' }];
  t.deepEqual(checkMessages(stored.slice(0, 2), [{ id: 'a', key: 'k1' }, { id: 'b', key: 'k2' }]).ok, true);
  const report = checkMessages(stored, [{ id: 'a', key: 'k1' }, { id: 'z', key: 'k3' }]);
  t.is(report.duplicated, 1);
  t.is(report.lost, 1);
  t.deepEqual(report.problems, ['key k2 was stored 2 times', 'acknowledged message z (key k3) is not stored']);
});
