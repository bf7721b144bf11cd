import type { Middleware } from 'koa';
import { collectDefaultMetrics, Histogram, Registry } from 'prom-client';

/** OpenTelemetry's recommended boundaries for `http.server.request.duration`, in seconds. */
const HTTP_DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10];

/** Any other method is `_OTHER` (OpenTelemetry's rule), so that no client can add label values at will. */
const KNOWN_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'TRACE', 'CONNECT']);

/** A service process's registry: Node's process and runtime metrics (CPU, memory, event-loop lag, GC), and what the service adds. */
export function serviceRegistry(): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return registry;
}

/**
 * `http_server_request_duration_seconds`, after OpenTelemetry's HTTP semantic conventions: one
 * observation per request, labelled with its method, its route as the router's template (never the raw
 * path: `/partitions/:partitionKey/items/:id`; empty when no route matched) and the status code answered.
 */
export function requestDurations(registry: Registry): Middleware {
  const durations = new Histogram({
    name: 'http_server_request_duration_seconds',
    help: 'Duration of HTTP server requests, until the answer is handed to Node.',
    labelNames: ['http_request_method', 'http_route', 'http_response_status_code'],
    buckets: HTTP_DURATION_BUCKETS,
    registers: [registry],
  });
  // One child per label set, found by a string key: `labels()` parses and validates its arguments on every call.
  const children = new Map<string, Histogram.Internal<string>>();
  return async (ctx, next) => {
    const started = performance.now();
    try {
      await next();
    } finally {
      const method = KNOWN_METHODS.has(ctx.method) ? ctx.method : '_OTHER';
      // Set by @koa/router on the request's context once a route matched.
      const route = (ctx as { _matchedRoute?: string })._matchedRoute ?? '';
      const key = `${method} ${ctx.status} ${route}`;
      let child = children.get(key);
      if (!child) children.set(key, (child = durations.labels(method, route, String(ctx.status))));
      child.observe((performance.now() - started) / 1000);
    }
  };
}
