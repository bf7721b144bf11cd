import test, { type ExecutionContext } from 'ava';
import { Registry } from 'prom-client';
import { createMetricsApp } from 'service-kit/metrics-server';
import { parseSamples, sampleValue, type Sample } from 'testkit/prometheus-text';
import { serve } from 'testkit/serve';
import { OutOfStock, ProductNotFound } from '../src/store/errors.ts';
import { MeasuredStore } from '../src/store/measured-store.ts';
import { captureLogs, openTestStore, PROBLEM_TYPE, startApp, withJson } from './helpers.ts';

/** The metrics port's answer, as Prometheus reads it. */
async function scrape(t: ExecutionContext, registry: Registry): Promise<{ text: string; samples: Sample[] }> {
  const { url, close } = await serve(createMetricsApp(registry, captureLogs().logger).callback());
  t.teardown(close);
  const res = await fetch(`${url}/metrics`);
  t.is(res.status, 200);
  t.is(res.headers.get('content-type'), 'text/plain; version=0.0.4; charset=utf-8');
  const text = await res.text();
  return { text, samples: parseSamples(text) };
}

const REQUESTS = 'http_server_request_duration_seconds_count';
const request = (method: string, route: string, status: number) => ({
  http_request_method: method,
  http_route: route,
  http_response_status_code: String(status),
});

test('each request is counted by method, route template and status; no raw path, id or key becomes a label', async (t) => {
  const metrics = new Registry();
  const app = await startApp(t, { metrics });
  for (const path of ['/data/products/p-1', '/data/products/p-2', '/data/products/no-such-item', '/no/such/route']) await fetch(`${app.url}${path}`);
  await fetch(`${app.url}/data/products`, withJson('POST', { name: 'Lamp' }, { 'Idempotency-Key': 'key-1' }));
  await fetch(`${app.url}/orders`, { method: 'DELETE' });

  const { text, samples } = await scrape(t, metrics);
  t.is(sampleValue(samples, REQUESTS, request('GET', '/data/:partitionKey/:id', 200)), 2);
  t.is(sampleValue(samples, REQUESTS, request('GET', '/data/:partitionKey/:id', 404)), 1);
  t.is(sampleValue(samples, REQUESTS, request('POST', '/data/:partitionKey', 201)), 1);
  // No route matched: no route label (empty), whatever the path.
  t.is(sampleValue(samples, REQUESTS, request('GET', '', 404)), 1);
  t.is(sampleValue(samples, REQUESTS, request('DELETE', '', 405)), 1);
  for (const raw of ['p-1', 'no-such-item', '/no/such/route', 'key-1', 'Lamp']) t.false(text.includes(raw), raw);
  t.true(text.includes('http_server_request_duration_seconds_bucket{le="0.005",http_request_method="GET",http_route="/data/:partitionKey/:id",http_response_status_code="200"}'));
});

test('/metrics is not on the service port: a 404 problem there', async (t) => {
  const app = await startApp(t, { metrics: new Registry() });
  const res = await fetch(`${app.url}/metrics`);
  t.is(res.status, 404);
  t.is(res.headers.get('content-type'), PROBLEM_TYPE);
});

test('the metrics port answers /metrics only: other paths are 404, other methods 405, as problems', async (t) => {
  const { url, close } = await serve(createMetricsApp(new Registry(), captureLogs().logger).callback());
  t.teardown(close);
  const elsewhere = await fetch(`${url}/data/products`);
  t.is(elsewhere.status, 404);
  t.is(elsewhere.headers.get('content-type'), PROBLEM_TYPE);
  const post = await fetch(`${url}/metrics`, { method: 'POST' });
  t.is(post.status, 405);
  t.is(post.headers.get('allow'), 'HEAD, GET');
});

test('orders are counted by outcome (placed, out of stock, replayed), each from 0; store operations are timed by operation', async (t) => {
  const metrics = new Registry();
  const store = new MeasuredStore((await openTestStore(t)).store, metrics);
  const before = await scrape(t, metrics);
  for (const outcome of ['placed', 'out_of_stock', 'replayed']) t.is(sampleValue(before.samples, 'storage_orders_total', { outcome }), 0, outcome);

  const key = { key: 'order-1', fingerprint: 'f-1' };
  await store.placeOrder('p-1', 1, key);
  await store.placeOrder('p-1', 1, key);
  await store.placeOrder('p-1', 1);
  await t.throwsAsync(store.placeOrder('p-1', 100), { instanceOf: OutOfStock });
  await t.throwsAsync(store.placeOrder('p-404', 1), { instanceOf: ProductNotFound });
  await store.item('products', 'p-1');

  const { samples } = await scrape(t, metrics);
  t.is(sampleValue(samples, 'storage_orders_total', { outcome: 'placed' }), 2);
  t.is(sampleValue(samples, 'storage_orders_total', { outcome: 'replayed' }), 1);
  t.is(sampleValue(samples, 'storage_orders_total', { outcome: 'out_of_stock' }), 1);
  // Refusals take time too: all five calls are timed.
  t.is(sampleValue(samples, 'storage_store_operation_duration_seconds_count', { operation: 'placeOrder' }), 5);
  t.is(sampleValue(samples, 'storage_store_operation_duration_seconds_count', { operation: 'item' }), 1);
  t.true(sampleValue(samples, 'storage_store_operation_duration_seconds_sum', { operation: 'item' })! > 0);
});
