import Router from '@koa/router';
import Koa from 'koa';
import pinoLogger from 'koa-pino-logger';
import type { Logger } from 'pino';
import { docsRoutes } from 'service-kit/docs';
import { requestLogOptions } from 'service-kit/logger';
import { problemResponses } from 'service-kit/problem';
import { requestIds } from 'service-kit/request-id';
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
  /** Epoch milliseconds the replica started at, for uptimeSeconds. */
  startedAt?: number;
}

export function createApp({ config, store, logger, faults, startedAt = Date.now() }: AppDependencies): Koa {
  const app = new Koa();
  const development = config.appEnv === 'development';

  app.use(async (ctx, next) => {
    ctx.set('X-Replica-Id', config.replicaId);
    await next();
  });
  app.use(requestIds());
  app.use(pinoLogger(requestLogOptions(logger)));
  app.use(problemResponses());

  const routers = [
    homeRoutes(config.replicaId, development),
    healthRoutes(config.replicaId, startedAt, faults),
    dataRoutes(store, faults, config.replicaId),
    ...(faults ? [faultRoutes(faults)] : []),
    ...(development ? [docsRoutes('storage-service', buildOpenApiDocument({ faultsEnabled: !!faults }))] : []),
  ];
  const router = new Router();
  for (const routes of routers) router.use(routes.routes());
  app.use(router.routes());
  app.use(router.allowedMethods());
  return app;
}
