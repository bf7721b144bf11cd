import type Koa from 'koa';
import type { Logger } from 'pino';
import { createServiceApp } from 'service-kit/app';
import type { Config } from './config.ts';
import type { DataStore } from './data-store.ts';
import type { FaultInjector } from './faults.ts';
import { buildOpenApiDocument } from './openapi.ts';
import { dataRoutes } from './routes/data.ts';
import { faultRoutes } from './routes/faults.ts';
import { healthRoutes } from './routes/health.ts';
import { homeRoutes } from './routes/home.ts';

export interface AppDependencies {
  config: Pick<Config, 'appEnv' | 'replicaId'>;
  store: DataStore;
  logger: Logger;
  /** Present only when fault injection is enabled; then /faults exists. */
  faults?: FaultInjector;
  /** Epoch milliseconds now; the replica's uptime counts from its first reading. */
  now?: () => number;
}

export function createApp({ config, store, logger, faults, now = Date.now }: AppDependencies): Koa {
  const development = config.appEnv === 'development';
  return createServiceApp({
    logger,
    first: [
      async (ctx, next) => {
        ctx.set('X-Replica-Id', config.replicaId);
        await next();
      },
    ],
    routers: [
      homeRoutes(config.replicaId, development),
      healthRoutes(config.replicaId, now, faults),
      dataRoutes(store, faults, config.replicaId),
      ...(faults ? [faultRoutes(faults)] : []),
    ],
    docs: development ? { title: 'storage-service', document: buildOpenApiDocument({ faultsEnabled: !!faults }) } : undefined,
  });
}
