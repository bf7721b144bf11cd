import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import Router from '@koa/router';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { createServiceApp } from './app.ts';
import { exitWith, KEEP_ALIVE_TIMEOUT_MS } from './server.ts';

/** `GET /metrics` in Prometheus' text format, and problem+json for anything else. */
export function createMetricsApp(registry: Registry, logger: Logger) {
  const router = new Router();
  router.get('/metrics', async (ctx) => {
    ctx.type = registry.contentType;
    ctx.body = await registry.metrics();
  });
  return createServiceApp({ logger, routers: [router] });
}

/**
 * Serves the registry on a port of its own, which the gateway never routes to: the metrics stay within
 * the networks Prometheus shares with the service, whatever the gateway's rules. The server closes with
 * the process; nothing waits for a scrape in flight.
 */
export function startMetricsServer({ service, registry, port, logger }: { service: string; registry: Registry; port: number; logger: Logger }): void {
  const server = createServer(createMetricsApp(registry, logger).callback());
  // Prometheus keeps its connection between scrapes: as on the service's own port, this side does not close it first.
  server.keepAliveTimeout = KEEP_ALIVE_TIMEOUT_MS;
  server.on('error', (err: NodeJS.ErrnoException) => exitWith(service, `cannot serve metrics on port ${port}: ${err.code ?? err.message}`));
  server.listen(port, () => logger.info({ metricsPort: (server.address() as AddressInfo).port }, 'serving metrics'));
}
