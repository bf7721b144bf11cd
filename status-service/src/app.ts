import Router from '@koa/router';
import Koa from 'koa';
import pinoLogger from 'koa-pino-logger';
import type { Logger } from 'pino';
import { docsRoutes } from 'service-kit/docs';
import { requestLogOptions } from 'service-kit/logger';
import { problemResponses } from 'service-kit/problem';
import { requestIds } from 'service-kit/request-id';
import type { Config } from './config.ts';
import { buildOpenApiDocument } from './openapi.ts';
import { healthRoutes } from './routes/health.ts';
import { pageRoutes } from './routes/page.ts';
import { statusRoutes } from './routes/status.ts';
import { streamRoutes } from './routes/stream.ts';
import { unavailableRoutes } from './routes/unavailable.ts';
import type { StatusReporter } from './status-report.ts';
import type { StatusStream } from './status-stream.ts';

export interface AppDependencies {
  config: Pick<Config, 'appEnv'>;
  reporter: StatusReporter;
  stream: StatusStream;
  logger: Logger;
  /** Epoch milliseconds the service started at, for uptimeSeconds. */
  startedAt?: number;
}

export function createApp({ config, reporter, stream, logger, startedAt = Date.now() }: AppDependencies): Koa {
  const app = new Koa();
  const development = config.appEnv === 'development';

  // Errors that reach Koa itself come from streamed bodies; a subscriber leaving is not one of them.
  app.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'ERR_STREAM_PREMATURE_CLOSE') logger.error({ err }, 'response stream failed');
  });
  app.use(requestIds());
  app.use(pinoLogger(requestLogOptions(logger)));
  app.use(problemResponses());

  const routers = [
    pageRoutes(reporter, development),
    statusRoutes(reporter),
    streamRoutes(stream),
    unavailableRoutes(reporter),
    healthRoutes(reporter, startedAt),
    ...(development ? [docsRoutes('status-service', buildOpenApiDocument())] : []),
  ];
  const router = new Router();
  for (const routes of routers) router.use(routes.routes());
  app.use(router.routes());
  app.use(router.allowedMethods());
  return app;
}
