import test from 'ava';
import type autocannon from 'autocannon';
import type { Catalog } from '../src/discovery.ts';
import { buildRequests } from '../src/workloads.ts';

const catalog: Catalog = {
  partitions: [
    { key: 'products', ids: ['p-1', 'p-2'] },
    { key: 'users', ids: ['u-1'] },
    { key: 'empty', ids: [] },
  ],
};

/** A "random" source that returns the given values in turn. */
const sequence = (...values: number[]) => {
  let i = 0;
  return () => values[i++ % values.length]!;
};

type SetupRequest = (request: autocannon.Request, context: object) => autocannon.Request | undefined;
const setup = (request: autocannon.Request, context: object = {}) => (request.setupRequest as SetupRequest)({ method: 'GET' }, context);

test('read: one request definition that picks any item of any partition, uniformly over items', (t) => {
  const [request, ...rest] = buildRequests('read', '/storagesvc', catalog, 0.5, sequence(0, 0.4, 0.99));
  t.is(rest.length, 0);
  t.deepEqual([setup(request!)?.path, setup(request!)?.path, setup(request!)?.path], [
    '/storagesvc/data/products/p-1',
    '/storagesvc/data/products/p-2',
    '/storagesvc/data/users/u-1',
  ]);
});

test('mixed: a listing, then an item of the listed partition when the draw is below p', (t) => {
  // partition draw 0.1 → products; read draw 0.2 < p; id draw 0.9 → p-2
  const [listing, item] = buildRequests('mixed', '', catalog, 0.5, sequence(0.1, 0.2, 0.9));
  const context = {};
  t.is(setup(listing!, context)?.path, '/data/products');
  t.is(setup(item!, context)?.path, '/data/products/p-2');
});

test('mixed: the item read is skipped (setupRequest returns nothing) when the draw is p or above', (t) => {
  const [listing, item] = buildRequests('mixed', '', catalog, 0.5, sequence(0.1, 0.5));
  const context = {};
  setup(listing!, context);
  t.is(setup(item!, context), undefined);
});

test('mixed: p = 0 never reads an item, p = 1 always does', (t) => {
  const [listing0, item0] = buildRequests('mixed', '', catalog, 0, sequence(0, 0));
  const [listing1, item1] = buildRequests('mixed', '', catalog, 1, sequence(0, 0.999, 0));
  const context0 = {};
  const context1 = {};
  setup(listing0!, context0);
  setup(listing1!, context1);
  t.is(setup(item0!, context0), undefined);
  t.is(setup(item1!, context1)?.path, '/data/products/p-1');
});

test('mixed: a listing of an empty partition is not followed by a read', (t) => {
  const [listing, item] = buildRequests('mixed', '', catalog, 1, sequence(0.9, 0));
  const context = {};
  t.is(setup(listing!, context)?.path, '/data/empty');
  t.is(setup(item!, context), undefined);
});

test('status: a fixed GET of /status under the prefix, no catalog needed', (t) => {
  t.deepEqual(buildRequests('status', '/statussvc', null, 0.5), [{ method: 'GET', path: '/statussvc/status' }]);
});
