import test from 'ava';
import { status } from '@grpc/grpc-js';
import { backoffMs, callWithRetries, MAX_ATTEMPTS, mayRetry, type CallOutcome } from '../src/grpc-client.ts';

/** A client whose calls end with the given codes, one per attempt (the last one repeated); it records what was sent. */
function scripted(...codes: status[]) {
  const sent: Array<{ method: string; key: string | undefined }> = [];
  return {
    sent,
    call: async (method: string, _request: object, { key }: { key?: string }): Promise<CallOutcome> => {
      const code = codes[Math.min(sent.length, codes.length - 1)]!;
      sent.push({ method, key });
      return { code, codeName: status[code]!, response: code === status.OK ? {} : null, details: '', replica: null, replayed: false, ms: 1 };
    },
  };
}

test('reads, PutItem and DeleteItem may be sent again; PlaceOrder and AppendItem only with a key', (t) => {
  for (const method of ['GetItem', 'ListItems', 'ListPartitions', 'GetOrder', 'ListOrders', 'PutItem', 'DeleteItem']) t.true(mayRetry(method, undefined), method);
  for (const method of ['PlaceOrder', 'AppendItem']) {
    t.false(mayRetry(method, undefined), method);
    t.true(mayRetry(method, 'k-1'), method);
  }
});

test('UNAVAILABLE and INTERNAL are retried with the same key until an answer; the backoff doubles up to 1 s', async (t) => {
  const client = scripted(status.UNAVAILABLE, status.INTERNAL, status.OK);
  const { outcome, attempts } = await callWithRetries(client, 'PlaceOrder', {}, { key: 'k-1', deadlineMs: 100 });
  t.is(outcome.code, status.OK);
  t.is(attempts, 3);
  t.deepEqual(client.sent.map((s) => s.key), ['k-1', 'k-1', 'k-1']);
  t.deepEqual([1, 2, 3, 4, 5, 6, 7].map(backoffMs), [50, 100, 200, 400, 800, 1000, 1000]);
});

test('an unkeyed PlaceOrder is sent once, whatever it fails with', async (t) => {
  const client = scripted(status.UNAVAILABLE);
  const { outcome, attempts } = await callWithRetries(client, 'PlaceOrder', {}, { deadlineMs: 100 });
  t.is(outcome.code, status.UNAVAILABLE);
  t.is(attempts, 1);
});

test('ABORTED (the key in flight) is retried for a keyed write; DEADLINE_EXCEEDED and a refusal are final', async (t) => {
  t.is((await callWithRetries(scripted(status.ABORTED, status.OK), 'AppendItem', {}, { key: 'k', deadlineMs: 100 })).attempts, 2);
  t.is((await callWithRetries(scripted(status.DEADLINE_EXCEEDED, status.OK), 'GetItem', {}, { deadlineMs: 100 })).attempts, 1);
  t.is((await callWithRetries(scripted(status.FAILED_PRECONDITION, status.OK), 'PlaceOrder', {}, { key: 'k', deadlineMs: 100 })).attempts, 1);
});

test(`a call that never gets an answer is given up after ${MAX_ATTEMPTS} attempts`, async (t) => {
  const client = scripted(status.UNAVAILABLE);
  const { outcome, attempts } = await callWithRetries(client, 'GetItem', {}, { deadlineMs: 100 });
  t.is(outcome.code, status.UNAVAILABLE);
  t.is(attempts, MAX_ATTEMPTS);
});
