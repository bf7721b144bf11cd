import type Koa from 'koa';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { createServiceApp } from 'service-kit/app';
import type { Config } from './config.ts';
import { buildOpenApiDocument } from './openapi.ts';
import { healthRoutes } from './routes/health.ts';
import { historyRoutes } from './routes/history.ts';
import { pageRoutes } from './routes/page.ts';
import { statusRoutes } from './routes/status.ts';
import { streamRoutes } from './routes/stream.ts';
import { gatewayAnswerRoutes } from './routes/gateway-answers.ts';
import type { StatusReporter } from './status-report.ts';
import type { StatusStream } from './status-stream.ts';
import type { UptimeHistory } from './uptime-history.ts';

export interface AppDependencies {
  config: Pick<Config, 'appEnv'>;
  reporter: StatusReporter;
  stream: StatusStream;
  history: UptimeHistory;
  logger: Logger;
  /** Epoch milliseconds now; the service's uptime counts from its first reading. */
  now?: () => number;
  /** Where request durations are recorded (served on the metrics port, not here). */
  metrics?: Registry;
}

export function createApp({ config, reporter, stream, history, logger, metrics, now = Date.now }: AppDependencies): Koa {
  const development = config.appEnv === 'development';
  return createServiceApp({
    logger,
    metrics,
    // Errors that reach Koa itself come from streamed bodies; a subscriber leaving is not one of them.
    onError: (err) => {
      if (err.code !== 'ERR_STREAM_PREMATURE_CLOSE') logger.error({ err }, 'response stream failed');
    },
    routers: [
      pageRoutes(reporter, history, development, now),
      statusRoutes(reporter, now),
      historyRoutes(history, now),
      streamRoutes(stream),
      gatewayAnswerRoutes(reporter),
      healthRoutes(reporter, now),
    ],
    docs: development ? { title: 'status-service', document: buildOpenApiDocument() } : undefined,
  });
}
