import type Koa from 'koa';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { createServiceApp } from 'service-kit/app';
import type { Config } from './config.ts';
import type { FaultInjector } from './faults.ts';
import { storeProblem } from './http/problems.ts';
import { buildOpenApiDocument } from './openapi.ts';
import { dataRoutes } from './routes/data.ts';
import { faultRoutes } from './routes/faults.ts';
import { healthRoutes } from './routes/health.ts';
import { homeRoutes } from './routes/home.ts';
import { orderRoutes } from './routes/orders.ts';
import type { Store } from './store/store.ts';

export interface AppDependencies {
  config: Pick<Config, 'appEnv' | 'replicaId' | 'bodyLimitBytes'>;
  store: Store;
  logger: Logger;
  /** Present only when fault injection is enabled; then /faults exists. */
  faults?: FaultInjector;
  /** Epoch milliseconds now; the replica's uptime counts from its first reading. */
  now?: () => number;
  /** True once the replica drains before it stops: /healthz then answers 503. */
  draining?: () => boolean;
  /** Where request durations are recorded (served on the metrics port, not here). */
  metrics?: Registry;
}

export function createApp({ config, store, logger, faults, metrics, now = Date.now, draining = () => false }: AppDependencies): Koa {
  const development = config.appEnv === 'development';
  const storeRouteOptions = { faults, replicaId: config.replicaId, bodyLimitBytes: config.bodyLimitBytes };
  return createServiceApp({
    logger,
    metrics,
    first: [
      async (ctx, next) => {
        ctx.set('X-Replica-Id', config.replicaId);
        await next();
      },
    ],
    routers: [
      homeRoutes(config.replicaId, development),
      healthRoutes(config.replicaId, store, now, faults, draining),
      dataRoutes(store, storeRouteOptions),
      orderRoutes(store, storeRouteOptions),
      ...(faults ? [faultRoutes(faults)] : []),
    ],
    problems: storeProblem,
    docs: development
      ? { title: 'storage-service', document: buildOpenApiDocument({ faultsEnabled: !!faults, bodyLimitBytes: config.bodyLimitBytes }) }
      : undefined,
  });
}
